package browsertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Open navigates the page to an address and waits for it to load. The
// events of earlier pages are forgotten, so Problems speaks of this one.
func (p *Page) Open(url string) {
	p.t.Helper()
	p.Settle(func() { p.call("Page.navigate", map[string]any{"url": url}) })
}

// OpenFile opens a file from disk and returns its file:// address.
func (p *Page) OpenFile(path string) string {
	p.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		p.t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)
	p.Open(url)
	return url
}

// Settle runs an action that makes the page navigate (a click on a link, a
// form the page's script submits) and waits for the new page to load,
// forgetting the events from before the action.
func (p *Page) Settle(action func()) {
	p.t.Helper()
	p.mu.Lock()
	p.events = nil
	p.mu.Unlock()
	action()
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if e.Method == "Page.loadEventFired" {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-p.ctx.Done():
			p.t.Fatal("the page did not finish loading")
		}
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its value
// into out. An exception fails the test.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	raw := p.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		p.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		p.t.Fatalf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		p.t.Fatalf("%s: %v (value %s)", expr, err, r.Result.Value)
	}
}

// Screenshot returns a PNG of the whole page, 1280 pixels wide and as tall as
// the page (a short page fills the window), but at most maxHeight pixels.
func (p *Page) Screenshot(maxHeight int) []byte {
	p.t.Helper()
	var size struct{ H float64 }
	p.Eval(`({h: document.documentElement.scrollHeight})`, &size)
	p.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": int(min(size.H, float64(maxHeight))), "deviceScaleFactor": 1, "mobile": false})
	raw := p.call("Page.captureScreenshot", map[string]any{"format": "png"})
	p.call("Emulation.clearDeviceMetricsOverride", nil)
	var shot struct{ Data string }
	if err := json.Unmarshal(raw, &shot); err != nil {
		p.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		p.t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	return png
}

// WriteArtifact saves data as artifacts/NAME at the root of the module, where
// people look for what the tests leave behind (it is not under version
// control).
func WriteArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	dir = filepath.Join(dir, "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
