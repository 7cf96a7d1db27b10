package impact

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

func vault(pna, action, bypass string, endpoints ...string) *estate.Vault {
	v := &estate.Vault{Resource: &estate.Resource{}, PublicNetworkAccess: pna, DefaultAction: action, Bypass: bypass}
	for _, status := range endpoints {
		switch {
		case status == "":
			v.Written.UnstatedEndpoints++
		case strings.EqualFold(status, "Approved"):
			v.Written.ApprovedEndpoints++
		}
	}
	return v
}

func TestFirewallBlocks(t *testing.T) {
	cases := []struct {
		name    string
		v       *estate.Vault
		blocked bool
	}{
		{"open vault", vault("", "", ""), false},
		{"public access enabled, default allow", vault("Enabled", "Allow", "None"), false},
		{"deny, bypass absent (ARM default AzureServices)", vault("", "Deny", ""), false},
		{"deny, bypass AzureServices", vault("", "deny", "AzureServices"), false},
		{"public access disabled, bypass AzureServices", vault("Disabled", "", "AzureServices"), false},
		{"deny, bypass Logging, AzureServices", vault("", "Deny", "Logging, AzureServices"), false},
		{"deny, bypass None", vault("", "Deny", "None"), true},
		{"public access disabled, bypass None", vault("disabled", "Allow", "None"), true},
		{"deny, bypass None, approved private endpoint", vault("", "Deny", "None", "Approved"), false},
		{"deny, bypass None, private endpoint without a status", vault("", "Deny", "None", ""), false},
		{"deny, bypass None, pending private endpoint", vault("", "Deny", "None", "Pending"), true},
	}
	for _, c := range cases {
		why := firewallBlocks(c.v)
		if (why != "") != c.blocked {
			t.Errorf("%s: blocked=%v (%q), want %v", c.name, why != "", why, c.blocked)
		}
	}
}

// evidenceList reads the rules' evidence both as built in memory and as read
// back from a JSON report.
func TestEvidenceList(t *testing.T) {
	mem := []map[string]any{{"status": "fail", "missing": []string{"unwrapKey"}}}
	var decoded any
	b, _ := json.Marshal(mem)
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"memory": mem, "json": decoded} {
		got := evidenceList(v)
		if len(got) != 1 || str(got[0]["status"]) != "fail" || !slices.Equal(strs(got[0]["missing"]), []string{"unwrapKey"}) {
			t.Errorf("%s: %v", name, got)
		}
	}
	if evidenceList("not a list") != nil || evidenceList(nil) != nil {
		t.Error("evidenceList accepted something that is not a list")
	}
}

func TestQueryRejectsNonKeys(t *testing.T) {
	e := estate.NewBuilder().Build()
	for _, ref := range []string{"", "https://example.com/keys/x", "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"} {
		if _, err := Query(e, ref); err == nil {
			t.Errorf("Query(%q) accepted a reference that names no key", ref)
		}
	}
	im, err := Query(e, "https://kv.vault.azure.net/keys/k/1")
	if err != nil {
		t.Fatal(err)
	}
	if im.Key != "https://kv.vault.azure.net/keys/k" || im.Version != "1" || im.InSnapshot || im.Vault.InSnapshot {
		t.Errorf("impact of a key outside the snapshot: %+v", im)
	}
	if len(im.Consequences) != 3 || !strings.Contains(im.Consequences[0].Effect, "no workload in the snapshot") {
		t.Errorf("consequences: %+v", im.Consequences)
	}
}

// A cmk-identity-access failure whose evidence has another shape is kept,
// with the result's message as the reason, rather than dropped.
func TestForecastKeepsUnparsedLostAccess(t *testing.T) {
	e := estate.NewBuilder().Build()
	ev := rules.Evaluation{Results: []rules.Result{
		{Rule: "cmk-identity-access", Resource: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/st",
			Status: rules.Fail, Message: "lacks unwrapKey", Evidence: map[string]any{"keys": "unexpected"}},
		{Rule: "cmk-identity-access", Resource: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/ok",
			Status: rules.Pass, Message: "holds everything"},
	}}
	fc := NewForecast(e, ev, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 30)
	if len(fc.LostAccess) != 1 || fc.LostAccess[0].Workload.Name != "st" || fc.LostAccess[0].Reason != "lacks unwrapKey" {
		t.Errorf("lost access = %+v", fc.LostAccess)
	}
}
