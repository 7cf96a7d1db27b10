package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
	var results []Result
	ev := EvaluateEach(e, p, now, catalog, func(r *Result) bool {
		results = append(results, *r)
		return true
	})
	ev.Results = results
	return ev
}

// EvaluateEach evaluates as Evaluate does, but hands each result to yield as
// soon as it is made, in Evaluate's order (by lower-case resource id, then
// rule id), instead of collecting them, so that a scan can write results out
// without holding them. The *Result is valid only during the call. The
// returned Evaluation has everything but Results. When yield returns false,
// evaluation stops there and the Evaluation counts only what was yielded.
//
// Each resource is judged by all its rules in turn, so the estate is walked
// once, in order; the rules run on the same subjects with the same inputs as
// they would one rule at a time.
func EvaluateEach(e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule, yield func(*Result) bool) Evaluation {
	env := newEnv(e, p, now)
	out := Evaluation{InScope: map[string]bool{}}
	used := map[*policy.Waiver]bool{}
	active := activeRules(p, catalog)
	subjects := subjectsOf(e)
	s := &out.Summary
	var res Result
	stopped := false
	for i := 0; i < len(subjects) && !stopped; {
		j := i + 1
		for j < len(subjects) && subjects[j].key == subjects[i].key {
			j++
		}
		group := subjects[i:j]
		judged, blocked := false, false
		for _, r := range active {
			for gi := range group {
				sub := &group[gi]
				if sub.kind != r.kind {
					continue
				}
				o := r.rule.judge(env, sub)
				if !o.Applies() {
					continue
				}
				res = Result{Rule: r.rule.ID, Resource: sub.res.ID, ResourceType: sub.res.Type, Status: o.Status, Severity: r.severity,
					Message: o.Message, Evidence: o.Evidence, Remediation: r.rule.Remediation, Frameworks: r.rule.Frameworks}
				if o.Status == Fail {
					if w, inForce := p.Waiver(r.rule.ID, sub.res.ID, now); w != nil {
						used[w] = true
						if inForce {
							res.Status = Waived
							res.WaiverReason = w.Reason
							res.WaiverExpires = w.Until().Format(time.RFC3339)
						}
					}
				}
				judged = true
				count(s, &res)
				if strings.HasPrefix(res.Rule, "cmk-") && (res.Status == Fail || res.Status == Unknown) {
					blocked = true
				}
				if !yield(&res) {
					stopped = true
					break
				}
			}
			if stopped {
				break
			}
		}
		if judged {
			s.Resources++
		}
		for gi := range group {
			if sub := &group[gi]; sub.kind == workloadSubject && RequiresCMK(p, sub.w) {
				if _, counted := out.InScope[sub.key]; !counted {
					out.InScope[sub.key] = !blocked
					s.InScope++
					if !blocked {
						s.Compliant++
					}
				}
			}
		}
		i = j
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
	s.CompliancePercent = compliancePercent(s.Compliant, s.InScope)
	return out
}

// subjectKind says which evaluate function of a rule judges a subject.
type subjectKind int

const (
	noSubject subjectKind = iota
	workloadSubject
	vaultSubject
	keySubject
	appSubject
)

// subject is one resource some rules judge, with its lower-case id.
type subject struct {
	key  string
	kind subjectKind
	res  *estate.Resource
	w    *estate.Workload
	v    *estate.Vault
	k    *estate.Key
}

// subjectsOf lists every workload, vault, key and app of the estate, sorted by
// lower-case id; subjects with the same id keep the order of the lists.
func subjectsOf(e *estate.Estate) []subject {
	out := make([]subject, 0, len(e.Workloads)+len(e.Vaults)+len(e.Keys)+len(e.Apps))
	for _, w := range e.Workloads {
		out = append(out, subject{key: estate.Lower(w.ID), kind: workloadSubject, res: w.Resource, w: w})
	}
	for _, v := range e.Vaults {
		out = append(out, subject{key: estate.Lower(v.ID), kind: vaultSubject, res: v.Resource, v: v})
	}
	for _, k := range e.Keys {
		out = append(out, subject{key: estate.Lower(k.ID), kind: keySubject, res: k.Resource, k: k})
	}
	for _, a := range e.Apps {
		out = append(out, subject{key: estate.Lower(a.ID), kind: appSubject, res: a})
	}
	slices.SortStableFunc(out, func(a, b subject) int { return strings.Compare(a.key, b.key) })
	return out
}

// activeRule is a rule the policy leaves enabled, with its severity after
// the policy's override.
type activeRule struct {
	rule     *Rule
	kind     subjectKind
	severity Severity
}

// activeRules returns the enabled rules of the catalog sorted by id (rules
// with the same id keep catalog order), with their severities.
func activeRules(p *policy.Policy, catalog []*Rule) []activeRule {
	var out []activeRule
	for _, r := range catalog {
		ov, overridden := p.Override(r.ID)
		if overridden && ov.Disabled {
			continue
		}
		a := activeRule{rule: r, kind: r.subjectKind(), severity: r.Severity}
		if a.kind == noSubject {
			continue
		}
		if overridden && ov.Severity != "" {
			a.severity, _ = ParseSeverity(ov.Severity)
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b activeRule) int { return cmp.Compare(a.rule.ID, b.rule.ID) })
	return out
}

// subjectKind says which subjects the rule judges: the first of its
// evaluate functions that is set.
func (r *Rule) subjectKind() subjectKind {
	switch {
	case r.Workload != nil:
		return workloadSubject
	case r.Vault != nil:
		return vaultSubject
	case r.Key != nil:
		return keySubject
	case r.App != nil:
		return appSubject
	}
	return noSubject
}

// judge runs the rule's evaluate function for the subject's kind.
func (r *Rule) judge(env *Env, s *subject) Outcome {
	switch s.kind {
	case workloadSubject:
		return r.Workload(env, s.w)
	case vaultSubject:
		return r.Vault(env, s.v)
	case keySubject:
		return r.Key(env, s.k)
	default:
		return r.App(env, s.res)
	}
}
