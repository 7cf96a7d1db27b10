package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/postgres"
	"github.com/cmkguard/cmkguard/internal/history/sqlite"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// openStore opens the history named by --db: a postgres:// or postgresql://
// URL, or an SQLite file (the default file when db is empty). With create
// false, a missing SQLite file is an error rather than a new empty history.
func openStore(ctx context.Context, db string, create bool) (history.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	path := db
	if path == "" {
		var err error
		if path, err = sqlite.DefaultPath(); err != nil {
			return nil, err
		}
	}
	if !create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, usageError{fmt.Errorf("no scan history at %s: record scans with cmkguard scan first, or name the history with --db", path)}
		}
	}
	return sqlite.Open(ctx, path)
}

// recordScan records the scan, with its detail for the dashboard, in the
// history named by db and returns how it differs from the previous recorded
// scan (nil for the first).
func recordScan(ctx context.Context, db string, rep *report.Report, e *estate.Estate, ev rules.Evaluation, detail *history.Detail) (*report.SinceLastScan, error) {
	st, err := openStore(ctx, db, true)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := st.Close(); err != nil {
			slog.Warn("closing the history", "err", err)
		}
	}()
	change, err := history.Since(ctx, st, rep.ScannedAt, ev.Results)
	if err != nil {
		return nil, fmt.Errorf("compare with the last scan: %w", err)
	}
	sc := history.NewScan(rep.ScannedAt, rep.Tool.Version, rep.Inputs, e, ev)
	sc.Detail = detail
	if _, err := st.Record(ctx, sc); err != nil {
		return nil, err
	}
	if change == nil {
		return nil, nil
	}
	since := &report.SinceLastScan{PreviousScanAt: change.PreviousAt, NewlyFailing: findings(change.NewlyFailing),
		Fixed: findings(change.Fixed), NewResources: nonNil(change.NewResources), RemovedResources: nonNil(change.RemovedResources)}
	return since, nil
}

func findings(fs []history.Finding) []report.Finding {
	out := make([]report.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, report.Finding{Rule: f.Rule, Resource: f.Resource})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
