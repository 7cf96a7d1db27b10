package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyvaultNetwork = &Rule{
	ID:       "keyvault-network",
	Title:    "Key Vault and Managed HSM are not open to every network",
	Severity: High,
	Description: "Passes when publicNetworkAccess is Disabled, or when the firewall's networkAcls.defaultAction is Deny " +
		"(values compared case-insensitively). An absent networkAcls means Allow; IP rules under defaultAction Allow " +
		"restrict nothing, so a vault with IP rules but defaultAction Allow fails.",
	Rationale: "A vault reachable from any network leaves key operations exposed to stolen credentials from anywhere; " +
		"restricting it to private endpoints, selected networks and trusted Azure services narrows who can even try.",
	Remediation: "Prefer private endpoints with az keyvault update --name <vault> --resource-group <rg> --public-network-access Disabled; " +
		"or az keyvault update --name <vault> --resource-group <rg> --default-action Deny --bypass AzureServices and add the " +
		"networks that need it (Managed HSM: set properties.publicNetworkAccess=Disabled or properties.networkAcls.defaultAction=Deny). " +
		"Keep bypass AzureServices where trusted services reach the key for CMK.",
	Frameworks: []string{"CIS Azure 4.0 9.3.7", "MCSB DP-8", "MCSB NS-2", "PCI-DSS 1.4.4", "HIPAA 164.312(a)(1)", "HIPAA 164.312(e)(1)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		if o, ok := withoutProperties(env, v); ok {
			return o
		}
		p := &v.Written
		ev := Ev("kind", vaultKind(v), "publicNetworkAccess", written(p.PublicNetworkAccess),
			"defaultAction", written(p.DefaultAction), "bypass", written(p.Bypass),
			"ipRules", p.IPRules, "virtualNetworkRules", p.VirtualNetworkRules,
			"approvedPrivateEndpoints", p.ApprovedEndpoints)
		pna, action := strings.TrimSpace(v.PublicNetworkAccess), strings.TrimSpace(v.DefaultAction)
		switch {
		case strings.EqualFold(pna, "Disabled"):
			return env.Passf(ev, "public network access is disabled")
		case strings.EqualFold(action, "Deny"):
			return env.Passf(ev, "the firewall denies by default (networkAcls.defaultAction Deny)")
		case pna != "" && !strings.EqualFold(pna, "Enabled"):
			return env.Unknownf(ev, "publicNetworkAccess is %q, which cmkguard does not know, and the firewall does not deny by default", pna)
		case action != "" && !strings.EqualFold(action, "Allow"):
			return env.Unknownf(ev, "networkAcls.defaultAction is %q, which is neither Allow nor Deny", action)
		}
		why := "public network access is enabled"
		if pna == "" {
			why = "publicNetworkAccess is absent (enabled)"
		}
		switch {
		case !p.NetworkACLs:
			why += " and there is no firewall (networkAcls absent: allow all)"
		case action == "":
			why += " and the firewall has no defaultAction (Allow)"
		default:
			why += " and the firewall allows by default (networkAcls.defaultAction Allow)"
		}
		if n := p.IPRules + p.VirtualNetworkRules; n > 0 {
			why += "; its " + countNoun(n, "network rule restricts", "network rules restrict") + " nothing while the default is Allow"
		}
		ev = append(ev, "fix", azVaultUpdate(v, "--default-action Deny --bypass AzureServices", "properties.networkAcls.defaultAction=Deny"))
		return env.Failf(ev, "%s", why)
	},
}
