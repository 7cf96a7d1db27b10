package estate

import (
	"slices"
	"strings"
	"testing"
)

func roleAssignment(name, scope, principal, role string) string {
	return `{"id": "` + strings.TrimRight(scope, "/") + `/providers/Microsoft.Authorization/roleAssignments/` + name + `",
		"properties": {"scope": "` + scope + `", "principalId": "` + principal + `", "principalType": "ServicePrincipal",
		"roleDefinitionId": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/roleDefinitions/` + role + `"}}`
}

// TestGrantsInheritScope: a role assignment reaches a key from the key, its
// vault, the resource group, the subscription or a management group above it.
func TestGrantsInheritScope(t *testing.T) {
	const mgs = "/providers/Microsoft.Management/managementGroups/"
	enc := RoleKeyVaultCryptoServiceEncryption
	assignments := []string{
		roleAssignment("ra-key", tKey, "p-key", enc),
		roleAssignment("ra-other-key", tVault+"/keys/k2", "p-other-key", enc),
		roleAssignment("ra-vault", tVault, "p-vault", enc),
		roleAssignment("ra-sibling", tVault+"2", "p-sibling", enc),
		roleAssignment("ra-rg", tRGKey, "p-rg", enc),
		roleAssignment("ra-sub", tSub, "p-sub", enc),
		roleAssignment("ra-other-sub", "/subscriptions/22222222-2222-2222-2222-222222222222", "p-other-sub", enc),
		roleAssignment("ra-mg", mgs+"mg-platform", "p-mg", enc),
		roleAssignment("ra-other-mg", mgs+"mg-sandbox", "p-other-mg", enc),
	}
	subscription := `{"id": "` + tSub + `", "properties": {"managementGroupAncestorsChain": [{"name": "mg-platform", "displayName": "Platform"}, {"name": "tenant-root"}]}}`
	withChain := testEstate(t, append([]string{rbacVault, key1, subscription}, assignments...)...)
	withoutChain := testEstate(t, append([]string{rbacVault, key1}, assignments...)...)
	cases := []struct {
		principal  string
		applies    bool
		unresolved bool // only without the subscription row
	}{
		{"p-key", true, false},
		{"p-other-key", false, false},
		{"p-vault", true, false},
		{"p-sibling", false, false},
		{"p-rg", true, false},
		{"p-sub", true, false},
		{"p-other-sub", false, false},
		{"p-mg", true, true},
		{"p-other-mg", false, true},
	}
	for _, c := range cases {
		t.Run(c.principal, func(t *testing.T) {
			v := withChain.Vaults[0]
			grants := withChain.Grants(v, KeyScope(v, "k1"), c.principal)
			if got := len(grants) == 1; got != c.applies {
				t.Fatalf("grants %+v, want applies=%v", grants, c.applies)
			}
			if c.applies {
				g := grants[0]
				if g.Via != "role assignment" || g.Ignored != "" || g.Unresolved != "" || g.Role != "Key Vault Crypto Service Encryption User" ||
					!slices.Equal(g.Ops, []string{"get", "list", "wrapkey", "unwrapkey"}) {
					t.Errorf("grant %+v", g)
				}
			}
			v = withoutChain.Vaults[0]
			grants = withoutChain.Grants(v, KeyScope(v, "k1"), c.principal)
			switch {
			case c.unresolved && (len(grants) != 1 || !strings.Contains(grants[0].Unresolved, "management group")):
				t.Errorf("without subscription rows: %+v, want one unresolved grant", grants)
			case !c.unresolved && (len(grants) == 1) != c.applies:
				t.Errorf("without subscription rows: %+v, want applies=%v", grants, c.applies)
			}
		})
	}
	// Vault-wide grants, for all principals.
	v := withChain.Vaults[0]
	var got []string
	for _, g := range withChain.Grants(v, v.ID, "") {
		got = append(got, g.PrincipalID)
	}
	slices.Sort(got)
	if want := []string{"p-mg", "p-rg", "p-sub", "p-vault"}; !slices.Equal(got, want) {
		t.Errorf("vault-wide grants to %v, want %v", got, want)
	}
}

