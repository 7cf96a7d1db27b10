// Package historytest is the contract every history.Store meets: one suite,
// run against each implementation with a real database.
package historytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// Run runs the contract suite. open returns a new, empty store each time it
// is called; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) history.Store) {
	t.Run("Empty", func(t *testing.T) { testEmpty(t, openClosed(t, open)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, openClosed(t, open)) })
	t.Run("WindowAndLast", func(t *testing.T) { testWindow(t, openClosed(t, open)) })
	t.Run("AuditStoredOnce", func(t *testing.T) { testAuditOnce(t, openClosed(t, open)) })
	t.Run("FailedWriteLeavesNoTrace", func(t *testing.T) { testFailedWrite(t, openClosed(t, open)) })
	t.Run("CancelledWriteLeavesNoTrace", func(t *testing.T) { testCancelledWrite(t, openClosed(t, open)) })
	t.Run("ConcurrentScansAllLand", func(t *testing.T) { testConcurrent(t, openClosed(t, open)) })
	t.Run("KPIs", func(t *testing.T) { testKPIs(t, openClosed(t, open)) })
	t.Run("Detail", func(t *testing.T) { testDetail(t, openClosed(t, open)) })
}

func openClosed(t *testing.T, open func(t *testing.T) history.Store) history.Store {
	t.Helper()
	st := open(t)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

// Sub is the subscription of the resources the suite makes.
const Sub = "00000000-0000-0000-0000-00000000000a"

// ID returns the ARM id of a storage account in subscription sub.
func ID(sub, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/" + name
}

// Result makes a result of rule on the storage account name in Sub.
func Result(rule, name string, status rules.Status) rules.Result {
	return rules.Result{Rule: rule, Resource: ID(Sub, name), ResourceType: "microsoft.storage/storageaccounts", Status: status,
		Severity: rules.High, Message: rule + " on " + name + " is " + string(status),
		Evidence: map[string]any{"keySource": "Microsoft.Storage", "ageDays": 12.0}, Remediation: "fix it",
		Frameworks: []string{"MCSB DP-5"}}
}

// Scan makes a scan at the given time with the results, counting its summary.
// Every resource with a cmk-required result is in scope.
func Scan(at string, results ...rules.Result) *history.Scan {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	s := &history.Scan{At: t, Tool: "test", Inputs: []string{"estate-" + at + ".json"}, ResourcesRead: len(results), Results: results}
	resources := map[string]bool{}
	blocked := map[string]bool{}
	for _, r := range results {
		resources[r.Resource] = true
		s.Summary.Results++
		switch r.Status {
		case rules.Pass:
			s.Summary.Pass++
		case rules.Fail:
			s.Summary.Fail++
		case rules.Unknown:
			s.Summary.Unknown++
		case rules.Waived:
			s.Summary.Waived++
		}
		if r.Status == rules.Fail || r.Status == rules.Unknown {
			blocked[r.Resource] = true
		}
	}
	s.Summary.Resources = len(resources)
	for _, r := range results {
		if r.Rule == "cmk-required" {
			s.Workloads = append(s.Workloads, history.Workload{ID: r.Resource, Type: r.ResourceType, Compliant: !blocked[r.Resource]})
		}
	}
	s.Summary.InScope = len(s.Workloads)
	for _, w := range s.Workloads {
		if w.Compliant {
			s.Summary.Compliant++
		}
	}
	s.Summary.CompliancePercent = 100
	if s.Summary.InScope > 0 {
		s.Summary.CompliancePercent = float64(s.Summary.Compliant*1000/s.Summary.InScope) / 10
	}
	return s
}

// Audit makes an audit record of a vault.
func Audit(at, vault, op string, status int, corr string) history.AuditRecord {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		panic(err)
	}
	// Stores keep times to the microsecond, as NewAuditRecord gives them.
	a := history.AuditRecord{Time: t.UTC().Truncate(time.Microsecond), Vault: "/subscriptions/" + Sub + "/resourcegroups/rg/providers/microsoft.keyvault/vaults/" + vault,
		Operation: op, HTTPStatus: status, Signature: map[int]string{200: "OK", 401: "Unauthorized", 403: "Forbidden"}[status],
		ResultType: "Success", CallerIP: "203.0.113.9", CorrelationID: corr, Identity: "oid-1"}
	a.Key = fmt.Sprintf("%s|%s|%s|%d|%s", at, vault, op, status, corr)
	return a
}

func record(t *testing.T, st history.Store, s *history.Scan) int64 {
	t.Helper()
	id, err := st.Record(context.Background(), s)
	if err != nil {
		t.Fatalf("record scan at %s: %v", s.At, err)
	}
	return id
}

