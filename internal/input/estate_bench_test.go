package input

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
)

// BenchmarkReadEstate reads a generated enterprise estate (package estategen,
// 100,000 resources unless CMKGUARD_BENCH_N says otherwise), or the file
// CMKGUARD_BENCH_FILE names, from memory into a sink that keeps nothing: the
// read stage of a scan alone. The sink lets go of what it is handed, as a
// Builder does, so the reader reuses what a scan's reuses (see slab).
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench ReadEstate -benchmem ./internal/input
func BenchmarkReadEstate(b *testing.B) {
	reuseAlways = true
	defer func() { reuseAlways = false }()
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

// BenchmarkLiveEstate reads a generated estate (see benchEstate), or the file
// CMKGUARD_BENCH_FILE names straight from disk, into a Builder and builds it,
// as scan does, and reports the heap still live once the estate is built:
// what every later stage of a scan carries and the collector marks again and
// again.
//
//	CMKGUARD_BENCH_FILE=/tmp/est/bench/estate-1000000.ndjson go test -run '^$' -bench LiveEstate -benchtime 1x ./internal/input
func BenchmarkLiveEstate(b *testing.B) {
	path := os.Getenv("CMKGUARD_BENCH_FILE")
	var data []byte
	if path == "" {
		data = estategen.Bytes(estategen.BenchSize(100000), 1)
	}
	var live uint64
	for b.Loop() {
		bld := estate.NewBuilder()
		var err error
		if path != "" {
			err = ReadPaths(context.Background(), []string{path}, nil, bld)
		} else {
			err = Read(context.Background(), "estate.ndjson", bytes.NewReader(data), bld)
		}
		if err != nil {
			b.Fatal(err)
		}
		e := bld.Build()
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = ms.HeapAlloc - uint64(cap(data))
		runtime.KeepAlive(e)
		b.StartTimer()
	}
	b.ReportMetric(float64(live)/(1<<20), "live-MB")
}
