package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/rules"
)

const scanColumns = `id, at, tool, inputs, resources_read, resources, results_count, pass, fail, unknown, waived,
	in_scope, compliant, compliance_percent`

func scanInfo(row pgx.Row) (history.ScanInfo, error) {
	var si history.ScanInfo
	sum := &si.Summary
	err := row.Scan(&si.ID, &si.At, &si.Tool, &si.Inputs, &si.ResourcesRead, &sum.Resources, &sum.Results, &sum.Pass,
		&sum.Fail, &sum.Unknown, &sum.Waived, &sum.InScope, &sum.Compliant, &sum.CompliancePercent)
	si.At = si.At.UTC()
	return si, err
}

// window turns a window into bounds for `at BETWEEN $1 AND $2`; PostgreSQL's
// infinity stands for an open bound.
func window(w history.Window) (pgtype.Timestamptz, pgtype.Timestamptz) {
	since := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	until := pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
	if !w.Since.IsZero() {
		since = pgtype.Timestamptz{Time: w.Since.UTC(), Valid: true}
	}
	if !w.Until.IsZero() {
		until = pgtype.Timestamptz{Time: w.Until.UTC(), Valid: true}
	}
	return since, until
}

// Scans lists the scans in the window, oldest first.
func (s *Store) Scans(ctx context.Context, w history.Window) ([]history.ScanInfo, error) {
	since, until := window(w)
	rows, err := s.pool.Query(ctx, `SELECT `+scanColumns+` FROM scans
		WHERE at >= $1::timestamptz AND at <= $2::timestamptz ORDER BY at, id`, since, until)
	if err != nil {
		return nil, fmt.Errorf("history database %s: list scans: %w", s.name, err)
	}
	defer rows.Close()
	var out []history.ScanInfo
	for rows.Next() {
		si, err := scanInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("history database %s: list scans: %w", s.name, err)
		}
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history database %s: list scans: %w", s.name, err)
	}
	return out, nil
}

