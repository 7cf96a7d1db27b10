package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/browsertest"
)

// rowsShown describes the findings table: how many rows, and the distinct
// values of one data attribute.
type rowsShown struct {
	N      int
	Values []string
}

// rows reads the findings table on the page, with the values of the data
// attribute attr.
func rows(t *testing.T, b *browsertest.Page, attr string) rowsShown {
	t.Helper()
	var r rowsShown
	b.Eval(fmt.Sprintf(`(() => { const rows = [...document.querySelectorAll("#findings tbody tr[data-rule]")];
		return {n: rows.length, values: [...new Set(rows.map(r => r.dataset[%q]))].sort()}; })()`, attr), &r)
	return r
}

// TestServeInBrowser shows the dashboard in a real browser: headless
// Chromium driven over the Chrome DevTools protocol (CDP) by
// internal/browsertest, which says how to name the browser. Every page must
// load without a console error, an exception, a Content-Security-Policy
// violation, a failed or cross-origin request; the findings filters must
// change the rows; links must lead to the right resource. Screenshots go to
// artifacts/ for people to look at.
func TestServeInBrowser(t *testing.T) {
	browsertest.Require(t)
	db := filepath.Join(t.TempDir(), "history.db")
	last := dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	b := browsertest.Launch(t)
	// What a dashboard page may not do: request another origin, fail a
	// request or get an error status, warn or log an error in the console.
	policy := browsertest.Policy{Request: func(u string) bool { return strings.HasPrefix(u, s.base+"/") }, Warnings: true, FailedLoads: true}
	screenshot := func(name string) {
		t.Helper()
		browsertest.WriteArtifact(t, name+".png", b.Screenshot(6000))
	}

	var keys struct {
		Keys []struct {
			ID     string
			UsedBy []string
		}
	}
	s.getJSON(t, "/api/v1/keys", &keys)
	var depKey, workload string
	for _, k := range keys.Keys {
		if len(k.UsedBy) > 0 {
			depKey, workload = k.ID, k.UsedBy[0]
			break
		}
	}
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"findings", "/findings"},
		{"findings-filtered", "/findings?status=fail&severity=high"},
		{"resource", "/resource?id=" + url.QueryEscape(workload)},
		{"keys", "/keys"},
		{"key", "/key?id=" + url.QueryEscape(depKey)},
		{"calendar", "/calendar"},
		{"scans", "/scans"},
		{"compare", "/compare"},
		{"hostile", "/findings?tenant=" + url.QueryEscape(strings.ToLower(hostileTag))},
		{"not-found", "/no-such-page"},
	}
	for _, p := range pages {
		b.Open(s.base + p.path)
		var title string
		b.Eval(`document.title`, &title)
		if !strings.HasSuffix(title, "· cmkguard") {
			t.Errorf("%s: title %q", p.path, title)
		}
		for _, pr := range b.Problems(policy) {
			if p.name == "not-found" && (strings.HasPrefix(pr, "HTTP 404 for "+s.base+"/no-such-page") || strings.Contains(pr, "404 (Not Found)")) {
				continue
			}
			t.Errorf("%s: %s", p.path, pr)
		}
		screenshot("dashboard-" + p.name)
	}

	// The hostile tag is text in the page: no script but the dashboard's own.
	b.Open(s.base + pages[9].path)
	var dom struct {
		Scripts int
		Tenant  string
		Rows    int
	}
	b.Eval(`(() => { const row = document.querySelector("#findings tbody tr[data-rule]");
		return {scripts: document.scripts.length, tenant: row ? row.children[5].textContent : "", rows: document.querySelectorAll("#findings tbody tr[data-rule]").length}; })()`, &dom)
	if dom.Scripts != 1 || dom.Tenant != strings.ToLower(hostileTag) || dom.Rows == 0 {
		t.Errorf("hostile tag: %d scripts (want 1), tenant cell %q, %d rows", dom.Scripts, dom.Tenant, dom.Rows)
	}

	// Filters change the rows: by choosing in the form (the script submits
	// it), and by address alone, which is what works without JavaScript.
	count := func(keep func(status, severity, rule string) bool) int {
		n := 0
		for _, r := range last.Results {
			if keep(string(r.Status), r.Severity.String(), r.Rule) {
				n++
			}
		}
		return n
	}
	b.Open(s.base + "/findings?per=500")
	if got := rows(t, b, "status"); got.N != len(last.Results) {
		t.Errorf("unfiltered: %d rows, want %d", got.N, len(last.Results))
	}
	choose := func(filter, value string) {
		b.Settle(func() {
			var ok bool
			b.Eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`,
				"filter-"+filter, value, value), &ok)
			if !ok {
				t.Fatalf("filter %s has no option %q", filter, value)
			}
		})
	}
	choose("status", "fail")
	want := count(func(st, _, _ string) bool { return st == "fail" })
	if got := rows(t, b, "status"); got.N != want || strings.Join(got.Values, ",") != "fail" {
		t.Errorf("status=fail chosen: %d rows with statuses %v, want %d failing", got.N, got.Values, want)
	}
	var loc string
	b.Eval(`location.search`, &loc)
	if loc != "?per=500&status=fail" {
		t.Errorf("after choosing a status the address is %q", loc)
	}
	choose("severity", "high")
	want = count(func(st, sev, _ string) bool { return st == "fail" && sev == "high" })
	if got := rows(t, b, "severity"); got.N != want || strings.Join(got.Values, ",") != "high" || want == 0 {
		t.Errorf("status=fail severity=high: %d rows (%v), want %d", got.N, got.Values, want)
	}
	b.Open(s.base + "/findings?per=500&rule=key-rotation-due")
	want = count(func(_, _, rule string) bool { return rule == "key-rotation-due" })
	if got := rows(t, b, "rule"); got.N != want || strings.Join(got.Values, ",") != "key-rotation-due" {
		t.Errorf("rule=key-rotation-due by address: %d rows (%v), want %d", got.N, got.Values, want)
	}
	var opts struct {
		Options struct{ Subscriptions []string }
	}
	s.getJSON(t, "/api/v1/results?per=1", &opts)
	sub := opts.Options.Subscriptions[len(opts.Options.Subscriptions)-1]
	b.Open(s.base + "/findings?per=500&status=pass&subscription=" + sub)
	if got := rows(t, b, "subscription"); got.N == 0 || strings.Join(got.Values, ",") != sub {
		t.Errorf("subscription filter: %d rows in %v", got.N, got.Values)
	}

	// Links lead to the right resource: from a findings row, from the key's
	// dependents, from the calendar to the key.
	follow := func(selector, check string) (string, string) {
		t.Helper()
		var target string
		b.Eval(fmt.Sprintf(`(() => { const a = document.querySelector(%q); return a ? a.closest("td").querySelector(".id") ? a.closest("td").querySelector(".id").textContent : a.textContent : ""; })()`, selector), &target)
		if target == "" {
			t.Fatalf("no link %s on the page", selector)
		}
		b.Settle(func() {
			var ok bool
			b.Eval(fmt.Sprintf(`(() => { document.querySelector(%q).click(); return true; })()`, selector), &ok)
		})
		var landed string
		b.Eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : ""; })()`, check), &landed)
		return target, landed
	}
	b.Open(s.base + "/findings?status=fail&rule=cmk-key-usable")
	if target, landed := follow("#findings a.resource-link", "#resource-id"); !strings.EqualFold(target, landed) {
		t.Errorf("the findings link to %s led to %q", target, landed)
	}
	b.Open(s.base + "/key?id=" + url.QueryEscape(depKey))
	if target, landed := follow("#dependents a.resource-link", "#resource-id"); !strings.EqualFold(target, landed) {
		t.Errorf("the dependent link to %s led to %q", target, landed)
	}
	var chainKey string
	b.Eval(`(() => { const a = document.querySelector(".hop.key a"); return a ? a.textContent : ""; })()`, &chainKey)
	if chainKey == "" {
		t.Errorf("the resource page shows no evidence chain to a key")
	}
	b.Open(s.base + "/calendar")
	name, landed := follow("#upcoming a.key-link", "#key-name")
	if landed != "Key "+name {
		t.Errorf("the calendar link to key %s led to %q", name, landed)
	}
	screenshot("dashboard-key-from-calendar")
	for _, pr := range b.Problems(policy) {
		t.Errorf("after following links: %s", pr)
	}
}
