package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/postgres/pgtest"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// BenchmarkKPI records 100 scans of a 10,000-resource estate and times
// `cmkguard kpi --format json` over them. Run it by hand:
//
//	CMKGUARD_TEST_POSTGRES=postgres://… go test -run '^$' -bench BenchmarkKPI -benchtime 5x ./cmd/cmkguard
//
// The scans cycle through ten variants of the estate (which workloads use a
// customer-managed key, their classification, which keys are overdue), so
// failures open and close; each scan also brings 1,000 audit records, half of
// them seen by the scan before. Recording is timed too (record-ms/scan);
// evaluating the variants is not.
func BenchmarkKPI(b *testing.B) {
	const scans, resources, variants = 100, 10000, 10
	dir := b.TempDir()
	ctx := context.Background()
	var evals []*history.Scan
	for v := range variants {
		bld := estate.NewBuilder()
		if err := input.ReadFile(ctx, writeEstate(b, dir, v, resources), bld); err != nil {
			b.Fatal(err)
		}
		e := bld.Build()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		ev := rules.Evaluate(e, policy.Default(), now, rules.Catalog())
		evals = append(evals, history.NewScan(now, "bench", []string{"estate.ndjson"}, e, ev))
	}
	b.Logf("%d results a scan", len(evals[0].Results))

	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			db := filepath.Join(b.TempDir(), "history.db")
			if backend == "postgres" {
				db = pgtest.URL(b)
			}
			st, err := openStore(ctx, db, true)
			if err != nil {
				b.Fatal(err)
			}
			var recording time.Duration
			for i := range scans {
				s := *evals[i%variants]
				s.At = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 3*i)
				s.Audit = benchAudit(i)
				start := time.Now()
				if _, err := st.Record(ctx, &s); err != nil {
					b.Fatal(err)
				}
				recording += time.Since(start)
			}
			st.Close()
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if code := Run(ctx, []string{"kpi", "--db", db, "--format", "json"}, strings.NewReader(""), &out, io.Discard); code != 0 {
					b.Fatalf("kpi: exit %d", code)
				}
			}
			b.ReportMetric(float64(recording.Milliseconds())/scans, "record-ms/scan")
			b.ReportMetric(float64(dbSize(b, db))/(1<<20), "db-MiB")
		})
	}
}

// dbSize is the size of the history: the SQLite file, or the tables and
// indexes of the PostgreSQL schema.
func dbSize(b *testing.B, db string) int64 {
	if !strings.HasPrefix(db, "postgres") {
		fi, err := os.Stat(db)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), `SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchAudit makes the audit records scan i is given: 1,000 a scan, the first
// half the same as the previous scan's second half; a tenth are refusals.
func benchAudit(i int) []history.AuditRecord {
	var out []history.AuditRecord
	for j := range 1000 {
		n := i*500 + j
		status, op := 200, "KeyUnwrap"
		switch n % 10 {
		case 0:
			status = 403
		case 1:
			status, op = 401, "Authentication"
		}
		a := estate.AuditRecord{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * 10 * time.Minute),
			ResourceID:    fmt.Sprintf("/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-sec/providers/microsoft.keyvault/vaults/kv%04d", n%50),
			OperationName: op, HTTPStatus: status, CorrelationID: fmt.Sprintf("corr-%d", n), CallerIP: "203.0.113.1"}
		out = append(out, history.NewAuditRecord(&a))
	}
	return out
}
