package rules

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// benchEstate reads and builds a generated enterprise estate of n resources.
func benchEstate(b *testing.B, n int) *estate.Estate {
	b.Helper()
	bld := estate.NewBuilder()
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(estategen.Bytes(n, 1)), bld); err != nil {
		b.Fatal(err)
	}
	return bld.Build()
}

// countOnly is a Plan's countOnly for a run whose every block is count-only.
func countOnly() bool { return true }

// BenchmarkEvaluate runs the catalog over a generated enterprise estate
// (100,000 resources unless CMKGUARD_BENCH_N says otherwise): the evaluate
// stage of a scan alone, collecting the results as Evaluate does, in full and
// count-only (messages and evidence left out, as a scan's first pass may).
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench Evaluate -benchmem ./internal/rules
func BenchmarkEvaluate(b *testing.B) {
	e := benchEstate(b, estategen.BenchSize(100000))
	p := policy.Default()
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ev := Evaluate(e, p, fixtureNow, Catalog()); len(ev.Results) == 0 {
				b.Fatal("no results")
			}
		}
	})
	b.Run("count-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var results []Result
			plan := NewPlan(e, p, fixtureNow, Catalog(), runtime.GOMAXPROCS(0)).CountOnlyWhen(countOnly)
			if _, err := EvaluatePlan(plan, func() func([]Result) []Result { return slices.Clone[[]Result] },
				func(rs []Result) error { results = append(results, rs...); return nil }); err != nil || len(results) == 0 {
				b.Fatal("no results", err)
			}
		}
	})
}

// BenchmarkNewPlan plans the evaluation of a generated enterprise estate
// (100,000 resources unless CMKGUARD_BENCH_N says otherwise): mostly the
// sorting of its subjects, which a scan waits for with its other cores idle.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench NewPlan -benchmem ./internal/rules
func BenchmarkNewPlan(b *testing.B) {
	e := benchEstate(b, estategen.BenchSize(100000))
	p := policy.Default()
	b.ReportAllocs()
	for b.Loop() {
		if pl := NewPlan(e, p, fixtureNow, Catalog(), runtime.GOMAXPROCS(0)); len(pl.subjects) == 0 {
			b.Fatal("no subjects")
		}
	}
}

// BenchmarkEvaluateBlocks runs the catalog as a streamed scan does, handing
// the results over in blocks that are dropped at once: what evaluation costs
// without the collecting of results that Evaluate adds, in full and
// count-only.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench EvaluateBlocks -benchmem ./internal/rules
func BenchmarkEvaluateBlocks(b *testing.B) {
	e := benchEstate(b, estategen.BenchSize(100000))
	p := policy.Default()
	count := func() func([]Result) int { return func(rs []Result) int { return len(rs) } }
	for _, c := range []struct {
		name      string
		countOnly func() bool
	}{{"full", nil}, {"count-only", countOnly}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				plan := NewPlan(e, p, fixtureNow, Catalog(), runtime.GOMAXPROCS(0))
				if c.countOnly != nil {
					plan = plan.CountOnlyWhen(c.countOnly)
				}
				if _, err := EvaluatePlan(plan, count, func(k int) error { n += k; return nil }); err != nil || n == 0 {
					b.Fatal("no results", err)
				}
			}
		})
	}
}
