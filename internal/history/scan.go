package history

import (
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// NewScan assembles the record of one scan from what the scan read and decided:
// its results, its in-scope workloads and the audit records it was given.
func NewScan(at time.Time, tool string, inputs []string, e *estate.Estate, ev rules.Evaluation) *Scan {
	s := &Scan{At: at.UTC(), Tool: tool, Inputs: slices.Clone(inputs), ResourcesRead: e.Stats.Resources,
		Summary: ev.Summary, Results: ev.Results}
	// Each in-scope workload is kept with its compliance, as the rules judged
	// it, so that compliance can be broken down by subscription later.
	seen := map[string]bool{}
	for _, w := range e.Workloads {
		compliant, in := ev.InScope[w.Resource]
		if !in {
			continue
		}
		k := w.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		s.Workloads = append(s.Workloads, Workload{ID: w.ID, Type: w.Type, Compliant: compliant})
	}
	for _, a := range e.Audit {
		s.Audit = append(s.Audit, NewAuditRecord(a))
	}
	return s
}
