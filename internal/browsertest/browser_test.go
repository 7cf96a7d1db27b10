package browsertest

import (
	"bytes"
	"errors"
	"image/png"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTestsImport keeps the harness out of every package's non-test
// imports, and so out of the cmkguard binary: it imports testing.
func TestOnlyTestsImport(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	const self = "github.com/cmkguard/cmkguard/internal/browsertest"
	out, err := exec.Command(goTool, "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/cmkguard/cmkguard/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		if pkg != self && strings.Contains(" "+imports+" ", " "+self+" ") {
			t.Errorf("%s imports %s outside its tests", pkg, self)
		}
	}
}

// TestProblems proves the harness can fail a page: each policy sees what it
// should, and Settle forgets what earlier pages did.
func TestProblems(t *testing.T) {
	Require(t)
	pages := map[string]string{
		"/clean.html": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"><title>clean</title></head>
			<body><a id="next" href="/clean.html?again">again</a></body></html>`,
		"/careless.html": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
			<img src="/missing.png"><img src="http://127.0.0.1:9/x.png">
			<script>console.warn("careful")</script><a id="next" href="/clean.html">clean</a></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	sameOrigin := func(u string) bool { return strings.HasPrefix(u, srv.URL+"/") }

	bad := filepath.Join(t.TempDir(), "bad.html")
	err := os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">`+
		`<script>console.error("boom"); throw new Error("thrown");</script></body></html>`), 0o644)
	if err != nil {
		t.Fatal(err)
	}

	p := Launch(t)
	tests := []struct {
		name   string
		open   func() Policy
		want   []string // each must be among the problems
		unseen []string // none may be
		clean  bool     // no problem at all
	}{{
		name: "a file that reaches out, logs an error and throws",
		open: func() Policy {
			doc := p.OpenFile(bad)
			return Policy{Request: func(u string) bool { return u == doc }}
		},
		want: []string{"network request: http://127.0.0.1:9/x.png", "console.error", "exception"},
	}, {
		name: "a careless page under the strict policy",
		open: func() Policy {
			p.Open(srv.URL + "/careless.html")
			return Policy{Request: sameOrigin, Warnings: true, FailedLoads: true}
		},
		want: []string{"HTTP 404 for " + srv.URL + "/missing.png", "network request: http://127.0.0.1:9/x.png",
			"request failed: net::ERR_", "console.warning", "log error: Failed to load resource"},
		unseen: []string{"network request: " + srv.URL},
	}, {
		name: "a careless page under the lenient policy",
		open: func() Policy {
			p.Open(srv.URL + "/careless.html")
			return Policy{Request: sameOrigin}
		},
		want:   []string{"network request: http://127.0.0.1:9/x.png", "log error: Failed to load resource"},
		unseen: []string{"HTTP 404", "request failed", "console.warning"},
	}, {
		name: "a clean page reached by a link from a careless one",
		open: func() Policy {
			p.Open(srv.URL + "/careless.html")
			p.Settle(func() {
				var ok bool
				p.Eval(`(() => { document.getElementById("next").click(); return true; })()`, &ok)
			})
			return Policy{Request: sameOrigin, Warnings: true, FailedLoads: true}
		},
		clean: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := tt.open()
			problems := p.Problems(policy)
			got := strings.Join(problems, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missed %q; saw:\n%s", w, got)
				}
			}
			for _, u := range tt.unseen {
				if strings.Contains(got, u) {
					t.Errorf("saw %q:\n%s", u, got)
				}
			}
			if tt.clean && len(problems) > 0 {
				t.Errorf("problems on a clean page:\n%s", got)
			}
		})
	}

	var title string
	p.Eval(`document.title`, &title)
	if title != "clean" {
		t.Errorf("after following the link the title is %q", title)
	}
}

// TestScreenshot checks a screenshot's size: the page's height (never less
// than the window's), at most the given maximum.
func TestScreenshot(t *testing.T) {
	Require(t)
	p := Launch(t)
	tests := []struct {
		name      string
		height    int // of the page's body
		maxHeight int
		want      int // 0: the window's height
	}{
		{"page shorter than the window", 100, 8000, 0},
		{"page within the bounds", 1500, 8000, 1500},
		{"page taller than the maximum", 3000, 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "page.html")
			html := `<!DOCTYPE html><html><body style="margin:0"><div style="height:` + strconv.Itoa(tt.height) + `px;background:#369"></div></body></html>`
			if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			p.OpenFile(page)
			want := tt.want
			if want == 0 {
				p.Eval(`innerHeight`, &want)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(p.Screenshot(tt.maxHeight)))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != 1280 || cfg.Height != want {
				t.Errorf("screenshot is %d×%d, want 1280×%d", cfg.Width, cfg.Height, want)
			}
		})
	}
}

// TestClose checks that closing ends Chromium and removes its profile, and
// that the close at the end of the test does no harm.
func TestClose(t *testing.T) {
	Require(t)
	p := Launch(t)
	p.Close()
	if p.cmd.ProcessState == nil {
		t.Error("Chromium has not been waited for")
	}
	if _, err := os.Stat(p.profile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the profile %s is still there (%v)", p.profile, err)
	}
}
