package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// Evaluation is the outcome of running the catalog over an estate.
type Evaluation struct {
	Results []Result
	Summary Summary
	// InScope maps the lower-case id of every workload whose classification
	// requires a customer-managed key (the compliance KPI's scope) to whether
	// it is compliant: no failing or unknown per-workload cmk-* result.
	InScope map[string]bool
	// Notes are things the user should know that are not results: waivers that
	// expired or matched nothing.
	Notes []string
}

// Evaluate runs every enabled rule of the catalog over the estate, applies the
// policy's overrides and waivers, and returns the results sorted by resource
// then rule.
func Evaluate(e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule) Evaluation {
	env := &Env{Estate: e, Policy: p, Now: now.UTC()}
	var out Evaluation
	used := map[*policy.Waiver]bool{}
	emit := func(r *Rule, res *estate.Resource, o Outcome) {
		if !o.Applies() {
			return
		}
		sev := r.Severity
		if ov, ok := p.Override(r.ID); ok && ov.Severity != "" {
			sev, _ = ParseSeverity(ov.Severity)
		}
		result := Result{Rule: r.ID, Resource: res.ID, ResourceType: res.Type, Status: o.Status, Severity: sev,
			Message: o.Message, Evidence: o.Evidence, Remediation: r.Remediation, Frameworks: r.Frameworks}
		if o.Status == Fail {
			if w, active := p.Waiver(r.ID, res.ID, now); w != nil {
				used[w] = true
				if active {
					result.Status = Waived
					result.WaiverReason = w.Reason
					result.WaiverExpires = w.Until().Format(time.RFC3339)
				}
			}
		}
		out.Results = append(out.Results, result)
	}
	for _, r := range catalog {
		if ov, ok := p.Override(r.ID); ok && ov.Disabled {
			continue
		}
		switch {
		case r.Workload != nil:
			for _, w := range e.Workloads {
				emit(r, w.Resource, r.Workload(env, w))
			}
		case r.Vault != nil:
			for _, v := range e.Vaults {
				emit(r, v.Resource, r.Vault(env, v))
			}
		case r.Key != nil:
			for _, k := range e.Keys {
				emit(r, k.Resource, r.Key(env, k))
			}
		case r.App != nil:
			for _, a := range e.Apps {
				emit(r, a, r.App(env, a))
			}
		}
	}
	for _, w := range p.Waivers {
		switch {
		case !now.Before(w.Until()):
			out.Notes = append(out.Notes, fmt.Sprintf("policy line %d: waiver for %s on %s expired %s; the failures it covered are reported again",
				w.Line, w.Rule, w.Resource, w.Until().Format(time.DateOnly)))
		case !used[w]:
			out.Notes = append(out.Notes, fmt.Sprintf("policy line %d: waiver for %s on %s matched no failing result", w.Line, w.Rule, w.Resource))
		}
	}
	slices.SortStableFunc(out.Results, func(a, b Result) int {
		return cmp.Or(cmp.Compare(estate.Lower(a.Resource), estate.Lower(b.Resource)), cmp.Compare(a.Rule, b.Rule))
	})
	out.Summary, out.InScope = summarize(e, env, out.Results)
	return out
}
