package azure_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/azure"
	"github.com/cmkguard/cmkguard/internal/azure/azuretest"
	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

const testToken = "test-token-Zm9vYmFy" // never a real token

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// fixture is a fake Azure and a virtual clock shared with the collector.
type fixture struct {
	srv   *azuretest.Server
	clock *azuretest.VirtualClock
	est   *azuretest.Estate
}

func newFixture(t testing.TB, g azuretest.GenOptions) *fixture {
	t.Helper()
	clock := azuretest.NewVirtualClock(epoch)
	est := azuretest.Generate(g)
	srv := azuretest.NewServer(est, clock)
	srv.Token = testToken
	srv.Violation = t.Errorf
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, clock: clock, est: est}
}

func (f *fixture) options(scope azure.Scope) azure.Options {
	return azure.Options{Scope: scope, Credential: azure.NewStaticToken(testToken), ARMEndpoint: f.srv.URL,
		Transport: f.srv.Client(), Clock: f.clock, ToolVersion: "test", Logger: slog.New(slog.DiscardHandler)}
}

// snapshot is a parsed NDJSON snapshot.
type snapshot struct {
	header map[string]any
	lines  []map[string]any
	ids    map[string]int // lower-case id → lines
	raw    []byte
}

func collect(t testing.TB, opts azure.Options) snapshot {
	t.Helper()
	snap, err := azure.Collect(context.Background(), opts)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	defer snap.Close()
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return parse(t, buf.Bytes())
}

func parse(t testing.TB, b []byte) snapshot {
	t.Helper()
	s := snapshot{ids: map[string]int{}, raw: b}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 0; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", n+1, err)
		}
		if n == 0 {
			if _, ok := m["id"]; ok {
				t.Fatalf("first line has an id; want the header")
			}
			s.header = m
			continue
		}
		id, _ := m["id"].(string)
		if id == "" {
			t.Fatalf("line %d has no id", n+1)
		}
		s.lines = append(s.lines, m)
		s.ids[strings.ToLower(id)]++
	}
	if s.header == nil {
		t.Fatal("empty snapshot")
	}
	return s
}

func (s snapshot) coverage() []azure.Gap {
	var out []azure.Gap
	b, _ := json.Marshal(s.header["coverage"])
	_ = json.Unmarshal(b, &out)
	return out
}

func (s snapshot) stat(name string) float64 {
	st, _ := s.header["stats"].(map[string]any)
	v, _ := st[name].(float64)
	return v
}

