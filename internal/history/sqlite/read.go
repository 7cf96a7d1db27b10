package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/rules"
)

const scanColumns = `id, at, tool, inputs, resources_read, resources, results_count, pass, fail, unknown, waived,
	in_scope, compliant, compliance_percent`

func scanInfo(row interface{ Scan(...any) error }) (history.ScanInfo, error) {
	var si history.ScanInfo
	var at, inputs string
	sum := &si.Summary
	if err := row.Scan(&si.ID, &at, &si.Tool, &inputs, &si.ResourcesRead, &sum.Resources, &sum.Results, &sum.Pass,
		&sum.Fail, &sum.Unknown, &sum.Waived, &sum.InScope, &sum.Compliant, &sum.CompliancePercent); err != nil {
		return si, err
	}
	var err error
	if si.At, err = parseTime(at); err != nil {
		return si, err
	}
	if err := json.Unmarshal([]byte(inputs), &si.Inputs); err != nil {
		return si, fmt.Errorf("scan %d inputs: %w", si.ID, err)
	}
	return si, nil
}

// Scans lists the scans in the window, oldest first.
func (s *Store) Scans(ctx context.Context, w history.Window) ([]history.ScanInfo, error) {
	since, until := bounds(w)
	rows, err := s.db.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE at >= ? AND at <= ? ORDER BY at, id`, since, until)
	if err != nil {
		return nil, fmt.Errorf("history database %s: list scans: %w", s.path, err)
	}
	defer rows.Close()
	var out []history.ScanInfo
	for rows.Next() {
		si, err := scanInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("history database %s: list scans: %w", s.path, err)
		}
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history database %s: list scans: %w", s.path, err)
	}
	return out, nil
}

// Last returns the most recent scan at or before t.
func (s *Store) Last(ctx context.Context, t time.Time) (*history.ScanInfo, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE at <= ? ORDER BY at DESC, id DESC LIMIT 1`, fmtTime(t))
	si, err := scanInfo(row)
	switch {
	case err == sql.ErrNoRows:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("history database %s: last scan: %w", s.path, err)
	}
	return &si, nil
}

// States calls fn with every result of the scan.
func (s *Store) States(ctx context.Context, scanID int64, fn func(history.State) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT resource_id, rule, status FROM results WHERE scan_id = ?`, scanID)
	if err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
	}
	defer rows.Close()
	ruleNames := map[string]string{} // interned: a handful of rules over many rows
	var resID int64
	var rule, status []byte
	for rows.Next() {
		if err := rows.Scan(&resID, &rule, &status); err != nil {
			return fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
		}
		res, err := s.resource(ctx, resID)
		if err != nil {
			return err
		}
		name, ok := ruleNames[string(rule)]
		if !ok {
			name = string(rule)
			ruleNames[name] = name
		}
		if err := fn(history.State{Rule: name, Resource: res.armID, Key: res.key, Status: rules.Status(status)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
	}
	return nil
}

// resource returns a row of the resources table, from the cache when it can.
func (s *Store) resource(ctx context.Context, id int64) (resource, error) {
	s.mu.Lock()
	r, ok := s.resources[id]
	s.mu.Unlock()
	if ok {
		return r, nil
	}
	// Load the whole table once: a history mentions each resource many times.
	rows, err := s.db.QueryContext(ctx, `SELECT id, key, arm_id FROM resources WHERE id >= ?`, id)
	if err != nil {
		return r, fmt.Errorf("history database %s: resources: %w", s.path, err)
	}
	defer rows.Close()
	loaded := map[int64]resource{}
	for rows.Next() {
		var rid int64
		var res resource
		if err := rows.Scan(&rid, &res.key, &res.armID); err != nil {
			return r, fmt.Errorf("history database %s: resources: %w", s.path, err)
		}
		loaded[rid] = res
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("history database %s: resources: %w", s.path, err)
	}
	s.mu.Lock()
	for rid, res := range loaded {
		s.resources[rid] = res
	}
	r, ok = s.resources[id]
	s.mu.Unlock()
	if !ok {
		return r, fmt.Errorf("history database %s: result names resource %d, which is not stored", s.path, id)
	}
	return r, nil
}

// Workloads returns the scan's in-scope workloads.
func (s *Store) Workloads(ctx context.Context, scanID int64) ([]history.Workload, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.arm_id, r.type, w.compliant FROM scan_workloads w
		JOIN resources r ON r.id = w.resource_id WHERE w.scan_id = ? ORDER BY r.key`, scanID)
	if err != nil {
		return nil, fmt.Errorf("history database %s: workloads of scan %d: %w", s.path, scanID, err)
	}
	defer rows.Close()
	var out []history.Workload
	for rows.Next() {
		var w history.Workload
		if err := rows.Scan(&w.ID, &w.Type, &w.Compliant); err != nil {
			return nil, fmt.Errorf("history database %s: workloads of scan %d: %w", s.path, scanID, err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history database %s: workloads of scan %d: %w", s.path, scanID, err)
	}
	return out, nil
}

// Results returns the scan's results as reported.
func (s *Store) Results(ctx context.Context, scanID int64) ([]rules.Result, error) {
	var blob []byte
	if err := s.db.QueryRowContext(ctx, `SELECT results_json FROM scans WHERE id = ?`, scanID).Scan(&blob); err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
	}
	out, err := history.DecodeResults(blob)
	if err != nil {
		return nil, fmt.Errorf("history database %s: scan %d: %w", s.path, scanID, err)
	}
	return out, nil
}

