package history

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// NewScan assembles the record of one scan from what the scan read and decided:
// its results, its in-scope workloads and the audit records it was given.
func NewScan(at time.Time, tool string, inputs []string, e *estate.Estate, ev rules.Evaluation) *Scan {
	s := &Scan{At: at.UTC(), Tool: tool, Inputs: slices.Clone(inputs), ResourcesRead: e.Stats.Resources,
		Summary: ev.Summary, Results: ev.Results}
	// A workload is compliant when no per-workload cmk-* result fails or is
	// unknown; this is how rules.Summary counts it, kept per workload so that
	// compliance can be broken down by subscription later.
	blocked := map[string]bool{}
	for _, r := range ev.Results {
		if strings.HasPrefix(r.Rule, "cmk-") && (r.Status == rules.Fail || r.Status == rules.Unknown) {
			blocked[estate.Lower(r.Resource)] = true
		}
	}
	seen := map[string]bool{}
	compliant := 0
	for _, w := range e.Workloads {
		k := w.Key()
		if !ev.InScope[k] || seen[k] {
			continue
		}
		seen[k] = true
		s.Workloads = append(s.Workloads, Workload{ID: w.ID, Type: w.Type, Compliant: !blocked[k]})
		if !blocked[k] {
			compliant++
		}
	}
	if len(s.Workloads) != ev.Summary.InScope || compliant != ev.Summary.Compliant {
		slog.Warn("in-scope workloads recorded do not match the scan summary",
			"recorded", len(s.Workloads), "compliant", compliant, "summaryInScope", ev.Summary.InScope, "summaryCompliant", ev.Summary.Compliant)
	}
	for _, a := range e.Audit {
		s.Audit = append(s.Audit, NewAuditRecord(a))
	}
	return s
}
