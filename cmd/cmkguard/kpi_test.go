package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/history/postgres/pgtest"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// TestMain keeps scans that name no --db away from the user's real history:
// the default database goes under a temporary XDG_DATA_HOME.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cmkguard-test-data-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	subA = "11111111-1111-1111-1111-111111111111"
	subB = "22222222-2222-2222-2222-222222222222"
	hd   = "testdata/history/"
)

func storageID(sub, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/" + name
}

func keyID(name string) string {
	return "/subscriptions/" + subA + "/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv1/keys/" + name
}

func vaultKey(name string) string {
	return "/subscriptions/" + subA + "/resourcegroups/rg-sec/providers/microsoft.keyvault/vaults/" + name
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fl(v float64) *float64 { return &v }

// historyPolicy writes a policy that keeps only cmk-required, cmk-classified
// and key-rotation-due, so that the history's every result is known whatever
// other rules the catalog grows, and waives cmk-required on stw.
func historyPolicy(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("overrides:\n")
	for _, r := range rules.Catalog() {
		switch r.ID {
		case "cmk-required", "cmk-classified", history.RotationRule:
		default:
			fmt.Fprintf(&b, "  - rule: %s\n    disabled: true\n", r.ID)
		}
	}
	b.WriteString("waivers:\n  - rule: cmk-required\n    resource: \"*/storageAccounts/stw\"\n    reason: migration planned\n    expires: 2027-12-31\n")
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The history of testdata/history, one scan a row:
//
//	scan at                    sta        stb            stc        stw (SubB)   stp (SubB)  stn           k1     k2
//	S1   2026-01-05T00:00:00Z  pci fail   untagged fail  pci fail   pci waived   public      —             pass   fail (created 2025-09-01)
//	S2   2026-01-20T00:00:00Z  pci fail   untagged fail  internal   pci waived   public      —             pass   pass (rotated 2026-01-15)
//	S3   2026-02-10T12:00:00Z  public     (deleted)      internal   pci waived   public      —             pass   pass
//	S4   2026-03-02T00:00:00Z  pci fail   —              internal   pci waived   public      conf. fail    fail   pass
//
// Keys rotate every 90 days; k1 was created 2025-12-01, so it is due on
// 2026-03-01. Audit exports: audit-storage.json (given to S2 and again to S3),
// audit-loganalytics.json (AZKVAuditLogs rows; S3 and again S4),
// audit-diagnostics.ndjson (AzureDiagnostics rows; twice to S4).
var historyScans = []struct {
	now   string
	files []string
	since *report.SinceLastScan
}{
	{"2026-01-05T00:00:00Z", []string{hd + "s1.json"}, nil},
	{"2026-01-20T00:00:00Z", []string{hd + "s2.json", hd + "audit-storage.json"}, &report.SinceLastScan{
		PreviousScanAt: at("2026-01-05T00:00:00Z"), NewlyFailing: []report.Finding{},
		Fixed:        []report.Finding{{Rule: "cmk-required", Resource: storageID(subA, "stc")}, {Rule: history.RotationRule, Resource: keyID("k2")}},
		NewResources: []string{}, RemovedResources: []string{}}},
	{"2026-02-10T12:00:00Z", []string{hd + "s3.json", hd + "audit-storage.json", hd + "audit-loganalytics.json"}, &report.SinceLastScan{
		PreviousScanAt: at("2026-01-20T00:00:00Z"), NewlyFailing: []report.Finding{},
		Fixed:        []report.Finding{{Rule: "cmk-required", Resource: storageID(subA, "sta")}},
		NewResources: []string{}, RemovedResources: []string{storageID(subA, "stb")}}},
	{"2026-03-02T00:00:00Z", []string{hd + "s4.json", hd + "audit-loganalytics.json", hd + "audit-diagnostics.ndjson", hd + "audit-diagnostics.ndjson"},
		&report.SinceLastScan{PreviousScanAt: at("2026-02-10T12:00:00Z"),
			NewlyFailing: []report.Finding{{Rule: "cmk-required", Resource: storageID(subA, "sta")},
				{Rule: "cmk-required", Resource: storageID(subA, "stn")}, {Rule: history.RotationRule, Resource: keyID("k1")}},
			Fixed: []report.Finding{}, NewResources: []string{storageID(subA, "stn")}, RemovedResources: []string{}}},
}

// recordHistory scans the four snapshots into db through the CLI and checks
// each scan's "since last scan" section.
func recordHistory(t *testing.T, db string) {
	t.Helper()
	pol := historyPolicy(t)
	for i, s := range historyScans {
		args := append([]string{"scan", "--db", db, "--policy", pol, "--now", s.now, "--format", "json", "--fail-on", "none"}, s.files...)
		code, out, stderr := run(t, "", args...)
		if code != 0 {
			t.Fatalf("scan %d: exit %d: %s", i+1, code, stderr)
		}
		var doc struct {
			SinceLastScan *report.SinceLastScan `json:"sinceLastScan"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("scan %d: %v", i+1, err)
		}
		if !reflect.DeepEqual(doc.SinceLastScan, s.since) {
			g, _ := json.MarshalIndent(doc.SinceLastScan, "", " ")
			w, _ := json.MarshalIndent(s.since, "", " ")
			t.Errorf("scan %d: since last scan\n got %s\nwant %s", i+1, g, w)
		}
	}
}

func kpiJSON(t *testing.T, args ...string) *history.KPIs {
	t.Helper()
	code, out, stderr := run(t, "", append([]string{"kpi", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("kpi %v: exit %d: %s", args, code, stderr)
	}
	var k history.KPIs
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		t.Fatalf("kpi output: %v\n%s", err, out)
	}
	return &k
}

func sameKPIs(t *testing.T, what string, got, want *history.KPIs) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Errorf("kpi %s\n got %s\nwant %s", what, g, w)
	}
}

// wantHistoryKPIs are the KPIs of the whole history.
func wantHistoryKPIs() *history.KPIs {
	s1, s2, s3, s4 := at("2026-01-05T00:00:00Z"), at("2026-01-20T00:00:00Z"), at("2026-02-10T12:00:00Z"), at("2026-03-02T00:00:00Z")
	stb := func(rule string) history.OpenEpisode {
		return history.OpenEpisode{Rule: rule, Resource: storageID(subA, "stb"), OpenedAt: s1, AgeDays: 56,
			LastStatus: rules.Fail, LastSeenAt: s2, Present: false}
	}
	now := func(rule, id string) history.OpenEpisode {
		return history.OpenEpisode{Rule: rule, Resource: id, OpenedAt: s4, AgeDays: 0, LastStatus: rules.Fail, LastSeenAt: s4, Present: true}
	}
	return &history.KPIs{
		Scans: []history.ScanPoint{
			{At: s1, CompliancePercent: 25, InScope: 4, Compliant: 1}, // sta, stb, stc fail; stw waived counts as compliant
			{At: s2, CompliancePercent: 33.3, InScope: 3, Compliant: 1},
			{At: s3, CompliancePercent: 100, InScope: 1, Compliant: 1},
			{At: s4, CompliancePercent: 33.3, InScope: 3, Compliant: 1},
		},
		CompliancePercent:        fl(33.3),
		RotationAdherencePercent: fl(50),
		// Closed: stc S1→S2 (15 days), k2 S1→S2 (15), sta S1→S3 across three scans (36.5).
		// Open: stb twice (deleted while failing), sta again, stn, k1.
		TimeToRemediate: history.TimeToRemediate{Closed: 3, Open: 5, MedianDays: fl(15), MeanDays: fl(22.2), MaxDays: fl(36.5)},
		// January: the 403 half a second before February. February: the 401 on
		// KeyUnwrap and the 403 at 00:30 CET on 1 March; not the Authentication
		// challenge nor the 200. March: the 403 at midnight, the 401 known only
		// by its signature, the AzureDiagnostics 403; not the two challenges.
		BlockedAttempts: []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 2}, {Month: "2026-03", Count: 3}},
		LatestScanAt:    &s4,
		RotationAdherence: []history.RotationPoint{{At: s1, Keys: 2, Passing: 1, Percent: fl(50)}, {At: s2, Keys: 2, Passing: 2, Percent: fl(100)},
			{At: s3, Keys: 2, Passing: 2, Percent: fl(100)}, {At: s4, Keys: 2, Passing: 1, Percent: fl(50)}},
		Remediation: []history.EpisodePoint{{At: s1, Open: 5}, {At: s2, Open: 3, Closed: 2, MedianDays: fl(15)},
			{At: s3, Open: 2, Closed: 3, MedianDays: fl(15)}, {At: s4, Open: 5, Closed: 3, MedianDays: fl(15)}},
		OpenEpisodes: []history.OpenEpisode{stb("cmk-classified"), stb("cmk-required"),
			now("cmk-required", storageID(subA, "sta")), now("cmk-required", storageID(subA, "stn")), now(history.RotationRule, keyID("k1"))},
		BlockedAttemptsTotal: 6,
		BlockedAttemptsByVault: []history.VaultBlocked{
			{Vault: vaultKey("kv1"), Count: 3, Months: []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 1}, {Month: "2026-03", Count: 1}}},
			{Vault: vaultKey("kv2"), Count: 3, Months: []history.MonthCount{{Month: "2026-02", Count: 1}, {Month: "2026-03", Count: 2}}},
		},
		ComplianceByRule: []history.RuleCompliance{
			{Rule: "cmk-classified", Results: 5, Pass: 5, CompliancePercent: fl(100)},
			{Rule: "cmk-required", Results: 5, Pass: 2, Fail: 2, Waived: 1, CompliancePercent: fl(60)},
			{Rule: history.RotationRule, Results: 2, Pass: 1, Fail: 1, CompliancePercent: fl(50)},
		},
		ComplianceBySubscription: []history.SubCompliance{
			{Subscription: subA, InScope: 2, Compliant: 0, CompliancePercent: 0},
			{Subscription: subB, InScope: 1, Compliant: 1, CompliancePercent: 100},
		},
	}
}

// wantWindowKPIs are the KPIs of --since 2026-01-20 --until 2026-02-28: S2
// and S3, episodes counted from S2, audit records of 20 January to the end of
// 28 February.
func wantWindowKPIs() *history.KPIs {
	s2, s3 := at("2026-01-20T00:00:00Z"), at("2026-02-10T12:00:00Z")
	until := at("2026-02-28T23:59:59.999999999Z")
	stb := func(rule string) history.OpenEpisode {
		return history.OpenEpisode{Rule: rule, Resource: storageID(subA, "stb"), OpenedAt: s2, AgeDays: 21.5,
			LastStatus: rules.Fail, LastSeenAt: s2, Present: false}
	}
	return &history.KPIs{
		Scans: []history.ScanPoint{
			{At: s2, CompliancePercent: 33.3, InScope: 3, Compliant: 1},
			{At: s3, CompliancePercent: 100, InScope: 1, Compliant: 1},
		},
		CompliancePercent:        fl(100),
		RotationAdherencePercent: fl(100),
		TimeToRemediate:          history.TimeToRemediate{Closed: 1, Open: 2, MedianDays: fl(21.5), MeanDays: fl(21.5), MaxDays: fl(21.5)},
		BlockedAttempts:          []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 2}},
		Window:                   &history.WindowDoc{Since: &s2, Until: &until},
		LatestScanAt:             &s3,
		RotationAdherence:        []history.RotationPoint{{At: s2, Keys: 2, Passing: 2, Percent: fl(100)}, {At: s3, Keys: 2, Passing: 2, Percent: fl(100)}},
		Remediation:              []history.EpisodePoint{{At: s2, Open: 3}, {At: s3, Open: 2, Closed: 1, MedianDays: fl(21.5)}},
		OpenEpisodes:             []history.OpenEpisode{stb("cmk-classified"), stb("cmk-required")},
		BlockedAttemptsTotal:     3,
		BlockedAttemptsByVault: []history.VaultBlocked{
			{Vault: vaultKey("kv1"), Count: 2, Months: []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 1}}},
			{Vault: vaultKey("kv2"), Count: 1, Months: []history.MonthCount{{Month: "2026-02", Count: 1}}},
		},
		ComplianceByRule: []history.RuleCompliance{
			{Rule: "cmk-classified", Results: 4, Pass: 4, CompliancePercent: fl(100)},
			{Rule: "cmk-required", Results: 4, Pass: 3, Waived: 1, CompliancePercent: fl(100)},
			{Rule: history.RotationRule, Results: 2, Pass: 2, CompliancePercent: fl(100)},
		},
		ComplianceBySubscription: []history.SubCompliance{{Subscription: subB, InScope: 1, Compliant: 1, CompliancePercent: 100}},
	}
}

func TestKPIOverHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	recordHistory(t, db)
	sameKPIs(t, "over the whole history", kpiJSON(t, "--db", db), wantHistoryKPIs())
	sameKPIs(t, "over a window", kpiJSON(t, "--db", db, "--since", "2026-01-20", "--until", "2026-02-28"), wantWindowKPIs())
	sameKPIs(t, "over the same window in RFC 3339", kpiJSON(t, "--db", db, "--since", "2026-01-20T01:00:00+01:00",
		"--until", "2026-02-28T23:59:59.999999999Z"), wantWindowKPIs())

	// The contract's field names, exactly, in the JSON document.
	_, out, _ := run(t, "", "kpi", "--db", db, "--format", "json")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scans", "compliancePercent", "rotationAdherencePercent", "timeToRemediate", "blockedAttempts"} {
		if _, ok := doc[name]; !ok {
			t.Errorf("kpi JSON lacks %q", name)
		}
	}
	var scans []map[string]any
	if err := json.Unmarshal(doc["scans"], &scans); err != nil || len(scans) != 4 {
		t.Fatalf("scans: %v", err)
	}
	if len(scans[0]) != 4 || scans[0]["at"] != "2026-01-05T00:00:00Z" || scans[0]["inScope"] != 4.0 || scans[0]["compliant"] != 1.0 || scans[0]["compliancePercent"] != 25.0 {
		t.Errorf("scans[0] = %v, want exactly at, compliancePercent, inScope, compliant", scans[0])
	}
	var ttr map[string]any
	if err := json.Unmarshal(doc["timeToRemediate"], &ttr); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"closed": 3.0, "open": 5.0, "medianDays": 15.0, "meanDays": 22.2, "maxDays": 36.5}; !reflect.DeepEqual(ttr, want) {
		t.Errorf("timeToRemediate = %v, want %v", ttr, want)
	}
}

func TestKPISameOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	file := filepath.Join(t.TempDir(), "history.db")
	recordHistory(t, file)
	recordHistory(t, url)
	for _, args := range [][]string{{"--format", "json"}, {"--format", "csv"}, {"--format", "table"},
		{"--format", "json", "--since", "2026-01-20", "--until", "2026-02-28"}} {
		_, fromFile, errFile := run(t, "", append([]string{"kpi", "--db", file}, args...)...)
		_, fromPG, errPG := run(t, "", append([]string{"kpi", "--db", url}, args...)...)
		if fromFile == "" || fromFile != fromPG {
			t.Errorf("kpi %v differs between SQLite and PostgreSQL\nSQLite (%s):\n%s\nPostgreSQL (%s):\n%s", args, errFile, fromFile, errPG, fromPG)
		}
	}
	sameKPIs(t, "from PostgreSQL", kpiJSON(t, "--db", url), wantHistoryKPIs())
}

func TestKPITableAndCSV(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	recordHistory(t, db)
	code, out, stderr := run(t, "", "kpi", "--db", db, "--format", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Each KPI's latest value and its trend, one character a scan or month.
	for _, line := range []string{
		"CMK compliance          33.3%    ▂▃█▃   1 of 3 workloads that require CMK",
		"Rotation adherence      50.0%    ▄██▄   1 of 2 keys within their rotation interval",
		"Open failure episodes   5        █▅▃█",
		"Time to remediate       15d       ███   median; mean 22.2d, max 36.5d over 3 closed episodes",
		"Blocked attempts        3        ▃▅█    in 2026-03; 6 over 3 months",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("table lacks line %q:\n%s", line, out)
		}
	}
	if !strings.Contains(out, "56d  cmk-required               "+storageID(subA, "stb")+" — not in the latest scan") {
		t.Errorf("table does not list the deleted resource's open episode:\n%s", out)
	}

	_, out, _ = run(t, "", "kpi", "--db", db, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	have := map[string]string{}
	for _, r := range rows {
		have[strings.Join(r[:3], "|")] = r[3]
	}
	for k, v := range map[string]string{
		"metric|subject|when":                             "value",
		"compliancePercent||2026-03-02T00:00:00Z":         "33.3",
		"rotationAdherencePercent||2026-01-20T00:00:00Z":  "100",
		"timeToRemediate.meanDays||":                      "22.2",
		"blockedAttempts||2026-02":                        "2",
		"blockedAttempts|" + vaultKey("kv2") + "|2026-03": "2",
		"subscriptionCompliancePercent|" + subB + "|":     "100",
		"ruleCompliancePercent|cmk-required|":             "60",
	} {
		if have[k] != v {
			t.Errorf("csv %s = %q, want %q", k, have[k], v)
		}
	}
}

func TestKPIUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"kpi", "--db", db}, "no scan history at " + db},
		{[]string{"kpi", "--db", db, "--since", "last week"}, "--since"},
		{[]string{"kpi", "--db", db, "--until", "2026-13-01"}, "--until"},
		{[]string{"kpi", "--db", db, "--since", "2026-03-01", "--until", "2026-02-01"}, "before --since"},
		{[]string{"kpi", "--db", db, "--format", "sarif"}, "--format"},
		{[]string{"kpi", "extra"}, "unknown command"},
	} {
		code, _, stderr := run(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.stderr)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("kpi created a history database")
	}
	code, _, stderr := run(t, "", "kpi", "--db", "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=5")
	if code != 2 || strings.Contains(stderr, "secret") {
		t.Errorf("unreachable PostgreSQL: exit %d, stderr %q (want 2, no password)", code, stderr)
	}
}

func TestEmptyHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	if code, _, stderr := run(t, "", "scan", "--db", db, "--now", "2026-01-01T00:00:00Z", "--fail-on", "none", hd+"s1.json"); code != 0 {
		t.Fatalf("scan: %s", stderr)
	}
	k := kpiJSON(t, "--db", db, "--since", "2027-01-01")
	if len(k.Scans) != 0 || k.CompliancePercent != nil || k.RotationAdherencePercent != nil || k.TimeToRemediate != (history.TimeToRemediate{}) ||
		len(k.BlockedAttempts) != 0 {
		t.Errorf("KPIs of an empty window = %+v", k)
	}
	if code, out, _ := run(t, "", "kpi", "--db", db, "--since", "2027-01-01", "--format", "table"); code != 0 || !strings.Contains(out, "No scans recorded") {
		t.Errorf("table of an empty window: %d %q", code, out)
	}
}

func TestScanHistoryFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "no.db")
	if code, _, stderr := run(t, "", "scan", "--no-history", "--db", db, "--fail-on", "none", hd+"s1.json"); code != 0 {
		t.Fatalf("scan --no-history: %s", stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("scan --no-history created the history database")
	}

	// Without --db the history is $XDG_DATA_HOME/cmkguard/history.db.
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	if code, _, stderr := run(t, "", "scan", "--now", "2026-01-05T00:00:00Z", "--fail-on", "none", hd+"s1.json"); code != 0 {
		t.Fatalf("scan: %s", stderr)
	}
	k := kpiJSON(t)
	if len(k.Scans) != 1 || !k.Scans[0].At.Equal(at("2026-01-05T00:00:00Z")) {
		t.Errorf("default history holds %+v", k.Scans)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "cmkguard", "history.db")); err != nil {
		t.Errorf("default history file: %v", err)
	}

	// A scan the history cannot take is an input error that says how to go on.
	code, _, stderr := run(t, "", "scan", "--db", dir, "--fail-on", "none", hd+"s1.json")
	if code != 2 || !strings.Contains(stderr, "--no-history") {
		t.Errorf("history at a directory: exit %d, stderr %q", code, stderr)
	}
}

func TestScanTableSinceLastScan(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	pol := historyPolicy(t)
	run(t, "", "scan", "--db", db, "--policy", pol, "--now", "2026-02-10T12:00:00Z", "--fail-on", "none", hd+"s3.json")
	_, out, _ := run(t, "", "scan", "--db", db, "--policy", pol, "--now", "2026-03-02T00:00:00Z", "--fail-on", "none", "--format", "table", hd+"s4.json")
	for _, line := range []string{
		"Since the last scan (2026-02-10T12:00:00Z): 3 newly failing, 0 fixed, 1 new resources, 0 removed.",
		"  newly failing cmk-required               " + storageID(subA, "stn"),
		"  new resource  " + storageID(subA, "stn"),
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("table lacks %q:\n%s", line, out)
		}
	}
}

// TestConcurrentScans runs scans into one history at once, each opening the
// database as a separate process would; every scan lands.
func TestConcurrentScans(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "history.db")
			if backend == "postgres" {
				db = pgtest.URL(t)
			}
			run(t, "", "scan", "--db", db, "--now", "2026-01-01T00:00:00Z", "--fail-on", "none", hd+"s1.json") // migrate first: not under test here
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					now := fmt.Sprintf("2026-02-%02dT00:00:00Z", i+1)
					if code, _, stderr := run(t, "", "scan", "--db", db, "--now", now, "--fail-on", "none", hd+"s2.json", hd+"audit-storage.json"); code != 0 {
						t.Errorf("scan at %s: exit %d: %s", now, code, stderr)
					}
				})
			}
			wg.Wait()
			k := kpiJSON(t, "--db", db)
			if len(k.Scans) != 7 {
				t.Errorf("%d scans recorded, want 7", len(k.Scans))
			}
			if k.BlockedAttemptsTotal != 3 {
				t.Errorf("blocked attempts %d, want 3 (six copies of one export count once)", k.BlockedAttemptsTotal)
			}
		})
	}
}