// Audit calls fn with the audit records in the window, oldest first.
func (s *Store) Audit(ctx context.Context, w history.Window, fn func(history.AuditRecord) error) error {
	since, until := bounds(w)
	rows, err := s.db.QueryContext(ctx, `SELECT key, at, vault, operation, http_status, signature, result_type, caller_ip,
		correlation_id, identity FROM audit_records WHERE at >= ? AND at <= ? ORDER BY at, key`, since, until)
	if err != nil {
		return fmt.Errorf("history database %s: audit records: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a history.AuditRecord
		var at string
		if err := rows.Scan(&a.Key, &at, &a.Vault, &a.Operation, &a.HTTPStatus, &a.Signature, &a.ResultType, &a.CallerIP,
			&a.CorrelationID, &a.Identity); err != nil {
			return fmt.Errorf("history database %s: audit records: %w", s.path, err)
		}
		if a.Time, err = parseTime(at); err != nil {
			return fmt.Errorf("history database %s: audit record %s: %w", s.path, a.Key, err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history database %s: audit records: %w", s.path, err)
	}
	return nil
}

// Detail returns what the scan recorded beyond its results, or nil.
func (s *Store) Detail(ctx context.Context, scanID int64) (*history.Detail, error) {
	var blob []byte
	err := s.db.QueryRowContext(ctx, `SELECT detail FROM scan_details WHERE scan_id = ?`, scanID).Scan(&blob)
	switch {
	case err == sql.ErrNoRows:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("history database %s: detail of scan %d: %w", s.path, scanID, err)
	}
	d, err := history.DecodeDetail(blob)
	if err != nil {
		return nil, fmt.Errorf("history database %s: scan %d: %w", s.path, scanID, err)
	}
	return d, nil
}

// Outcomes returns the scan's results in compact form: as recorded, or built
// from its result rows for a scan recorded before schema version 3.
func (s *Store) Outcomes(ctx context.Context, scanID int64) (*history.Outcomes, error) {
	var blob []byte
	err := s.db.QueryRowContext(ctx, `SELECT outcomes FROM scan_outcomes WHERE scan_id = ?`, scanID).Scan(&blob)
	switch {
	case err == nil:
		o, err := history.DecodeOutcomes(blob)
		if err != nil {
			return nil, fmt.Errorf("history database %s: scan %d: %w", s.path, scanID, err)
		}
		return o, nil
	case err != sql.ErrNoRows:
		return nil, fmt.Errorf("history database %s: outcomes of scan %d: %w", s.path, scanID, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT resource_id, rule, status FROM results WHERE scan_id = ?`, scanID)
	if err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
	}
	defer rows.Close()
	o := &history.Outcomes{}
	index := map[string]int{}
	for rows.Next() {
		var it history.Outcome
		var rule, status string
		if err := rows.Scan(&it.Resource, &rule, &status); err != nil {
			return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
		}
		i, ok := index[rule]
		if !ok {
			i = len(o.Rules)
			index[rule] = i
			o.Rules = append(o.Rules, rule)
		}
		it.Rule, it.Status = i, rules.Status(status)
		o.Items = append(o.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history database %s: results of scan %d: %w", s.path, scanID, err)
	}
	return o, nil
}

// ResourceIDs returns the ARM ids of resource handles.
func (s *Store) ResourceIDs(ctx context.Context, handles []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(handles))
	for _, h := range handles {
		r, err := s.resource(ctx, h)
		if err != nil {
			return nil, err
		}
		out[h] = r.armID
	}
	return out, nil
}
