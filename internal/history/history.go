// Package history keeps the record of past scans and computes the KPIs of
// CONTRACT §8 from it: compliance, rotation adherence, time to remediate and
// blocked attempts.
//
// The Store interface is the only thing the rest of cmkguard sees. Its
// implementations live in packages named for their dependency —
// history/sqlite (a local file, the default) and history/postgres (a shared
// store) — and one contract suite, history/historytest, runs against both.
// This package itself depends on no database driver.
//
// A store keeps what a scan decided; it never re-evaluates a rule. The KPIs
// are computed here, in Go, from what the store returns, so every store gives
// the same numbers for the same history.
package history

import (
	"context"
	"errors"
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// Store is a history of scans.
type Store interface {
	// Record stores one scan in a single transaction and returns its id. A
	// failure or a killed process leaves no trace of the scan and never
	// touches earlier ones. Audit records already stored (same Key) are kept
	// once. Two scans recorded at the same time both land.
	Record(ctx context.Context, s *Scan) (int64, error)
	// Scans lists the scans whose time lies in w, oldest first (ties by id).
	Scans(ctx context.Context, w Window) ([]ScanInfo, error)
	// Last returns the most recent scan at or before t, or nil when there is none.
	Last(ctx context.Context, t time.Time) (*ScanInfo, error)
	// States calls fn with the status of every result of the given scan.
	States(ctx context.Context, scanID int64, fn func(State) error) error
	// Outcomes returns the scan's results in the compact form the KPIs read
	// over many scans.
	Outcomes(ctx context.Context, scanID int64) (*Outcomes, error)
	// ResourceIDs returns the ARM id, as first recorded, of resource handles.
	ResourceIDs(ctx context.Context, handles []int64) (map[int64]string, error)
	// Workloads returns the scan's in-scope workloads: those whose
	// classification requires a customer-managed key.
	Workloads(ctx context.Context, scanID int64) ([]Workload, error)
	// Results returns the scan's results as they were reported.
	Results(ctx context.Context, scanID int64) ([]rules.Result, error)
	// Audit calls fn with every stored audit record whose time lies in w,
	// oldest first.
	Audit(ctx context.Context, w Window, fn func(AuditRecord) error) error
	// Detail returns what the scan recorded beyond its results (see Detail),
	// or nil when it recorded none, as scans recorded before schema version 2
	// did.
	Detail(ctx context.Context, scanID int64) (*Detail, error)
	// Close releases the store's connections.
	Close() error
}

// Scan is one scan as it is recorded.
type Scan struct {
	At            time.Time // the evaluation time (--now or the clock)
	Tool          string    // cmkguard version that made it
	Inputs        []string  // the paths scanned, as given
	ResourcesRead int
	Summary       rules.Summary
	Results       []rules.Result
	// Workloads are the in-scope workloads, each with whether it is compliant.
	Workloads []Workload
	// Audit are the Key Vault audit records the scan was given.
	Audit []AuditRecord
	// Detail is what the dashboard shows beyond the results; nil records none.
	Detail *Detail
}

// ScanInfo describes a recorded scan without its results.
type ScanInfo struct {
	ID            int64
	At            time.Time
	Tool          string
	Inputs        []string
	ResourcesRead int
	Summary       rules.Summary
}

// State is one result reduced to what the KPIs need.
type State struct {
	Rule     string
	Resource string // ARM id as first recorded
	Key      string // lower-case ARM id: the resource's identity
	Status   rules.Status
}

// Workload is an in-scope workload of one scan.
type Workload struct {
	ID        string // ARM id
	Type      string // lower-case resource type
	Compliant bool   // no failing or unknown per-workload cmk-* result
}

// Window bounds the scans and audit records a query sees. A zero bound is open.
// Both bounds are inclusive.
type Window struct {
	Since, Until time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.Since.IsZero() || !t.Before(w.Since)) && (w.Until.IsZero() || !t.After(w.Until))
}

// ErrSchemaTooNew is returned when a database was written by a newer cmkguard
// whose schema this one does not know.
var ErrSchemaTooNew = errors.New("history database schema is newer than this cmkguard understands")
