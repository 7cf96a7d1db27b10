package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// Summary counts results and measures CMK compliance the way the KPI does
// (CONTRACT §8): of the CMK-capable workloads whose classification requires a
// customer-managed key, the share with no failing or unknown per-workload
// cmk-* result. Waived failures are accepted, so they do not count against it.
type Summary struct {
	Resources         int     `json:"resources"`
	Results           int     `json:"results"`
	Pass              int     `json:"pass"`
	Fail              int     `json:"fail"`
	Unknown           int     `json:"unknown"`
	Waived            int     `json:"waived"`
	InScope           int     `json:"inScope"`
	Compliant         int     `json:"compliant"`
	CompliancePercent float64 `json:"compliancePercent"`
}

// RequiresCMK reports whether the policy's classification of the workload
// requires a customer-managed key; such workloads are the KPI's scope.
func RequiresCMK(p *policy.Policy, w *estate.Workload) bool {
	_, _, sensitive := p.Classify(w.Tags)
	return sensitive
}

func summarize(e *estate.Estate, env *Env, results []Result) (Summary, map[string]bool) {
	var s Summary
	seen := map[string]bool{}
	blocked := map[string]bool{} // workloads with a failing or unknown cmk-* result
	for _, r := range results {
		s.Results++
		switch r.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Unknown:
			s.Unknown++
		case Waived:
			s.Waived++
		}
		k := estate.Lower(r.Resource)
		seen[k] = true
		if strings.HasPrefix(r.Rule, "cmk-") && (r.Status == Fail || r.Status == Unknown) {
			blocked[k] = true
		}
	}
	s.Resources = len(seen)
	inScope := map[string]bool{}
	for _, w := range e.Workloads {
		if RequiresCMK(env.Policy, w) {
			inScope[w.Key()] = !blocked[w.Key()]
		}
	}
	for _, compliant := range inScope {
		s.InScope++
		if compliant {
			s.Compliant++
		}
	}
	s.CompliancePercent = 100
	if s.InScope > 0 {
		s.CompliancePercent = float64(int(float64(s.Compliant)/float64(s.InScope)*1000+0.5)) / 10
	}
	return s, inScope
}
