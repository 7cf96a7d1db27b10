package history_test

import (
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
)

func TestBlocked(t *testing.T) {
	cases := []struct {
		op     string
		status int
		sig    string
		want   bool
	}{
		{"KeyUnwrap", 403, "Forbidden", true},
		{"KeyUnwrap", 0, "Forbidden", true}, // no httpStatusCode: the signature decides
		{"KeyUnwrap", 401, "Unauthorized", true},
		{"KeyGet", 0, "Unauthorized", true},
		{"Authentication", 401, "Unauthorized", false}, // the SDKs' challenge
		{"authentication", 0, "Unauthorized", false},
		{"Authentication", 403, "Forbidden", true}, // only the 401 challenge is benign
		{"KeyUnwrap", 200, "OK", false},
		{"KeyUnwrap", 429, "TooManyRequests", false},
		{"KeyUnwrap", 0, "", false},
	}
	for _, c := range cases {
		a := history.AuditRecord{Operation: c.op, HTTPStatus: c.status, Signature: c.sig}
		if got := a.Blocked(); got != c.want {
			t.Errorf("Blocked(%s %d %q) = %v, want %v", c.op, c.status, c.sig, got, c.want)
		}
	}
}

func TestAuditKeyAndMonth(t *testing.T) {
	base := estate.AuditRecord{Time: time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)),
		ResourceID: "/SUBSCRIPTIONS/1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1", OperationName: "KeyUnwrap",
		HTTPStatus: 403, Signature: "Forbidden", ResultType: "Success", CallerIP: "203.0.113.1", CorrelationID: "ABC", Identity: "oid"}
	a := history.NewAuditRecord(&base)
	if a.Month() != "2026-02" || a.Time.Location() != time.UTC {
		t.Errorf("a record at 00:30 CET on 1 March is in %s (%s), want 2026-02 in UTC", a.Month(), a.Time)
	}
	if a.Vault != "/subscriptions/1/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv1" {
		t.Errorf("vault %q is not the lower-case id", a.Vault)
	}
	same := base
	same.CorrelationID = "abc"                                                                      // ids compare case-insensitively
	same.ResourceID = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/" // so do ARM ids
	same.Time = base.Time.UTC()
	if b := history.NewAuditRecord(&same); b.Key != a.Key {
		t.Errorf("the same record read twice has keys %s and %s", a.Key, b.Key)
	}
	for name, change := range map[string]func(*estate.AuditRecord){
		"time":        func(r *estate.AuditRecord) { r.Time = r.Time.Add(time.Microsecond) },
		"vault":       func(r *estate.AuditRecord) { r.ResourceID += "2" },
		"operation":   func(r *estate.AuditRecord) { r.OperationName = "KeyWrap" },
		"correlation": func(r *estate.AuditRecord) { r.CorrelationID = "abd" },
		"caller":      func(r *estate.AuditRecord) { r.Identity = "other" },
		"address":     func(r *estate.AuditRecord) { r.CallerIP = "203.0.113.2" },
		"status":      func(r *estate.AuditRecord) { r.HTTPStatus = 401 },
	} {
		other := base
		change(&other)
		if b := history.NewAuditRecord(&other); b.Key == a.Key {
			t.Errorf("records differing in %s share a key", name)
		}
	}
}

func TestSparkline(t *testing.T) {
	if got := history.Sparkline([]float64{0, 50, 100}, 0, 100); got != "▁▄█" {
		t.Errorf("Sparkline(0, 50, 100) = %q", got)
	}
	if got := history.Sparkline([]float64{3, 3}, 0, 0); got != "██" {
		t.Errorf("Sparkline of a flat series = %q", got)
	}
	long := make([]float64, 100)
	long[99] = 1
	if got := []rune(history.Sparkline(long, 0, 1)); len(got) != 40 || got[39] != '█' {
		t.Errorf("Sparkline of 100 points = %q, want the last 40", string(got))
	}
}
