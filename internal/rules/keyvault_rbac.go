package rules

import "github.com/cmkguard/cmkguard/internal/estate"

var keyvaultRBAC = &Rule{
	ID:       "keyvault-rbac",
	Title:    "Key Vault uses the Azure RBAC permission model",
	Severity: Medium,
	Description: "Passes when enableRbacAuthorization is true (the boolean or the string \"true\"), and for every Managed HSM, " +
		"which authorises key use by its own local RBAC by design. Absent or false means vault access policies and fails.",
	Rationale: "Access policies are vault-wide, cannot be scoped to one key, cannot be time-bound or reviewed with PIM, and " +
		"anyone who can write the vault (Contributor, Key Vault Contributor) can grant themselves key access through them.",
	Remediation: "Grant each access-policy principal the equivalent role first (e.g. Key Vault Crypto Service Encryption User " +
		"on the key for CMK identities), then: az keyvault update --name <vault> --resource-group <rg> --enable-rbac-authorization true.",
	Frameworks: []string{"CIS Azure 2.0 8.6", "MCSB PA-7", "PCI-DSS 7.2.4", "PCI-DSS 7.2.5.1",
		"HIPAA 164.308(a)(4)(i)", "HIPAA 164.308(a)(4)(ii)(B)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		if v.HSM {
			return env.Passf(Ev("kind", vaultKind(v), "permissionModel", "Managed HSM local RBAC"),
				"a Managed HSM authorises key use by its local RBAC by design; it has no access policies")
		}
		if o, ok := withoutProperties(env, v); ok {
			return o
		}
		ev := Ev("kind", vaultKind(v), "enableRbacAuthorization", written(v.Written.EnableRBACAuthorization),
			"accessPolicies", len(v.AccessPolicies))
		on, present, bad := boolProp(v.Written.EnableRBACAuthorization)
		fix := azVaultUpdate(v, "--enable-rbac-authorization true", "")
		switch {
		case bad != "":
			return env.Unknownf(ev, "enableRbacAuthorization is %q, which is not a boolean; cannot tell the permission model", bad)
		case !present:
			return env.Failf(append(ev, "fix", fix), "the vault uses access policies (enableRbacAuthorization absent: vaults created "+
				"before API 2026-02-01 default to access policies) with %s", countNoun(len(v.AccessPolicies), "access policy", "access policies"))
		case !on:
			return env.Failf(append(ev, "fix", fix), "the vault uses access policies (enableRbacAuthorization false) with %s",
				countNoun(len(v.AccessPolicies), "access policy", "access policies"))
		}
		return env.Passf(ev, "the vault uses Azure RBAC")
	},
}
