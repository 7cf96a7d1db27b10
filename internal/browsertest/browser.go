// Package browsertest runs tests in a real browser: it launches headless
// Chromium and drives one page over the Chrome DevTools protocol (CDP). A test
// opens a page, evaluates JavaScript in it, asks what went wrong (network
// requests, console errors, error log entries, where Content-Security-Policy
// violations land, exceptions and dialogs), and takes screenshots for
// artifacts/, where people look at them. The HTML report's and the
// dashboard's browser tests share it.
//
// CMKGUARD_CHROMIUM names the browser (.ci/services sets it); without it
// /usr/bin/chromium is tried. With no browser a test skips, unless
// CMKGUARD_REQUIRE_SERVICES=1, when it fails.
//
// It imports testing, so only _test files may import it: it must stay out of
// the cmkguard binary, and a test checks that no other package imports it.
package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// executable returns the browser to use, or skips or fails the test.
func executable(t *testing.T) string {
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

// Require skips the test when there is no browser, or fails it when
// CMKGUARD_REQUIRE_SERVICES=1. Call it first, so that a test without a
// browser skips before its costly setup.
func Require(t *testing.T) {
	t.Helper()
	executable(t)
}

// Page is one headless Chromium with one page under CDP control. It records
// the events the page sends since the last navigation.
type Page struct {
	t       *testing.T
	ctx     context.Context
	cmd     *exec.Cmd
	profile string
	ws      *websocket.Conn

	mu      sync.Mutex
	next    int
	replies map[int]chan message
	events  []message
	wake    chan struct{} // signalled when an event arrives
	done    chan struct{} // closed when the socket reader ends
	exited  chan struct{} // closed when Chromium's standard error reaches its end
	closing sync.Once
}

// message is a CDP reply (with an id) or event (with a method).
type message struct {
	ID     int                       `json:"id"`
	Method string                    `json:"method"`
	Params json.RawMessage           `json:"params"`
	Result json.RawMessage           `json:"result"`
	Error  *struct{ Message string } `json:"error"`
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// Launch starts Chromium with a fresh profile and connects to its first
// page, with the Page, Network, Runtime and Log domains enabled. The browser
// is shut down and its profile removed when the test ends. Launching and
// every command give up shortly before the test binary's deadline, so that a
// browser that hangs fails the test rather than the whole run.
func Launch(t *testing.T) *Page {
	t.Helper()
	exe := executable(t)
	d, ok := t.Deadline()
	if !ok {
		d = time.Now().Add(5 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), d.Add(-5*time.Second))
	t.Cleanup(cancel)

	// The profile is removed after the browser has exited (see Close), not
	// by t.TempDir, whose cleanup may run while Chromium's helpers still write.
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
	p := &Page{t: t, ctx: ctx, cmd: cmd, profile: profile, replies: map[int]chan message{}, wake: make(chan struct{}, 1),
		done: make(chan struct{}), exited: make(chan struct{})}
	t.Cleanup(p.Close)

	addr := make(chan string, 1)
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var browserURL string
	select {
	case u, ok := <-addr:
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	if err != nil {
		t.Fatal(err)
	}
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
	if p.ws, err = cfg.DialContext(ctx); err != nil {
		t.Fatalf("connect to the page: %v", err)
	}
	p.ws.MaxPayloadBytes = 64 << 20 // screenshots
	go p.read()
	for _, domain := range []string{"Page.enable", "Network.enable", "Runtime.enable", "Log.enable"} {
		p.call(domain, nil)
	}
	return p
}

// read dispatches replies to their callers and records events.
func (p *Page) read() {
	defer close(p.done)
	for {
		var m message
		if err := websocket.JSON.Receive(p.ws, &m); err != nil {
			p.mu.Lock()
			for id, ch := range p.replies {
				close(ch)
				delete(p.replies, id)
			}
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		if m.ID != 0 {
			if ch := p.replies[m.ID]; ch != nil {
				ch <- m
				delete(p.replies, m.ID)
			}
		} else {
			p.events = append(p.events, m)
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		p.mu.Unlock()
	}
}

// call sends one CDP command and returns its result.
func (p *Page) call(method string, params any) json.RawMessage {
	p.t.Helper()
	p.mu.Lock()
	p.next++
	id := p.next
	ch := make(chan message, 1)
	p.replies[id] = ch
	p.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(p.ws, msg); err != nil {
		p.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			p.t.Fatalf("%s: connection closed", method)
		}
		if m.Error != nil {
			p.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-p.ctx.Done():
		p.t.Fatalf("%s: no reply", method)
	}
	return nil
}

// Close asks Chromium to shut down (which ends its helper processes too),
// waits for it, and removes its profile. Launch arranges for it to run when
// the test ends; calling it earlier is allowed, and later calls do nothing.
func (p *Page) Close() {
	p.closing.Do(p.close)
}

func (p *Page) close() {
	exited := false
	if p.ws != nil {
		_ = websocket.JSON.Send(p.ws, map[string]any{"id": 1 << 30, "method": "Browser.close"})
		select {
		case <-p.exited: // every Chromium process has exited
			exited = true
		case <-time.After(30 * time.Second): // a guard against a hung browser, not a test limit
		}
		p.ws.Close()
		<-p.done
	}
	if !exited && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	_ = p.cmd.Wait()
	var err error
	for range 20 {
		if err = os.RemoveAll(p.profile); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // a helper may still be flushing
	}
	p.t.Logf("remove browser profile %s: %v", p.profile, err)
}
