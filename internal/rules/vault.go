package rules

import (
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// vaultRules are the per-vault (Key Vault and Managed HSM) rules, in catalog order.
var vaultRules = []*Rule{
	keyvaultSoftDelete,
	keyvaultPurgeProtection,
	keyvaultRBAC,
	keyvaultNetwork,
	keyvaultAuditLogs,
	keyvaultExpiryAlerts,
	keyvaultLeastPrivilege,
}

// vaultKind names the kind of vault for messages.
func vaultKind(v *estate.Vault) string {
	if v.HSM {
		return "Managed HSM"
	}
	return "Key Vault"
}

// withoutProperties reports whether the snapshot holds the vault without its
// properties (as `az resource list` and generic resource listings return it).
// Such a vault says nothing about its settings, so the platform defaults must
// not be assumed for it.
func withoutProperties(env *Env, v *estate.Vault) (Outcome, bool) {
	if v.Written.Properties {
		return Outcome{}, false
	}
	return env.Unknownf(Ev("kind", vaultKind(v)),
		"the snapshot holds %s %s without its properties (a generic resource listing such as `az resource list`); "+
			"export it with its properties (ARM GET, Resource Graph or Get-AzResource -ExpandProperties)", vaultKind(v), v.Name), true
}

// boolProp reads a boolean vault property from its value as written. present
// is false when the property is absent or null; bad is set when it is present
// but neither a boolean nor the string "true"/"false" (an unresolved template
// expression, a typo), which a rule must not read as the platform default.
func boolProp(raw any) (value, present bool, bad string) {
	if raw == nil {
		return false, false, ""
	}
	b, ok := estate.Bool(raw)
	if !ok {
		return false, true, fmt.Sprintf("%v", raw)
	}
	return b, true, ""
}

// countNoun renders n with the singular or plural noun.
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// written renders a property's value as the snapshot writes it, or "absent".
func written(v any) any {
	if v != nil {
		return v
	}
	return "absent"
}

// resourceGroupOf returns the resource group segment of an ARM id as written.
func resourceGroupOf(id string) string {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(seg); i++ {
		if strings.EqualFold(seg[i], "resourceGroups") {
			return seg[i+1]
		}
	}
	return ""
}

// azVaultUpdate is the command that sets vault properties: `az keyvault update`
// flags for a Key Vault, the ARM property through `az resource update` for a
// Managed HSM.
func azVaultUpdate(v *estate.Vault, kvFlags, hsmSet string) string {
	if v.HSM {
		return "az resource update --ids " + v.ID + " --set " + hsmSet
	}
	return "az keyvault update --name " + v.Name + " --resource-group " + resourceGroupOf(v.ID) + " " + kvFlags
}

// missingData explains why data of a kind (see estate.Gap.Data) is not known
// for the vault: the collection gap that covers it, or its absence from the
// snapshot.
func missingData(env *Env, data, id, what string) string {
	if g := env.Estate.GapFor(data, id); g != nil {
		msg := "the collection could not read " + what
		if g.Error != "" {
			msg += " (" + g.Error + ")"
		}
		if g.Permission != "" {
			msg += "; it needs " + g.Permission
		}
		return msg
	}
	return "the snapshot carries no " + what
}

// auditCategory reports whether a diagnostic setting sends the vault's audit
// log somewhere: an enabled logs entry with category AuditEvent or category
// group audit or allLogs, and at least one destination. It returns the entry
// that qualifies, or why the setting does not.
func auditCategory(d *estate.DiagnosticSetting) (category, why string) {
	var enabled, disabledAudit []string
	for _, l := range d.Logs {
		name := l.Category
		if name == "" {
			name = l.CategoryGroup
		}
		audit := strings.EqualFold(l.Category, "AuditEvent") ||
			strings.EqualFold(l.CategoryGroup, "audit") || strings.EqualFold(l.CategoryGroup, "allLogs")
		switch {
		case audit && l.Enabled && category == "":
			category = name
		case audit:
			disabledAudit = append(disabledAudit, name)
		case l.Enabled:
			enabled = append(enabled, name)
		}
	}
	switch {
	case category != "" && len(d.Destinations) == 0:
		return "", "sends " + category + " to no destination (no workspace, storage account, event hub or partner)"
	case category != "":
		return category, ""
	case len(disabledAudit) > 0:
		return "", strings.Join(disabledAudit, ", ") + " is disabled"
	case len(enabled) > 0:
		return "", "sends only " + strings.Join(enabled, ", ") + ", not the audit category"
	case d.Metrics:
		return "", "sends metrics only"
	}
	return "", "sends no logs"
}
