package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// counted returns the results as a count-only run makes them: without
// message and evidence.
func counted(results []Result) []Result {
	out := slices.Clone(results)
	for i := range out {
		out[i].Message, out[i].Evidence = "", nil
	}
	return out
}

// runPlan runs a plan, collecting its results block by block.
func runPlan(t *testing.T, pl *Plan) (Evaluation, [][]Result) {
	t.Helper()
	var blocks [][]Result
	ev, err := EvaluatePlan(pl, func() func([]Result) []Result { return slices.Clone[[]Result] },
		func(b []Result) error {
			blocks = append(blocks, b)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	ev.Results = slices.Concat(blocks...)
	return ev, blocks
}

// countScenarios are the estates and policies the count-only tests judge:
// the example estate, every rule fixture, generated estates (with waivers,
// an override and a disabled rule), and the estates that crowd the shared
// indexes (keys with many users, alert rules).
func countScenarios(t *testing.T) []struct {
	name string
	e    *estate.Estate
	p    *policy.Policy
} {
	example, err := policy.Load("../../examples/policy.yaml", PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	waivers, err := policy.Parse([]byte(overridesAndWaivers), PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	type scenario = struct {
		name string
		e    *estate.Estate
		p    *policy.Policy
	}
	generated := readBytes(t, "estate.ndjson", estategen.Bytes(3000, 5))
	cases := []scenario{
		{"example estate", readTestEstate(t, "../../examples/estate"), example},
		{"generated estate", generated, policy.Default()},
		{"generated estate, waivers", generated, waivers},
		{"generated estate, example policy", readBytes(t, "estate.ndjson", estategen.Bytes(2000, 23)), example},
		{"crowded keys", readBytes(t, "shared.ndjson", sharedKeysEstate(9, 400, 3, "", "acme", "globex")), policy.Default()},
		{"alert rules", readBytes(t, "alerts.ndjson", alertedEstate(9, 60, 120)), policy.Default()},
	}
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() {
			cases = append(cases, scenario{"fixtures " + d.Name(), readTestEstate(t, filepath.Join("testdata", d.Name())), policy.Default()})
		}
	}
	return cases
}

// TestCountOnlyMatchesFull runs each scenario count-only on a new plan and
// checks that its results are the full results without message and
// evidence, and that the summary, scope and notes are the full run's.
func TestCountOnlyMatchesFull(t *testing.T) {
	always := func() bool { return true }
	for _, c := range countScenarios(t) {
		want := Evaluate(c.e, c.p, fixtureNow, Catalog())
		if len(want.Results) == 0 {
			t.Fatalf("%s: no results to compare", c.name)
		}
		for _, workers := range []int{1, 3} {
			got, _ := runPlan(t, NewPlan(c.e, c.p, fixtureNow, Catalog(), workers).CountOnlyWhen(always))
			if !reflect.DeepEqual(got.Results, counted(want.Results)) {
				t.Errorf("%s, %d workers: count-only results differ from the full results without messages and evidence", c.name, workers)
				for i := range min(len(got.Results), len(want.Results)) {
					if g, w := got.Results[i], counted(want.Results[i : i+1])[0]; !reflect.DeepEqual(g, w) {
						t.Errorf("first difference at result %d: %s on %s is %s, want %s", i, g.Rule, g.Resource, g.Status, w.Status)
						break
					}
				}
			}
			got.Results, want.Results = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %d workers: count-only evaluation %+v (notes %q), want %+v (notes %q)",
					c.name, workers, got.Summary, got.Notes, want.Summary, want.Notes)
			}
			want = Evaluate(c.e, c.p, fixtureNow, Catalog())
		}
	}
}

// TestCountOnlyThenFull runs one plan count-only, then count-only block by
// block (every other block, and from some block on, as a scan switches), each
// followed by a full run, on several goroutines with small blocks: the full
// runs must match the reference engine, so no count-only outcome reaches
// them through the caches the runs share, and each block of a mixed run must
// be all full or all count-only. Run it with -race.
func TestCountOnlyThenFull(t *testing.T) {
	defer func(n int) { blockSubjects = n }(blockSubjects)
	for _, c := range countScenarios(t)[:6] { // the fixtures are judged in few blocks
		want := referenceEvaluate(c.e, c.p, fixtureNow, Catalog())
		for _, run := range []struct{ workers, block int }{{1, 5}, {2, 1}, {3, 16}} {
			blockSubjects = run.block
			plan := NewPlan(c.e, c.p, fixtureNow, Catalog(), run.workers)
			var calls atomic.Int64
			modes := []struct {
				name      string
				countOnly func() bool
			}{
				{"count-only", func() bool { return true }},
				{"every other block", func() bool { return calls.Add(1)%2 == 0 }},
				{"from the third block", func() bool { return calls.Add(1) > 2 }},
			}
			for _, m := range modes {
				calls.Store(0)
				got, blocks := runPlan(t, plan.CountOnlyWhen(m.countOnly))
				full, counts, at := 0, 0, 0
				for _, b := range blocks {
					switch ref := want.Results[at : at+len(b)]; {
					case len(b) == 0:
					case reflect.DeepEqual(b, ref):
						full++
					case reflect.DeepEqual(b, counted(ref)):
						counts++
					default:
						t.Errorf("%s, %+v, %s: the block at result %d is neither full nor count-only", c.name, run, m.name, at)
					}
					at += len(b)
				}
				if counts == 0 || (m.name != "count-only" && full == 0 && len(blocks) > 3) {
					t.Errorf("%s, %+v, %s: %d full and %d count-only blocks", c.name, run, m.name, full, counts)
				}
				got.Results = want.Results
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %+v, %s: evaluation %+v, want %+v", c.name, run, m.name, got.Summary, want.Summary)
				}
				again, _ := runPlan(t, plan)
				if !reflect.DeepEqual(again, want) {
					t.Errorf("%s, %+v: the full run after %s differs from the reference (%d results, summary %+v; want %d, %+v)",
						c.name, run, m.name, len(again.Results), again.Summary, len(want.Results), want.Summary)
				}
			}
		}
	}
}
