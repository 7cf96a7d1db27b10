package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/web"
)

type serveFlags struct {
	db, addr, token, tokenFile, now string
}

// minTokenLength is the shortest token serve accepts: a token guards the
// history of a whole estate's key posture.
const minTokenLength = 16

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Dashboard, JSON API and Prometheus metrics over the scan history",
		Long: "serve shows the scan history in a browser: KPI tiles and trends, findings with filters, each resource's\n" +
			"evidence chain, the key calendar, each key's blast radius, and what changed between two scans. The same\n" +
			"data is JSON under /api/v1/ (scans, results, kpi, keys, resources, calendar, compare), and /metrics is in\n" +
			"the Prometheus text format. The server only reads the history (GET and HEAD).\n\n" +
			"It listens on 127.0.0.1:8080 by default. Any address that is not loopback needs a token (--token-file, or\n" +
			"--token), which every request must then carry: as Authorization: Bearer TOKEN, or as the cookie that\n" +
			"opening the dashboard once with ?token=TOKEN sets. Put TLS in front of it (a reverse proxy) when the token\n" +
			"travels over a network.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "", "history database (SQLite path or postgres:// URL; default $XDG_DATA_HOME/cmkguard/history.db)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on, host:port; a host that is not loopback needs a token")
	fl.StringVar(&f.token, "token", "", "token every request must carry (visible to other local users in the process list: prefer --token-file)")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the token (surrounding whitespace is ignored)")
	fl.StringVar(&f.now, "now", "", "clock for the key calendar and seconds to expiry, RFC 3339 (default: the clock)")
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	ctx := cmd.Context()
	token, err := readToken(f)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return usageError{fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080: %w", f.addr, err)}
	}
	if token == "" && !loopback(host) {
		return usageError{fmt.Errorf("--addr %s is not a loopback address: give a token (--token-file or --token) so that only those who hold it can read the dashboard", f.addr)}
	}
	clock := time.Now
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return usageError{fmt.Errorf("--now %q: want RFC 3339, e.g. 2026-12-01T00:00:00Z", f.now)}
		}
		clock = func() time.Time { return t }
	}
	st, err := openStore(ctx, f.db, false)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			slog.Warn("closing the history", "err", err)
		}
	}()
	srv, err := web.New(web.Options{Store: st, Token: token, Now: clock, Version: toolVersion()})
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	// The first line on standard error says where the dashboard is (tests and
	// scripts read the port from it when --addr asks for port 0).
	fmt.Fprintf(cmd.ErrOrStderr(), "cmkguard dashboard on http://%s/ (Ctrl-C stops it)\n", ln.Addr())
	slog.Info("dashboard listening", "addr", ln.Addr().String(), "token", token != "")
	return srv.Serve(ctx, ln, 10*time.Second)
}

// readToken returns the token from --token or --token-file ("" for none).
func readToken(f serveFlags) (string, error) {
	if f.token != "" && f.tokenFile != "" {
		return "", usageError{errors.New("give the token once: --token or --token-file")}
	}
	token := f.token
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", usageError{fmt.Errorf("--token-file: %w", err)}
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", usageError{fmt.Errorf("--token-file %s is empty", f.tokenFile)}
		}
	}
	if token != "" && len(token) < minTokenLength {
		return "", usageError{fmt.Errorf("the token is %d characters long; use at least %d (e.g. openssl rand -hex 32)", len(token), minTokenLength)}
	}
	return token, nil
}

// loopback reports whether a listen host is a loopback address. An empty
// host (":8080") listens on every interface, so it is not.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
