package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/historytest"
	"github.com/cmkguard/cmkguard/internal/history/sqlite"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// hostile is a resource name an attacker who can name Azure resources (or
// write a snapshot) controls; it must reach every page as text.
const hostile = `st"><script>alert(1)</script><img src=x onerror=alert(2)>`

var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// testStore records three scans in a new SQLite history: stA fails and then
// passes, stB passes throughout, the hostile account appears in the second
// scan, and the last scan carries a detail (context, labels, key deadline).
func testStore(t *testing.T) history.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	record := func(s *history.Scan) {
		if _, err := st.Record(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	record(historytest.Scan("2026-10-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Fail),
		historytest.Result("cmk-required", "stB", rules.Pass)))
	s2 := historytest.Scan("2026-11-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Fail),
		historytest.Result("cmk-required", "stB", rules.Pass), historytest.Result("cmk-classified", hostile, rules.Fail))
	s2.Audit = []history.AuditRecord{historytest.Audit("2026-10-20T10:00:00Z", "kv1", "KeyUnwrap", 403, "c1")}
	record(s2)
	s3 := historytest.Scan("2026-12-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Pass),
		historytest.Result("cmk-required", "stB", rules.Pass), historytest.Result("cmk-classified", hostile, rules.Fail),
		historytest.Result("key-rotation-due", "stA", rules.Pass))
	s3.Results[2].Severity = rules.Medium
	s3.Detail = historytest.Detail("stA")
	d := s3.Detail
	d.Labels = append(d.Labels, history.Label{Resource: historytest.ID(historytest.Sub, hostile), Classification: hostile, Tenant: hostile})
	record(s3)
	return st
}

func newTestServer(t *testing.T, token string) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	srv, err := New(Options{Store: testStore(t), Token: token, Now: func() time.Time { return testNow }, Version: "test",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return srv, &logs
}

// get serves one request to the handler.
func get(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// paths are one address of every page and endpoint, and the static files.
var paths = []string{"/", "/findings", "/findings?status=fail", "/resource?id=" + url.QueryEscape(historytest.ID(historytest.Sub, "stA")),
	"/keys", "/key?id=" + url.QueryEscape("/subscriptions/"+historytest.Sub+"/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv1/keys/k1"),
	"/calendar", "/scans", "/compare", "/api/v1/scans", "/api/v1/scans/1", "/api/v1/results", "/api/v1/kpi", "/api/v1/keys",
	"/api/v1/resources", "/api/v1/calendar", "/api/v1/compare", "/metrics", "/static/style.css", "/static/app.js",
	"/static/favicon.svg"} // declared by every page, so browsers do not ask for a missing /favicon.ico

func TestEveryPathAnswersWithSecurityHeaders(t *testing.T) {
	srv, _ := newTestServer(t, "")
	for _, p := range append(paths, "/no-such-page", "/api/v1/nothing") {
		rec := get(t, srv, http.MethodGet, p, nil)
		want := http.StatusOK
		if strings.Contains(p, "no") {
			want = http.StatusNotFound
		}
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d: %s", p, rec.Code, want, rec.Body)
		}
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != v {
				t.Errorf("GET %s: %s = %q, want %q", p, k, h.Get(k), v)
			}
		}
		if ct := h.Get("Content-Type"); strings.HasPrefix(p, "/api/") && ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if body := rec.Body.String(); strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("GET %s: the hostile name reached the page as markup", p)
		}
		if strings.Contains(rec.Body.String(), "<script>") && !strings.HasPrefix(p, "/static/") {
			t.Errorf("GET %s: an inline script element", p)
		}
	}
}

func TestReadOnly(t *testing.T) {
	srv, _ := newTestServer(t, "")
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := get(t, srv, m, "/api/v1/scans", nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q; want 405 and GET, HEAD", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	rec := get(t, srv, http.MethodHead, "/", nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD /: %d with %d bytes of body", rec.Code, rec.Body.Len())
	}
}

func TestWithoutTokenOnlyLoopbackHosts(t *testing.T) {
	srv, _ := newTestServer(t, "")
	for host, want := range map[string]int{"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "127.0.0.2": 200,
		"attacker.example:8080": http.StatusMisdirectedRequest, "10.0.0.5:8080": http.StatusMisdirectedRequest, "": http.StatusMisdirectedRequest} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/scans", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
		}
	}
}