// checkComplete asserts that every relevant row of the estate (outside skip
// subscriptions) is in the snapshot exactly once, with its ARM children, and
// that no irrelevant row is.
func checkComplete(t *testing.T, f *fixture, s snapshot, skip map[string]bool) {
	t.Helper()
	for id, n := range s.ids {
		if n != 1 {
			t.Errorf("%s written %d times", id, n)
		}
	}
	skipped := func(id string) bool {
		for sub := range skip {
			if strings.HasPrefix(id, "/subscriptions/"+sub+"/") {
				return true
			}
		}
		return false
	}
	want := f.est.RelevantRows(azure.GraphTypes())
	missing := 0
	for id := range want {
		if s.ids[id] == 0 && !skipped(id) {
			missing++
			if missing < 5 {
				t.Errorf("resource %s missing from the snapshot", id)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d resources missing", missing, len(want))
	}
	for id := range s.ids {
		if strings.Contains(id, "/microsoft.network/virtualnetworks/") {
			t.Errorf("irrelevant resource %s collected", id)
		}
	}
	children := 0
	check := func(id string) {
		children++
		if s.ids[strings.ToLower(id)] != 1 {
			t.Errorf("%s: in the snapshot %d times, want once", id, s.ids[strings.ToLower(id)])
		}
	}
	for vault, keys := range f.est.Keys {
		if skipped(vault) {
			continue
		}
		for _, k := range keys {
			check(k["id"].(string))
		}
	}
	for owner, list := range f.est.Diagnostics {
		if !skipped(owner) {
			for _, d := range list {
				check(d["id"].(string))
			}
		}
	}
	for owner, list := range f.est.TopicEventSubs {
		if !skipped(owner) {
			for _, d := range list {
				check(d["id"].(string))
			}
		}
	}
	for owner, list := range f.est.ResourceEvents {
		if !skipped(owner) {
			for _, d := range list {
				check(d["id"].(string))
			}
		}
	}
	for owner, p := range f.est.Protectors {
		if !skipped(owner) {
			check(p["id"].(string))
		}
	}
	for owner, list := range f.est.AppSettingRefs {
		if !skipped(owner) {
			for _, d := range list {
				check(d["id"].(string))
			}
		}
	}
	if children == 0 {
		t.Error("the estate has no ARM children to check")
	}
	// Keys are the per-key GET objects, not list rows.
	for _, l := range s.lines {
		if typ := strings.ToLower(fmt.Sprint(l["type"])); typ == "microsoft.keyvault/vaults/keys" || typ == "microsoft.keyvault/managedhsms/keys" {
			props, _ := l["properties"].(map[string]any)
			if props["kty"] == nil {
				t.Errorf("key %s is a list row (no kty)", l["id"])
			}
		}
	}
}

func TestCollectFivePagesWithinQuota(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 3, HSMsPerSub: 1, Resources: 4500, Irrelevant: 50})
	s := collect(t, f.options(azure.Scope{Tenant: true}))
	checkComplete(t, f, s, nil)
	st := f.srv.Stats()
	for id, n := range st.RowsServed {
		if n != 1 {
			t.Errorf("the fake served %s %d times; paging must not repeat rows", id, n)
		}
	}
	// resources: 5 pages of 1000; resourcecontainers and authorizationresources: 1 each.
	if st.GraphPages != 7 {
		t.Errorf("Resource Graph pages = %d, want 7 (5 of resources)", st.GraphPages)
	}
	if st.GraphThrottled != 0 || st.ARMThrottled != 0 {
		t.Errorf("throttled: graph %d, arm %d; want none", st.GraphThrottled, st.ARMThrottled)
	}
	if st.MaxInWindow > 15 {
		t.Errorf("%d Resource Graph requests in one window, quota 15", st.MaxInWindow)
	}
	if c := s.coverage(); len(c) != 0 {
		t.Errorf("coverage gaps %v, want none", c)
	}
	if got := s.header["scopes"]; fmt.Sprint(got) != "[/]" {
		t.Errorf("scopes = %v", got)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(s.header["collectedAt"])); err != nil {
		t.Errorf("collectedAt: %v", err)
	}
	if len(st.Violations) != 0 {
		t.Errorf("violations: %v", st.Violations)
	}
	if st.Paths["key"] == 0 || st.Paths["keys"] <= len(f.est.Keys) {
		t.Errorf("key calls %v: want a GET per key and key lists followed over nextLink", st.Paths)
	}
}

func TestCollectPacesAcrossQuotaWindows(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 2, Resources: 4000})
	opts := f.options(azure.Scope{Tenant: true})
	opts.PageSize = 100 // 40+ pages: three quota windows at least
	start := f.clock.Now()
	s := collect(t, opts)
	checkComplete(t, f, s, nil)
	st := f.srv.Stats()
	if st.GraphRequests <= 2*f.srv.Quota {
		t.Fatalf("only %d Resource Graph requests; the test needs more than two windows' quota", st.GraphRequests)
	}
	if st.GraphThrottled != 0 {
		t.Errorf("the fake throttled %d Resource Graph requests; the pacer must stay inside the quota", st.GraphThrottled)
	}
	if st.MaxInWindow > f.srv.Quota {
		t.Errorf("%d requests in one window, quota %d", st.MaxInWindow, f.srv.Quota)
	}
	windows := (st.GraphRequests - 1) / f.srv.Quota
	if el := f.clock.Now().Sub(start); el < time.Duration(windows)*f.srv.Window {
		t.Errorf("collection took %v of virtual time for %d requests; the quota allows no less than %v", el, st.GraphRequests, time.Duration(windows)*f.srv.Window)
	}
	t.Logf("%d Resource Graph requests in %v of virtual time, at most %d a window", st.GraphRequests, f.clock.Now().Sub(start), st.MaxInWindow)
}

func TestCollectRetriesThrottledAndUnavailable(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 3, Resources: 4500})
	inject := map[string]map[int]int{
		"graph": {2: http.StatusTooManyRequests, 3: http.StatusServiceUnavailable, 5: http.StatusTooManyRequests, 6: http.StatusTooManyRequests},
		"arm":   {3: http.StatusTooManyRequests, 10: http.StatusServiceUnavailable, 11: http.StatusServiceUnavailable, 20: http.StatusTooManyRequests},
	}
	f.srv.Inject = func(lane string, n int) int { return inject[lane][n] }
	s := collect(t, f.options(azure.Scope{Tenant: true}))
	checkComplete(t, f, s, nil)
	st := f.srv.Stats()
	if st.Injected != 8 {
		t.Errorf("injected %d faults, want 8", st.Injected)
	}
	if c := s.coverage(); len(c) != 0 {
		t.Errorf("coverage gaps %v after retries, want none", c)
	}
	if r := s.stat("retries"); r < 8 {
		t.Errorf("header counts %v retries, want at least 8", r)
	}
	if s.stat("throttled") < 5 || s.stat("unavailable") < 3 {
		t.Errorf("header stats %v", s.header["stats"])
	}
}

