package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// pages are the parsed templates, one set per page: the layout and the page.
type pages struct {
	byName map[string]*template.Template
}

func loadPages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		if _, err := t.ParseFS(assets, n); err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// page is what the layout needs besides the page's own data.
type page struct {
	Title   string
	Nav     string // the navigation entry to mark as current
	Version string
	Latest  *time.Time // the latest scan's time, for the header
	Data    any
}

// render writes a page; a template failure is logged and answered with 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	t := s.pages.byName[name]
	p.Version = s.opt.Version
	var buf bytes.Buffer
	if t == nil {
		s.fail(w, r, fmt.Errorf("no template %s", name))
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// fail answers an internal error without showing it: it may name database
// hosts or paths. The log has it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.opt.Logger.LogAttrs(r.Context(), slog.LevelError, "dashboard request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, r, http.StatusInternalServerError, map[string]string{"error": "internal error; see the server log"})
		return
	}
	http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "internal error: encode JSON", http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// link builds a dashboard address with query parameters; empty values are left out.
func link(p string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

func scanParam(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// anyScan is scanParam for a template value: an int or int64 scan id.
func anyScan(v any) string {
	switch n := v.(type) {
	case int64:
		return scanParam(n)
	case int:
		return scanParam(int64(n))
	}
	return ""
}

var funcs = template.FuncMap{
	"pct": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 1, 64) + "%"
	},
	"pctv":  func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" },
	"num":   func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"day":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"short": lastSegment,
	// resURL, keyURL: links to a resource's or key's page at a scan (0: latest).
	"resURL": func(id string, scan any) string { return link("/resource", "id", id, "scan", anyScan(scan)) },
	"keyURL": func(id string, scan any) string { return link("/key", "id", id, "scan", anyScan(scan)) },
	"findingsURL": func(scan any, kv ...string) string {
		return link("/findings", append([]string{"scan", anyScan(scan)}, kv...)...)
	},
	"json": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	},
	"join": strings.Join,
	// dict makes a map of key, value pairs, for passing several values to a template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
	"has": func(list []string, v string) bool {
		for _, s := range list {
			if s == v {
				return true
			}
		}
		return false
	},
	"signed": func(v float64) string {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		if v > 0 {
			return "+" + s
		}
		return s
	},
	"signedInt": func(v int) string {
		if v > 0 {
			return "+" + strconv.Itoa(v)
		}
		return strconv.Itoa(v)
	},
	"deref": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
}
