package estate

import (
	"testing"
	"unsafe"
)

func TestParseID(t *testing.T) {
	const rg = "/subscriptions/1111AAAA-1111-1111-1111-111111111111/resourceGroups/RG-Sec"
	const vault = rg + "/providers/Microsoft.KeyVault/vaults/KV-Prod"
	cases := []struct {
		name string
		id   string
		want ID
		ok   bool
	}{
		{"top-level resource: its scope is the resource group", vault,
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.keyvault/vaults", Name: "KV-Prod", Parent: rg}, true},
		{"child resource", vault + "/keys/Cmk-1",
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.keyvault/vaults/keys", Name: "Cmk-1", Parent: vault}, true},
		{"grandchild", rg + "/providers/Microsoft.Sql/servers/sql1/databases/db1/transparentDataEncryption/current",
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.sql/servers/databases/transparentdataencryption",
				Name: "current", Parent: rg + "/providers/Microsoft.Sql/servers/sql1/databases/db1"}, true},
		{"extension resource takes the extension's type", vault + "/providers/microsoft.insights/diagnosticSettings/to-law",
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.insights/diagnosticsettings", Name: "to-law", Parent: vault}, true},
		{"extension on a child resource", vault + "/keys/k1/providers/Microsoft.Authorization/roleAssignments/ra1",
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.authorization/roleassignments", Name: "ra1", Parent: vault + "/keys/k1"}, true},
		{"role assignment at a subscription", "/subscriptions/S1/providers/Microsoft.Authorization/roleAssignments/ra2",
			ID{Subscription: "s1", Type: "microsoft.authorization/roleassignments", Name: "ra2", Parent: "/subscriptions/S1"}, true},
		{"management group", "/providers/Microsoft.Management/managementGroups/MG-Root",
			ID{ManagementGroup: "mg-root", Type: "microsoft.management/managementgroups", Name: "MG-Root"}, true},
		{"role assignment at a management group", "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments/ra3",
			ID{ManagementGroup: "mg1", Type: "microsoft.authorization/roleassignments", Name: "ra3", Parent: "/providers/Microsoft.Management/managementGroups/mg1"}, true},
		{"tenant-level role definition", "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
			ID{Type: "microsoft.authorization/roledefinitions", Name: "e147488a-f6f5-4113-8e2d-b22465e65bf6"}, true},
		{"subscription", "/subscriptions/S1", ID{Subscription: "s1", Type: "microsoft.resources/subscriptions", Name: "S1"}, true},
		{"resource group, any case", "/SUBSCRIPTIONS/S1/RESOURCEGROUPS/Rg1",
			ID{Subscription: "s1", ResourceGroup: "rg1", Type: "microsoft.resources/subscriptions/resourcegroups", Name: "Rg1", Parent: "/SUBSCRIPTIONS/S1"}, true},
		{"trailing slash", vault + "/",
			ID{Subscription: "1111aaaa-1111-1111-1111-111111111111", ResourceGroup: "rg-sec", Type: "microsoft.keyvault/vaults", Name: "KV-Prod", Parent: rg}, true},
		{"empty", "", ID{}, false},
		{"root", "/", ID{}, false},
		{"no leading slash", "subscriptions/S1/resourceGroups/rg", ID{}, false},
		{"a key URI", "https://kv.vault.azure.net/keys/k", ID{}, false},
		{"type without a name", rg + "/providers/Microsoft.KeyVault/vaults", ID{}, false},
		{"child type without a name", vault + "/keys", ID{}, false},
		{"providers without a namespace", rg + "/providers", ID{}, false},
		{"resource groups without a name", "/subscriptions/S1/resourceGroups", ID{}, false},
		{"empty segment", rg + "/providers/Microsoft.KeyVault/vaults/kv//keys/k", ID{}, false},
		{"empty subscription", "/subscriptions//resourceGroups/rg", ID{}, false},
		{"empty resource group", "/subscriptions/S1/resourceGroups//providers/Microsoft.KeyVault/vaults/kv", ID{}, false},
		{"not an ARM path", "/foo/bar", ID{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseID(c.id)
			if ok != c.ok || (ok && got != c.want) {
				t.Errorf("ParseID(%q) =\n %+v, %v\nwant\n %+v, %v", c.id, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	const vault = "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	cases := []struct {
		id, scope string
		want      bool
	}{
		{vault + "/keys/k1", vault, true},
		{vault, vault, true},
		{vault + "/keys/k1", "/subscriptions/s1/RESOURCEGROUPS/RG", true},
		{vault + "/keys/k1", "/subscriptions/S1/", true},
		{vault, vault + "/", true},
		{vault + "2", vault, false}, // a sibling whose name extends the scope's
		{vault, vault + "/keys/k1", false},
		{"/subscriptions/S2/resourceGroups/rg", "/subscriptions/S1", false},
		{vault, "/", true},
		{vault, "", true},
	}
	for _, c := range cases {
		if got := Within(c.id, c.scope); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.id, c.scope, got, c.want)
		}
	}
}

// TestParseIDSharesTypes: ids of one type, read by rules or not, share its
// string.
func TestParseIDSharesTypes(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/rg/providers/"
	for _, ids := range [][2]string{
		{rg + "Microsoft.Compute/virtualMachines/vm1/extensions/e1", rg + "microsoft.compute/VIRTUALMACHINES/vm2/Extensions/e2"},
		{rg + "Microsoft.KeyVault/vaults/kv1/keys/k1", rg + "Microsoft.KeyVault/vaults/kv2/keys/k2"},
	} {
		a, _ := ParseID(ids[0])
		b, _ := ParseID(ids[1])
		if a.Type == "" || a.Type != b.Type || unsafe.StringData(a.Type) != unsafe.StringData(b.Type) {
			t.Errorf("%s: types %q and %q are not one string", ids[0], a.Type, b.Type)
		}
	}
}

// TestFoldEq holds the word-at-a-time comparison to lower-casing, at bytes
// one case bit away from a letter or from a byte that is not one.
func TestFoldEq(t *testing.T) {
	for _, c := range []struct{ s, lower string }{
		{"subscriptions", "subscriptions"}, {"SUBSCRIPTIONS", "subscriptions"}, {"subScriptionS", "subscriptions"},
		{"subscription", "subscriptions"}, {"subscriptionss", "subscriptions"}, {"subscriptionz", "subscriptions"},
		{"subscriptionS", "subscriptions"}, {"Subscription\x13", "subscriptions"}, {"\x13ubscriptions", "subscriptions"},
		{"Microsoft.Management", "microsoft.management"}, {"microsoft\x0emanagement", "microsoft.management"},
		{"microsoft.managemenT", "microsoft.management"}, {"providers", "providers"}, {"PROVIDERS", "providers"},
		{"provider[", "providers"}, {"provider\xd3", "providers"}, {"pro\u017fiders", "providers"},
		{"resourceGroups", "resourcegroups"}, {"resourceGroup@", "resourcegroups"}, {"managementGroups", "managementgroups"},
	} {
		if got, want := foldEq(c.s, c.lower), Lower(c.s) == c.lower; got != want {
			t.Errorf("foldEq(%q, %q) = %v, want %v", c.s, c.lower, got, want)
		}
	}
}

// TestSlashes: each '/' byte and no other gets its high bit, wherever it
// falls in the word and whatever its neighbours.
func TestSlashes(t *testing.T) {
	for _, s := range []string{"abcdefgh", "/bcdefgh", "abcdefg/", "////////", "a/b/c/d/", "\xaf\x2e\x2f\x30\x0f\x6f\xff/", "\x00\x00/\x00\x00\x00\x00\x00"} {
		var want uint64
		for i := range 8 {
			if s[i] == '/' {
				want |= 0x80 << (8 * i)
			}
		}
		if got := slashes(word(s, 0)); got != want {
			t.Errorf("slashes(%q) = %#x, want %#x", s, got, want)
		}
	}
}
