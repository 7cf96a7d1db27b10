package historytest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// Detail makes a scan detail that names the storage account name in Sub,
// its key and vault, with one key deadline and the key's blast radius.
func Detail(name string) *history.Detail {
	key := "/subscriptions/" + Sub + "/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv1/keys/k1"
	vault := "/subscriptions/" + Sub + "/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv1"
	exp := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	enabled := true
	return &history.Detail{
		Context: &report.Context{
			Resources: []report.Resource{{ID: ID(Sub, name), Name: name, Type: "microsoft.storage/storageaccounts",
				Subscription: Sub, ResourceGroup: "RG", Tags: map[string]string{"dataClassification": "PCI", "tenant": "<acme>"}}},
			Keys:   []report.Key{{ID: key, Name: "k1", URI: "https://kv1.vault.azure.net/keys/k1", Vault: vault, Enabled: true, Expires: &exp, UsedBy: []string{ID(Sub, name)}}},
			Vaults: []report.Vault{{ID: vault, Name: "kv1", SoftDelete: true, PurgeProtection: true}},
			Chains: []report.Chain{{Workload: ID(Sub, name), Identity: report.Identity{Kind: "system-assigned", Label: "system-assigned identity of " + name},
				KeyURI: "https://kv1.vault.azure.net/keys/k1", Key: key, Vault: vault}},
		},
		Labels: []history.Label{{Resource: ID(Sub, name), Classification: "PCI", Sensitive: true, Tenant: "<acme>"}},
		Forecast: &impact.Forecast{At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Days: history.ForecastDays,
			KeyEvents: []impact.KeyEvent{{Key: key, Name: "k1", Vault: vault, Event: "expires", When: exp, DaysLeft: 45, Enabled: true,
				Dependents: []impact.Ref{{ID: ID(Sub, name), Name: name}}}},
			LostAccess: []impact.LostAccess{}, Blocked: []impact.Blocked{}},
		Keys: []impact.Impact{{Query: key, Key: "https://kv1.vault.azure.net/keys/k1", InSnapshot: true, KeyID: key, Enabled: &enabled,
			Expires: &exp, Vault: impact.VaultState{Name: "kv1", InSnapshot: true, ID: vault},
			Workloads:          []impact.Dependent{{ID: ID(Sub, name), Name: name, Service: "Storage account"}},
			DiskEncryptionSets: []impact.KeyHolder{}, Identities: []impact.Identity{},
			Consequences: []impact.Outcome{{Action: "disable", Effect: "loses access", Reversible: "yes"}}}},
	}
}

// testDetail checks that a scan's detail comes back as recorded, that a scan
// recorded without one has none, and that details stay with their scan.
func testDetail(t *testing.T, st history.Store) {
	ctx := context.Background()
	plain := record(t, st, Scan("2026-03-01T00:00:00Z", Result("cmk-required", "stA", rules.Pass)))
	s := Scan("2026-03-02T00:00:00Z", Result("cmk-required", "stA", rules.Fail))
	s.Detail = Detail("stA")
	withDetail := record(t, st, s)
	s2 := Scan("2026-03-03T00:00:00Z", Result("cmk-required", "stB", rules.Pass))
	s2.Detail = Detail("stB")
	other := record(t, st, s2)

	if d, err := st.Detail(ctx, plain); err != nil || d != nil {
		t.Errorf("detail of a scan recorded without one = %+v, %v; want nil, nil", d, err)
	}
	if d, err := st.Detail(ctx, other+1000); err != nil || d != nil {
		t.Errorf("detail of a scan that does not exist = %+v, %v; want nil, nil", d, err)
	}
	for id, want := range map[int64]*history.Detail{withDetail: s.Detail, other: s2.Detail} {
		got, err := st.Detail(ctx, id)
		if err != nil {
			t.Fatalf("detail of scan %d: %v", id, err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("detail of scan %d\n got %s\nwant %s", id, gj, wj)
		}
	}
}
