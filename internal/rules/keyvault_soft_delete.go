package rules

import "github.com/cmkguard/cmkguard/internal/estate"

var keyvaultSoftDelete = &Rule{
	ID:       "keyvault-soft-delete",
	Title:    "Key Vault and Managed HSM keep deleted keys recoverable (soft delete)",
	Severity: Medium,
	Description: "Passes when soft delete is on. An absent enableSoftDelete means on (Azure enforces soft delete on every vault " +
		"today, and a Managed HSM always has it); only an explicit false, or \"false\", fails.",
	Rationale: "Without soft delete a deleted key, or the whole vault, is gone at once: every resource encrypted with it " +
		"loses its data for good. Soft delete is also the prerequisite for purge protection.",
	Remediation: "az keyvault update --name <vault> --resource-group <rg> --enable-soft-delete true " +
		"(Managed HSM: az resource update --ids <hsm id> --set properties.enableSoftDelete=true); once on it cannot be turned off.",
	Frameworks: []string{"CIS Azure 2.0 8.5", "MCSB DP-8", "PCI-DSS 3.6.1", "PCI-DSS 3.7.3",
		"HIPAA 164.308(a)(7)(ii)(A)", "HIPAA 164.312(c)(1)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		if o, ok := withoutProperties(env, v); ok {
			return o
		}
		ev := Ev("kind", vaultKind(v), "enableSoftDelete", written(v.Written.EnableSoftDelete),
			"softDeleteRetentionInDays", written(v.Written.SoftDeleteRetentionInDays))
		on, present, bad := boolProp(v.Written.EnableSoftDelete)
		switch {
		case bad != "":
			return env.Unknownf(ev, "enableSoftDelete is %q, which is not a boolean; cannot tell whether soft delete is on", bad)
		case !present:
			return env.Passf(ev, "soft delete is on (enableSoftDelete absent: on by default, mandatory on Azure today)")
		case on:
			return env.Passf(ev, "soft delete is on")
		}
		ev = append(ev, "fix", azVaultUpdate(v, "--enable-soft-delete true", "properties.enableSoftDelete=true"))
		return env.Failf(ev, "soft delete is off (enableSoftDelete false): deleted keys and the %s itself cannot be recovered", vaultKind(v))
	},
}
