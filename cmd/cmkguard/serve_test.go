package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/postgres/pgtest"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// The dashboard tests build a history through the CLI — three scans of the
// example estate and variants of it — start `cmkguard serve` on a loopback
// port through Run, and drive it over HTTP (and, in
// serve_browser_test.go, with headless Chromium).

// serveNow is the dashboard's clock in these tests (serve --now).
const serveNow = "2026-12-01T00:00:00Z"

// hostileTag is a tag value an attacker who can tag resources controls; the
// dashboard shows it in the classification and tenant filters and columns.
const hostileTag = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

// dashboardScans are the scans of the test history: the estate without its
// PowerShell export, then with a hostile-tagged account added, then whole.
var dashboardScans = []struct{ now, variant string }{
	{"2026-09-01T00:00:00Z", "partial"},
	{"2026-10-15T00:00:00Z", "hostile"},
	{serveNow, "whole"},
}

// estateVariant writes a variant of examples/estate and returns its folder.
func estateVariant(t testing.TB, dir, variant string) string {
	t.Helper()
	dst := filepath.Join(dir, variant)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("..", "..", "examples", "estate"))); err != nil {
		t.Fatal(err)
	}
	if variant == "partial" || variant == "hostile" {
		if err := os.RemoveAll(filepath.Join(dst, "powershell")); err != nil {
			t.Fatal(err)
		}
	}
	if variant == "hostile" || variant == "whole" {
		res := []map[string]any{{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-x/providers/Microsoft.Storage/storageAccounts/sthostile",
			"name": "sthostile", "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
			"tags":       map[string]string{"dataClassification": hostileTag, "tenant": hostileTag},
			"properties": map[string]any{"encryption": map[string]any{"keySource": "Microsoft.Storage"}}}}
		b, _ := json.Marshal(res)
		if err := os.WriteFile(filepath.Join(dst, "hostile.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// dashboardHistory records the scans into db and returns the last scan's
// report (JSON output) for checking what the dashboard shows.
func dashboardHistory(t testing.TB, db string) *report.Report {
	t.Helper()
	dir := t.TempDir()
	var last report.Report
	for i, s := range dashboardScans {
		var out, errb strings.Builder
		code := Run(context.Background(), []string{"scan", estateVariant(t, dir, fmt.Sprint(s.variant)), "--policy", "../../examples/policy.yaml",
			"--db", db, "--now", s.now, "--format", "json", "--fail-on", "none"}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("scan %d: exit %d: %s", i+1, code, errb.String())
		}
		if i == len(dashboardScans)-1 {
			if err := json.Unmarshal([]byte(out.String()), &last); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &last
}

// server is a running `cmkguard serve`.
type server struct {
	base   string // http://127.0.0.1:PORT
	cancel context.CancelFunc
	done   chan int
}

var listening = regexp.MustCompile(`dashboard on (http://\S+)/ `)

// startServe runs `cmkguard serve ARGS --addr 127.0.0.1:0` until the test
// ends, and returns its address once it listens.
func startServe(t testing.TB, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan int, 1)}
	go func() {
		code := Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, pw)
		pw.Close()
		s.done <- code
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			} else if !sent {
				t.Logf("serve: %s", sc.Text())
			}
		}
		if !sent {
			close(found)
		}
	}()
	u, ok := <-found
	if !ok {
		t.Fatalf("serve exited with %d before listening", <-s.done)
	}
	s.base = u
	t.Cleanup(func() {
		cancel()
		if code := <-s.done; code != 0 {
			t.Errorf("serve exited with %d after the test", code)
		}
	})
	return s
}

// fetch GETs path and returns the status and body.
func (s *server) fetch(t testing.TB, path string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, b
}

// getJSON GETs an API path, wants 200 and decodes the body.
func (s *server) getJSON(t testing.TB, path string, v any, header ...string) {
	t.Helper()
	code, b := s.fetch(t, path, header...)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// dashboardKPIs is `cmkguard kpi --format json` on the history.
func dashboardKPIs(t *testing.T, db string) *history.KPIs {
	t.Helper()
	code, out, errb := run(t, "", "kpi", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("kpi: %d %s", code, errb)
	}
	var k history.KPIs
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	return &k
}

func TestServeAPI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	last := dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	checkAPI(t, s, db, last)
}

