package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// The dashboard in a real browser: headless Chromium driven over the Chrome
// DevTools protocol (CDP). Every page must load without a console error, an
// exception, a Content-Security-Policy violation, a failed or cross-origin
// request; the findings filters must change the rows; links must lead to the
// right resource. Screenshots go to artifacts/ for people to look at.
//
// CMKGUARD_CHROMIUM names the browser (/usr/bin/chromium otherwise). Without
// one the test skips, unless CMKGUARD_REQUIRE_SERVICES=1, when it fails.

func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CMKGUARD_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CMKGUARD_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Chromium not found at %s (CMKGUARD_CHROMIUM) and CMKGUARD_REQUIRE_SERVICES=1", path)
		}
		t.Skipf("Chromium not found at %s; set CMKGUARD_CHROMIUM", path)
	}
	return path
}

// cdp is one headless Chromium page under DevTools control.
type cdp struct {
	t       *testing.T
	ctx     context.Context
	cmd     *exec.Cmd
	profile string
	ws      *websocket.Conn

	mu      sync.Mutex
	next    int
	replies map[int]chan cdpReply
	events  []cdpEvent
	wake    chan struct{}
	done    chan struct{} // the socket reader ended
	exited  chan struct{} // Chromium's standard error reached its end
}

type cdpReply struct {
	ID     int                       `json:"id"`
	Method string                    `json:"method"`
	Params json.RawMessage           `json:"params"`
	Result json.RawMessage           `json:"result"`
	Error  *struct{ Message string } `json:"error"`
}

type cdpEvent struct {
	Method string
	Params json.RawMessage
}

var devtools = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

func launch(t *testing.T, ctx context.Context) *cdp {
	t.Helper()
	exe := chromium(t)
	profile, err := os.MkdirTemp("", "cmkguard-dashboard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+profile, "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900", "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &cdp{t: t, ctx: ctx, cmd: cmd, profile: profile, replies: map[int]chan cdpReply{}, wake: make(chan struct{}, 1),
		done: make(chan struct{}), exited: make(chan struct{})}
	t.Cleanup(b.close)
	addr := make(chan string, 1)
	go func() {
		defer close(b.exited)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := devtools.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var wsURL string
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatal("Chromium exited without its DevTools address")
		}
		wsURL = u
	case <-ctx.Done():
		t.Fatal("Chromium did not print its DevTools address")
	}
	host := strings.TrimPrefix(wsURL, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("DevTools targets: %v", err)
	}
	defer resp.Body.Close()
	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatalf("DevTools targets: %v", err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			cfg, err := websocket.NewConfig(tg.WebSocketDebuggerURL, "http://localhost/")
			if err != nil {
				t.Fatal(err)
			}
			if b.ws, err = cfg.DialContext(ctx); err != nil {
				t.Fatalf("connect to the page: %v", err)
			}
			b.ws.MaxPayloadBytes = 64 << 20
			go b.read()
			for _, domain := range []string{"Page.enable", "Network.enable", "Runtime.enable", "Log.enable"} {
				b.call(domain, nil)
			}
			return b
		}
	}
	t.Fatalf("no page target in %+v", targets)
	return nil
}

func (b *cdp) read() {
	defer close(b.done)
	for {
		var m cdpReply
		if err := websocket.JSON.Receive(b.ws, &m); err != nil {
			b.mu.Lock()
			for id, ch := range b.replies {
				close(ch)
				delete(b.replies, id)
			}
			b.mu.Unlock()
			return
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.replies[m.ID]; ch != nil {
				ch <- m
				delete(b.replies, m.ID)
			}
		} else {
			b.events = append(b.events, cdpEvent{m.Method, m.Params})
			select {
			case b.wake <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
	}
}

// call sends one command and returns its result.
func (b *cdp) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.replies[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(b.ws, msg); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			b.t.Fatalf("%s: connection closed", method)
		}
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-b.ctx.Done():
		b.t.Fatalf("%s: no reply", method)
	}
	return nil
}

// settle waits for the page's load event after an action that navigates,
// starting from a clean event log.
func (b *cdp) settle(action func()) {
	b.t.Helper()
	b.mu.Lock()
	b.events = nil
	b.mu.Unlock()
	action()
	for {
		b.mu.Lock()
		for _, e := range b.events {
			if e.Method == "Page.loadEventFired" {
				b.mu.Unlock()
				return
			}
		}
		b.mu.Unlock()
		select {
		case <-b.wake:
		case <-b.ctx.Done():
			b.t.Fatal("the page did not finish loading")
		}
	}
}

