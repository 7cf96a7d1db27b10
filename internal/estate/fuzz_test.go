package estate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseID checks what every parsed id promises: a lower-case type, a
// name, and a parent the id lies within; and that ids compare without case.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		tVault, tKey, tVault + "/providers/microsoft.insights/diagnosticSettings/d", tSub, tRGKey,
		"/providers/Microsoft.Management/managementGroups/mg1",
		"/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments/x",
		"/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
		tSub + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s/encryptionProtector/current",
		"", "/", "//", "/subscriptions//resourceGroups/x", "/a/providers/b/c/d", tVault + "/", "https://kv.vault.azure.net/keys/k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseID(s)
		if !ok {
			if id.Type != "" || id.Name != "" {
				t.Fatalf("ParseID(%q) failed but returned %+v", s, id)
			}
			return
		}
		if !strings.HasPrefix(s, "/") || id.Type == "" || id.Type != Lower(id.Type) || !strings.Contains(id.Type, "/") ||
			id.Name == "" || strings.Contains(id.Name, "/") {
			t.Fatalf("ParseID(%q) = %+v: type or name malformed", s, id)
		}
		if id.Subscription != Lower(id.Subscription) || id.ResourceGroup != Lower(id.ResourceGroup) || id.ManagementGroup != Lower(id.ManagementGroup) {
			t.Fatalf("ParseID(%q) = %+v: scopes not lower-case", s, id)
		}
		if id.Parent != "" && (!Within(s, id.Parent) || Within(id.Parent, s)) {
			t.Fatalf("ParseID(%q): parent %q does not strictly contain the id", s, id.Parent)
		}
		if isASCII(s) {
			up, ok := ParseID(strings.ToUpper(s))
			if !ok || up.Type != id.Type || !strings.EqualFold(up.Name, id.Name) || up.Subscription != id.Subscription {
				t.Fatalf("ParseID(%q) = %+v but the upper-case id gives %+v, %v", s, id, up, ok)
			}
		}
	})
}

// FuzzParseKeyURI checks that a parsed reference names a vault and a key in
// lower case, and that its rendering parses back to the same key.
func FuzzParseKeyURI(f *testing.F) {
	for _, s := range []string{
		"https://kv-prod.vault.azure.net/keys/cmk", "https://kv-prod.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
		"https://kv-prod.vault.azure.net/keys/cmk/", "HTTPS://KV.VAULT.AZURE.NET/KEYS/K/V", "https://hsm.managedhsm.azure.net/keys/k",
		"https://kv.vault.azure.cn/keys/k", "https://kv.vault.usgovcloudapi.net/keys/k", "kv.vault.azure.net/keys/k",
		tKey, tRGKey + "/providers/Microsoft.KeyVault/managedHSMs/hsm/keys/k", "https://kv.vault.azure.net/secrets/s", "", "%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyURI(s)
		if err != nil {
			return
		}
		if k.Vault == "" || k.Name == "" || k.Vault != Lower(k.Vault) || k.Name != Lower(k.Name) ||
			strings.Contains(k.Name, "/") || strings.Contains(k.Vault, "/") || strings.Contains(k.Version, "/") {
			t.Fatalf("ParseKeyURI(%q) = %+v", s, k)
		}
		back, err := ParseKeyURI(k.String())
		if err != nil || back.Vault != k.Vault || back.Name != k.Name || back.HSM != k.HSM || back.Version != k.Version {
			t.Fatalf("ParseKeyURI(%q) = %+v renders as %q, which parses to %+v, %v", s, k, k.String(), back, err)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
