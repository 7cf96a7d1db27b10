// Package pgtest gives tests a fresh, empty PostgreSQL schema on the server
// named by the environment variable CMKGUARD_TEST_POSTGRES (a postgres://
// URL). Without it, tests that need PostgreSQL skip — unless
// CMKGUARD_REQUIRE_SERVICES=1 (set by .ci/services), when they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// URL returns a connection URL whose search_path is a new schema of its own,
// dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CMKGUARD_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CMKGUARD_REQUIRE_SERVICES") == "1" {
			t.Fatal("CMKGUARD_TEST_POSTGRES is not set, and CMKGUARD_REQUIRE_SERVICES=1 requires PostgreSQL")
		}
		t.Skip("CMKGUARD_TEST_POSTGRES is not set; skipping the PostgreSQL test")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to CMKGUARD_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "cmkguard_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("CMKGUARD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