// navigate opens a dashboard address.
func (b *cdp) navigate(u string) {
	b.t.Helper()
	b.settle(func() { b.call("Page.navigate", map[string]any{"url": u}) })
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (b *cdp) eval(expr string, out any) {
	b.t.Helper()
	raw := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		b.t.Fatalf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		b.t.Fatalf("%s: %v (value %s)", expr, err, r.Result.Value)
	}
}

// problems lists what went wrong since the last navigation: console errors,
// exceptions, error log entries (CSP violations land there), failed
// requests, error responses, requests to another origin, and dialogs.
func (b *cdp) problems(origin string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		var p struct {
			Request  struct{ URL string }
			Response struct {
				URL    string
				Status int
			}
			Type      string
			Args      []struct{ Value any }
			Entry     struct{ Level, Text, URL string }
			ErrorText string
			Message   string
		}
		_ = json.Unmarshal(e.Params, &p)
		switch e.Method {
		case "Network.requestWillBeSent":
			if !strings.HasPrefix(p.Request.URL, origin+"/") {
				out = append(out, "request to another origin: "+p.Request.URL)
			}
		case "Network.responseReceived":
			if p.Response.Status >= 400 {
				out = append(out, fmt.Sprintf("HTTP %d for %s", p.Response.Status, p.Response.URL))
			}
		case "Network.loadingFailed":
			out = append(out, "request failed: "+p.ErrorText)
		case "Runtime.consoleAPICalled":
			if p.Type == "error" || p.Type == "assert" || p.Type == "warning" {
				out = append(out, fmt.Sprintf("console.%s: %v", p.Type, p.Args))
			}
		case "Log.entryAdded":
			if p.Entry.Level == "error" || p.Entry.Level == "warning" {
				out = append(out, "log "+p.Entry.Level+": "+p.Entry.Text)
			}
		case "Runtime.exceptionThrown":
			out = append(out, "exception: "+string(e.Params))
		case "Page.javascriptDialogOpening":
			out = append(out, "dialog: "+p.Message)
		}
	}
	return out
}

