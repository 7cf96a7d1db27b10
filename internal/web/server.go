package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Store is the history the dashboard shows. The server never writes to it.
	Store history.Store
	// Token, when not empty, is required on every request (see the package
	// documentation). Without it the server answers loopback hosts only.
	Token string
	// Now is the clock for the key calendar and the seconds to expiry; nil
	// means time.Now.
	Now func() time.Time
	// Version is the cmkguard version shown in the footer.
	Version string
	// Logger receives one debug record per request (method, path, status,
	// duration — never the query, which may carry the token); nil means
	// slog.Default().
	Logger *slog.Logger
}

// Server is the dashboard, an http.Handler.
type Server struct {
	opt     Options
	data    *cache
	pages   *pages
	mux     *http.ServeMux
	session string // the login cookie's value, derived from the token
	handler http.Handler
}

// New makes a Server over the store.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("web: no history store")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, data: newCache(opt.Store), pages: pg, mux: http.NewServeMux()}
	if opt.Token != "" {
		s.session = sessionValue(opt.Token)
	}
	s.routes()
	s.handler = s.secure(s.mux)
	return s, nil
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() {
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(static)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", files))

	s.mux.HandleFunc("GET /{$}", s.overview)
	s.mux.HandleFunc("GET /findings", s.findings)
	s.mux.HandleFunc("GET /resource", s.resource)
	s.mux.HandleFunc("GET /keys", s.keys)
	s.mux.HandleFunc("GET /key", s.key)
	s.mux.HandleFunc("GET /calendar", s.calendar)
	s.mux.HandleFunc("GET /scans", s.scans)
	s.mux.HandleFunc("GET /compare", s.compare)

	s.mux.HandleFunc("GET /api/v1/scans", s.apiScans)
	s.mux.HandleFunc("GET /api/v1/scans/{id}", s.apiScan)
	s.mux.HandleFunc("GET /api/v1/results", s.apiResults)
	s.mux.HandleFunc("GET /api/v1/kpi", s.apiKPI)
	s.mux.HandleFunc("GET /api/v1/keys", s.apiKeys)
	s.mux.HandleFunc("GET /api/v1/resources", s.apiResources)
	s.mux.HandleFunc("GET /api/v1/calendar", s.apiCalendar)
	s.mux.HandleFunc("GET /api/v1/compare", s.apiCompare)

	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /", s.notFound)
}

// contentSecurityPolicy allows the page's own script, style and images and
// nothing else: no inline script or style, no framing, no plugins, forms only
// to the dashboard itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure wraps the routes in what every response needs: security headers,
// read-only methods, the loopback host check or the token, and a log record.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h := rec.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		defer func() {
			// The path only: the query may carry the token.
			s.opt.Logger.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
		}()
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			http.Error(rec, "the dashboard is read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		case s.opt.Token == "" && !loopbackHost(r.Host):
			// Without a token the server trusts the loopback interface; a
			// request naming another host is a DNS-rebinding page's.
			http.Error(rec, "this dashboard answers requests to a loopback address only", http.StatusMisdirectedRequest)
		case s.opt.Token != "":
			s.authenticate(rec, r, next)
		default:
			next.ServeHTTP(rec, r)
		}
	})
}

// loopbackHost reports whether a Host header names the loopback interface.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// statusRecorder remembers the status a handler wrote, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Serve serves on ln until ctx ends, then shuts down gracefully,
// giving requests in flight up to grace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog:    slog.NewLogLogger(s.opt.Logger.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down the dashboard: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
