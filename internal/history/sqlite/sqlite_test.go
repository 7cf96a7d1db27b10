package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/historytest"
	"github.com/cmkguard/cmkguard/internal/history/sqlite"
	"github.com/cmkguard/cmkguard/internal/rules"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestContract(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store {
		return open(t, filepath.Join(t.TempDir(), "history.db"))
	})
}

func TestFileCreatedPrivateInNewDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir", "with?odd#name", "history.db")
	st := open(t, path)
	defer st.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestReopenKeepsHistoryAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	st := open(t, path)
	if _, err := st.Record(ctx, historytest.Scan("2026-03-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Fail))); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = open(t, path)
	defer st.Close()
	if v, err := st.SchemaVersion(ctx); err != nil || v != 3 {
		t.Errorf("schema version = %d, %v; want 3", v, err)
	}
	scans, err := st.Scans(ctx, history.Window{})
	if err != nil || len(scans) != 1 {
		t.Errorf("after reopening: %d scans, %v", len(scans), err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlite.Open(context.Background(), path); !errors.Is(err, history.ErrSchemaTooNew) {
		t.Errorf("opening a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// TestTwoStoresOneFile is two processes' worth of writers: separate stores on
// the same file, each recording at once. All scans land.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	open(t, path).Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			st, err := sqlite.Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			for i := range 2 {
				var rs []rules.Result
				for r := range 2000 {
					rs = append(rs, historytest.Result("cmk-required", fmt.Sprintf("st%d-%d-%d", w, i, r), rules.Pass))
				}
				if _, err := st.Record(ctx, historytest.Scan("2026-03-01T00:00:00Z", rs...)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("record: %v", err)
	}
	st := open(t, path)
	defer st.Close()
	scans, err := st.Scans(ctx, history.Window{})
	if err != nil || len(scans) != 8 {
		t.Errorf("%d scans landed (%v), want 8", len(scans), err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if p, err := sqlite.DefaultPath(); err != nil || p != "/data/cmkguard/history.db" {
		t.Errorf("with XDG_DATA_HOME: %q, %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, err := sqlite.DefaultPath(); err != nil || p != "/home/u/.local/share/cmkguard/history.db" {
		t.Errorf("without XDG_DATA_HOME: %q, %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "relative/dir") // the spec says to ignore relative paths
	if p, err := sqlite.DefaultPath(); err != nil || p != "/home/u/.local/share/cmkguard/history.db" {
		t.Errorf("with a relative XDG_DATA_HOME: %q, %v", p, err)
	}
}

// TestUpgradeFromVersion1 opens a history written before scan details and
// outcomes existed: it gains the tables, keeps its scans, and those scans have no detail.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	st := open(t, path)
	id, err := st.Record(ctx, historytest.Scan("2026-03-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Fail)))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE scan_details; DROP TABLE scan_outcomes; DELETE FROM schema_migrations WHERE version >= 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st = open(t, path)
	defer st.Close()
	if v, err := st.SchemaVersion(ctx); err != nil || v != 3 {
		t.Errorf("schema version after upgrade = %d, %v; want 3", v, err)
	}
	// A scan recorded before outcomes were kept is read from its result rows.
	if o, err := st.Outcomes(ctx, id); err != nil || len(o.Items) != 1 || o.Rules[o.Items[0].Rule] != "cmk-required" || o.Items[0].Status != rules.Fail {
		t.Errorf("outcomes of a scan recorded before the upgrade = %+v, %v", o, err)
	}
	if d, err := st.Detail(ctx, id); err != nil || d != nil {
		t.Errorf("detail of a scan recorded before the upgrade = %v, %v; want nil, nil", d, err)
	}
	s := historytest.Scan("2026-03-02T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Pass))
	s.Detail = historytest.Detail("stA")
	id2, err := st.Record(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := st.Detail(ctx, id2); err != nil || d == nil || len(d.Labels) != 1 {
		t.Errorf("detail recorded after the upgrade = %+v, %v", d, err)
	}
	if scans, err := st.Scans(ctx, history.Window{}); err != nil || len(scans) != 2 {
		t.Errorf("after the upgrade: %d scans, %v; want 2", len(scans), err)
	}
}