func scans(t *testing.T, st history.Store, w history.Window) []history.ScanInfo {
	t.Helper()
	out, err := st.Scans(context.Background(), w)
	if err != nil {
		t.Fatalf("scans: %v", err)
	}
	return out
}

// states returns a scan's results as sorted "rule resource status" lines.
func states(t *testing.T, st history.Store, id int64) []string {
	t.Helper()
	var out []string
	err := st.States(context.Background(), id, func(s history.State) error {
		out = append(out, s.Rule+" "+s.Resource+" "+s.Key+" "+string(s.Status))
		return nil
	})
	if err != nil {
		t.Fatalf("states of scan %d: %v", id, err)
	}
	sort.Strings(out)
	return out
}

func wantStates(results []rules.Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Rule+" "+r.Resource+" "+lower(r.Resource)+" "+string(r.Status))
	}
	sort.Strings(out)
	return out
}

func audit(t *testing.T, st history.Store, w history.Window) []history.AuditRecord {
	t.Helper()
	var out []history.AuditRecord
	if err := st.Audit(context.Background(), w, func(a history.AuditRecord) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatalf("audit: %v", err)
	}
	return out
}

func testEmpty(t *testing.T, st history.Store) {
	if got := scans(t, st, history.Window{}); len(got) != 0 {
		t.Errorf("scans of an empty history = %v", got)
	}
	if last, err := st.Last(context.Background(), time.Now()); err != nil || last != nil {
		t.Errorf("Last of an empty history = %v, %v; want nil, nil", last, err)
	}
	if got := audit(t, st, history.Window{}); len(got) != 0 {
		t.Errorf("audit of an empty history = %v", got)
	}
	k, err := history.Compute(context.Background(), st, history.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Scans) != 0 || k.CompliancePercent != nil || k.RotationAdherencePercent != nil || k.TimeToRemediate.MedianDays != nil {
		t.Errorf("KPIs of an empty history = %+v", k)
	}
}

func testRoundTrip(t *testing.T, st history.Store) {
	ctx := context.Background()
	s := Scan("2026-03-02T09:00:00Z",
		Result("cmk-required", "stA", rules.Fail), Result("cmk-classified", "stA", rules.Pass),
		Result("cmk-required", "stB", rules.Pass), Result("cmk-required", "StC", rules.Waived),
		Result("key-rotation-due", "stD", rules.Unknown))
	s.Results[3].WaiverReason, s.Results[3].WaiverExpires = "migration", "2027-03-31T00:00:00Z"
	s.Audit = []history.AuditRecord{Audit("2026-03-01T10:15:02.123456Z", "kv1", "KeyUnwrap", 403, "c1")}
	s.ResourcesRead = 42
	id := record(t, st, s)

	got := scans(t, st, history.Window{})
	if len(got) != 1 {
		t.Fatalf("scans = %d, want 1", len(got))
	}
	want := history.ScanInfo{ID: id, At: s.At, Tool: s.Tool, Inputs: s.Inputs, ResourcesRead: 42, Summary: s.Summary}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("scan info\n got %+v\nwant %+v", got[0], want)
	}
	if g, w := states(t, st, id), wantStates(s.Results); !slices.Equal(g, w) {
		t.Errorf("states\n got %q\nwant %q", g, w)
	}
	results, err := st.Results(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(results)
	wj, _ := json.Marshal(s.Results)
	if string(gj) != string(wj) {
		t.Errorf("results as reported\n got %s\nwant %s", gj, wj)
	}
	ws, err := st.Workloads(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantW := []history.Workload{{ID: ID(Sub, "stA"), Type: "microsoft.storage/storageaccounts", Compliant: false},
		{ID: ID(Sub, "stB"), Type: "microsoft.storage/storageaccounts", Compliant: true},
		{ID: ID(Sub, "StC"), Type: "microsoft.storage/storageaccounts", Compliant: true}}
	if !reflect.DeepEqual(ws, wantW) {
		t.Errorf("workloads\n got %+v\nwant %+v", ws, wantW)
	}
	if a := audit(t, st, history.Window{}); len(a) != 1 || !reflect.DeepEqual(a[0], s.Audit[0]) {
		t.Errorf("audit\n got %+v\nwant %+v", a, s.Audit)
	}
	if g, w := outcomes(t, st, id), wantOutcomes(s.Results); !slices.Equal(g, w) {
		t.Errorf("outcomes\n got %q\nwant %q", g, w)
	}
	// A resource keeps the id it was first recorded with; results name it
	// case-insensitively.
	s2 := Scan("2026-03-03T09:00:00Z", Result("cmk-required", "STA", rules.Pass))
	id2 := record(t, st, s2)
	if g := states(t, st, id2); len(g) != 1 || g[0] != "cmk-required "+ID(Sub, "stA")+" "+lower(ID(Sub, "stA"))+" pass" {
		t.Errorf("states of a resource named in another case = %q", g)
	}
	o1, err := st.Outcomes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := st.Outcomes(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	handle := int64(-1)
	for _, it := range o1.Items {
		if o1.Rules[it.Rule] == "cmk-required" && it.Status == rules.Fail {
			handle = it.Resource
		}
	}
	if len(o2.Items) != 1 || o2.Items[0].Resource != handle {
		t.Errorf("the same resource has handle %d in one scan and %+v in the next", handle, o2.Items)
	}
}

// outcomes returns a scan's outcomes as sorted "rule resource status" lines.
func outcomes(t *testing.T, st history.Store, id int64) []string {
	t.Helper()
	ctx := context.Background()
	o, err := st.Outcomes(ctx, id)
	if err != nil {
		t.Fatalf("outcomes of scan %d: %v", id, err)
	}
	var handles []int64
	for _, it := range o.Items {
		handles = append(handles, it.Resource)
	}
	ids, err := st.ResourceIDs(ctx, handles)
	if err != nil {
		t.Fatalf("resource ids: %v", err)
	}
	var out []string
	for _, it := range o.Items {
		out = append(out, o.Rules[it.Rule]+" "+ids[it.Resource]+" "+string(it.Status))
	}
	sort.Strings(out)
	return out
}

func wantOutcomes(results []rules.Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Rule+" "+r.Resource+" "+string(r.Status))
	}
	sort.Strings(out)
	return out
}

