package input

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// BenchmarkReadEstate reads a generated enterprise estate (package estategen,
// 100,000 resources unless CMKGUARD_BENCH_N says otherwise), or the file
// CMKGUARD_BENCH_FILE names, from memory into a sink that keeps nothing: the
// read stage of a scan alone.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench ReadEstate -benchmem ./internal/input
func BenchmarkReadEstate(b *testing.B) {
	data := benchEstate(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(context.Background(), "estate.ndjson", bytes.NewReader(data), nullSink{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEstate returns the input of the estate benchmarks.
func benchEstate(b *testing.B) []byte {
	b.Helper()
	path := os.Getenv("CMKGUARD_BENCH_FILE")
	if path == "" {
		return estategen.Bytes(estategen.BenchSize(100000), 1)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
