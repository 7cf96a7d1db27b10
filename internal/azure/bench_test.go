package azure_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/azure"
	"github.com/cmkguard/cmkguard/internal/azure/azuretest"
)

var benchResources = 100_000

// BenchmarkCollect100k collects 100,000 resources (10 subscriptions, 20
// vaults with 60 keys, SQL servers, function apps, storage accounts) from the
// fake over HTTPS, with Resource Graph's 15-per-5-seconds quota on a virtual
// clock. It reports requests per real second, and the virtual seconds the
// quota imposes (what the same collection would wait against Azure).
func BenchmarkCollect100k(b *testing.B) {
	f := newFixture(b, azuretest.GenOptions{Subscriptions: 10, Resources: benchResources})
	opts := f.options(azure.Scope{Tenant: true})
	// The fake runs each query once and keeps its encoded rows: warm it, so
	// that the timing is the collector's, not the fake's first encoding.
	warm, err := azure.Collect(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	b.ResetTimer()
	var reqs int64
	var virtual time.Duration
	for range b.N {
		// Each collection starts as a fresh user of the quota would.
		f.clock.Advance(f.srv.Window)
		start := f.clock.Now()
		snap, err := azure.Collect(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := snap.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
		h := snap.Header
		snap.Close()
		if h.Stats.Resources < benchResources || len(h.Coverage) != 0 {
			b.Fatalf("collected %d resources with %d gaps", h.Stats.Resources, len(h.Coverage))
		}
		reqs += h.Stats.GraphRequests + h.Stats.ARMRequests
		virtual += f.clock.Now().Sub(start)
	}
	el := b.Elapsed().Seconds()
	b.ReportMetric(float64(reqs)/el, "requests/s")
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
	b.ReportMetric(virtual.Seconds()/float64(b.N), "quota-s/op")
	if st := f.srv.Stats(); st.GraphThrottled != 0 || st.ARMThrottled != 0 || st.MaxInWindow > f.srv.Quota {
		b.Errorf("throttled: graph %d, arm %d; %d in one window", st.GraphThrottled, st.ARMThrottled, st.MaxInWindow)
	}
}