// Last returns the most recent scan at or before t.
func (s *Store) Last(ctx context.Context, t time.Time) (*history.ScanInfo, error) {
	si, err := scanInfo(s.pool.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans WHERE at <= $1
		ORDER BY at DESC, id DESC LIMIT 1`, t.UTC()))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("history database %s: last scan: %w", s.name, err)
	}
	return &si, nil
}

// States calls fn with every result of the scan.
func (s *Store) States(ctx context.Context, scanID int64, fn func(history.State) error) error {
	// Resources are sent once per call rather than once per row.
	res := map[int64][2]string{}
	rows, err := s.pool.Query(ctx, `SELECT id, key, arm_id FROM resources
		WHERE id IN (SELECT DISTINCT resource_id FROM results WHERE scan_id = $1)`, scanID)
	if err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	var id int64
	var key, armID string
	if _, err := pgx.ForEachRow(rows, []any{&id, &key, &armID}, func() error {
		res[id] = [2]string{key, armID}
		return nil
	}); err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT resource_id, rule, status FROM results WHERE scan_id = $1`, scanID)
	if err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	defer rows.Close()
	ruleNames := map[string]string{}
	var rule, status []byte
	for rows.Next() {
		if err := rows.Scan(&id, &rule, &status); err != nil {
			return fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
		}
		name, ok := ruleNames[string(rule)]
		if !ok {
			name = string(rule)
			ruleNames[name] = name
		}
		r := res[id]
		if err := fn(history.State{Rule: name, Resource: r[1], Key: r[0], Status: rules.Status(status)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	return nil
}

// Workloads returns the scan's in-scope workloads.
func (s *Store) Workloads(ctx context.Context, scanID int64) ([]history.Workload, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.arm_id, r.type, w.compliant FROM scan_workloads w
		JOIN resources r ON r.id = w.resource_id WHERE w.scan_id = $1 ORDER BY r.key`, scanID)
	if err != nil {
		return nil, fmt.Errorf("history database %s: workloads of scan %d: %w", s.name, scanID, err)
	}
	var out []history.Workload
	var w history.Workload
	if _, err := pgx.ForEachRow(rows, []any{&w.ID, &w.Type, &w.Compliant}, func() error {
		out = append(out, w)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("history database %s: workloads of scan %d: %w", s.name, scanID, err)
	}
	return out, nil
}

// Results returns the scan's results as reported.
func (s *Store) Results(ctx context.Context, scanID int64) ([]rules.Result, error) {
	var blob []byte
	if err := s.pool.QueryRow(ctx, `SELECT results_json FROM scans WHERE id = $1`, scanID).Scan(&blob); err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	out, err := history.DecodeResults(blob)
	if err != nil {
		return nil, fmt.Errorf("history database %s: scan %d: %w", s.name, scanID, err)
	}
	return out, nil
}

// Audit calls fn with the audit records in the window, oldest first.
func (s *Store) Audit(ctx context.Context, w history.Window, fn func(history.AuditRecord) error) error {
	since, until := window(w)
	rows, err := s.pool.Query(ctx, `SELECT key, at, vault, operation, http_status, signature, result_type, caller_ip,
		correlation_id, identity FROM audit_records WHERE at >= $1::timestamptz AND at <= $2::timestamptz ORDER BY at, key`, since, until)
	if err != nil {
		return fmt.Errorf("history database %s: audit records: %w", s.name, err)
	}
	var a history.AuditRecord
	_, err = pgx.ForEachRow(rows, []any{&a.Key, &a.Time, &a.Vault, &a.Operation, &a.HTTPStatus, &a.Signature, &a.ResultType,
		&a.CallerIP, &a.CorrelationID, &a.Identity}, func() error {
		a.Time = a.Time.UTC()
		return fn(a)
	})
	if err != nil {
		return fmt.Errorf("history database %s: audit records: %w", s.name, err)
	}
	return nil
}

// Detail returns what the scan recorded beyond its results, or nil.
func (s *Store) Detail(ctx context.Context, scanID int64) (*history.Detail, error) {
	var blob []byte
	err := s.pool.QueryRow(ctx, `SELECT detail FROM scan_details WHERE scan_id = $1`, scanID).Scan(&blob)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("history database %s: detail of scan %d: %w", s.name, scanID, err)
	}
	d, err := history.DecodeDetail(blob)
	if err != nil {
		return nil, fmt.Errorf("history database %s: scan %d: %w", s.name, scanID, err)
	}
	return d, nil
}

// Outcomes returns the scan's results in compact form: as recorded, or built
// from its result rows for a scan recorded before schema version 3.
func (s *Store) Outcomes(ctx context.Context, scanID int64) (*history.Outcomes, error) {
	var blob []byte
	err := s.pool.QueryRow(ctx, `SELECT outcomes FROM scan_outcomes WHERE scan_id = $1`, scanID).Scan(&blob)
	switch {
	case err == nil:
		o, err := history.DecodeOutcomes(blob)
		if err != nil {
			return nil, fmt.Errorf("history database %s: scan %d: %w", s.name, scanID, err)
		}
		return o, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("history database %s: outcomes of scan %d: %w", s.name, scanID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT resource_id, rule, status FROM results WHERE scan_id = $1`, scanID)
	if err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	o := &history.Outcomes{}
	index := map[string]int{}
	var it history.Outcome
	var rule, status string
	_, err = pgx.ForEachRow(rows, []any{&it.Resource, &rule, &status}, func() error {
		i, ok := index[rule]
		if !ok {
			i = len(o.Rules)
			index[rule] = i
			o.Rules = append(o.Rules, rule)
		}
		o.Items = append(o.Items, history.Outcome{Resource: it.Resource, Rule: i, Status: rules.Status(status)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.name, scanID, err)
	}
	return o, nil
}

// ResourceIDs returns the ARM ids of resource handles.
func (s *Store) ResourceIDs(ctx context.Context, handles []int64) (map[int64]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, arm_id FROM resources WHERE id = ANY($1)`, handles)
	if err != nil {
		return nil, fmt.Errorf("history database %s: resources: %w", s.name, err)
	}
	out := make(map[int64]string, len(handles))
	var id int64
	var armID string
	if _, err := pgx.ForEachRow(rows, []any{&id, &armID}, func() error {
		out[id] = armID
		return nil
	}); err != nil {
		return nil, fmt.Errorf("history database %s: resources: %w", s.name, err)
	}
	return out, nil
}
