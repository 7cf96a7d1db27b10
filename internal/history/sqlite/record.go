package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
)

type txn = sql.Tx

// inTx runs fn in one write transaction, committed when fn returns nil and
// rolled back otherwise. When another process holds the write lock for longer
// than the busy timeout, the whole transaction is tried again, twice.
func (s *Store) inTx(ctx context.Context, fn func(*txn) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tx(ctx, fn)
		if err == nil || !busy(err) || attempt == 3 || ctx.Err() != nil {
			return err
		}
		slog.Warn("history database busy; trying again", "path", s.path, "attempt", attempt+1)
	}
}

func (s *Store) tx(ctx context.Context, fn func(*txn) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history database %s: begin: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the error that made us roll back is the one to report
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history database %s: commit: %w", s.path, err)
	}
	return nil
}

// Record stores the scan in one transaction.
func (s *Store) Record(ctx context.Context, sc *history.Scan) (int64, error) {
	blob, err := history.EncodeResults(sc.Results)
	if err != nil {
		return 0, err
	}
	inputs, err := json.Marshal(nonNil(sc.Inputs))
	if err != nil {
		return 0, fmt.Errorf("record scan: %w", err)
	}
	var detail []byte
	if sc.Detail != nil {
		if detail, err = history.EncodeDetail(sc.Detail); err != nil {
			return 0, err
		}
	}
	var id int64
	err = s.inTx(ctx, func(tx *txn) error {
		sum := sc.Summary
		res, err := tx.ExecContext(ctx, `INSERT INTO scans (at, tool, inputs, resources_read, resources, results_count,
			pass, fail, unknown, waived, in_scope, compliant, compliance_percent, results_json)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			fmtTime(sc.At), sc.Tool, string(inputs), sc.ResourcesRead, sum.Resources, len(sc.Results),
			sum.Pass, sum.Fail, sum.Unknown, sum.Waived, sum.InScope, sum.Compliant, sum.CompliancePercent, blob)
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if detail != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO scan_details (scan_id, detail) VALUES (?, ?)`, id, detail); err != nil {
				return fmt.Errorf("record scan detail: %w", err)
			}
		}
		ids, err := s.resourceIDs(ctx, tx, sc)
		if err != nil {
			return err
		}
		err = batchInsert(ctx, tx, `INSERT INTO results (scan_id, resource_id, rule, status, severity) VALUES `, 5, len(sc.Results),
			func(i int, row []any) {
				r := sc.Results[i]
				row[0], row[1], row[2], row[3], row[4] = id, ids[estate.Lower(r.Resource)], r.Rule, string(r.Status), r.Severity.String()
			})
		if err != nil {
			return fmt.Errorf("record scan results: %w", err)
		}
		outcomes, err := history.EncodeOutcomes(history.OutcomesOf(sc.Results, func(key string) int64 { return ids[key] }))
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scan_outcomes (scan_id, outcomes) VALUES (?, ?)`, id, outcomes); err != nil {
			return fmt.Errorf("record scan outcomes: %w", err)
		}
		err = batchInsert(ctx, tx, `INSERT INTO scan_workloads (scan_id, resource_id, compliant) VALUES `, 3, len(sc.Workloads),
			func(i int, row []any) {
				w := sc.Workloads[i]
				row[0], row[1], row[2] = id, ids[estate.Lower(w.ID)], w.Compliant
			})
		if err != nil {
			return fmt.Errorf("record scan workloads: %w", err)
		}
		err = batchInsert(ctx, tx, `INSERT INTO audit_records (key, at, vault, operation, http_status, signature, result_type,
			caller_ip, correlation_id, identity, scan_id) VALUES `, 11, len(sc.Audit),
			func(i int, row []any) {
				a := sc.Audit[i]
				row[0], row[1], row[2], row[3], row[4], row[5] = a.Key, fmtTime(a.Time), a.Vault, a.Operation, a.HTTPStatus, a.Signature
				row[6], row[7], row[8], row[9], row[10] = a.ResultType, a.CallerIP, a.CorrelationID, a.Identity, id
			}, ` ON CONFLICT (key) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("record scan audit records: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history database %s: %w", s.path, err)
	}
	slog.Debug("scan recorded", "path", s.path, "id", id, "results", len(sc.Results), "audit", len(sc.Audit))
	return id, nil
}

// resourceIDs returns the row id of every resource the scan mentions, adding
// the ones the history has not seen.
func (s *Store) resourceIDs(ctx context.Context, tx *txn, sc *history.Scan) (map[string]int64, error) {
	type res struct{ armID, typ string }
	want := map[string]res{}
	for _, r := range sc.Results {
		if k := estate.Lower(r.Resource); want[k].armID == "" {
			want[k] = res{r.Resource, r.ResourceType}
		}
	}
	for _, w := range sc.Workloads {
		if k := estate.Lower(w.ID); want[k].armID == "" {
			want[k] = res{w.ID, w.Type}
		}
	}
	sel, err := tx.PrepareContext(ctx, `SELECT id FROM resources WHERE key = ?`)
	if err != nil {
		return nil, fmt.Errorf("record scan resources: %w", err)
	}
	defer sel.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO resources (key, arm_id, type) VALUES (?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("record scan resources: %w", err)
	}
	defer ins.Close()
	ids := make(map[string]int64, len(want))
	for k, r := range want {
		var id int64
		switch err := sel.QueryRowContext(ctx, k).Scan(&id); err {
		case nil:
		case sql.ErrNoRows:
			res, err := ins.ExecContext(ctx, k, r.armID, r.typ)
			if err != nil {
				return nil, fmt.Errorf("record scan resource %s: %w", r.armID, err)
			}
			if id, err = res.LastInsertId(); err != nil {
				return nil, fmt.Errorf("record scan resource %s: %w", r.armID, err)
			}
		default:
			return nil, fmt.Errorf("record scan resource %s: %w", r.armID, err)
		}
		ids[k] = id
	}
	return ids, nil
}

// batchRows is how many rows one INSERT statement carries; SQLite allows
// 32766 parameters a statement.
const batchRows = 200

// batchInsert inserts n rows of cols values each, batchRows rows a statement.
// fill writes row i's values into row.
func batchInsert(ctx context.Context, tx *txn, prefix string, cols, n int, fill func(i int, row []any), suffix ...string) error {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	statement := func(rows int) string {
		return prefix + strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", ") + strings.Join(suffix, "")
	}
	var full *sql.Stmt
	if n >= batchRows {
		var err error
		if full, err = tx.PrepareContext(ctx, statement(batchRows)); err != nil {
			return err
		}
		defer full.Close()
	}
	args := make([]any, 0, batchRows*cols)
	for start := 0; start < n; start += batchRows {
		rows := min(batchRows, n-start)
		args = args[:rows*cols]
		for i := range rows {
			fill(start+i, args[i*cols:(i+1)*cols])
		}
		var err error
		if rows == batchRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, statement(rows), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
