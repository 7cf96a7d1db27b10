package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// fakeCatalog knows two rules and the usual severities.
type fakeCatalog struct{}

func (fakeCatalog) HasRule(id string) bool { return id == "cmk-required" || id == "key-hsm" }
func (fakeCatalog) HasSeverity(s string) bool {
	switch s {
	case "info", "low", "medium", "high", "critical":
		return true
	}
	return false
}

func TestDefaults(t *testing.T) {
	p := Default()
	cases := []struct {
		tags                  map[string]string
		value                 string
		classified, sensitive bool
	}{
		{map[string]string{"dataClassification": "Confidential"}, "Confidential", true, true},
		{map[string]string{"DATA-CLASSIFICATION": " pci "}, "pci", true, true},
		{map[string]string{"data_classification": "PHI"}, "PHI", true, true},
		{map[string]string{"Classification": "highly-confidential"}, "highly-confidential", true, true},
		{map[string]string{"classification": "public"}, "public", true, false},
		{map[string]string{"classification": "internal"}, "internal", true, false},
		{map[string]string{"owner": "x"}, "", false, true},
		{map[string]string{"dataClassification": "  "}, "", false, true},
		{nil, "", false, true},
	}
	for _, c := range cases {
		v, cl, s := p.Classify(estate.MakeTags(c.tags))
		if v != c.value || cl != c.classified || s != c.sensitive {
			t.Errorf("Classify(%v) = %q,%v,%v; want %q,%v,%v", c.tags, v, cl, s, c.value, c.classified, c.sensitive)
		}
	}
	if got := p.Tenant(estate.Tags{{Key: "Tenant", Value: " acme "}}); got != "acme" {
		t.Errorf("Tenant = %q", got)
	}
	if p.Keys.ExpiryWarningDays != 30 || p.Keys.MaxAgeDays != 365 || p.Keys.MinRSABits != 2048 || p.Keys.MinECCurve != "P-256" {
		t.Errorf("key defaults = %+v", p.Keys)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, yaml string
		wantErr    string // substring; "" means success
		check      func(t *testing.T, p *Policy)
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, p *Policy) {
			if !p.Classification.UnclassifiedIsSensitive || len(p.Classification.TagKeys) != 4 {
				t.Errorf("defaults lost: %+v", p.Classification)
			}
		}},
		{name: "partial override keeps other defaults", yaml: "keys:\n  expiryWarningDays: 60\n", check: func(t *testing.T, p *Policy) {
			if p.Keys.ExpiryWarningDays != 60 || p.Keys.MaxAgeDays != 365 {
				t.Errorf("keys = %+v", p.Keys)
			}
		}},
		{name: "unknown top-level key names its line", yaml: "tenantTagKey: t\nclasification:\n  tagKeys: [x]\n", wantErr: "line 2"},
		{name: "unknown nested key", yaml: "keys:\n  maxAge: 3\n", wantErr: "line 2"},
		{name: "unknown rule in override", yaml: "overrides:\n  - rule: no-such-rule\n    severity: low\n", wantErr: "line 2: override names unknown rule"},
		{name: "bad severity", yaml: "overrides:\n  - rule: key-hsm\n    severity: urgent\n", wantErr: "unknown severity"},
		{name: "waiver without reason", yaml: "waivers:\n  - rule: cmk-required\n    resource: /subscriptions/*\n    expires: 2027-01-01\n", wantErr: "line 2: waiver for cmk-required on /subscriptions/* needs a reason"},
		{name: "waiver without expiry", yaml: "waivers:\n  - rule: cmk-required\n    resource: /x\n    reason: r\n", wantErr: "needs an expiry"},
		{name: "waiver with bad expiry", yaml: "waivers:\n  - rule: cmk-required\n    resource: /x\n    reason: r\n    expires: next week\n", wantErr: "neither YYYY-MM-DD nor RFC 3339"},
		{name: "bad curve", yaml: "keys:\n  minECCurve: P-192\n", wantErr: "minECCurve"},
		{name: "valid waiver", yaml: "waivers:\n  - rule: cmk-required\n    resource: /subscriptions/*/resourceGroups/rg-dev/*\n    reason: dev data is synthetic\n    expires: 2027-01-31\n",
			check: func(t *testing.T, p *Policy) {
				w := p.Waivers[0]
				if w.Line != 2 || !w.Until().Equal(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("waiver line %d until %v", w.Line, w.Until())
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.yaml), fakeCatalog{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, p)
			}
		})
	}
}

func TestWaiver(t *testing.T) {
	p, err := Parse([]byte(`waivers:
  - rule: cmk-required
    resource: /subscriptions/*/resourceGroups/RG-DEV/*
    reason: synthetic data
    expires: 2027-01-31
  - rule: key-hsm
    resource: "*keys/legacy-?"
    reason: migrating
    expires: 2026-06-30T00:00:00Z
`), fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		rule, id     string
		match, alive bool
	}{
		{"cmk-required", "/subscriptions/s1/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/st1", true, true},
		{"cmk-required", "/subscriptions/s1/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/st1", false, false},
		{"key-hsm", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/legacy-1", true, false},
		{"key-hsm", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/legacy-10", false, false},
		{"cmk-classified", "/subscriptions/s1/resourceGroups/rg-dev/x", false, false},
	}
	for _, c := range cases {
		w, alive := p.Waiver(c.rule, c.id, now)
		if (w != nil) != c.match || alive != c.alive {
			t.Errorf("Waiver(%s, %s) = %v, %v; want match %v alive %v", c.rule, c.id, w, alive, c.match, c.alive)
		}
	}
	// The day named as expiry is still covered; the next is not.
	if _, alive := p.Waiver("cmk-required", "/subscriptions/s/resourceGroups/rg-dev/x", time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC)); !alive {
		t.Error("waiver should hold through its expiry day")
	}
	if _, alive := p.Waiver("cmk-required", "/subscriptions/s/resourceGroups/rg-dev/x", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)); alive {
		t.Error("waiver should lapse after its expiry day")
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "/anything/at/all", true},
		{"/subscriptions/*/x", "/subscriptions/a/b/c/x", true},
		{"/Subscriptions/A", "/subscriptions/a/", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*storageAccounts/st*", "/s/rg/providers/Microsoft.Storage/storageaccounts/st01", true},
		{"/exact", "/exact/child", false},
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