// TestServeAPIPostgres serves the same history from PostgreSQL.
func TestServeAPIPostgres(t *testing.T) {
	db := pgtest.URL(t)
	last := dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	checkAPI(t, s, db, last)
}

// checkAPI checks every endpoint against what the CLI itself reports.
func checkAPI(t *testing.T, s *server, db string, last *report.Report) {
	var scans struct {
		Scans []struct {
			ID      int64
			At      time.Time
			Summary rules.Summary
		}
	}
	s.getJSON(t, "/api/v1/scans", &scans)
	if len(scans.Scans) != len(dashboardScans) {
		t.Fatalf("%d scans, want %d", len(scans.Scans), len(dashboardScans))
	}
	latest := scans.Scans[len(scans.Scans)-1]
	if !latest.At.Equal(last.ScannedAt) || latest.Summary != last.Summary {
		t.Errorf("latest scan %+v, want the last scan's summary %+v", latest, last.Summary)
	}
	var one struct{ ID int64 }
	s.getJSON(t, fmt.Sprintf("/api/v1/scans/%d", latest.ID), &one)
	if one.ID != latest.ID {
		t.Errorf("scans/%d answers scan %d", latest.ID, one.ID)
	}

	// The KPIs are the kpi command's, number for number.
	var k history.KPIs
	s.getJSON(t, "/api/v1/kpi", &k)
	if want := dashboardKPIs(t, db); !reflect.DeepEqual(&k, want) {
		g, _ := json.Marshal(k)
		w, _ := json.Marshal(want)
		t.Errorf("/api/v1/kpi differs from cmkguard kpi:\n got %s\nwant %s", g, w)
	}

	// Results: every result of the last scan, and filters that select.
	type resultsPage struct {
		Paging  struct{ Total, Pages int }
		Results []struct {
			rules.Result
			Subscription, Classification, Tenant string
		}
		Options struct{ Classifications, Tenants []string }
	}
	var all resultsPage
	s.getJSON(t, "/api/v1/results?per=500", &all)
	if all.Paging.Total != len(last.Results) || len(all.Results) != len(last.Results) {
		t.Errorf("results: %d (%d on the page), want %d", all.Paging.Total, len(all.Results), len(last.Results))
	}
	count := func(keep func(rules.Result) bool) int {
		n := 0
		for _, r := range last.Results {
			if keep(r) {
				n++
			}
		}
		return n
	}
	for q, keep := range map[string]func(rules.Result) bool{
		"status=fail":                       func(r rules.Result) bool { return r.Status == rules.Fail },
		"status=fail&severity=high":         func(r rules.Result) bool { return r.Status == rules.Fail && r.Severity == rules.High },
		"rule=cmk-required":                 func(r rules.Result) bool { return r.Rule == "cmk-required" },
		"rule=key-rotation-due&status=pass": func(r rules.Result) bool { return r.Rule == "key-rotation-due" && r.Status == rules.Pass },
	} {
		var p resultsPage
		s.getJSON(t, "/api/v1/results?per=500&"+q, &p)
		if want := count(keep); p.Paging.Total != want || want == 0 {
			t.Errorf("results?%s: %d, want %d", q, p.Paging.Total, want)
		}
	}
	var hostile resultsPage
	s.getJSON(t, "/api/v1/results?classification="+url.QueryEscape(strings.ToLower(hostileTag))+"&tenant="+url.QueryEscape(strings.ToLower(hostileTag)), &hostile)
	if hostile.Paging.Total == 0 || !strings.HasSuffix(hostile.Results[0].Resource, "/sthostile") {
		t.Errorf("the hostile tag's filter selects %d results", hostile.Paging.Total)
	}
	var pci resultsPage
	s.getJSON(t, "/api/v1/results?classification=pci&subscription=11111111-1111-1111-1111-111111111111", &pci)
	for _, r := range pci.Results {
		if r.Classification != "pci" || r.Subscription != "11111111-1111-1111-1111-111111111111" {
			t.Errorf("classification=pci and subscription 1111: a result of %s (%s, %s)", r.Resource, r.Classification, r.Subscription)
		}
	}

	// Keys: every key of the snapshot, with its expiry counted from --now.
	var keys struct {
		Keys []struct {
			ID              string
			Expires         *time.Time
			SecondsToExpiry *int64
			UsedBy          []string
		}
	}
	s.getJSON(t, "/api/v1/keys", &keys)
	if len(keys.Keys) != len(last.Context.Keys) || len(keys.Keys) == 0 {
		t.Fatalf("%d keys, want the snapshot's %d", len(keys.Keys), len(last.Context.Keys))
	}
	now, _ := time.Parse(time.RFC3339, serveNow)
	for _, key := range keys.Keys {
		if key.Expires != nil && (key.SecondsToExpiry == nil || *key.SecondsToExpiry != int64(key.Expires.Sub(now).Seconds())) {
			t.Errorf("key %s: expires %s, seconds to expiry %v", key.ID, key.Expires, key.SecondsToExpiry)
		}
	}
	// One key, with the blast radius the impact command computes.
	var dep string
	for _, key := range keys.Keys {
		if len(key.UsedBy) > 0 {
			dep = key.ID
			break
		}
	}
	var keyDoc struct {
		BlastRadius struct {
			Workloads    []struct{ ID string }
			Consequences []struct{ Action string }
		}
	}
	s.getJSON(t, "/api/v1/keys?id="+url.QueryEscape(dep), &keyDoc)
	code, out, errb := run(t, "", "impact", dep, "--format", "json", "--input", "../../examples/estate")
	if code != 0 {
		t.Fatalf("impact: %d %s", code, errb)
	}
	var im struct{ Workloads []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &im); err != nil {
		t.Fatal(err)
	}
	if len(keyDoc.BlastRadius.Workloads) != len(im.Workloads) || len(keyDoc.BlastRadius.Consequences) != 3 {
		t.Errorf("blast radius of %s: %d workloads, want impact's %d", dep, len(keyDoc.BlastRadius.Workloads), len(im.Workloads))
	}

	// Resources: the list, and one workload with its evidence chain.
	var resources struct{ Resources []struct{ ID string } }
	s.getJSON(t, "/api/v1/resources", &resources)
	if len(resources.Resources) != len(last.Context.Resources) {
		t.Errorf("%d resources, want %d", len(resources.Resources), len(last.Context.Resources))
	}
	workload := im.Workloads[0].ID
	var res struct {
		Resource struct{ ID string }
		Chains   []struct{ Workload, Key, Vault string }
		Results  []struct{ Rule string }
	}
	s.getJSON(t, "/api/v1/resources?id="+url.QueryEscape(workload), &res)
	if !strings.EqualFold(res.Resource.ID, workload) || len(res.Chains) == 0 || !strings.EqualFold(res.Chains[0].Key, dep) || res.Chains[0].Vault == "" || len(res.Results) == 0 {
		t.Errorf("resource %s: %+v", workload, res)
	}

	// Calendar: the next 90 days' deadlines are those forecast finds.
	var cal struct {
		Upcoming []struct{ Key, Event string }
		Overdue  []struct{ Key string }
	}
	s.getJSON(t, "/api/v1/calendar", &cal)
	code, out, errb = run(t, "", "forecast", "../../examples/estate", "--policy", "../../examples/policy.yaml", "--now", serveNow, "--days", "90", "--format", "json")
	if code != 0 {
		t.Fatalf("forecast: %d %s", code, errb)
	}
	var fc struct{ KeyEvents []struct{ DaysLeft int } }
	if err := json.Unmarshal([]byte(out), &fc); err != nil {
		t.Fatal(err)
	}
	past := 0
	for _, e := range fc.KeyEvents {
		if e.DaysLeft < 0 {
			past++
		}
	}
	if len(cal.Upcoming)+len(cal.Overdue) != len(fc.KeyEvents) || len(cal.Overdue) != past || len(cal.Upcoming) == 0 {
		t.Errorf("calendar: %d upcoming and %d past, forecast --days 90: %d events, %d past", len(cal.Upcoming), len(cal.Overdue), len(fc.KeyEvents), past)
	}

	// Compare: the last scan added the PowerShell export's resources.
	var cmp struct {
		From, To         struct{ ID int64 }
		NewResources     []string
		RemovedResources []string
	}
	s.getJSON(t, "/api/v1/compare", &cmp)
	if cmp.To.ID != latest.ID || cmp.From.ID != scans.Scans[1].ID || len(cmp.NewResources) == 0 || len(cmp.RemovedResources) != 0 {
		t.Errorf("compare: %+v", cmp)
	}
	for _, bad := range []string{"/api/v1/scans/999", "/api/v1/results?scan=999", "/api/v1/keys?id=nope", "/api/v1/resources?id=nope", "/api/v1/compare?from=999"} {
		if code, _ := s.fetch(t, bad); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, code)
		}
	}
}

