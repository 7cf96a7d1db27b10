package report

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// The HTML report is opened from disk in headless Chromium and driven over
// the Chrome DevTools protocol (CDP): the test records every network request,
// console message, log entry, exception and dialog the page causes, works the
// filters, and saves a screenshot under artifacts/.
//
// CMKGUARD_CHROMIUM names the browser (CI sets it in .ci/services); without it
// /usr/bin/chromium is tried. With no browser the test skips, unless
// CMKGUARD_REQUIRE_SERVICES=1, when it fails.

// chromiumPath returns the browser to use, or skips or fails the test.
func chromiumPath(t *testing.T) string {
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

// browser is a headless Chromium with one page under CDP control.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	profile string
	ws      *websocket.Conn
	mu      sync.Mutex
	nextID  int
	wait    map[int]chan cdpMessage
	events  []cdpMessage
	notify  chan struct{}
	done    chan struct{} // closed when the socket reader ends
	// stderrDone is closed when Chromium's standard error reaches its end.
	stderrDone chan struct{}
}

type cdpMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startBrowser starts Chromium with a fresh profile and connects to its first page.
func startBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	exe := chromiumPath(t)
	// The profile is removed after the browser has exited (see close), not by
	// t.TempDir, whose cleanup may run while Chromium's helpers still write.
	profile, err := os.MkdirTemp("", "cmkguard-chromium-")
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
	b := &browser{t: t, cmd: cmd, profile: profile, wait: map[int]chan cdpMessage{}, notify: make(chan struct{}, 1),
		done: make(chan struct{}), stderrDone: make(chan struct{})}
	t.Cleanup(b.close)

	found := make(chan string, 1)
	go func() {
		defer close(b.stderrDone)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	var browserURL string
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("Chromium exited without printing its DevTools address")
		}
		browserURL = u
	case <-ctx.Done():
		t.Fatal("Chromium did not print its DevTools address")
	}

	// The page target of about:blank, from the HTTP endpoint beside the socket.
	host := strings.TrimPrefix(browserURL, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("DevTools target list: %v", err)
	}
	defer resp.Body.Close()
	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatalf("DevTools target list: %v", err)
	}
	var pageURL string
	for _, tg := range targets {
		if tg.Type == "page" {
			pageURL = tg.WebSocketDebuggerURL
			break
		}
	}
	if pageURL == "" {
		t.Fatalf("no page target in %+v", targets)
	}
	cfg, err := websocket.NewConfig(pageURL, "http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dialer = nil
	if b.ws, err = cfg.DialContext(ctx); err != nil {
		t.Fatalf("connect to the page: %v", err)
	}
	b.ws.MaxPayloadBytes = 64 << 20 // screenshots
	go b.read()
	return b
}

