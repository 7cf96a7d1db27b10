package historytest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// SubB is a second subscription, for compliance per subscription.
const SubB = "00000000-0000-0000-0000-00000000000b"

// History is a four-scan history whose every KPI is known:
//
//	scan  at                    cmk-required                         key-rotation-due
//	S1    2026-01-01T00:00:00Z  stA fail, stB pass, stC fail, stD waived  k1 pass, k2 fail
//	S2    2026-01-11T00:00:00Z  stA unknown, stB fail, stC fail, stD waived  k1 pass, k2 fail
//	S3    2026-01-21T12:00:00Z  stA pass, stB pass, (stC deleted), stD waived  k1 pass, k2 pass
//	S4    2026-02-01T00:00:00Z  stA fail, stB pass, stD waived, stE fail, stF (SubB) pass  k1 fail, k2 pass
//
// Episodes: stA opens at S1 and closes at S3 across the unknown S2 (20.5 days),
// then opens again at S4; stB S2→S3 (10.5 days); k2 S1→S3 (20.5 days); stC
// opens at S1 and is deleted while failing, closing nothing; stD is waived
// throughout, no episode; k1 and stE open at S4.
//
// Audit records: a 403 one second before February (UTC), a 403 at the first
// instant of February, a 401 Authentication challenge (not blocked), a 401 on
// KeySign (blocked), a 200 in March; one record is given to two scans.
func History() []*history.Scan {
	kv := func(at, vault, op string, status int, corr string) history.AuditRecord {
		return Audit(at, vault, op, status, corr)
	}
	jan := kv("2026-01-31T23:59:59Z", "kv1", "KeyUnwrap", 403, "c1")
	feb := kv("2026-02-01T00:00:00Z", "kv1", "KeyUnwrap", 403, "c2")
	challenge := kv("2026-02-01T00:30:00Z", "kv2", "Authentication", 401, "c3")
	badToken := kv("2026-02-10T08:00:00Z", "kv2", "KeySign", 401, "c4")
	ok := kv("2026-03-01T00:00:00Z", "kv1", "KeyGet", 200, "c5")

	s1 := Scan("2026-01-01T00:00:00Z",
		Result("cmk-required", "stA", rules.Fail), Result("cmk-required", "stB", rules.Pass),
		Result("cmk-required", "stC", rules.Fail), Result("cmk-required", "stD", rules.Waived),
		Result(history.RotationRule, "k1", rules.Pass), Result(history.RotationRule, "k2", rules.Fail))
	s2 := Scan("2026-01-11T00:00:00Z",
		Result("cmk-required", "stA", rules.Unknown), Result("cmk-required", "stB", rules.Fail),
		Result("cmk-required", "stC", rules.Fail), Result("cmk-required", "stD", rules.Waived),
		Result(history.RotationRule, "k1", rules.Pass), Result(history.RotationRule, "k2", rules.Fail))
	s2.Audit = []history.AuditRecord{jan, feb}
	s3 := Scan("2026-01-21T12:00:00Z",
		Result("cmk-required", "stA", rules.Pass), Result("cmk-required", "stB", rules.Pass),
		Result("cmk-required", "stD", rules.Waived),
		Result(history.RotationRule, "k1", rules.Pass), Result(history.RotationRule, "k2", rules.Pass))
	s3.Audit = []history.AuditRecord{feb, challenge, badToken}
	stF := Result("cmk-required", "stF", rules.Pass)
	stF.Resource = ID(SubB, "stF")
	s4 := Scan("2026-02-01T00:00:00Z",
		Result("cmk-required", "stA", rules.Fail), Result("cmk-required", "stB", rules.Pass),
		Result("cmk-required", "stD", rules.Waived), Result("cmk-required", "stE", rules.Fail), stF,
		Result(history.RotationRule, "k1", rules.Fail), Result(history.RotationRule, "k2", rules.Pass))
	s4.Audit = []history.AuditRecord{ok}
	return []*history.Scan{s1, s2, s3, s4}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func f(v float64) *float64 { return &v }

// WantKPIs are History's KPIs over all scans.
func WantKPIs() *history.KPIs {
	s1, s2, s3, s4 := at("2026-01-01T00:00:00Z"), at("2026-01-11T00:00:00Z"), at("2026-01-21T12:00:00Z"), at("2026-02-01T00:00:00Z")
	vault := func(n string) string {
		return "/subscriptions/" + Sub + "/resourcegroups/rg/providers/microsoft.keyvault/vaults/" + n
	}
	return &history.KPIs{
		Scans: []history.ScanPoint{
			{At: s1, CompliancePercent: 50, InScope: 4, Compliant: 2},
			{At: s2, CompliancePercent: 25, InScope: 4, Compliant: 1},
			{At: s3, CompliancePercent: 100, InScope: 3, Compliant: 3},
			{At: s4, CompliancePercent: 60, InScope: 5, Compliant: 3},
		},
		CompliancePercent:        f(60),
		RotationAdherencePercent: f(50),
		TimeToRemediate:          history.TimeToRemediate{Closed: 3, Open: 4, MedianDays: f(20.5), MeanDays: f(17.2), MaxDays: f(20.5)},
		BlockedAttempts:          []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 2}, {Month: "2026-03", Count: 0}},
		LatestScanAt:             &s4,
		RotationAdherence: []history.RotationPoint{{At: s1, Keys: 2, Passing: 1, Percent: f(50)}, {At: s2, Keys: 2, Passing: 1, Percent: f(50)},
			{At: s3, Keys: 2, Passing: 2, Percent: f(100)}, {At: s4, Keys: 2, Passing: 1, Percent: f(50)}},
		Remediation: []history.EpisodePoint{{At: s1, Open: 3}, {At: s2, Open: 4}, {At: s3, Open: 1, Closed: 3, MedianDays: f(20.5)},
			{At: s4, Open: 4, Closed: 3, MedianDays: f(20.5)}},
		OpenEpisodes: []history.OpenEpisode{
			{Rule: "cmk-required", Resource: ID(Sub, "stC"), OpenedAt: s1, AgeDays: 31, LastStatus: rules.Fail, LastSeenAt: s2, Present: false},
			{Rule: history.RotationRule, Resource: ID(Sub, "k1"), OpenedAt: s4, AgeDays: 0, LastStatus: rules.Fail, LastSeenAt: s4, Present: true},
			{Rule: "cmk-required", Resource: ID(Sub, "stA"), OpenedAt: s4, AgeDays: 0, LastStatus: rules.Fail, LastSeenAt: s4, Present: true},
			{Rule: "cmk-required", Resource: ID(Sub, "stE"), OpenedAt: s4, AgeDays: 0, LastStatus: rules.Fail, LastSeenAt: s4, Present: true},
		},
		BlockedAttemptsTotal: 3,
		BlockedAttemptsByVault: []history.VaultBlocked{
			{Vault: vault("kv1"), Count: 2, Months: []history.MonthCount{{Month: "2026-01", Count: 1}, {Month: "2026-02", Count: 1}}},
			{Vault: vault("kv2"), Count: 1, Months: []history.MonthCount{{Month: "2026-02", Count: 1}}},
		},
		ComplianceByRule: []history.RuleCompliance{
			{Rule: "cmk-required", Results: 5, Pass: 2, Fail: 2, Waived: 1, CompliancePercent: f(60)},
			{Rule: history.RotationRule, Results: 2, Pass: 1, Fail: 1, CompliancePercent: f(50)},
		},
		ComplianceBySubscription: []history.SubCompliance{
			{Subscription: Sub, InScope: 4, Compliant: 2, CompliancePercent: 50},
			{Subscription: SubB, InScope: 1, Compliant: 1, CompliancePercent: 100},
		},
	}
}

