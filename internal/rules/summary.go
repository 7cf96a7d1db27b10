package rules

import (
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

// add adds the counts of another Summary (its CompliancePercent aside).
func (s *Summary) add(o Summary) {
	s.Resources += o.Resources
	s.Results += o.Results
	s.Pass += o.Pass
	s.Fail += o.Fail
	s.Unknown += o.Unknown
	s.Waived += o.Waived
	s.InScope += o.InScope
	s.Compliant += o.Compliant
}

// count adds one result to the status counts.
func count(s *Summary, r *Result) {
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
}

// compliancePercent is the share of compliant workloads in scope, in percent
// rounded to one decimal; 100 when nothing is in scope.
func compliancePercent(compliant, inScope int) float64 {
	if inScope == 0 {
		return 100
	}
	return float64(int(float64(compliant)/float64(inScope)*1000+0.5)) / 10
}
