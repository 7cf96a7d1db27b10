package rules

import (
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyvaultAuditLogs = &Rule{
	ID:       "keyvault-audit-logs",
	Title:    "Key Vault and Managed HSM audit logs are collected",
	Severity: High,
	Description: "Passes when an enabled diagnostic setting on the vault sends the audit category (AuditEvent, or category group " +
		"audit or allLogs) to at least one destination: a Log Analytics workspace, storage account, event hub or partner. " +
		"Unknown when the snapshot carries no diagnostic settings (they are not in Resource Graph).",
	Rationale: "Without audit logs nobody can tell who used, changed or deleted a key, detect abuse, or show an auditor " +
		"that key access is reviewed; a setting that only sends metrics or policy evaluations records none of it.",
	Remediation: "az monitor diagnostic-settings create --name kv-audit --resource <vault id> --workspace <workspace id> " +
		"--logs '[{\"categoryGroup\":\"audit\",\"enabled\":true}]' (or --storage-account / --event-hub-rule for another destination).",
	Frameworks: []string{"CIS Azure 2.0 5.1.5", "MCSB LT-3", "MCSB DP-8", "PCI-DSS 10.2.1", "PCI-DSS 10.4.2.1", "HIPAA 164.312(b)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		ev := Ev("kind", vaultKind(v), "diagnosticSettings", len(v.Diagnostics))
		if !env.Estate.Known("diagnosticSettings", v.ID) {
			hint := ""
			if env.Estate.GapFor("diagnosticSettings", v.ID) == nil {
				hint = " (diagnostic settings are not in Resource Graph: collect them per vault, or export them with the vault)"
			}
			return env.Unknownf(ev, "%s, so cannot tell whether the %s sends its audit log anywhere%s",
				missingData(env, "diagnosticSettings", v.ID, "diagnostic settings"), vaultKind(v), hint)
		}
		var why []string
		for _, d := range v.Diagnostics {
			category, reason := auditCategory(d)
			if category != "" {
				ev = append(ev, "setting", d.Name, "category", category, "destinations", d.Destinations)
				return env.Passf(ev, "diagnostic setting %q sends %s to %s", d.Name, category,
					countNoun(len(d.Destinations), "destination", "destinations"))
			}
			why = append(why, fmt.Sprintf("setting %q %s", d.Name, reason))
		}
		ev = append(ev, "fix", "az monitor diagnostic-settings create --name kv-audit --resource "+v.ID+
			" --workspace <workspace id> --logs '[{\"categoryGroup\":\"audit\",\"enabled\":true}]'")
		if len(why) == 0 {
			return env.Failf(ev, "the %s has no diagnostic setting, so its audit log goes nowhere", vaultKind(v))
		}
		return env.Failf(ev, "no diagnostic setting sends the audit log anywhere: %s", strings.Join(why, "; "))
	},
}