func TestForbiddenSubscriptionIsReportedAndTheRestIsComplete(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 3, Resources: 300})
	bad := azuretest.SubscriptionID(1)
	f.srv.Forbidden = map[string]bool{bad: true}
	s := collect(t, f.options(azure.Scope{Tenant: true}))
	// Resource Graph still lists the subscription's resources; its ARM children are gaps.
	checkComplete(t, f, s, map[string]bool{bad: true})
	gaps := s.coverage()
	kinds := map[string]bool{}
	for _, g := range gaps {
		if !strings.HasPrefix(strings.ToLower(g.Scope), "/subscriptions/"+bad+"/") {
			t.Errorf("gap outside the forbidden subscription: %+v", g)
		}
		if !strings.Contains(g.Error, "403") || !strings.Contains(g.Error, "AuthorizationFailed") {
			t.Errorf("gap error %q does not carry the 403", g.Error)
		}
		if !strings.Contains(g.Permission, "Reader") {
			t.Errorf("gap %+v names no role", g)
		}
		kinds[g.Data] = true
	}
	for _, k := range []string{azure.DataKeys, azure.DataDiagnostics, azure.DataEventSubs, azure.DataProtector, azure.DataAppSettingRefs} {
		if !kinds[k] {
			t.Errorf("no %s gap for the forbidden subscription (gaps: %v)", k, gaps)
		}
	}

	// End to end: the rules report unknown for what the gaps cover, and
	// decide the rest.
	ev := evaluate(t, s.raw)
	unknownBad, decidedGood := 0, 0
	for _, r := range ev.Results {
		inBad := strings.HasPrefix(strings.ToLower(r.Resource), "/subscriptions/"+bad+"/")
		switch {
		case inBad && r.Rule == "cmk-required" && strings.Contains(strings.ToLower(r.Resource), "/microsoft.sql/servers/"):
			if r.Status != rules.Unknown {
				t.Errorf("%s on %s = %s, want unknown (its protector could not be read)", r.Rule, r.Resource, r.Status)
			}
			unknownBad++
		case inBad && r.Rule == "cmk-key-usable":
			if r.Status != rules.Unknown {
				t.Errorf("cmk-key-usable on %s = %s, want unknown (the vault's keys could not be read)", r.Resource, r.Status)
			}
			unknownBad++
		case !inBad && r.Rule == "cmk-key-usable":
			if r.Status == rules.Unknown {
				t.Errorf("cmk-key-usable on %s is unknown: %s", r.Resource, r.Message)
			}
			decidedGood++
		}
	}
	if unknownBad == 0 || decidedGood == 0 {
		t.Errorf("unknown in the forbidden subscription: %d, decided elsewhere: %d; want both", unknownBad, decidedGood)
	}
}

func evaluate(t testing.TB, snapshot []byte) rules.Evaluation {
	t.Helper()
	b := estate.NewBuilder()
	if err := input.Read(context.Background(), "snapshot.ndjson", bytes.NewReader(snapshot), b); err != nil {
		t.Fatalf("read snapshot: %v", err)
	}
	e := b.Build()
	if e.Header == nil {
		t.Fatal("the snapshot header was not read")
	}
	return rules.Evaluate(e, policy.Default(), epoch, rules.Catalog())
}

func TestGraphRefusalIsolatesTheSubscription(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 4, Resources: 200})
	bad := azuretest.SubscriptionID(2)
	f.srv.GraphForbidden = map[string]bool{bad: true}
	subs := f.est.Subscriptions()
	s := collect(t, f.options(azure.Scope{Subscriptions: subs}))
	checkComplete(t, f, s, map[string]bool{bad: true})
	got := map[string]bool{}
	for _, g := range s.coverage() {
		if g.Scope != "/subscriptions/"+bad {
			t.Errorf("gap %+v: want only the refused subscription", g)
		}
		got[g.Data] = true
	}
	if !got[azure.DataResources] || !got[azure.DataRoles] {
		t.Errorf("gaps %v: want resources and roleAssignments of %s", s.coverage(), bad)
	}
	for id := range s.ids {
		if strings.HasPrefix(id, "/subscriptions/"+bad+"/") {
			t.Errorf("%s collected from a refused subscription", id)
		}
	}
}

