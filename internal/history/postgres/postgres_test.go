package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/historytest"
	"github.com/cmkguard/cmkguard/internal/history/postgres"
	"github.com/cmkguard/cmkguard/internal/history/postgres/pgtest"
	"github.com/cmkguard/cmkguard/internal/rules"
)

func open(t *testing.T, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestContract(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store { return open(t, pgtest.URL(t)) })
}

func TestMigrationsOnceAndRefuseNewer(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a := open(t, url)
	b := open(t, url) // a second open finds the schema current
	defer b.Close()
	v, err := b.SchemaVersion(ctx)
	if err != nil || v != 3 {
		t.Fatalf("schema version = %d, %v; want 3", v, err)
	}
	a.Close()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, url); !errors.Is(err, history.ErrSchemaTooNew) {
		t.Errorf("opening a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := pgtest.URL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := postgres.Open(context.Background(), url)
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

func TestPasswordNotInErrors(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("open of a closed port succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") {
		t.Errorf("error shows the password: %s", msg)
	}
}

// TestUpgradeFromVersion1 opens a history written before scan details and
// outcomes existed: it gains the tables, keeps its scans, and those have no detail.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	st := open(t, url)
	id, err := st.Record(ctx, historytest.Scan("2026-03-01T00:00:00Z", historytest.Result("cmk-required", "stA", rules.Fail)))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE scan_details; DROP TABLE scan_outcomes; DELETE FROM schema_migrations WHERE version >= 2`); err != nil {
		t.Fatal(err)
	}
	st = open(t, url)
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
	if scans, err := st.Scans(ctx, history.Window{}); err != nil || len(scans) != 1 {
		t.Errorf("after the upgrade: %d scans, %v; want 1", len(scans), err)
	}
}
