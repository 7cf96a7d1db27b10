package report

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// BenchmarkWriteJSON encodes the JSON report of a generated enterprise
// estate (100,000 resources unless CMKGUARD_BENCH_N says otherwise): the
// encode stage of a scan alone.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench WriteJSON -benchmem ./internal/report
func BenchmarkWriteJSON(b *testing.B) {
	bld := estate.NewBuilder()
	data := estategen.Bytes(estategen.BenchSize(100000), 1)
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(data), bld); err != nil {
		b.Fatal(err)
	}
	e := bld.Build()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ev := rules.Evaluate(e, policy.Default(), now, rules.Catalog())
	rep := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "cmkguard", Version: "bench"}, ScannedAt: now,
		ResourcesRead: e.Stats.Resources, Summary: ev.Summary, Results: ev.Results}
	w := &countingWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		if err := WriteJSON(w, rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "report-bytes")
}

// countingWriter counts and discards what is written.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}
