package input

import (
	"bytes"
	"context"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// BenchmarkReadEstate reads a generated enterprise estate (package estategen,
// 100,000 resources unless CMKGUARD_BENCH_N says otherwise) from memory into
// a sink that keeps nothing: the read stage of a scan alone.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench ReadEstate -benchmem ./internal/input
func BenchmarkReadEstate(b *testing.B) {
	data := estategen.Bytes(estategen.BenchSize(100000), 1)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(context.Background(), "estate.ndjson", bytes.NewReader(data), nullSink{}); err != nil {
			b.Fatal(err)
		}
	}
}