// TestGrantsFollowThePermissionModel: a vault honours either access policies
// or Azure RBAC, never both; a Managed HSM honours neither kind of Azure grant.
func TestGrantsFollowThePermissionModel(t *testing.T) {
	const apVaultID = tRGKey + "/providers/Microsoft.KeyVault/vaults/kv-policies"
	const hsmID = tRGKey + "/providers/Microsoft.KeyVault/managedHSMs/hsm1"
	const customRole = "99999999-9999-9999-9999-999999999999"
	policy := func(object string, keys ...string) string {
		return `{"tenantId": "t", "objectId": "` + object + `", "permissions": {"keys": ["` + strings.Join(keys, `", "`) + `"], "secrets": ["get"]}}`
	}
	e := testEstate(t,
		`{"id": "`+tVault+`", "properties": {"enableRbacAuthorization": true, "accessPolicies": [`+policy("P-POLICY-ON-RBAC", "Get", "WrapKey", "UnwrapKey")+`]}}`,
		`{"id": "`+apVaultID+`", "properties": {"enableRbacAuthorization": false, "accessPolicies": [`+
			policy("p-policy", "Get", "wrapKey", "UNWRAPKEY", "get")+`, `+policy("p-all", "All")+`]}}`,
		`{"id": "`+hsmID+`", "properties": {}}`,
		roleAssignment("ra-rbac-on-ap", apVaultID, "p-rbac-on-ap", RoleKeyVaultCryptoUser),
		roleAssignment("ra-owner-on-ap", apVaultID, "p-owner", RoleOwner),
		roleAssignment("ra-rbac", tVault, "p-rbac", RoleKeyVaultCryptoUser),
		roleAssignment("ra-custom", tVault, "p-custom", customRole),
		roleAssignment("ra-unknown-role", tVault, "p-unknown-role", "88888888-8888-8888-8888-888888888888"),
		roleAssignment("ra-hsm", hsmID, "p-hsm", RoleKeyVaultCryptoUser),
		`{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/roleDefinitions/`+customRole+`",
		  "properties": {"roleName": "CMK unwrap only", "permissions": [{"actions": [], "dataActions": ["Microsoft.KeyVault/vaults/keys/*"],
		  "notDataActions": ["Microsoft.KeyVault/vaults/keys/delete", "Microsoft.KeyVault/vaults/keys/create/action"]}]}}`,
	)
	vaults := map[string]*Vault{}
	for _, v := range e.Vaults {
		vaults[v.Name] = v
	}
	one := func(v *Vault, principal string) Grant {
		t.Helper()
		grants := e.Grants(v, KeyScope(v, "k1"), principal)
		if len(grants) != 1 {
			t.Fatalf("%s on %s: %d grants %+v, want 1", principal, v.Name, len(grants), grants)
		}
		return grants[0]
	}
	if g := one(vaults["kv-cmk"], "p-policy-on-rbac"); g.Via != "access policy" || !strings.Contains(g.Ignored, "uses Azure RBAC") {
		t.Errorf("access policy on an RBAC vault: %+v, want ignored", g)
	}
	if g := one(vaults["kv-policies"], "p-rbac-on-ap"); !strings.Contains(g.Ignored, "uses access policies") || !g.Has("unwrapkey") {
		t.Errorf("RBAC data role on an access-policy vault: %+v, want ignored", g)
	}
	if g := one(vaults["kv-policies"], "p-owner"); !g.Admin {
		t.Errorf("Owner on an access-policy vault can grant itself access: %+v, want Admin", g)
	}
	if g := one(vaults["kv-policies"], "p-policy"); g.Ignored != "" || !slices.Equal(g.Ops, []string{"get", "wrapkey", "unwrapkey"}) {
		t.Errorf("access policy on an access-policy vault: %+v", g)
	}
	if g := one(vaults["kv-policies"], "p-all"); !slices.Equal(g.Ops, KeyOperations) {
		t.Errorf(`"All" must expand to every key operation: %v`, g.Ops)
	}
	if g := one(vaults["kv-cmk"], "p-rbac"); g.Ignored != "" || !g.Has("wrapkey") || !g.Has("unwrapkey") || g.Has("create") || g.Admin {
		t.Errorf("Crypto User on an RBAC vault: %+v", g)
	}
	if g := one(vaults["kv-cmk"], "p-custom"); g.Role != "CMK unwrap only" || !g.Has("unwrapkey") || g.Has("delete") || g.Has("create") || g.Unresolved != "" {
		t.Errorf("custom role from the snapshot: %+v", g)
	}
	if g := one(vaults["kv-cmk"], "p-unknown-role"); !strings.Contains(g.Unresolved, "not in the snapshot") || len(g.Ops) != 0 {
		t.Errorf("role without a definition: %+v, want unresolved", g)
	}
	if g := one(vaults["hsm1"], "p-hsm"); !strings.Contains(g.Ignored, "local RBAC") || len(g.Ops) != 0 {
		t.Errorf("Azure role on a Managed HSM: %+v, want ignored", g)
	}
}
