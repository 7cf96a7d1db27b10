package estate_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
)

// keep is a sink that keeps every resource read, so that the build stage can
// be timed without the read.
type keep struct {
	resources []*estate.Resource
	headers   []*estate.Header
}

func (k *keep) Add(r *estate.Resource)             { k.resources = append(k.resources, r) }
func (k *keep) AddHeader(h *estate.Header)         { k.headers = append(k.headers, h) }
func (k *keep) AddAudit(*estate.AuditRecord)       {}
func (k *keep) Warn(estate.Source, string, ...any) {}

// BenchmarkBuild adds the resources of a generated enterprise estate
// (100,000 resources unless CMKGUARD_BENCH_N says otherwise) to a Builder and
// links them: the build stage of a scan alone. It reports the time of the
// Add calls (add-ns/op) and of Build (build-ns/op) apart: a scan calls Add
// while its readers decode, and Build alone.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench Build -benchmem ./internal/estate
func BenchmarkBuild(b *testing.B) {
	k := &keep{}
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(estategen.Bytes(estategen.BenchSize(100000), 1)), k); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var add, build time.Duration
	for b.Loop() {
		bld := estate.NewBuilder()
		for _, h := range k.headers {
			bld.AddHeader(h)
		}
		// Each run adds fresh copies: Add and Build let go of the properties
		// of the resources they are given, which a second run would miss.
		copies := make([]estate.Resource, len(k.resources))
		for i, r := range k.resources {
			copies[i] = *r
		}
		start := time.Now()
		for i := range copies {
			bld.Add(&copies[i])
		}
		added := time.Now()
		e := bld.Build()
		add, build = add+added.Sub(start), build+time.Since(added)
		if len(e.Workloads) == 0 || len(e.Keys) == 0 {
			b.Fatalf("%d workloads, %d keys", len(e.Workloads), len(e.Keys))
		}
	}
	b.ReportMetric(float64(add.Nanoseconds())/float64(b.N), "add-ns/op")
	b.ReportMetric(float64(build.Nanoseconds())/float64(b.N), "build-ns/op")
}
