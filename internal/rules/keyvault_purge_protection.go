package rules

import "github.com/cmkguard/cmkguard/internal/estate"

var keyvaultPurgeProtection = &Rule{
	ID:       "keyvault-purge-protection",
	Title:    "Key Vault and Managed HSM have purge protection",
	Severity: High,
	Description: "Passes when enablePurgeProtection is true (the boolean or the string \"true\") and soft delete is on. " +
		"An absent enablePurgeProtection means off and fails.",
	Rationale: "Soft delete alone lets anyone with purge rights destroy a deleted key or vault at once, crypto-shredding every " +
		"resource that uses it. Purge protection enforces the retention period; services such as SQL TDE, PostgreSQL and " +
		"Service Bus require it before they accept a customer-managed key.",
	Remediation: "az keyvault update --name <vault> --resource-group <rg> --enable-purge-protection true " +
		"(Managed HSM: az resource update --ids <hsm id> --set properties.enablePurgeProtection=true); it cannot be turned off again.",
	Frameworks: []string{"CIS Azure 2.0 8.5", "MCSB DP-8", "PCI-DSS 3.6.1", "PCI-DSS 3.7.3",
		"HIPAA 164.308(a)(7)(ii)(A)", "HIPAA 164.312(c)(1)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		if o, ok := withoutProperties(env, v); ok {
			return o
		}
		ev := Ev("kind", vaultKind(v), "enablePurgeProtection", written(v.Written.EnablePurgeProtection),
			"enableSoftDelete", written(v.Written.EnableSoftDelete))
		on, present, bad := boolProp(v.Written.EnablePurgeProtection)
		fix := azVaultUpdate(v, "--enable-purge-protection true", "properties.enablePurgeProtection=true")
		switch {
		case bad != "":
			return env.Unknownf(ev, "enablePurgeProtection is %q, which is not a boolean; cannot tell whether purge protection is on", bad)
		case !present:
			return env.Failf(append(ev, "fix", fix), "purge protection is off (enablePurgeProtection absent: off by default)")
		case !on:
			return env.Failf(append(ev, "fix", fix), "purge protection is off (enablePurgeProtection false)")
		case !v.SoftDelete:
			return env.Failf(ev, "enablePurgeProtection is true but soft delete is off, so nothing deleted is retained to protect")
		}
		return env.Passf(ev, "purge protection is on")
	},
}
