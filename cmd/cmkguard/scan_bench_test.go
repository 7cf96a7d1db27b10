package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// BenchmarkScan runs `cmkguard scan FILE --format json --no-history -o
// /dev/null` over a generated enterprise estate (100,000 resources unless
// CMKGUARD_BENCH_N says otherwise): every stage together, as users run it.
// scripts/bench.sh times the built binary instead, beside a bare token pass.
// CMKGUARD_BENCH_SCAN_ARGS adds arguments (split at spaces), e.g. a policy;
// CMKGUARD_BENCH_FILE scans that file instead of generating one.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench Scan -benchmem ./cmd/cmkguard
func BenchmarkScan(b *testing.B) {
	path := os.Getenv("CMKGUARD_BENCH_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "estate.ndjson")
		if err := os.WriteFile(path, estategen.Bytes(estategen.BenchSize(100000), 1), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var stderr bytes.Buffer
		args := append([]string{"scan", path, "--format", "json", "--no-history", "--fail-on", "none",
			"--now", "2026-12-01T00:00:00Z", "-o", os.DevNull}, strings.Fields(os.Getenv("CMKGUARD_BENCH_SCAN_ARGS"))...)
		code := Run(context.Background(), args, nil, &bytes.Buffer{}, &stderr)
		if code != exitOK {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
