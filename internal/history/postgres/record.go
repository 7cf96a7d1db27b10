package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
)

// Record stores the scan in one transaction.
func (s *Store) Record(ctx context.Context, sc *history.Scan) (int64, error) {
	blob, err := history.EncodeResults(sc.Results)
	if err != nil {
		return 0, err
	}
	var detail []byte
	if sc.Detail != nil {
		if detail, err = history.EncodeDetail(sc.Detail); err != nil {
			return 0, err
		}
	}
	inputs := sc.Inputs
	if inputs == nil {
		inputs = []string{}
	}
	var id int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		sum := sc.Summary
		err := tx.QueryRow(ctx, `INSERT INTO scans (at, tool, inputs, resources_read, resources, results_count,
			pass, fail, unknown, waived, in_scope, compliant, compliance_percent, results_json)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			sc.At.UTC(), sc.Tool, inputs, sc.ResourcesRead, sum.Resources, len(sc.Results),
			sum.Pass, sum.Fail, sum.Unknown, sum.Waived, sum.InScope, sum.Compliant, sum.CompliancePercent, blob).Scan(&id)
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if detail != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO scan_details (scan_id, detail) VALUES ($1, $2)`, id, detail); err != nil {
				return fmt.Errorf("record scan detail: %w", err)
			}
		}
		ids, err := resourceIDs(ctx, tx, sc)
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"results"}, []string{"scan_id", "resource_id", "rule", "status", "severity"},
			pgx.CopyFromSlice(len(sc.Results), func(i int) ([]any, error) {
				r := sc.Results[i]
				return []any{id, ids[estate.Lower(r.Resource)], r.Rule, string(r.Status), r.Severity.String()}, nil
			}))
		if err != nil {
			return fmt.Errorf("record scan results: %w", err)
		}
		outcomes, err := history.EncodeOutcomes(history.OutcomesOf(sc.Results, func(key string) int64 { return ids[key] }))
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO scan_outcomes (scan_id, outcomes) VALUES ($1, $2)`, id, outcomes); err != nil {
			return fmt.Errorf("record scan outcomes: %w", err)
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"scan_workloads"}, []string{"scan_id", "resource_id", "compliant"},
			pgx.CopyFromSlice(len(sc.Workloads), func(i int) ([]any, error) {
				w := sc.Workloads[i]
				return []any{id, ids[estate.Lower(w.ID)], w.Compliant}, nil
			}))
		if err != nil {
			return fmt.Errorf("record scan workloads: %w", err)
		}
		if err := insertAudit(ctx, tx, id, sc.Audit); err != nil {
			return fmt.Errorf("record scan audit records: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history database %s: %w", s.name, err)
	}
	slog.Debug("scan recorded", "url", s.name, "id", id, "results", len(sc.Results), "audit", len(sc.Audit))
	return id, nil
}

// resourceIDs returns the row id of every resource the scan mentions, adding
// the ones the history has not seen. Keys are inserted in sorted order, so
// two transactions adding the same resources lock them in the same order.
func resourceIDs(ctx context.Context, tx pgx.Tx, sc *history.Scan) (map[string]int64, error) {
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
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	armIDs, types := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		armIDs[i], types[i] = want[k].armID, want[k].typ
	}
	if _, err := tx.Exec(ctx, `INSERT INTO resources (key, arm_id, type)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (key) DO NOTHING`, keys, armIDs, types); err != nil {
		return nil, fmt.Errorf("record scan resources: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT id, key FROM resources WHERE key = ANY($1::text[])`, keys)
	if err != nil {
		return nil, fmt.Errorf("record scan resources: %w", err)
	}
	ids := make(map[string]int64, len(keys))
	var id int64
	var key string
	_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error {
		ids[key] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record scan resources: %w", err)
	}
	if len(ids) != len(keys) {
		return nil, fmt.Errorf("record scan resources: %d of %d resources stored", len(ids), len(keys))
	}
	return ids, nil
}

// insertAudit adds the audit records not stored yet, in key order.
func insertAudit(ctx context.Context, tx pgx.Tx, scanID int64, records []history.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	recs := slices.Clone(records)
	slices.SortFunc(recs, func(a, b history.AuditRecord) int { return cmpString(a.Key, b.Key) })
	n := len(recs)
	var (
		keys, vaults, ops, sigs, types, ips, corr, idents = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ats    = make([]any, n)
		status = make([]int32, n)
	)
	for i, a := range recs {
		keys[i], vaults[i], ops[i], sigs[i], types[i] = a.Key, a.Vault, a.Operation, a.Signature, a.ResultType
		ips[i], corr[i], idents[i], ats[i], status[i] = a.CallerIP, a.CorrelationID, a.Identity, a.Time.UTC(), int32(a.HTTPStatus)
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_records (key, at, vault, operation, http_status, signature, result_type,
		caller_ip, correlation_id, identity, scan_id)
		SELECT k, at, v, op, st, sig, rt, ip, corr, ident, $11
		FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[]) AS u (k, at, v, op, st, sig, rt, ip, corr, ident)
		ON CONFLICT (key) DO NOTHING`,
		keys, ats, vaults, ops, status, sigs, types, ips, corr, idents, scanID)
	return err
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
