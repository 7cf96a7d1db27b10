package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/history"
)

type kpiFlags struct {
	db, format, output, since, until string
}

func newKPICmd() *cobra.Command {
	var f kpiFlags
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "KPIs over the scan history: compliance, rotation adherence, time to remediate, blocked attempts",
		Long: "kpi reads the scans recorded by cmkguard scan and reports, with their trend:\n\n" +
			"  compliance          of the workloads whose classification requires CMK, the share with no failing or\n" +
			"                      unknown per-workload cmk-* result (per scan; latest, per subscription)\n" +
			"  rotation adherence  the share of keys passing key-rotation-due (per scan; latest)\n" +
			"  time to remediate   failure episodes of a (rule, resource): open at the first failing scan, closed at the\n" +
			"                      first later passing scan; median, mean and max days, and the episodes still open\n" +
			"  blocked attempts    Key Vault audit records of refused requests (HTTP 403, and 401 other than the SDKs'\n" +
			"                      Authentication challenge) by calendar month in UTC, total and per vault\n\n" +
			"--since and --until take RFC 3339 times or dates (a date for --until covers that whole day, UTC);\n" +
			"scans and audit records outside the window are not seen.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runKPI(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "", "history database (SQLite path or postgres:// URL; default $XDG_DATA_HOME/cmkguard/history.db)")
	fl.StringVar(&f.format, "format", "", "output format: table, json or csv (default: table on a terminal, json otherwise)")
	fl.StringVarP(&f.output, "output", "o", "", "write the KPIs to this file instead of standard output")
	fl.StringVar(&f.since, "since", "", "only scans and audit records at or after this time (RFC 3339 or YYYY-MM-DD)")
	fl.StringVar(&f.until, "until", "", "only scans and audit records at or before this time (RFC 3339, or YYYY-MM-DD for the whole day)")
	return cmd
}

func runKPI(cmd *cobra.Command, f kpiFlags) error {
	ctx := cmd.Context()
	var w history.Window
	var err error
	if w.Since, err = parseBound("--since", f.since, false); err != nil {
		return err
	}
	if w.Until, err = parseBound("--until", f.until, true); err != nil {
		return err
	}
	if !w.Since.IsZero() && !w.Until.IsZero() && w.Until.Before(w.Since) {
		return usageError{fmt.Errorf("--until %s is before --since %s", f.until, f.since)}
	}
	out := cmd.OutOrStdout()
	format := f.format
	if format == "" {
		format = "json"
		if f.output == "" && isTerminal(out) {
			format = "table"
		}
	}
	write := map[string]func(io.Writer, *history.KPIs) error{
		"table": history.WriteTable, "json": history.WriteJSON, "csv": history.WriteCSV}[format]
	if write == nil {
		return usageError{fmt.Errorf("--format %q: want table, json or csv", format)}
	}

	st, err := openStore(ctx, f.db, false)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			slog.Warn("closing the history", "err", err)
		}
	}()
	k, err := history.Compute(ctx, st, w)
	if err != nil {
		return err
	}
	if f.output == "" {
		return write(out, k)
	}
	file, err := os.Create(f.output)
	if err != nil {
		return fmt.Errorf("write KPIs: %w", err)
	}
	if err := write(file, k); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write KPIs %s: %w", f.output, err)
	}
	return nil
}

// parseBound reads --since or --until: an RFC 3339 time, or a date meaning its
// first instant (UTC) — or, for an end bound, its last.
func parseBound(flag, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("%s %q: want an RFC 3339 time (2026-03-01T00:00:00Z) or a date (2026-03-01)", flag, v)}
	}
	if end {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	return d, nil
}
