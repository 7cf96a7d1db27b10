package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// TableOptions control the terminal table.
type TableOptions struct {
	Color bool // ANSI colour; only when writing to a terminal
}

// statusRank orders resources and results: failures first.
var statusRank = map[rules.Status]int{rules.Fail: 0, rules.Unknown: 1, rules.Waived: 2, rules.Pass: 3}

var statusMark = map[rules.Status]string{rules.Fail: "✗", rules.Unknown: "?", rules.Waived: "~", rules.Pass: "✓"}

var statusColor = map[rules.Status]string{rules.Fail: "\x1b[31m", rules.Unknown: "\x1b[33m", rules.Waived: "\x1b[36m", rules.Pass: "\x1b[32m"}

// WriteTable writes results grouped by resource, failing resources first, each
// with its failing, unknown and waived results and a count of the passes, then
// a summary line.
func WriteTable(w io.Writer, r *Report, opt TableOptions) error {
	paint := func(code, s string) string {
		if !opt.Color || code == "" {
			return s
		}
		return code + s + "\x1b[0m"
	}
	type group struct {
		id, typ string
		results []rules.Result
		worst   rules.Status
		sev     rules.Severity
	}
	var groups []*group
	byID := map[string]*group{}
	for _, res := range r.Results {
		k := estate.Lower(res.Resource)
		g := byID[k]
		if g == nil {
			g = &group{id: res.Resource, typ: res.ResourceType, worst: rules.Pass}
			byID[k] = g
			groups = append(groups, g)
		}
		g.results = append(g.results, res)
		if statusRank[res.Status] < statusRank[g.worst] {
			g.worst = res.Status
		}
		if res.Status == rules.Fail && res.Severity > g.sev {
			g.sev = res.Severity
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(statusRank[a.worst], statusRank[b.worst]), cmp.Compare(b.sev, a.sev), cmp.Compare(estate.Lower(a.id), estate.Lower(b.id)))
	})
	var b strings.Builder
	for _, g := range groups {
		fmt.Fprintf(&b, "%s %s %s\n", paint(statusColor[g.worst]+"\x1b[1m", fmt.Sprintf("%-7s", strings.ToUpper(string(g.worst)))),
			paint("\x1b[1m", Clean(g.id)), paint("\x1b[2m", "("+Clean(g.typ)+")"))
		slices.SortStableFunc(g.results, func(a, b rules.Result) int {
			return cmp.Or(cmp.Compare(statusRank[a.Status], statusRank[b.Status]), cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Rule, b.Rule))
		})
		passed := 0
		for _, res := range g.results {
			if res.Status == rules.Pass {
				passed++
				continue
			}
			msg := Clean(res.Message)
			if res.Status == rules.Waived {
				msg += " — waived: " + Clean(res.WaiverReason) + " (until " + res.WaiverExpires + ")"
			}
			fmt.Fprintf(&b, "  %s %-8s %-26s %s\n", paint(statusColor[res.Status], statusMark[res.Status]), res.Severity, res.Rule, msg)
		}
		if passed > 0 {
			fmt.Fprintf(&b, "  %s %d passed\n", paint(statusColor[rules.Pass], statusMark[rules.Pass]), passed)
		}
	}
	s := r.Summary
	if len(groups) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d resources read, %d judged, %d results: %s pass, %s fail, %s unknown, %s waived. CMK compliance %.1f%% (%d of %d workloads that require a customer-managed key).\n",
		r.ResourcesRead, s.Resources, s.Results,
		paint(statusColor[rules.Pass], fmt.Sprint(s.Pass)), paint(statusColor[rules.Fail], fmt.Sprint(s.Fail)),
		paint(statusColor[rules.Unknown], fmt.Sprint(s.Unknown)), paint(statusColor[rules.Waived], fmt.Sprint(s.Waived)),
		s.CompliancePercent, s.Compliant, s.InScope)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", Clean(n))
	}
	writeSince(&b, r.SinceLastScan)
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "%d input warnings (listed on stderr).\n", len(r.Warnings))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Clean replaces control characters, so that a resource name or tag cannot
// move the cursor or recolour the terminal. Every terminal renderer uses it.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