func testKPIs(t *testing.T, st history.Store) {
	for _, s := range History() {
		record(t, st, s)
	}
	got, err := history.Compute(context.Background(), st, history.Window{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "all scans", got, WantKPIs())

	// From S2 to 20 February: episodes restart inside the window; audit
	// records after it are not seen.
	s2, s3, s4 := at("2026-01-11T00:00:00Z"), at("2026-01-21T12:00:00Z"), at("2026-02-01T00:00:00Z")
	until := at("2026-02-20T00:00:00Z")
	got, err = history.Compute(context.Background(), st, history.Window{Since: s2, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	want := WantKPIs()
	want.Window = &history.WindowDoc{Since: &s2, Until: &until}
	want.Scans = want.Scans[1:]
	want.RotationAdherence = want.RotationAdherence[1:]
	want.TimeToRemediate = history.TimeToRemediate{Closed: 2, Open: 4, MedianDays: f(10.5), MeanDays: f(10.5), MaxDays: f(10.5)}
	want.Remediation = []history.EpisodePoint{{At: s2, Open: 3}, {At: s3, Open: 1, Closed: 2, MedianDays: f(10.5)},
		{At: s4, Open: 4, Closed: 2, MedianDays: f(10.5)}}
	want.OpenEpisodes[0].OpenedAt, want.OpenEpisodes[0].AgeDays = s2, 21
	want.BlockedAttempts = want.BlockedAttempts[:2]
	same(t, "S2 to 20 February", got, want)
}

func same(t *testing.T, what string, got, want *history.KPIs) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Errorf("KPIs over %s\n got %s\nwant %s", what, g, w)
	}
}
