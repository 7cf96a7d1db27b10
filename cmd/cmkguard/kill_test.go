package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/postgres/pgtest"
)

// TestHelperScanLoop is not a test: TestKilledScan runs the test binary as a
// child process that records scans through the CLI until it is killed.
func TestHelperScanLoop(t *testing.T) {
	db, estate := os.Getenv("CMKGUARD_HELPER_DB"), os.Getenv("CMKGUARD_HELPER_ESTATE")
	if db == "" || estate == "" {
		t.Skip("helper process of TestKilledScan")
	}
	for i := 0; ; i++ {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		if code, _, stderr := run(t, "", "scan", "--db", db, "--now", now, "--fail-on", "none", estate); code != 0 {
			t.Fatalf("scan %d: exit %d: %s", i, code, stderr)
		}
	}
}

// TestKilledScan kills a process while it is writing a scan (SIGKILL: no
// deferred cleanup, no rollback by the process) and checks that the scan left
// no trace, that every earlier scan is whole — all its results, workloads and
// the report — and that the history takes new scans.
func TestKilledScan(t *testing.T) {
	if testing.Short() {
		t.Skip("records scans of 10,000 resources")
	}
	dir := t.TempDir()
	estate := writePlainEstate(t, dir, 10000)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "history.db")
			if backend == "postgres" {
				db = pgtest.URL(t) + "&application_name=" + fmt.Sprintf("cmkguard-kill-%d", time.Now().UnixNano())
			}
			ctx := context.Background()
			for attempt := 1; ; attempt++ {
				before, killed := killWhileWriting(t, db, estate)
				st, err := openStore(ctx, db, false)
				if err != nil {
					t.Fatal(err)
				}
				scans, err := st.Scans(ctx, history.Window{})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range scans {
					checkWhole(t, st, s)
				}
				st.Close()
				if backend == "sqlite" {
					checkIntegrity(t, db)
				}
				if killed && len(scans) == before {
					t.Logf("killed inside a write on attempt %d; %d whole scans remain", attempt, len(scans))
					break
				}
				// The write committed between seeing it and the kill: the scan
				// is whole (checked above), but nothing was interrupted. Again.
				if attempt == 5 {
					t.Fatal("no kill landed inside a write in 5 attempts")
				}
			}
			if code, _, stderr := run(t, "", "scan", "--db", db, "--now", "2027-01-01T00:00:00Z", "--fail-on", "none", estate); code != 0 {
				t.Fatalf("scan after the kill: exit %d: %s", code, stderr)
			}
		})
	}
}

// killWhileWriting starts a process that records scans of estate into db,
// waits until at least one has landed and the next is being written, and
// kills the process. It returns how many scans had landed when the write was
// seen, and whether the kill was sent during it.
func killWhileWriting(t *testing.T, db, estate string) (before int, killed bool) {
	t.Helper()
	ctx := context.Background()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperScanLoop$", "-test.count=1")
	child.Env = append(os.Environ(), "CMKGUARD_HELPER_DB="+db, "CMKGUARD_HELPER_ESTATE="+estate)
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	defer func() {
		_ = child.Process.Kill()
		<-exited
	}()
	var writing func() (bool, error)
	if strings.HasPrefix(db, "postgres") {
		writing = postgresWriting(t, db)
	} else {
		writing = sqliteWriting(t, db)
	}
	start, err := countScans(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case err := <-exited:
			t.Fatalf("the scanning process ended by itself (%v):\n%s", err, out.String())
		default:
		}
		n, err := countScans(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if n > start {
			w, err := writing()
			if err != nil {
				t.Fatal(err)
			}
			if w {
				if err := child.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				return n, true
			}
		}
		time.Sleep(time.Millisecond)
	}
}

func countScans(ctx context.Context, db string) (int, error) {
	st, err := openStore(ctx, db, true)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	scans, err := st.Scans(ctx, history.Window{})
	return len(scans), err
}

// sqliteWriting reports whether a write transaction holds the database: one
// that cannot start its own, without waiting, sees another's.
func sqliteWriting(t *testing.T, path string) func() (bool, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func() (bool, error) {
		tx, err := db.Begin()
		if err != nil {
			if strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "locked") {
				return true, nil
			}
			return false, err
		}
		return false, tx.Rollback()
	}
}

// postgresWriting reports whether the scanning process (known by its
// application_name) is inside a transaction that writes a scan.
func postgresWriting(t *testing.T, url string) func() (bool, error) {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return func() (bool, error) {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = current_setting('application_name') AND pid <> pg_backend_pid()
			AND xact_start IS NOT NULL AND (query ILIKE 'COPY%' OR query ILIKE '%INSERT INTO%')`).Scan(&n)
		return n > 0, err
	}
}

// writePlainEstate writes n storage accounts with platform-managed keys:
// cheap to evaluate, three results each to write.
func writePlainEstate(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	classes := []string{"pci", "public", ""}
	for i := range n {
		tags := ""
		if c := classes[i%3]; c != "" {
			tags = `,"tags":{"dataClassification":"` + c + `"}`
		}
		fmt.Fprintf(&b, `{"id":"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%06d","type":"Microsoft.Storage/storageAccounts"%s,"properties":{"encryption":{"keySource":"Microsoft.Storage"}}}`+"\n", i, tags)
	}
	path := filepath.Join(dir, "plain.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkWhole checks that a recorded scan has every row its summary counts.
func checkWhole(t *testing.T, st history.Store, s history.ScanInfo) {
	t.Helper()
	ctx := context.Background()
	n := 0
	if err := st.States(ctx, s.ID, func(history.State) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workloads(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	results, err := st.Results(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != s.Summary.Results || len(results) != s.Summary.Results || len(ws) != s.Summary.InScope || s.Summary.Results == 0 {
		t.Errorf("scan %d is not whole: %d result rows, %d reported results, %d workloads; its summary counts %d results, %d in scope",
			s.ID, n, len(results), len(ws), s.Summary.Results, s.Summary.InScope)
	}
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity check after the kill: %q, %v", res, err)
	}
	var orphans int
	if err := db.QueryRow(`SELECT count(*) FROM results WHERE scan_id NOT IN (SELECT id FROM scans)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d result rows of no scan (%v)", orphans, err)
	}
}
