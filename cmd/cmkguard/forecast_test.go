package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/impact"
)

// forecastJSON runs cmkguard forecast with --format json and decodes it.
func forecastJSON(t *testing.T, args ...string) *impact.Forecast {
	t.Helper()
	code, out, stderr := run(t, "", append(append([]string{"forecast"}, args...), "--format", "json")...)
	if code != 0 {
		t.Fatalf("forecast %v: exit %d: %s", args, code, stderr)
	}
	var fc impact.Forecast
	if err := json.Unmarshal([]byte(out), &fc); err != nil {
		t.Fatalf("forecast output is not JSON: %v\n%s", err, out)
	}
	return &fc
}

// keyEvents renders the key deadlines as "date days event vault/key: dependents".
func keyEvents(fc *impact.Forecast) []string {
	var out []string
	for _, k := range fc.KeyEvents {
		var deps []string
		for _, d := range k.Dependents {
			deps = append(deps, d.Name)
		}
		out = append(out, fmt.Sprintf("%s %d %s %s/%s: %s", k.When.Format("2006-01-02"), k.DaysLeft, k.Event,
			lastName(k.Vault), k.Name, strings.Join(deps, ",")))
	}
	return out
}

func lostAccess(fc *impact.Forecast) []string {
	var out []string
	for _, l := range fc.LostAccess {
		out = append(out, l.Workload.Name+": "+strings.Join(l.Missing, ","))
	}
	return out
}

func blocked(fc *impact.Forecast) []string {
	var out []string
	for _, b := range fc.Blocked {
		out = append(out, b.Workload.Name+" → "+b.Vault.Name)
	}
	return out
}

// TestForecastFixture checks the outage forecast of testdata/impact exactly,
// for windows that include and exclude each deadline.
func TestForecastFixture(t *testing.T) {
	base := []string{"testdata/impact", "--now", "2026-12-01T00:00:00Z"}
	fc := forecastJSON(t, append(base, "--days", "30")...)
	equalLists(t, "30-day key events", keyEvents(fc), []string{
		"2026-11-01 -30 expires kv-c/k3: disk-c",        // already expired
		"2026-12-11 10 expires kv-a/k1: sta,cos-a",      // inside the window
		"2026-12-30 29 rotation-due kv-a/k1: sta,cos-a", // P90D after 2026-10-01
	})
	// sql-b's identity has get and wrapKey by access policy, not unwrapKey.
	equalLists(t, "lost access", lostAccess(fc), []string{"sql-b: unwrapKey"})
	// kv-a: public access disabled, default Deny, bypass None, no private
	// endpoint. kv-b lets trusted services bypass; kv-c has a private endpoint.
	equalLists(t, "blocked", blocked(fc), []string{"sta → kv-a", "cos-a → kv-a"})
	if fc.LostAccess[0].Identity != "system-assigned identity of sql-b" || !strings.Contains(fc.LostAccess[0].Key, "kv-b.vault.azure.net/keys/k2") {
		t.Errorf("lost access detail: %+v", fc.LostAccess[0])
	}

	fc = forecastJSON(t, append(base, "--days", "45")...)
	equalLists(t, "45-day key events", keyEvents(fc), []string{
		"2026-11-01 -30 expires kv-c/k3: disk-c",
		"2026-12-11 10 expires kv-a/k1: sta,cos-a",
		"2026-12-30 29 rotation-due kv-a/k1: sta,cos-a",
		"2027-01-01 31 rotation-due kv-b/k2: sql-b",  // 365 days (policy maximum age) after 2026-01-01
		"2027-01-13 43 rotation-due kv-c/k3: disk-c", // P90D after 2026-10-15
	})

	fc = forecastJSON(t, append(base, "--days", "0")...)
	equalLists(t, "0-day key events", keyEvents(fc), []string{"2026-11-01 -30 expires kv-c/k3: disk-c"})

	// A policy with a shorter maximum age moves k2's rotation deadline into the window.
	policy := t.TempDir() + "/policy.yaml"
	if err := os.WriteFile(policy, []byte("keys:\n  maxAgeDays: 300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fc = forecastJSON(t, append(base, "--days", "0", "--policy", policy)...)
	equalLists(t, "0-day key events, 300-day maximum age", keyEvents(fc), []string{
		"2026-10-28 -34 rotation-due kv-b/k2: sql-b",
		"2026-11-01 -30 expires kv-c/k3: disk-c",
	})
}

func TestForecastTableAndErrors(t *testing.T) {
	code, out, stderr := run(t, "", "forecast", "--input", "testdata/impact", "--now", "2026-12-01T00:00:00Z", "--days", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Forecast from 2026-12-01 to 2026-12-31 (30 days)", "Key deadlines in the window (3)",
		"2026-12-11  10    expires", "Identities that already lack access to their key (1)", "sql-b:",
		"Workloads whose key vault firewall blocks the service (2)", "sta (Storage account) → kv-a"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for name, args := range map[string][]string{
		"negative days": {"forecast", "testdata/impact", "--days", "-1"},
		"no input":      {"forecast"},
		"bad now":       {"forecast", "testdata/impact", "--now", "soon"},
		"bad format":    {"forecast", "testdata/impact", "--format", "csv"},
	} {
		if code, _, _ := run(t, "", args...); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
}

// TestForecastExampleEstate checks the forecast of the bundled Contoso Pay
// estate as of 2026-12-01 (examples/README.md designs these outcomes in).
func TestForecastExampleEstate(t *testing.T) {
	if _, err := os.Stat("../../examples/estate"); err != nil {
		t.Skip("examples/estate is not there")
	}
	fc := forecastJSON(t, "../../examples/estate", "--now", "2026-12-01T00:00:00Z", "--days", "30")
	equalLists(t, "key events", keyEvents(fc), []string{
		"2020-05-13 -2393 rotation-due kv-cpay-legacy/tde-ledger-2019: sql-cpay-ledger-legacy",
		"2026-08-28 -95 rotation-due kv-cpay-pay-prod/cmk-cosmos-ledger: cosmos-cpay-ledger-prod",
		"2026-10-31 -31 expires kv-cpay-health-prod/cmk-loganalytics: log-cpay-health-cluster",
		"2026-10-31 -31 rotation-due kv-cpay-health-prod/cmk-loganalytics: log-cpay-health-cluster",
		"2026-12-20 19 expires kv-cpay-pay-prod/cmk-sql-payments: sql-cpay-payments-prod",
		"2026-12-20 19 rotation-due kv-cpay-pay-prod/cmk-sql-payments: sql-cpay-payments-prod",
		"2026-12-30 29 rotation-due hsm-cpay-prod/tokenization-aes: ",
	})
	equalLists(t, "lost access", lostAccess(fc), []string{
		"mysql-cpay-reporting: get,wrapKey,unwrapKey",
		"psql-cpay-phi-prod: wrapKey",
		"rsv-cpay-prod: wrapKey,unwrapKey",
	})
	equalLists(t, "blocked", blocked(fc), nil)
}