func TestToken(t *testing.T) {
	const token = "0123456789abcdef-secret-token"
	srv, logs := newTestServer(t, token)
	for _, p := range paths {
		if rec := get(t, srv, http.MethodGet, p, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", p, rec.Code)
		}
		if rec := get(t, srv, http.MethodGet, p, http.Header{"Authorization": {"Bearer wrong-token-0123456789"}}); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", p, rec.Code)
		}
		if rec := get(t, srv, http.MethodGet, p, http.Header{"Authorization": {"Bearer " + token}}); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the token: %d, want 200", p, rec.Code)
		}
	}
	// A request for another host is fine with a token: the token is the guard.
	req := httptest.NewRequest(http.MethodGet, "http://dashboard.example/api/v1/kpi", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("with the token, another host: %d", rec.Code)
	}

	// ?token= logs in: a cookie, and a redirect to the address without the token.
	rec = get(t, srv, http.MethodGet, "/findings?status=fail&token="+token, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d, want 303", rec.Code)
	}
	if loc := rec.Header().Get("Location"); loc != "/findings?status=fail" {
		t.Errorf("login redirects to %q, want /findings?status=fail", loc)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || strings.Contains(cookies[0].Value, token) {
		t.Fatalf("login cookie %+v", cookies)
	}
	if rec := get(t, srv, http.MethodGet, "/", http.Header{"Cookie": {cookies[0].String()}}); rec.Code != http.StatusOK {
		t.Errorf("with the login cookie: %d", rec.Code)
	}
	if rec := get(t, srv, http.MethodGet, "/", http.Header{"Cookie": {sessionCookie + "=" + sessionValue("another-token-123456")}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("with another token's cookie: %d, want 401", rec.Code)
	}
	if rec := get(t, srv, http.MethodGet, "/?token=wrong", nil); rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
		t.Errorf("login with a wrong token: %d, cookies %v", rec.Code, rec.Result().Cookies())
	}
	if !strings.Contains(logs.String(), "path=/findings") {
		t.Errorf("requests were not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "wrong") {
		t.Errorf("the log shows a token:\n%s", logs)
	}
}

func TestFindingsFilterAndPaging(t *testing.T) {
	srv, _ := newTestServer(t, "")
	results := func(q string) resultsDoc {
		t.Helper()
		rec := get(t, srv, http.MethodGet, "/api/v1/results?"+q, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("results?%s: %d %s", q, rec.Code, rec.Body)
		}
		var d resultsDoc
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := results(""); d.Paging.Total != 4 || d.Scan.ID != 3 || len(d.Results) != 4 || d.Results[0].Status != rules.Fail {
		t.Errorf("all results of the latest scan: %+v", d.Paging)
	}
	if d := results("status=fail"); d.Paging.Total != 1 || d.Results[0].Rule != "cmk-classified" {
		t.Errorf("status=fail: %+v", d)
	}
	if d := results("scan=1&status=FAIL"); d.Paging.Total != 1 || !strings.HasSuffix(d.Results[0].Resource, "/stA") {
		t.Errorf("scan 1, status=FAIL: %+v", d)
	}
	if d := results("classification=pci"); d.Paging.Total != 2 {
		t.Errorf("classification=pci: %d results, want stA's 2", d.Paging.Total)
	}
	if d := results("severity=medium"); d.Paging.Total != 1 {
		t.Errorf("severity=medium: %d", d.Paging.Total)
	}
	if d := results("tenant=" + url.QueryEscape(strings.ToLower(hostile))); d.Paging.Total != 1 {
		t.Errorf("tenant filter: %d", d.Paging.Total)
	}
	if d := results("subscription=" + historytest.Sub + "&rule=cmk-required"); d.Paging.Total != 2 {
		t.Errorf("subscription and rule: %d", d.Paging.Total)
	}
	if d := results("subscription=other"); d.Paging.Total != 0 || d.Results == nil {
		t.Errorf("no match: %+v", d)
	}
	seen := map[string]bool{}
	for page := 1; page <= 2; page++ {
		d := results("per=3&page=" + string(rune('0'+page)))
		if d.Paging.Pages != 2 || len(d.Results) != map[int]int{1: 3, 2: 1}[page] {
			t.Errorf("page %d of 3: %+v, %d rows", page, d.Paging, len(d.Results))
		}
		for _, r := range d.Results {
			seen[r.Rule+r.Resource] = true
		}
	}
	if len(seen) != 4 {
		t.Errorf("the pages together hold %d distinct results, want 4", len(seen))
	}
	for _, bad := range []string{"page=0", "per=0", "per=100000", "page=x", "scan=x"} {
		if rec := get(t, srv, http.MethodGet, "/api/v1/results?"+bad, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("results?%s: %d, want 400", bad, rec.Code)
		}
	}
	if rec := get(t, srv, http.MethodGet, "/api/v1/results?scan=99", nil); rec.Code != http.StatusNotFound {
		t.Errorf("an unknown scan: %d, want 404", rec.Code)
	}

	// The page applies the same filter server-side: the rows are in the HTML.
	body := get(t, srv, http.MethodGet, "/findings?status=fail", nil).Body.String()
	if n := strings.Count(body, `data-status="fail"`); n != 1 || strings.Contains(body, `data-status="pass"`) {
		t.Errorf("findings?status=fail shows %d failing rows and passes: %v", n, strings.Contains(body, `data-status="pass"`))
	}
	body = get(t, srv, http.MethodGet, "/findings?per=3", nil).Body.String()
	if !strings.Contains(body, `href="/findings?page=2&amp;per=3"`) {
		t.Errorf("findings?per=3 has no link to page 2")
	}
}

func TestAttributesAndURLsEscaped(t *testing.T) {
	srv, _ := newTestServer(t, "")
	body := get(t, srv, http.MethodGet, "/findings?q="+url.QueryEscape(`"><x`), nil).Body.String()
	if strings.Contains(body, `value=""><x"`) || !strings.Contains(body, `value="&#34;&gt;&lt;x"`) {
		t.Errorf("the search value is not escaped in its attribute")
	}
	// The hostile resource's link carries its id as a query parameter.
	body = get(t, srv, http.MethodGet, "/findings", nil).Body.String()
	want := `/resource?id=` + url.QueryEscape(historytest.ID(historytest.Sub, hostile))
	if !strings.Contains(body, `href="/resource?id=%2Fsubscriptions%2F`+historytest.Sub+`%2FresourceGroups%2FRG%2Fproviders%2FMicrosoft.Storage%2FstorageAccounts%2Fst%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%3Cimg&#43;src`) {
		t.Errorf("no escaped link to the hostile resource (%s)", want)
	}
	page := get(t, srv, http.MethodGet, want, nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile resource's page: %d", page.Code)
	}
}

func TestCalendarComparisonAndKeys(t *testing.T) {
	srv, _ := newTestServer(t, "")
	var cal calendarDoc
	decode(t, get(t, srv, http.MethodGet, "/api/v1/calendar", nil), &cal)
	if len(cal.Upcoming) != 1 || cal.Upcoming[0].DaysLeft != 45 || cal.Upcoming[0].Event != "expires" || len(cal.Upcoming[0].Dependents) != 1 {
		t.Errorf("calendar: %+v", cal)
	}
	decode(t, get(t, srv, http.MethodGet, "/api/v1/calendar?days=30", nil), &cal)
	if len(cal.Upcoming) != 0 {
		t.Errorf("a 30-day calendar holds %d events, want 0", len(cal.Upcoming))
	}
	var cmp comparisonDoc
	decode(t, get(t, srv, http.MethodGet, "/api/v1/compare", nil), &cmp)
	if cmp.From.ID != 2 || cmp.To.ID != 3 || len(cmp.Fixed) != 1 || len(cmp.NewlyFailing) != 0 || len(cmp.NewResources) != 0 {
		t.Errorf("latest against previous: %+v", cmp)
	}
	decode(t, get(t, srv, http.MethodGet, "/api/v1/compare?from=1&to=2", nil), &cmp)
	if len(cmp.NewlyFailing) != 1 || len(cmp.NewResources) != 1 || len(cmp.Fixed) != 0 {
		t.Errorf("scan 1 to 2: %+v", cmp)
	}
	var keys struct{ Keys []keyDoc }
	decode(t, get(t, srv, http.MethodGet, "/api/v1/keys", nil), &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].SecondsToExpiry == nil || *keys.Keys[0].SecondsToExpiry != 45*86400 {
		t.Errorf("keys: %+v", keys)
	}
	var key keyDoc
	decode(t, get(t, srv, http.MethodGet, "/api/v1/keys?id="+url.QueryEscape(strings.ToUpper(keys.Keys[0].ID)), nil), &key)
	if key.BlastRadius == nil || len(key.BlastRadius.Workloads) != 1 || len(key.Deadlines) != 1 {
		t.Errorf("one key: %+v", key)
	}
	// A scan recorded before details existed still has a findings page and
	// an empty calendar that says why.
	body := get(t, srv, http.MethodGet, "/calendar?scan=1", nil).Body.String()
	if !strings.Contains(body, "recorded before the history kept key deadlines") {
		t.Errorf("the calendar of a scan without detail does not say why it is empty")
	}
	if rec := get(t, srv, http.MethodGet, "/key?id=nope", nil); rec.Code != http.StatusNotFound {
		t.Errorf("an unknown key: %d", rec.Code)
	}
}

func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("%d: %s", rec.Code, rec.Body)
	}
	if err := json.NewDecoder(io.Reader(rec.Body)).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyHistory(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]int{"/": 200, "/scans": 200, "/metrics": 200, "/api/v1/kpi": 200, "/findings": 404, "/api/v1/results": 404} {
		if rec := get(t, srv, http.MethodGet, p, nil); rec.Code != want {
			t.Errorf("GET %s on an empty history: %d, want %d", p, rec.Code, want)
		}
	}
}