// read dispatches replies to their callers and queues events.
func (b *browser) read() {
	defer close(b.done)
	for {
		var m cdpMessage
		if err := websocket.JSON.Receive(b.ws, &m); err != nil {
			b.mu.Lock()
			for id, ch := range b.wait {
				close(ch)
				delete(b.wait, id)
			}
			b.mu.Unlock()
			return
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.wait[m.ID]; ch != nil {
				ch <- m
				delete(b.wait, m.ID)
			}
		} else {
			b.events = append(b.events, m)
			select {
			case b.notify <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
	}
}

// call sends one CDP command and returns its result.
func (b *browser) call(ctx context.Context, method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.wait[id] = ch
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
	case <-ctx.Done():
		b.t.Fatalf("%s: no reply", method)
	}
	return nil
}

// waitEvent waits until an event with that method has arrived.
func (b *browser) waitEvent(ctx context.Context, method string) {
	b.t.Helper()
	for {
		b.mu.Lock()
		for _, e := range b.events {
			if e.Method == method {
				b.mu.Unlock()
				return
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-ctx.Done():
			b.t.Fatalf("no %s event", method)
		}
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func (b *browser) eval(ctx context.Context, expr string, out any) {
	b.t.Helper()
	raw := b.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
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

// problems lists what the page did that a self-contained, script-safe report
// must not: network requests other than the document itself, console errors,
// error log entries (CSP violations land there), exceptions, and dialogs.
func (b *browser) problems(docURL string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		var p struct {
			Request   struct{ URL string }
			Type      string
			Args      []struct{ Value any }
			Entry     struct{ Level, Text, URL string }
			Exception struct {
				ExceptionDetails struct{ Text string }
			}
			Message string
		}
		_ = json.Unmarshal(e.Params, &p)
		switch e.Method {
		case "Network.requestWillBeSent":
			if p.Request.URL != docURL {
				out = append(out, "network request: "+p.Request.URL)
			}
		case "Runtime.consoleAPICalled":
			if p.Type == "error" || p.Type == "assert" {
				out = append(out, fmt.Sprintf("console.%s: %v", p.Type, p.Args))
			}
		case "Log.entryAdded":
			if p.Entry.Level == "error" {
				out = append(out, "log error: "+p.Entry.Text)
			}
		case "Runtime.exceptionThrown":
			out = append(out, "exception: "+string(e.Params))
		case "Page.javascriptDialogOpening":
			out = append(out, "dialog: "+p.Message)
		}
	}
	return out
}

// close asks Chromium to shut down (which ends its helper processes too),
// waits for it, and removes its profile.
func (b *browser) close() {
	exited := false
	if b.ws != nil {
		_ = websocket.JSON.Send(b.ws, map[string]any{"id": 1 << 30, "method": "Browser.close"})
		select {
		case <-b.stderrDone: // every Chromium process has exited
			exited = true
		case <-time.After(30 * time.Second): // a guard against a hung browser, not a test limit
		}
		b.ws.Close()
		<-b.done
	}
	if !exited && b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		<-b.stderrDone
	}
	_ = b.cmd.Wait()
	var err error
	for range 20 {
		if err = os.RemoveAll(b.profile); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // a helper may still be flushing
	}
	b.t.Logf("remove browser profile %s: %v", b.profile, err)
}

// open navigates the page to a file and waits for it to load.
func (b *browser) open(ctx context.Context, path string) string {
	b.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, domain := range []string{"Page.enable", "Network.enable", "Runtime.enable", "Log.enable"} {
		b.call(ctx, domain, nil)
	}
	url := "file://" + filepath.ToSlash(abs)
	b.call(ctx, "Page.navigate", map[string]any{"url": url})
	b.waitEvent(ctx, "Page.loadEventFired")
	return url
}

// browserContext bounds a browser test by the test binary's deadline, so that
// a browser that hangs fails the test rather than the whole run.
func browserContext(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		c, cancel := context.WithDeadline(ctx, d.Add(-5*time.Second))
		t.Cleanup(cancel)
		return c
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

// repoRoot finds the module root, where artifacts/ lives.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func TestHTMLInBrowser(t *testing.T) {
	chromiumPath(t)
	ctx := browserContext(t)
	in := loadInput(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, render(t, in, "html"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, ctx)
	docURL := b.open(ctx, page)

	visible := func() (n int, statuses, shown string) {
		var v struct {
			N        int
			Statuses string
			Shown    string
		}
		b.eval(ctx, `(() => { const rows = [...document.querySelectorAll("#findings tbody tr")].filter(r => !r.hidden);
			return {n: rows.length, statuses: [...new Set(rows.map(r => r.dataset.status + "/" + r.dataset.severity + "/" + r.dataset.rule + "/" + r.dataset.subscription))].sort().join(" "),
			        shown: document.getElementById("shown").textContent}; })()`, &v)
		return v.N, v.Statuses, v.Shown
	}
	set := func(filter, value string) {
		var ok bool
		b.eval(ctx, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`,
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
	b.eval(ctx, `(() => { document.getElementById("reset").click(); return true; })()`, &clicked)
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
	b.eval(ctx, `(() => ({scripts: document.scripts.length,
		name: [...document.querySelectorAll("#findings b")].some(e => e.textContent === "<script>alert(1)</script>")}))()`, &dom)
	if dom.Scripts != 1 || !dom.Name {
		t.Errorf("scripts in the page = %d (want 1); hostile name shown as text: %v", dom.Scripts, dom.Name)
	}

	for _, p := range b.problems(docURL) {
		t.Errorf("the report page: %s", p)
	}

	// A screenshot of the whole page, for people to look at.
	// All rows shown, the first few evidence chains open.
	b.eval(ctx, `(() => { document.getElementById("reset").click();
		[...document.querySelectorAll("#findings details")].slice(0, 4).forEach(d => d.open = true); return true; })()`, &clicked)
	var size struct{ W, H float64 }
	b.eval(ctx, `({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})`, &size)
	b.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": int(min(size.H, 8000)), "deviceScaleFactor": 1, "mobile": false})
	raw := b.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"})
	var shot struct{ Data string }
	if err := json.Unmarshal(raw, &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 1000 {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	dir := filepath.Join(repoRoot(t), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "html-report.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserHarnessSeesProblems proves the harness can fail: a page that
// fetches from the network, logs an error and throws is reported for each.
func TestBrowserHarnessSeesProblems(t *testing.T) {
	chromiumPath(t)
	ctx := browserContext(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom"); throw new Error("thrown");</script></body></html>`
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, ctx)
	docURL := b.open(ctx, page)
	got := strings.Join(b.problems(docURL), "\n")
	for _, want := range []string{"network request: http://127.0.0.1:9/x.png", "console.error", "exception"} {
		if !strings.Contains(got, want) {
			t.Errorf("the harness missed %q; it saw:\n%s", want, got)
		}
	}
}