func testWindow(t *testing.T, st history.Store) {
	ctx := context.Background()
	ids := map[string]int64{}
	for _, at := range []string{"2026-03-03T00:00:00Z", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"} {
		ids[at] = record(t, st, Scan(at, Result("cmk-required", "stA", rules.Pass)))
	}
	var order []string
	for _, s := range scans(t, st, history.Window{}) {
		order = append(order, s.At.Format(time.RFC3339))
	}
	if want := []string{"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"}; !slices.Equal(order, want) {
		t.Errorf("scans in order %v, want %v", order, want)
	}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	inside := scans(t, st, history.Window{Since: at("2026-03-02T00:00:00Z"), Until: at("2026-03-02T00:00:00Z")})
	if len(inside) != 2 {
		t.Errorf("inclusive window holds %d scans, want 2", len(inside))
	}
	if got := scans(t, st, history.Window{Since: at("2026-03-02T00:00:01Z")}); len(got) != 1 {
		t.Errorf("since window holds %d scans, want 1", len(got))
	}
	if got := scans(t, st, history.Window{Until: at("2026-03-01T23:59:59Z")}); len(got) != 1 {
		t.Errorf("until window holds %d scans, want 1", len(got))
	}
	last, err := st.Last(ctx, at("2026-03-02T12:00:00Z"))
	if err != nil || last == nil {
		t.Fatalf("Last = %v, %v", last, err)
	}
	if !last.At.Equal(at("2026-03-02T00:00:00Z")) || last.ID != ids["2026-03-02T00:00:00Z"] {
		t.Errorf("Last before noon of the 2nd = scan %d at %s, want the later-recorded scan %d of the 2nd", last.ID, last.At, ids["2026-03-02T00:00:00Z"])
	}
	if last, err := st.Last(ctx, at("2026-02-28T00:00:00Z")); err != nil || last != nil {
		t.Errorf("Last before the first scan = %v, %v", last, err)
	}
}

func testAuditOnce(t *testing.T, st history.Store) {
	a1 := Audit("2026-02-28T23:59:59.9999999Z", "kv1", "KeyUnwrap", 403, "c1")
	a2 := Audit("2026-03-01T00:00:00Z", "kv1", "Authentication", 401, "c2")
	a3 := Audit("2026-03-05T00:00:00Z", "kv2", "KeySign", 401, "c3")
	s1 := Scan("2026-03-06T00:00:00Z", Result("cmk-required", "stA", rules.Pass))
	s1.Audit = []history.AuditRecord{a1, a2, a1} // the same record twice in one export
	record(t, st, s1)
	s2 := Scan("2026-03-07T00:00:00Z", Result("cmk-required", "stA", rules.Pass))
	s2.Audit = []history.AuditRecord{a2, a3, a1}
	record(t, st, s2)
	got := audit(t, st, history.Window{})
	var keys []string
	for _, a := range got {
		keys = append(keys, a.Key)
	}
	if want := []string{a1.Key, a2.Key, a3.Key}; !slices.Equal(keys, want) {
		t.Errorf("stored audit records %q, want %q (each once, oldest first)", keys, want)
	}
	if len(got) > 0 && !got[0].Time.Equal(time.Date(2026, 2, 28, 23, 59, 59, 999999000, time.UTC)) {
		t.Errorf("stored time %s", got[0].Time)
	}
	march := history.Window{Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC)}
	if got := audit(t, st, march); len(got) != 2 {
		t.Errorf("March holds %d audit records, want 2", len(got))
	}
}

