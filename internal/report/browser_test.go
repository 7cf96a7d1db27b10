package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/browsertest"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// TestHTMLInBrowser opens the HTML report from disk in headless Chromium
// (internal/browsertest says how to name the browser): the page must make no
// request but for itself, log no error, throw nothing and open no dialog; the
// test works the filters and saves a screenshot under artifacts/.
func TestHTMLInBrowser(t *testing.T) {
	browsertest.Require(t)
	in := loadInput(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, render(t, in, "html"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Launch(t)
	docURL := b.OpenFile(page)

	visible := func() (n int, statuses, shown string) {
		var v struct {
			N        int
			Statuses string
			Shown    string
		}
		b.Eval(`(() => { const rows = [...document.querySelectorAll("#findings tbody tr")].filter(r => !r.hidden);
			return {n: rows.length, statuses: [...new Set(rows.map(r => r.dataset.status + "/" + r.dataset.severity + "/" + r.dataset.rule + "/" + r.dataset.subscription))].sort().join(" "),
			        shown: document.getElementById("shown").textContent}; })()`, &v)
		return v.N, v.Statuses, v.Shown
	}
	set := func(filter, value string) {
		var ok bool
		b.Eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`,
			"filter-"+filter, value, value), &ok)
		if !ok {
			t.Fatalf("filter %s has no option %q", filter, value)
		}
	}
	expect := func(keep func(rules.Result) bool) int {
		n := 0
		for _, r := range in.Results {
			if keep(r) {
				n++
			}
		}
		return n
	}

	if n, _, shown := visible(); n != len(in.Results) || shown != fmt.Sprint(n) {
		t.Fatalf("unfiltered: %d rows visible (counter %q), want all %d", n, shown, len(in.Results))
	}
	set("status", "fail")
	wantFail := expect(func(r rules.Result) bool { return r.Status == rules.Fail })
	if n, seen, shown := visible(); n != wantFail || shown != fmt.Sprint(wantFail) || strings.Contains(seen, "pass/") || strings.Contains(seen, "unknown/") {
		t.Errorf("status=fail: %d rows (counter %q): %s; want %d failing rows", n, shown, seen, wantFail)
	}
	set("severity", "high")
	want := expect(func(r rules.Result) bool { return r.Status == rules.Fail && r.Severity == rules.High })
	if n, seen, _ := visible(); n != want {
		t.Errorf("status=fail severity=high: %d rows (%s), want %d", n, seen, want)
	}
	set("subscription", "22222222-2222-2222-2222-222222222222")
	want = expect(func(r rules.Result) bool {
		return r.Status == rules.Fail && r.Severity == rules.High && strings.Contains(r.Resource, "/22222222-")
	})
	if n, seen, _ := visible(); n != want || want == 0 {
		t.Errorf("… and subscription 2222: %d rows (%s), want %d", n, seen, want)
	}
	var clicked bool
	b.Eval(`(() => { document.getElementById("reset").click(); return true; })()`, &clicked)
	set("rule", "cmk-key-usable")
	want = expect(func(r rules.Result) bool { return r.Rule == "cmk-key-usable" })
	if n, seen, _ := visible(); n != want || strings.Contains(seen, "cmk-required") {
		t.Errorf("rule=cmk-key-usable after reset: %d rows (%s), want %d", n, seen, want)
	}

	// The hostile resource name is text, not markup: one script element (the
	// report's own) and the name shown as written.
	var dom struct {
		Scripts int
		Name    bool
	}
	b.Eval(`(() => ({scripts: document.scripts.length,
		name: [...document.querySelectorAll("#findings b")].some(e => e.textContent === "<script>alert(1)</script>")}))()`, &dom)
	if dom.Scripts != 1 || !dom.Name {
		t.Errorf("scripts in the page = %d (want 1); hostile name shown as text: %v", dom.Scripts, dom.Name)
	}

	for _, p := range b.Problems(browsertest.Policy{Request: func(u string) bool { return u == docURL }}) {
		t.Errorf("the report page: %s", p)
	}

	// A screenshot of the whole page, for people to look at.
	// All rows shown, the first few evidence chains open.
	b.Eval(`(() => { document.getElementById("reset").click();
		[...document.querySelectorAll("#findings details")].slice(0, 4).forEach(d => d.open = true); return true; })()`, &clicked)
	browsertest.WriteArtifact(t, "html-report.png", b.Screenshot(8000))
}
