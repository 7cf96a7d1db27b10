package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
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
	if f.noHistory && framework == nil && onlyJSON(plan) {
		spool, err := os.CreateTemp("", "cmkguard-results-*.json")
		if err == nil {
			return streamScan(cmd, plan, e, pol, now, newReport(e, now, append(f.live.inputs(), paths...)), failOn, spool)
		}
		slog.Debug("no spool for streamed results; collecting them", "err", err)
	}
	ev := rules.Evaluate(e, pol, now, rules.Catalog())
	slog.Debug("scan evaluated", "resources", e.Stats.Resources, "results", len(ev.Results))

	rep := newReport(e, now, append(f.live.inputs(), paths...))
	rep.Summary, rep.Results, rep.Notes = ev.Summary, ev.Results, ev.Notes
	warn(cmd.ErrOrStderr(), e)
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

// newReport starts the report of a scan: what was read, and the warnings.
func newReport(e *estate.Estate, now time.Time, inputs []string) *report.Report {
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "cmkguard", Version: toolVersion()},
		ScannedAt: now, Inputs: inputs, ResourcesRead: e.Stats.Resources}
	for _, w := range e.Warnings {
		rep.Warnings = append(rep.Warnings, w.String())
	}
	return rep
}

// warn prints the estate's warnings.
func warn(stderr io.Writer, e *estate.Estate) {
	for _, w := range e.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
}

// onlyJSON reports whether every planned report is JSON.
func onlyJSON(plan []output) bool {
	for _, o := range plan {
		if o.format != "json" {
			return false
		}
	}
	return true
}

// streamScan evaluates the estate and writes JSON reports without holding
// the results: each block of results is encoded on the goroutine that
// evaluated it and appended to spool, and the reports are written around the
// spool once the summary, which comes before the results, is known. Memory
// stays flat however many results there are. It removes the spool.
func streamScan(cmd *cobra.Command, plan []output, e *estate.Estate, pol *policy.Policy, now time.Time,
	rep *report.Report, failOn rules.Severity, spool *os.File) error {
	w := &resultSpool{file: spool}
	defer w.close()
	var (
		n       int
		failing bool
		judged  []rules.Result // the first result of each resource, for the context
	)
	ev, err := rules.EvaluateBlocks(e, pol, now, rules.Catalog(), runtime.GOMAXPROCS(0),
		func() func([]rules.Result) encodedBlock {
			var enc report.ResultEncoder
			return func(results []rules.Result) encodedBlock {
				return encodeBlock(&enc, results, failOn, blockBuffers.Get().(*[]byte))
			}
		},
		func(b encodedBlock) error {
			defer blockBuffers.Put(b.json)
			if b.err != nil {
				return b.err
			}
			buf := *b.json
			if n == 0 && len(buf) > 0 {
				buf = buf[len(report.JSONResultSeparator):]
			}
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("spool results in %s: %w", spool.Name(), err)
			}
			n += b.n
			failing = failing || b.failing
			judged = append(judged, b.judged...)
			return nil
		})
	if err != nil {
		return err
	}
	slog.Debug("scan evaluated", "resources", e.Stats.Resources, "results", n)
	rep.Summary, rep.Notes = ev.Summary, ev.Notes
	warn(cmd.ErrOrStderr(), e)
	rep.Context = reportContext(e, judged)
	stdout := cmd.OutOrStdout()
	for _, o := range plan {
		results, err := w.reader()
		if err != nil {
			return fmt.Errorf("read spooled results: %w", err)
		}
		if o.file == "" {
			if err := report.WriteJSONStreamed(stdout, rep, results, n); err != nil {
				return err
			}
			continue
		}
		file, err := os.Create(o.file)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := report.WriteJSONStreamed(file, rep, results, n); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
	}
	if failing {
		return errFindings
	}
	return nil
}

// encodedBlock is a block of results as streamScan spools them: each result
// encoded for the JSON report and preceded by report.JSONResultSeparator.
type encodedBlock struct {
	json    *[]byte // from blockBuffers
	n       int
	failing bool           // a failing result at or above --fail-on
	judged  []rules.Result // the first result of each resource (Resource and ResourceType only)
	err     error
}

// blockBuffers recycles the buffers of encoded blocks: the few in flight
// serve a whole scan.
var blockBuffers = sync.Pool{New: func() any { return new([]byte) }}

// encodeBlock encodes a block of results; it runs on the goroutine that
// evaluated them. A resource's results are never split between blocks.
func encodeBlock(enc *report.ResultEncoder, results []rules.Result, failOn rules.Severity, buf *[]byte) encodedBlock {
	b := encodedBlock{json: buf}
	out := (*buf)[:0]
	defer func() { *buf = out }()
	lastID, lastKey := "", ""
	for i := range results {
		r := &results[i]
		out = append(out, report.JSONResultSeparator...)
		if out, b.err = enc.Append(out, r); b.err != nil {
			return b
		}
		b.n++
		if failOn >= 0 && r.Status == rules.Fail && r.Severity >= failOn {
			b.failing = true
		}
		if r.Resource != lastID {
			if k := estate.Lower(r.Resource); k != lastKey || len(b.judged) == 0 {
				b.judged = append(b.judged, rules.Result{Resource: r.Resource, ResourceType: r.ResourceType})
				lastKey = k
			}
			lastID = r.Resource
		}
	}
	return b
}

// spoolMemory is how many bytes of encoded results a scan keeps in memory
// before it spools them to a temporary file (a variable for tests).
var spoolMemory = 8 << 20

// resultSpool holds encoded results: in memory, in blocks, up to spoolMemory
// bytes, then in file (created beforehand, so that a scan that cannot have
// one collects its results instead). The file is removed by close.
type resultSpool struct {
	blocks [][]byte
	size   int
	file   *os.File
	w      *bufio.Writer // to file, once the results outgrow memory
}

const spoolBlock = 1 << 20

func (s *resultSpool) Write(p []byte) (int, error) {
	n := len(p)
	if s.w != nil {
		return s.w.Write(p)
	}
	if s.size+len(p) > spoolMemory {
		s.w = bufio.NewWriterSize(s.file, spoolBlock)
		for _, b := range s.blocks {
			if _, err := s.w.Write(b); err != nil {
				return 0, err
			}
		}
		s.blocks = nil
		return s.w.Write(p)
	}
	s.size += len(p)
	for len(p) > 0 {
		if n := len(s.blocks); n == 0 || len(s.blocks[n-1]) == cap(s.blocks[n-1]) {
			s.blocks = append(s.blocks, make([]byte, 0, spoolBlock))
		}
		last := &s.blocks[len(s.blocks)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// reader returns the spooled results from the start.
func (s *resultSpool) reader() (io.Reader, error) {
	if s.w == nil {
		readers := make([]io.Reader, len(s.blocks))
		for i, b := range s.blocks {
			readers[i] = bytes.NewReader(b)
		}
		return io.MultiReader(readers...), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.file, nil
}

func (s *resultSpool) close() {
	s.file.Close()
	os.Remove(s.file.Name())
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