func TestManagementGroupScope(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 2, Resources: 100})
	s := collect(t, f.options(azure.Scope{ManagementGroups: []string{"mg-prod"}}))
	checkComplete(t, f, s, nil)
	if got := fmt.Sprint(s.header["scopes"]); got != "[/providers/Microsoft.Management/managementGroups/mg-prod]" {
		t.Errorf("scopes = %s", got)
	}
	// Role definitions and assignments above the scope are asked for too.
	if s.ids["/providers/microsoft.authorization/roledefinitions/"+azuretest.RoleCryptoServiceEncryptionUser] != 1 {
		t.Error("role definition not collected")
	}
}

func TestTokenNeverLogged(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1, Resources: 20})
	f.srv.Forbidden = map[string]bool{azuretest.SubscriptionID(0): true} // errors get logged
	var logs bytes.Buffer
	opts := f.options(azure.Scope{Tenant: true})
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Logger.Info("credential", "cred", opts.Credential)
	s := collect(t, opts)
	if logs.Len() == 0 {
		t.Fatal("nothing logged; the test needs logs to look at")
	}
	if strings.Contains(logs.String(), testToken) || bytes.Contains(s.raw, []byte(testToken)) {
		t.Error("the bearer token appears in the logs or the snapshot")
	}
	if fmt.Sprint(opts.Credential) == testToken || strings.Contains(fmt.Sprintf("%+v", opts.Credential), testToken) {
		t.Error("the credential prints its token")
	}
}

func TestCollectFailsWithoutToken(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1})
	opts := f.options(azure.Scope{Tenant: true})
	opts.Credential = azure.NewStaticToken("  ")
	if _, err := azure.Collect(context.Background(), opts); err == nil || !strings.Contains(err.Error(), azure.TokenEnv) {
		t.Errorf("Collect with an empty token: %v", err)
	}
	if st := f.srv.Stats(); st.GraphRequests+st.ARMRequests != 0 {
		t.Errorf("%d requests sent without a token", st.GraphRequests+st.ARMRequests)
	}
}

func TestWrongTokenIsACoverageGapWithAFix(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1})
	opts := f.options(azure.Scope{Tenant: true})
	opts.Credential = azure.NewStaticToken("Bearer expired")
	s := collect(t, opts)
	gaps := s.coverage()
	if len(gaps) == 0 || !strings.Contains(gaps[0].Error, "401") || gaps[0].Permission == "" {
		t.Errorf("gaps %+v: want a 401 with its fix", gaps)
	}
	var h azure.Header
	if err := json.Unmarshal(bytes.SplitN(s.raw, []byte("\n"), 2)[0], &h); err != nil {
		t.Fatal(err)
	}
	if !h.InventoryFailed() {
		t.Error("InventoryFailed is false although nothing could be read")
	}
}

func TestScopeValidation(t *testing.T) {
	for _, sc := range []azure.Scope{{}, {Tenant: true, ManagementGroups: []string{"x"}}, {Subscriptions: []string{"prod"}}, {ManagementGroups: []string{"/providers/x"}}} {
		if err := sc.Validate(); err == nil {
			t.Errorf("%+v: no error", sc)
		}
	}
	if err := (azure.Scope{Subscriptions: []string{azuretest.SubscriptionID(0)}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestGraphTypes(t *testing.T) {
	types := azure.GraphTypes()
	has := map[string]bool{}
	for _, ty := range types {
		has[ty] = true
		if !estate.Relevant(ty) {
			t.Errorf("%s is queried but no rule reads it", ty)
		}
	}
	for _, want := range []string{"microsoft.keyvault/vaults", "microsoft.keyvault/managedhsms", "microsoft.storage/storageaccounts", "microsoft.sql/servers", "microsoft.web/sites", "microsoft.eventgrid/systemtopics"} {
		if !has[want] {
			t.Errorf("%s is not queried", want)
		}
	}
	for _, no := range []string{"microsoft.keyvault/vaults/keys", "microsoft.insights/diagnosticsettings", "microsoft.authorization/roleassignments"} {
		if has[no] {
			t.Errorf("%s is queried from the resources table, which does not hold it", no)
		}
	}
}

// TestFakeRejectsForbiddenRequests proves the fake's guard is live: each
// forbidden request sent to it directly is reported as a violation.
func TestFakeRejectsForbiddenRequests(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1})
	var violations []string
	f.srv.Violation = func(format string, args ...any) { violations = append(violations, fmt.Sprintf(format, args...)) }
	for _, c := range azure.ForbiddenCases {
		violations = nil
		req, _ := http.NewRequest(c.Method, f.srv.URL+c.Path+"?api-version=2026-02-01", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if len(violations) != 1 || resp.StatusCode < 400 {
			t.Errorf("%s %s: status %d, violations %v; want one violation", c.Method, c.Path, resp.StatusCode, violations)
		}
	}
}