// failingScan is a scan whose result at index bad has a status the store's
// schema refuses, so the database fails the write after the rows before it.
func failingScan(at string, n, bad int) *history.Scan {
	var rs []rules.Result
	for i := range n {
		rs = append(rs, Result("cmk-required", fmt.Sprintf("st%04d", i), rules.Pass))
	}
	s := Scan(at, rs...)
	s.Results[bad].Status = "broken"
	s.Audit = []history.AuditRecord{Audit("2026-04-01T00:00:00Z", "kv9", "KeyUnwrap", 403, "lost")}
	return s
}

func testFailedWrite(t *testing.T, st history.Store) {
	ctx := context.Background()
	first := Scan("2026-03-01T00:00:00Z", Result("cmk-required", "stA", rules.Fail), Result("cmk-required", "stB", rules.Pass))
	first.Audit = []history.AuditRecord{Audit("2026-02-01T00:00:00Z", "kv1", "KeyUnwrap", 403, "c1")}
	id := record(t, st, first)
	before := states(t, st, id)

	if _, err := st.Record(ctx, failingScan("2026-03-02T00:00:00Z", 1000, 750)); err == nil {
		t.Fatal("recording a scan with a result the schema refuses succeeded")
	}
	got := scans(t, st, history.Window{})
	if len(got) != 1 || got[0].ID != id {
		t.Fatalf("after a failed write the history holds %+v, want only scan %d", got, id)
	}
	if after := states(t, st, id); !slices.Equal(before, after) {
		t.Errorf("earlier scan changed by a failed write:\n%q\n%q", before, after)
	}
	if a := audit(t, st, history.Window{}); len(a) != 1 {
		t.Errorf("audit records after a failed write = %d, want 1", len(a))
	}
	// The store still works, and the failed scan's rows did not linger.
	id3 := record(t, st, Scan("2026-03-03T00:00:00Z", Result("cmk-required", "st0001", rules.Pass)))
	if g := states(t, st, id3); len(g) != 1 {
		t.Errorf("scan after a failed write has %d results, want 1", len(g))
	}
}

func testCancelledWrite(t *testing.T, st history.Store) {
	id := record(t, st, Scan("2026-03-01T00:00:00Z", Result("cmk-required", "stA", rules.Pass)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Record(ctx, Scan("2026-03-02T00:00:00Z", Result("cmk-required", "stA", rules.Fail))); err == nil {
		t.Fatal("recording with a cancelled context succeeded")
	} else if !errors.Is(err, context.Canceled) {
		t.Logf("cancelled write: %v", err)
	}
	if got := scans(t, st, history.Window{}); len(got) != 1 || got[0].ID != id {
		t.Errorf("after a cancelled write the history holds %+v", got)
	}
}

func testConcurrent(t *testing.T, st history.Store) {
	const writers, each = 6, 3
	shared := Audit("2026-03-01T00:00:00Z", "kv1", "KeyUnwrap", 403, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				var rs []rules.Result
				for r := range 300 { // the same resources in every scan
					rs = append(rs, Result("cmk-required", fmt.Sprintf("st%03d", r), rules.Pass))
				}
				rs = append(rs, Result("cmk-required", fmt.Sprintf("own-%d-%d", w, i), rules.Fail))
				s := Scan(fmt.Sprintf("2026-03-%02dT00:00:00Z", 1+w), rs...)
				s.Audit = []history.AuditRecord{shared, Audit("2026-03-01T00:00:00Z", "kv1", "KeyUnwrap", 403, fmt.Sprintf("w%d-%d", w, i))}
				if _, err := st.Record(context.Background(), s); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent record: %v", err)
	}
	got := scans(t, st, history.Window{})
	if len(got) != writers*each {
		t.Fatalf("%d scans landed, want %d", len(got), writers*each)
	}
	for _, s := range got {
		if n := len(states(t, st, s.ID)); n != 301 {
			t.Errorf("scan %d has %d results, want 301", s.ID, n)
		}
	}
	if n := len(audit(t, st, history.Window{})); n != 1+writers*each {
		t.Errorf("%d audit records stored, want %d", n, 1+writers*each)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
