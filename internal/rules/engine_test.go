package rules

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// referenceEvaluate is the engine as it was before it judged resource by
// resource: every rule over all its subjects in catalog order, then a stable
// sort by resource and rule, then the summary over the collected results.
// Evaluate and EvaluateBlocks must give the same evaluation.
func referenceEvaluate(e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule) Evaluation {
	env := newEnv(e, p, now)
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
	var s Summary
	seen, blocked := map[string]bool{}, map[string]bool{}
	for _, r := range out.Results {
		count(&s, &r)
		k := estate.Lower(r.Resource)
		seen[k] = true
		if strings.HasPrefix(r.Rule, "cmk-") && (r.Status == Fail || r.Status == Unknown) {
			blocked[k] = true
		}
	}
	s.Resources = len(seen)
	inScope, first := map[*estate.Resource]bool{}, map[string]bool{}
	for _, w := range e.Workloads {
		if k := w.Key(); RequiresCMK(env.Policy, w) && !first[k] {
			first[k] = true
			inScope[w.Resource] = !blocked[k]
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
	out.Summary, out.InScope = s, inScope
	return out
}

func readTestEstate(t *testing.T, paths ...string) *estate.Estate {
	t.Helper()
	b := estate.NewBuilder()
	if err := input.ReadPaths(context.Background(), paths, nil, b); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// TestEvaluateMatchesReference compares the engine with the reference on
// the example estate and its policy, every rule fixture, and a generated
// estate under a policy with waivers (in force, expired, unused), a severity
// override and a disabled rule, with a catalog that lists a rule twice.
func TestEvaluateMatchesReference(t *testing.T) {
	type scenario struct {
		name    string
		e       *estate.Estate
		p       *policy.Policy
		catalog []*Rule
	}
	var cases []scenario
	example, err := policy.Load("../../examples/policy.yaml", PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, scenario{"example estate", readTestEstate(t, "../../examples/estate"), example, Catalog()})
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() {
			cases = append(cases, scenario{"fixtures " + d.Name(), readTestEstate(t, filepath.Join("testdata", d.Name())), policy.Default(), Catalog()})
		}
	}
	generated := readBytes(t, "estate.ndjson", estategen.Bytes(4000, 11))
	p, err := policy.Parse([]byte(overridesAndWaivers), PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	twice := append(Catalog(), cmkRequired)
	cases = append(cases, scenario{"generated estate", generated, p, twice}, scenario{"generated estate, defaults", generated, policy.Default(), Catalog()})

	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		want := referenceEvaluate(c.e, c.p, now, c.catalog)
		got := Evaluate(c.e, c.p, now, c.catalog)
		if len(want.Results) == 0 {
			t.Errorf("%s: no results to compare", c.name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Evaluate differs from the reference: %d results (summary %+v), want %d (summary %+v); notes %q, want %q",
				c.name, len(got.Results), got.Summary, len(want.Results), want.Summary, got.Notes, want.Notes)
			for i := range min(len(got.Results), len(want.Results)) {
				if !reflect.DeepEqual(got.Results[i], want.Results[i]) {
					t.Errorf("first difference at result %d: %s on %s, want %s on %s", i, got.Results[i].Rule, got.Results[i].Resource,
						want.Results[i].Rule, want.Results[i].Resource)
					break
				}
			}
		}
	}
}

// TestEvaluateBlocksStops stops when deliver returns an error, and returns it.
func TestEvaluateBlocksStops(t *testing.T) {
	e := readTestEstate(t, "../../examples/estate")
	defer func(n int) { blockSubjects = n }(blockSubjects)
	blockSubjects = 1
	stop := errors.New("stop")
	for _, workers := range []int{1, 3} {
		n := 0
		_, err := EvaluateBlocks(e, policy.Default(), fixtureNow, Catalog(), workers,
			func() func([]Result) int { return func(r []Result) int { return len(r) } },
			func(int) error {
				if n++; n == 5 {
					return stop
				}
				return nil
			})
		if err != stop || n != 5 {
			t.Errorf("%d workers: deliver called %d times, error %v; want 5 and the error deliver returned", workers, n, err)
		}
	}
}

// TestEvaluateBlocksInParallel evaluates on several goroutines with blocks of
// every size and must match the reference: same results in the same order,
// same summary, scope and notes, also when one plan runs again (as a scan's
// two passes do) with the indexes and caches of the first run. Run it with
// -race.
func TestEvaluateBlocksInParallel(t *testing.T) {
	b := estate.NewBuilder()
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(estategen.Bytes(3000, 5)), b); err != nil {
		t.Fatal(err)
	}
	e := b.Build()
	p, err := policy.Load("../../examples/policy.yaml", PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	want := referenceEvaluate(e, p, fixtureNow, Catalog())
	defer func(n int) { blockSubjects = n }(blockSubjects)
	for _, c := range []struct{ workers, block int }{{1, 1}, {2, 1}, {2, 7}, {3, 64}, {4, 100000}} {
		blockSubjects = c.block
		plan := NewPlan(e, p, fixtureNow, Catalog(), c.workers)
		for run := 1; run <= 2; run++ {
			var got []Result
			blocks := 0
			ev, err := EvaluatePlan(plan,
				func() func([]Result) []Result { return slices.Clone[[]Result] },
				func(r []Result) error {
					got = append(got, r...)
					blocks++
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			ev.Results = got
			if !reflect.DeepEqual(ev, want) {
				t.Errorf("%d workers, blocks of %d, run %d: differs from the reference (%d results, summary %+v; want %d, %+v)",
					c.workers, c.block, run, len(got), ev.Summary, len(want.Results), want.Summary)
			}
			if c.block == 1 && blocks < len(e.Workloads) {
				t.Errorf("%d workers, blocks of 1, run %d: only %d blocks for %d workloads", c.workers, run, blocks, len(e.Workloads))
			}
		}
	}
}