// screenshot saves the whole page as artifacts/NAME.png.
func (b *cdp) screenshot(name string) {
	b.t.Helper()
	var size struct{ H float64 }
	b.eval(`({h: document.documentElement.scrollHeight})`, &size)
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": int(min(max(size.H, 600), 6000)), "deviceScaleFactor": 1, "mobile": false})
	raw := b.call("Page.captureScreenshot", map[string]any{"format": "png"})
	b.call("Emulation.clearDeviceMetricsOverride", nil)
	var shot struct{ Data string }
	if err := json.Unmarshal(raw, &shot); err != nil {
		b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 1000 {
		b.t.Fatalf("screenshot %s: %d bytes, %v", name, len(png), err)
	}
	dir := filepath.Join("..", "..", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// close shuts Chromium down and removes its profile.
func (b *cdp) close() {
	exited := false
	if b.ws != nil {
		_ = websocket.JSON.Send(b.ws, map[string]any{"id": 1 << 30, "method": "Browser.close"})
		select {
		case <-b.exited:
			exited = true
		case <-time.After(30 * time.Second): // a guard against a hung browser, not a test limit
		}
		b.ws.Close()
		<-b.done
	}
	if !exited && b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	_ = b.cmd.Wait()
	for range 20 {
		if err := os.RemoveAll(b.profile); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // a helper may still be flushing
	}
}

func browserDeadline(t *testing.T) context.Context {
	d, ok := t.Deadline()
	if !ok {
		d = time.Now().Add(5 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), d.Add(-5*time.Second))
	t.Cleanup(cancel)
	return ctx
}

// rowsShown describes the findings table: how many rows, and the distinct
// values of one data attribute.
type rowsShown struct {
	N      int
	Values []string
}

func (b *cdp) rows(attr string) rowsShown {
	b.t.Helper()
	var r rowsShown
	b.eval(fmt.Sprintf(`(() => { const rows = [...document.querySelectorAll("#findings tbody tr[data-rule]")];
		return {n: rows.length, values: [...new Set(rows.map(r => r.dataset[%q]))].sort()}; })()`, attr), &r)
	return r
}

func TestServeInBrowser(t *testing.T) {
	chromium(t)
	ctx := browserDeadline(t)
	db := filepath.Join(t.TempDir(), "history.db")
	last := dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	b := launch(t, ctx)

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
		b.navigate(s.base + p.path)
		var title string
		b.eval(`document.title`, &title)
		if !strings.HasSuffix(title, "· cmkguard") {
			t.Errorf("%s: title %q", p.path, title)
		}
		for _, pr := range b.problems(s.base) {
			if p.name == "not-found" && (strings.HasPrefix(pr, "HTTP 404 for "+s.base+"/no-such-page") || strings.Contains(pr, "404 (Not Found)")) {
				continue
			}
			t.Errorf("%s: %s", p.path, pr)
		}
		b.screenshot("dashboard-" + p.name)
	}

	// The hostile tag is text in the page: no script but the dashboard's own.
	b.navigate(s.base + pages[9].path)
	var dom struct {
		Scripts int
		Tenant  string
		Rows    int
	}
	b.eval(`(() => { const row = document.querySelector("#findings tbody tr[data-rule]");
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
	b.navigate(s.base + "/findings?per=500")
	if got := b.rows("status"); got.N != len(last.Results) {
		t.Errorf("unfiltered: %d rows, want %d", got.N, len(last.Results))
	}
	choose := func(filter, value string) {
		b.settle(func() {
			var ok bool
			b.eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`,
				"filter-"+filter, value, value), &ok)
			if !ok {
				t.Fatalf("filter %s has no option %q", filter, value)
			}
		})
	}
	choose("status", "fail")
	want := count(func(st, _, _ string) bool { return st == "fail" })
	if got := b.rows("status"); got.N != want || strings.Join(got.Values, ",") != "fail" {
		t.Errorf("status=fail chosen: %d rows with statuses %v, want %d failing", got.N, got.Values, want)
	}
	var loc string
	b.eval(`location.search`, &loc)
	if loc != "?per=500&status=fail" {
		t.Errorf("after choosing a status the address is %q", loc)
	}
	choose("severity", "high")
	want = count(func(st, sev, _ string) bool { return st == "fail" && sev == "high" })
	if got := b.rows("severity"); got.N != want || strings.Join(got.Values, ",") != "high" || want == 0 {
		t.Errorf("status=fail severity=high: %d rows (%v), want %d", got.N, got.Values, want)
	}
	b.navigate(s.base + "/findings?per=500&rule=key-rotation-due")
	want = count(func(_, _, rule string) bool { return rule == "key-rotation-due" })
	if got := b.rows("rule"); got.N != want || strings.Join(got.Values, ",") != "key-rotation-due" {
		t.Errorf("rule=key-rotation-due by address: %d rows (%v), want %d", got.N, got.Values, want)
	}
	var opts struct {
		Options struct{ Subscriptions []string }
	}
	s.getJSON(t, "/api/v1/results?per=1", &opts)
	sub := opts.Options.Subscriptions[len(opts.Options.Subscriptions)-1]
	b.navigate(s.base + "/findings?per=500&status=pass&subscription=" + sub)
	if got := b.rows("subscription"); got.N == 0 || strings.Join(got.Values, ",") != sub {
		t.Errorf("subscription filter: %d rows in %v", got.N, got.Values)
	}

	// Links lead to the right resource: from a findings row, from the key's
	// dependents, from the calendar to the key.
	follow := func(selector, check string) (string, string) {
		t.Helper()
		var target string
		b.eval(fmt.Sprintf(`(() => { const a = document.querySelector(%q); return a ? a.closest("td").querySelector(".id") ? a.closest("td").querySelector(".id").textContent : a.textContent : ""; })()`, selector), &target)
		if target == "" {
			t.Fatalf("no link %s on the page", selector)
		}
		b.settle(func() {
			var ok bool
			b.eval(fmt.Sprintf(`(() => { document.querySelector(%q).click(); return true; })()`, selector), &ok)
		})
		var landed string
		b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : ""; })()`, check), &landed)
		return target, landed
	}
	b.navigate(s.base + "/findings?status=fail&rule=cmk-key-usable")
	if target, landed := follow("#findings a.resource-link", "#resource-id"); !strings.EqualFold(target, landed) {
		t.Errorf("the findings link to %s led to %q", target, landed)
	}
	b.navigate(s.base + "/key?id=" + url.QueryEscape(depKey))
	if target, landed := follow("#dependents a.resource-link", "#resource-id"); !strings.EqualFold(target, landed) {
		t.Errorf("the dependent link to %s led to %q", target, landed)
	}
	var chainKey string
	b.eval(`(() => { const a = document.querySelector(".hop.key a"); return a ? a.textContent : ""; })()`, &chainKey)
	if chainKey == "" {
		t.Errorf("the resource page shows no evidence chain to a key")
	}
	b.navigate(s.base + "/calendar")
	name, landed := follow("#upcoming a.key-link", "#key-name")
	if landed != "Key "+name {
		t.Errorf("the calendar link to key %s led to %q", name, landed)
	}
	b.screenshot("dashboard-key-from-calendar")
	for _, pr := range b.problems(s.base) {
		t.Errorf("after following links: %s", pr)
	}
}
