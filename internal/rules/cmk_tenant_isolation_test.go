package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
)

func TestCMKTenantIsolation(t *testing.T) {
	runRuleCases(t, "cmk-tenant-isolation", []ruleCase{
		{Name: "same tenant in another case, versioned and versionless references", Files: []string{"pass.json"}, Resource: "storageAccounts/sta1", Want: Pass, Message: "1 other resource(s)"},
		{Name: "same tenant, the sharer's side", Files: []string{"pass.json"}, Resource: "storageAccounts/sta2", Want: Pass},
		{Name: "only user of its key", Files: []string{"pass.json"}, Resource: "storageAccounts/stsolo", Want: Pass, Message: "no other resource"},
		{Name: "all sharers untagged", Files: []string{"pass.json"}, Resource: "storageAccounts/stu1", Want: Pass, Message: "none of them"},
		{Name: "same vault and key name in another cloud is another key", Files: []string{"pass.json"}, Resource: "accounts/cog-cn", Want: Pass, Message: "no other resource"},
		{Name: "default tenant tag agrees", Files: []string{"pass.json"}, Resource: "storageAccounts/stg1", Want: Pass},
		{Name: "tenant tag key from the policy", Files: []string{"pass.json"}, Resource: "storageAccounts/stg1", Want: Fail, Message: "customer=globex",
			Policy: "tenantTagKey: customer\n"},
		{Name: "platform keys: not applicable", Files: []string{"pass.json"}, Resource: "storageAccounts/stpmk"},
		{Name: "unresolved disk encryption set: not applicable", Files: []string{"pass.json"}, Resource: "disks/disklostdes"},
		{Name: "another tenant on the same key (vault not in the snapshot)", Files: []string{"fail.json"}, Resource: "storageAccounts/stb1", Want: Fail, Message: "tenant=fabrikam"},
		{Name: "another tenant, Cosmos side", Files: []string{"fail.json"}, Resource: "databaseAccounts/cosmosb2", Want: Fail, Message: "tenant=contoso"},
		{Name: "tagged resource shares with an untagged one", Files: []string{"fail.json"}, Resource: "storageAccounts/stc1", Want: Fail, Message: "untagged"},
		{Name: "untagged resource shares with a tagged one", Files: []string{"fail.json"}, Resource: "storageAccounts/stc2", Want: Fail, Message: "tenant=contoso"},
		{Name: "disks of two tenants behind one disk encryption set", Files: []string{"fail.json"}, Resource: "disks/diskd1", Want: Fail, Message: "diskd2"},
		{Name: "one of several Service Bus keys shared with another tenant", Files: []string{"fail.json"}, Resource: "namespaces/sbmulti", Want: Fail, Message: "ste"},
		{Name: "sharer known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "storageAccounts/stf", Want: Unknown, Message: "sql-ghost"},
		{Name: "server known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "servers/sql-ghost", Want: Unknown, Message: "tenant tag cannot be read"},
	})
}

// A key shared by many resources (a disk encryption set's key behind
// hundreds of disks) keeps results small: evidence lists the first sharers,
// the message names a few, and the counts stay complete.
func TestCMKTenantIsolationBoundsItsLists(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"value": [`)
	for i := range 40 {
		tenant := "acme"
		if i%4 == 0 {
			tenant = "globex"
		}
		fmt.Fprintf(&b, `{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%02d",
		  "tags": {"tenant": %q}, "properties": {"encryption": {"keySource": "Microsoft.Keyvault",
		  "keyvaultproperties": {"keyvaulturi": "https://kv-shared.vault.azure.net/", "keyname": "k"}}}},`, i, tenant)
	}
	b.WriteString(`{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shared", "properties": {"vaultUri": "https://kv-shared.vault.azure.net/"}}]}`)
	bld := estate.NewBuilder()
	if err := input.Read(context.Background(), "shared.json", strings.NewReader(b.String()), bld); err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(bld.Build(), policy.Default(), fixtureNow, []*Rule{cmkTenantIsolation})
	if len(ev.Results) != 40 {
		t.Fatalf("%d results, want 40", len(ev.Results))
	}
	r := ev.Results[1] // st01, tenant acme: shares with 10 globex resources
	if r.Status != Fail || len(r.Evidence["sharers"].([]map[string]any)) != maxListed || r.Evidence["sharerCount"] != 39 {
		t.Errorf("st01: %s, %d sharers listed, count %v; want fail, %d listed, 39 counted", r.Status,
			len(r.Evidence["sharers"].([]map[string]any)), r.Evidence["sharerCount"], maxListed)
	}
	if !strings.Contains(r.Message, "with 10 resource(s) of another or no tenant") || !strings.HasSuffix(r.Message, "and 5 more") {
		t.Errorf("st01 message: %s", r.Message)
	}
}

// TestKeySharersHashTheirLists checks the hashes a key's tally gives with
// the sharer lists it hands out: the table of an Env finds evidence by them.
func TestKeySharersHashTheirLists(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"value": [`)
	for i := range 25 {
		fmt.Fprintf(&b, `{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%02d",
		  "tags": {"tenant": "t%d"}, "properties": {"encryption": {"keySource": "Microsoft.Keyvault",
		  "keyvaultproperties": {"keyvaulturi": "https://kv-shared.vault.azure.net/", "keyname": "k"}}}},`, i, i%3)
	}
	b.WriteString(`{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shared", "properties": {"vaultUri": "https://kv-shared.vault.azure.net/"}}]}`)
	bld := estate.NewBuilder()
	if err := input.Read(context.Background(), "shared.json", strings.NewReader(b.String()), bld); err != nil {
		t.Fatal(err)
	}
	e := bld.Build()
	env := newEnv(e, policy.Default(), fixtureNow)
	for _, w := range e.Workloads {
		ref := w.KeyRefs[0]
		mine, known := tenantTag(env, w.Resource)
		s := sharersOf(env, ref).sharing(w, mine, known, []string{refLabel(ref)})
		want, _ := hashMaps(s.listed)
		if !s.hashed || s.listedHash != want || len(s.listed) != maxListed {
			t.Errorf("%s: %d listed, hashed %v as %x, want %d hashed as %x", w.Name, len(s.listed), s.hashed, s.listedHash, maxListed, want)
		}
	}
}
