package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
		return streamScan(cmd, plan, e, pol, now, newReport(e, now, append(f.live.inputs(), paths...)), failOn)
	}
	ev := rules.Evaluate(e, pol, now, rules.Catalog())
	slog.Debug("scan evaluated", "resources", e.Stats.Resources, "results", len(ev.Results))

	rep := newReport(e, now, append(f.live.inputs(), paths...))
	rep.Summary, rep.Results, rep.Notes = ev.Summary, ev.Results, ev.Notes
	warn(cmd.ErrOrStderr(), e)
	rep.Context = reportContext(e, judgedResources(e, ev.Results))
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
// the results. The report's summary comes before its results, so a first
// pass counts the results and notes what the summary, the context and the
// exit status need, encoding the results on the goroutines that make them
// as long as they fit in keepResults. When they do not, the rest of the
// first pass judges count-only (no messages or evidence, which cost most of
// a rule's time) and a second pass makes the full results, encodes them the
// same way and writes them straight out. The context, which follows the results, is written as it is made.
// Memory stays flat however many results there are, and nothing is spooled
// to disk.
func streamScan(cmd *cobra.Command, plan []output, e *estate.Estate, pol *policy.Policy, now time.Time,
	rep *report.Report, failOn rules.Severity) error {
	workers := runtime.GOMAXPROCS(0)
	var (
		n, held int
		failing bool
		judged  []judgedResource // for the context
		kept    []*[]byte        // the first pass's encoded blocks, while they fit
		spilled atomic.Bool      // they did not: the second pass encodes them
		bufs    blockBuffers
	)
	passes := rules.NewPlan(e, pol, now, rules.Catalog(), workers)
	// Once the encoded blocks no longer fit, the rest of the first pass only
	// counts: a block judged count-only is never encoded, since the flag
	// that made it so is still set when process reads it.
	ev, err := rules.EvaluatePlan(passes.CountOnlyWhen(spilled.Load),
		func() func([]rules.Result) blockFacts {
			var enc report.ResultEncoder
			return func(rs []rules.Result) blockFacts {
				f := factsOf(e, rs, failOn)
				if !spilled.Load() {
					f.encoded = bufs.encode(&enc, rs)
				}
				return f
			}
		},
		func(f blockFacts) error {
			n += f.n
			failing = failing || f.failing
			judged = append(judged, f.judged...)
			switch b := f.encoded; {
			case b.json == nil:
			case b.err != nil:
				return b.err
			case spilled.Load():
				bufs.put(b.json)
			default:
				kept = append(kept, b.json)
				if held += len(*b.json); held > keepResults {
					spilled.Store(true)
					for _, k := range kept {
						bufs.put(k)
					}
					kept = nil
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	slog.Debug("scan evaluated", "resources", e.Stats.Resources, "results", n, "second pass", spilled.Load())
	rep.Summary, rep.Notes = ev.Summary, ev.Notes
	warn(cmd.ErrOrStderr(), e)

	var (
		writers []io.Writer
		files   []*os.File
	)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, o := range plan {
		if o.file == "" {
			writers = append(writers, cmd.OutOrStdout())
			continue
		}
		file, err := os.Create(o.file)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		files = append(files, file)
		writers = append(writers, file)
	}
	first := true
	write := func(w io.Writer, b *[]byte) error {
		defer bufs.put(b)
		buf := *b
		if first && len(buf) > 0 {
			buf, first = buf[len(report.JSONResultSeparator):], false
		}
		_, err := w.Write(buf)
		return err
	}
	err = report.WriteJSONAround(io.MultiWriter(writers...), rep, n, func(w io.Writer) error {
		if !spilled.Load() {
			for i, b := range kept {
				if err := write(w, b); err != nil {
					for _, b := range kept[i+1:] {
						bufs.put(b)
					}
					return err
				}
			}
			return nil
		}
		_, err := rules.EvaluatePlan(passes,
			func() func([]rules.Result) encodedBlock {
				var enc report.ResultEncoder
				return func(rs []rules.Result) encodedBlock { return bufs.encode(&enc, rs) }
			},
			func(b encodedBlock) error {
				if b.err != nil {
					bufs.put(b.json)
					return b.err
				}
				return write(w, b.json)
			})
		return err
	}, contextStream(e, judged, nil)) // written after the results, as it is made; tags as the estate holds them
	if err != nil {
		return err
	}
	for len(files) > 0 {
		f := files[0]
		files = files[1:]
		if err := f.Close(); err != nil {
			return fmt.Errorf("write report %s: %w", f.Name(), err)
		}
	}
	if failing {
		return errFindings
	}
	return nil
}

// keepResults is how many bytes of encoded results a streamed scan keeps
// from its first pass to spare a second (a variable for tests).
var keepResults = 32 << 20

// blockFacts is what the first pass of streamScan keeps of a block of results.
type blockFacts struct {
	n       int
	failing bool             // a failing result at or above --fail-on
	judged  []judgedResource // the resources judged, for the context
	encoded encodedBlock     // the results encoded, unless they were already too many to keep
}

// factsOf notes the facts of a block of results; it runs on the goroutine
// that evaluated them. A resource's results are never split between blocks.
func factsOf(e *estate.Estate, results []rules.Result, failOn rules.Severity) blockFacts {
	f := blockFacts{n: len(results), judged: judgedResources(e, results)}
	for i := range results {
		if r := &results[i]; failOn >= 0 && r.Status == rules.Fail && r.Severity >= failOn {
			f.failing = true
			break
		}
	}
	return f
}

// encodedBlock is a block of results encoded for the JSON report, each
// preceded by report.JSONResultSeparator.
type encodedBlock struct {
	json *[]byte // from a blockBuffers
	err  error
}

// blockBuffers recycles the buffers of encoded blocks: the few in flight
// serve a whole scan. Unlike a sync.Pool it keeps them through garbage
// collections, and a new buffer starts at about the size of a block: grown
// from nothing by append, a megabyte buffer would cost five times its size
// in copies left to the collector.
type blockBuffers struct {
	mu   sync.Mutex
	free []*[]byte
	size int // the largest capacity a block has needed, once above blockBufferSize
}

// blockBufferSize is the capacity a new block buffer starts with until a
// block needs more: a block of rules.EvaluatePlan encodes to about a
// megabyte in a large estate, and to more where its resources' evidence is
// long. Append grows a large buffer by a quarter at a time, so a new buffer
// starts at the largest size a block has needed.
const blockBufferSize = 1 << 20

// maxFreeBuffers bounds the buffers a blockBuffers keeps for reuse; more are
// only in flight while the first pass keeps its blocks.
const maxFreeBuffers = 16

// get returns an empty buffer.
func (l *blockBuffers) get() *[]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, max(blockBufferSize, l.size))
	return &b
}

// encode encodes a block of results into a buffer from l; it runs on the
// goroutine that evaluated them.
func (l *blockBuffers) encode(enc *report.ResultEncoder, results []rules.Result) encodedBlock {
	b := encodeBlock(enc, results, l.get())
	if n := cap(*b.json); n > blockBufferSize {
		l.mu.Lock()
		l.size = max(l.size, n)
		l.mu.Unlock()
	}
	return b
}

// put takes back a buffer get returned.
func (l *blockBuffers) put(b *[]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < maxFreeBuffers {
		l.free = append(l.free, b)
	}
}

// encodeBlock encodes a block of results into buf; it runs on the goroutine
// that evaluated them.
func encodeBlock(enc *report.ResultEncoder, results []rules.Result, buf *[]byte) encodedBlock {
	b := encodedBlock{json: buf}
	out := (*buf)[:0]
	for i := range results {
		out = append(out, report.JSONResultSeparator...)
		if out, b.err = enc.Append(out, &results[i]); b.err != nil {
			break
		}
	}
	*buf = out
	return b
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