func TestServeMetrics(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	last := dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	code, body := s.fetch(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics does not parse as the Prometheus text format: %v\n%s", err, body)
	}
	value := func(m *dto.Metric) float64 {
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		}
		return math.NaN()
	}
	labels := func(m *dto.Metric) map[string]string {
		out := map[string]string{}
		for _, l := range m.Label {
			out[l.GetName()] = l.GetValue()
		}
		return out
	}
	single := func(name string) float64 {
		t.Helper()
		f := families[name]
		if f == nil || len(f.Metric) != 1 {
			t.Fatalf("metric %s: %v", name, f)
		}
		return value(f.Metric[0])
	}
	k := dashboardKPIs(t, db)
	if got := single("cmkguard_compliance_percent"); got != *k.CompliancePercent || got != last.Summary.CompliancePercent {
		t.Errorf("compliance %v, want %v", got, *k.CompliancePercent)
	}
	if got := single("cmkguard_rotation_adherence_percent"); got != *k.RotationAdherencePercent {
		t.Errorf("rotation adherence %v, want %v", got, *k.RotationAdherencePercent)
	}
	if got := single("cmkguard_last_scan_timestamp_seconds"); got != float64(last.ScannedAt.Unix()) {
		t.Errorf("last scan time %v, want %v", got, last.ScannedAt.Unix())
	}
	if got := single("cmkguard_scans"); got != float64(len(dashboardScans)) {
		t.Errorf("scans %v", got)
	}
	if got := single("cmkguard_open_failure_episodes"); got != float64(k.TimeToRemediate.Open) {
		t.Errorf("open episodes %v, want %d", got, k.TimeToRemediate.Open)
	}

	want := map[[3]string]int{}
	for _, r := range last.Results {
		want[[3]string{r.Rule, r.Severity.String(), string(r.Status)}]++
	}
	got := map[[3]string]int{}
	for _, m := range families["cmkguard_results"].GetMetric() {
		l := labels(m)
		got[[3]string{l["rule"], l["severity"], l["status"]}] = int(value(m))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results by rule, severity and status\n got %v\nwant %v", got, want)
	}

	now, _ := time.Parse(time.RFC3339, serveNow)
	expiring := 0
	for _, key := range last.Context.Keys {
		if key.Expires == nil {
			continue
		}
		expiring++
		found := false
		for _, m := range families["cmkguard_key_seconds_to_expiry"].GetMetric() {
			if labels(m)["key"] == key.ID {
				found = true
				if v := value(m); v != key.Expires.Sub(now).Seconds() {
					t.Errorf("key %s: %v seconds to expiry, want %v", key.Name, v, key.Expires.Sub(now).Seconds())
				}
			}
		}
		if !found {
			t.Errorf("no seconds to expiry for key %s", key.ID)
		}
	}
	if n := len(families["cmkguard_key_seconds_to_expiry"].GetMetric()); n != expiring || n == 0 {
		t.Errorf("%d keys with seconds to expiry, want %d", n, expiring)
	}

	blocked := map[string]float64{}
	for _, m := range families["cmkguard_blocked_attempts_total"].GetMetric() {
		blocked[labels(m)["vault"]] = value(m)
	}
	wantBlocked := map[string]float64{}
	for _, v := range k.BlockedAttemptsByVault {
		wantBlocked[v.Vault] = float64(v.Count)
	}
	if !reflect.DeepEqual(blocked, wantBlocked) || len(blocked) == 0 {
		t.Errorf("blocked attempts %v, want %v", blocked, wantBlocked)
	}
	if families["cmkguard_blocked_attempts_total"].GetType() != dto.MetricType_COUNTER {
		t.Errorf("blocked attempts is a %v", families["cmkguard_blocked_attempts_total"].GetType())
	}
}

func TestServeToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	dashboardHistory(t, db)
	token := "a-long-enough-test-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--db", db, "--now", serveNow, "--token-file", tokenFile)
	for _, p := range []string{"/", "/findings", "/keys", "/calendar", "/scans", "/compare", "/api/v1/scans", "/api/v1/results",
		"/api/v1/kpi", "/api/v1/keys", "/api/v1/resources", "/api/v1/calendar", "/api/v1/compare", "/metrics", "/static/style.css"} {
		if code, _ := s.fetch(t, p); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", p, code)
		}
		if code, _ := s.fetch(t, p, "Authorization", "Bearer not-the-token-0123456789"); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", p, code)
		}
		if code, _ := s.fetch(t, p, "Authorization", "Bearer "+token); code != http.StatusOK {
			t.Errorf("GET %s with the token: %d, want 200", p, code)
		}
	}
}

func TestServeRefusesToStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	dashboardHistory(t, db)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"--addr", ":0"}, "not a loopback address"},
		{[]string{"--addr", "192.0.2.10:8080"}, "not a loopback address"},
		{[]string{"--addr", "[::]:0"}, "not a loopback address"},
		{[]string{"--addr", "127.0.0.1"}, "host:port"},
		{[]string{"--token", "short"}, "at least 16"},
		{[]string{"--token", "0123456789abcdef0", "--token-file", "x"}, "once"},
		{[]string{"--token-file", filepath.Join(t.TempDir(), "missing")}, "--token-file"},
		{[]string{"--now", "tomorrow"}, "--now"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, "", append([]string{"serve", "--db", db}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	code, _, stderr := run(t, "", "serve", "--db", filepath.Join(t.TempDir(), "none.db"))
	if code != exitUsage || !strings.Contains(stderr, "no scan history") {
		t.Errorf("serve on a missing history: exit %d, %q", code, stderr)
	}
}

var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// TestServeLinks follows every link of the dashboard, breadth first from the
// overview: each must answer 200, so no page links to a resource, key or
// scan the dashboard does not know.
func TestServeLinks(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	const limit = 3000
	seen := map[string]bool{"/": true}
	queue := []string{"/"}
	from := map[string]string{}
	for len(queue) > 0 && len(seen) < limit {
		p := queue[0]
		queue = queue[1:]
		code, body := s.fetch(t, p)
		if code != http.StatusOK {
			t.Errorf("GET %s (linked from %s): %d", p, from[p], code)
			continue
		}
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/metrics") || strings.HasPrefix(p, "/static/") {
			continue
		}
		for _, m := range hrefs.FindAllSubmatch(body, -1) {
			link := html.UnescapeString(string(m[1]))
			if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
				t.Errorf("%s links outside the dashboard: %q", p, link)
				continue
			}
			if !seen[link] {
				seen[link] = true
				from[link] = p
				queue = append(queue, link)
			}
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d links found", len(seen))
	}
	t.Logf("followed %d links", len(seen)-len(queue))
}
