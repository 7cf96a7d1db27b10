package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/report/frameworks"
	"github.com/cmkguard/cmkguard/internal/rules"
)

type scanFlags struct {
	policy    string
	format    string
	outputs   []string
	framework string
	now       string
	failOn    string
	noHistory bool
	db        string
	live      liveFlags // --live and its scope flags (collect.go)
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH ...]",
		Short: "Evaluate a snapshot: files, folders (every *.json/*.ndjson below), or - for stdin",
		Long: "scan reads Azure's own JSON — Resource Graph results, ARM list responses, az resource list, NDJSON snapshots,\n" +
			"Azure PowerShell exports, Key Vault audit logs — builds the key graph and evaluates every rule.\n\n" +
			"Exit codes: 0 no failing result at or above --fail-on, 1 failing results, 2 usage or input error.",
		Args: func(_ *cobra.Command, args []string) error { return f.live.checkArgs(args) },
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", "policy file (YAML); without it the defaults of the contract hold")
	fl.StringVar(&f.format, "format", "", "output format: "+strings.Join(report.FormatNames(), ", ")+
		" (default: table on a terminal, json otherwise)")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "write the report to FILE instead of standard output, in --format; "+
		"or FORMAT=FILE (e.g. sarif=out.sarif) to write that format as well; repeatable")
	fl.StringVar(&f.framework, "framework", "", "group the results by the controls of a framework: "+
		strings.Join(frameworks.IDs(), ", "))
	fl.StringVar(&f.now, "now", "", "evaluation time, RFC 3339 (default: the clock)")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a failing result is at or above this severity (info, low, medium, high, critical, or none)")
	fl.BoolVar(&f.noHistory, "no-history", false, "do not record this scan in the history database")
	fl.StringVar(&f.db, "db", "", "history database (SQLite path or postgres:// URL)")
	f.live.register(fl, true)
	return cmd
}

func runScan(cmd *cobra.Command, paths []string, f scanFlags) error {
	ctx := cmd.Context()
	now := time.Now().UTC().Truncate(time.Second)
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return usageError{fmt.Errorf("--now %q: want RFC 3339, e.g. 2026-12-01T00:00:00Z", f.now)}
		}
		now = t.UTC()
	}
	failOn := rules.Severity(-1)
	if !strings.EqualFold(f.failOn, "none") {
		s, err := rules.ParseSeverity(f.failOn)
		if err != nil {
			return usageError{fmt.Errorf("--fail-on: %w", err)}
		}
		failOn = s
	}
	out := cmd.OutOrStdout()
	plan, err := planOutputs(f.format, f.outputs, isTerminal(out))
	if err != nil {
		return err
	}
	var framework *frameworks.Framework
	if f.framework != "" {
		if framework, err = loadFramework(f.framework); err != nil {
			return err
		}
	}
	pol := policy.Default()
	if f.policy != "" {
		var err error
		if pol, err = policy.Load(f.policy, rules.PolicyCatalog{}); err != nil {
			return err
		}
	}

	b := estate.NewBuilder()
	if err := f.live.read(ctx, cmd.ErrOrStderr(), b); err != nil {
		return err
	}
	if err := input.ReadPaths(ctx, paths, cmd.InOrStdin(), b); err != nil {
		return err
	}
	e := b.Build()
	ev := rules.Evaluate(e, pol, now, rules.Catalog())
	slog.Debug("scan evaluated", "resources", e.Stats.Resources, "results", len(ev.Results))

	rep := &report.Report{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "cmkguard", Version: toolVersion()},
		ScannedAt: now, Inputs: append(f.live.inputs(), paths...), ResourcesRead: e.Stats.Resources, Summary: ev.Summary, Results: ev.Results, Notes: ev.Notes}
	for _, w := range e.Warnings {
		rep.Warnings = append(rep.Warnings, w.String())
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	rep.Context = reportContext(e, ev.Results)
	if framework != nil {
		rep.Framework = report.NewFrameworkView(framework, ev.Results)
	}

	if !f.noHistory {
		since, err := recordScan(ctx, f.db, rep, e, ev, scanDetail(e, ev, pol, rep.Context, now))
		if err != nil {
			return fmt.Errorf("record the scan in the history (--no-history skips it): %w", err)
		}
		rep.SinceLastScan = since
	}

	if err := writeOutputs(plan, rep, out); err != nil {
		return err
	}

	if failOn >= 0 {
		for _, r := range ev.Results {
			if r.Status == rules.Fail && r.Severity >= failOn {
				return errFindings
			}
		}
	}
	return nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
