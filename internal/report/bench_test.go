package report

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// benchReport reads and evaluates a generated enterprise estate (100,000
// resources unless CMKGUARD_BENCH_N says otherwise) and returns the estate
// and its report without context.
func benchReport(b *testing.B) (*estate.Estate, *Report) {
	b.Helper()
	bld := estate.NewBuilder()
	data := estategen.Bytes(estategen.BenchSize(100000), 1)
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(data), bld); err != nil {
		b.Fatal(err)
	}
	e := bld.Build()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ev := rules.Evaluate(e, policy.Default(), now, rules.Catalog())
	return e, &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "cmkguard", Version: "bench"}, ScannedAt: now,
		ResourcesRead: e.Stats.Resources, Summary: ev.Summary, Results: ev.Results}
}

// BenchmarkWriteJSON encodes the JSON report of a generated enterprise
// estate (100,000 resources unless CMKGUARD_BENCH_N says otherwise): the
// encode stage of a scan alone.
//
//	CMKGUARD_BENCH_N=1000000 go test -run '^$' -bench WriteJSON -benchmem ./internal/report
func BenchmarkWriteJSON(b *testing.B) {
	_, rep := benchReport(b)
	benchWriteJSON(b, rep)
}

// BenchmarkResultEncoder encodes the results of the generated estate one by
// one with a ResultEncoder, as a streaming scan spools them: in "evaluated"
// as Evaluate made them, and in "shared" with all results of a rule whose
// evidence is equal sharing one map.
func BenchmarkResultEncoder(b *testing.B) {
	_, rep := benchReport(b)
	b.Run("evaluated", func(b *testing.B) { benchResultEncoder(b, rep.Results) })
	b.Run("shared", func(b *testing.B) { benchResultEncoder(b, shareEvidence(b, rep.Results)) })
}

// shareEvidence returns a copy of results in which the results of a rule
// whose evidence encodes the same share one evidence map.
func shareEvidence(b *testing.B, results []rules.Result) []rules.Result {
	shared := slices.Clone(results)
	seen := map[string]map[string]any{}
	for i := range shared {
		r := &shared[i]
		if r.Evidence == nil {
			continue
		}
		enc, err := json.Marshal(r.Evidence)
		if err != nil {
			b.Fatal(err)
		}
		k := r.Rule + "\x00" + string(enc)
		if m, ok := seen[k]; ok {
			r.Evidence = m
		} else {
			seen[k] = r.Evidence
		}
	}
	return shared
}

// benchResultEncoder times a ResultEncoder over results.
func benchResultEncoder(b *testing.B, results []rules.Result) {
	var (
		enc ResultEncoder
		buf []byte
		n   int64
		err error
	)
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		for i := range results {
			if buf, err = enc.Append(buf[:0], &results[i]); err != nil {
				b.Fatal(err)
			}
			n += int64(len(buf))
		}
	}
	b.SetBytes(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(results)), "ns/result")
}

// BenchmarkWriteJSONContext encodes a report with no results and the context
// a scan of the generated estate gives it: every judged resource, key, vault
// and key chain.
func BenchmarkWriteJSONContext(b *testing.B) {
	e, rep := benchReport(b)
	rep.Context = benchContext(e, rep.Results)
	rep.Results = nil
	benchWriteJSON(b, rep)
}

// benchWriteJSON times WriteJSON of rep and reports the report's size.
func benchWriteJSON(b *testing.B, rep *Report) {
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

// benchContext builds a context like the one the CLI gives a report, close
// enough in size and shape to measure its encoding.
func benchContext(e *estate.Estate, results []rules.Result) *Context {
	c := &Context{}
	seen := map[string]bool{}
	for _, res := range results {
		k := estate.Lower(res.Resource)
		if seen[k] {
			continue
		}
		seen[k] = true
		rc := Resource{ID: res.Resource, Type: res.ResourceType, Service: "Storage account"}
		rc.Name, rc.Subscription, rc.ResourceGroup = splitID(res.Resource)
		if r := e.Resource(res.Resource); r != nil {
			rc.Location, rc.Tags = r.Location, e.TagMap(r.Tags)
			if r.Source.File != "" {
				rc.Source = &Source{File: r.Source.File, Line: r.Source.Line}
			}
		}
		c.Resources = append(c.Resources, rc)
	}
	for _, k := range e.Keys {
		kc := Key{ID: k.ID, Name: k.Name, Enabled: k.Enabled, Kty: k.Kty, Vault: k.VaultName,
			URI: estate.KeyURI{Vault: k.VaultName, HSM: k.HSMKey, Name: k.Name}.String()}
		if !k.Expires.IsZero() {
			exp := k.Expires.UTC()
			kc.Expires = &exp
		}
		for _, w := range k.Users {
			kc.UsedBy = append(kc.UsedBy, w.ID)
		}
		c.Keys = append(c.Keys, kc)
	}
	for _, v := range e.Vaults {
		c.Vaults = append(c.Vaults, Vault{ID: v.ID, Name: v.Name, HSM: v.HSM, SoftDelete: v.SoftDelete,
			PurgeProtection: v.PurgeProtection, RBAC: v.RBAC, PublicNetworkAccess: v.PublicNetworkAccess, DefaultAction: v.DefaultAction})
	}
	for _, w := range e.Workloads {
		for _, ref := range w.KeyRefs {
			ch := Chain{Workload: w.ID, Field: ref.Field, Via: ref.Via, KeyURI: ref.Raw, Problem: ref.ParseErr,
				Identity: Identity{Kind: string(ref.Identity.Kind), ResourceID: ref.Identity.ResourceID, PrincipalID: ref.Identity.PrincipalID}}
			if ref.Key != nil {
				ch.Key = ref.Key.ID
			}
			if ref.Vault != nil {
				ch.Vault = ref.Vault.ID
			}
			c.Chains = append(c.Chains, ch)
		}
	}
	return c
}

// BenchmarkAppendJSONString encodes strings of the kinds results hold: an
// ARM id, a message, a remediation with HTML characters and non-ASCII text.
func BenchmarkAppendJSONString(b *testing.B) {
	for _, s := range []struct{ name, s string }{
		{"id", "/subscriptions/1aeaa4f9-9296-a99b-20a5-8985fabe9751/resourceGroups/rg-aks-claims35-staging-sdc-7/providers/Microsoft.ContainerService/managedClusters/aks-claims35"},
		{"message", "no classification tag (expected one of dataClassification, data-classification, data_classification, classification)"},
		{"remediation", "Tag the resource with its classification, e.g. az tag update --resource-id <resource-id> --operation Merge --tags dataClassification=<confidential|internal|public|…>; or set properties.tags in the template."},
		{"short", "fail"},
	} {
		b.Run(s.name, func(b *testing.B) {
			var buf []byte
			b.SetBytes(int64(len(s.s)))
			for b.Loop() {
				buf = appendJSONString(buf[:0], s.s)
			}
		})
	}
}

// countingWriter counts and discards what is written.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}
