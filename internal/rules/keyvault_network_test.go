package rules

import "testing"

func TestKeyvaultNetwork(t *testing.T) {
	runRuleCases(t, "keyvault-network", []ruleCase{
		{Name: "public access disabled beats defaultAction Allow", Files: []string{"pass.json"}, Resource: "vaults/kv-net-private", Want: Pass, Message: "disabled"},
		{Name: "firewall default Deny with rules", Files: []string{"pass.json"}, Resource: "vaults/kv-net-deny", Want: Pass, Message: "Deny"},
		{Name: "Managed HSM firewall Deny", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-net-deny", Want: Pass},
		{Name: "Resource Graph, lower-case \"disabled\"", Files: []string{"pass-graph.json"}, Resource: "vaults/kv-net-graph", Want: Pass},
		{Name: "PowerShell export, PascalCase networkAcls, \"deny\"", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-net-ps", Want: Pass},
		{Name: "no networkAcls and no publicNetworkAccess is open", Files: []string{"fail.json"}, Resource: "vaults/kv-net-open", Want: Fail, Message: "networkAcls absent"},
		{Name: "IP rules under defaultAction Allow restrict nothing (CKV_AZURE_189 quirk)", Files: []string{"fail.json"}, Resource: "vaults/kv-net-iprules", Want: Fail, Message: "1 network rule restricts nothing"},
		{Name: "public access Enabled without firewall", Files: []string{"fail.json"}, Resource: "vaults/kv-net-enabled", Want: Fail, Message: "public network access is enabled"},
		{Name: "Managed HSM allowing by default", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-net-open", Want: Fail},
		{Name: "listed without properties", Files: []string{"unknown.json"}, Resource: "vaults/kv-listed", Want: Unknown},
		{Name: "publicNetworkAccess not a known value", Files: []string{"unknown-malformed.json"}, Resource: "vaults/kv-net-garbled-pna", Want: Unknown, Message: "publicNetworkAccess"},
		{Name: "defaultAction not a known value", Files: []string{"unknown-malformed.json"}, Resource: "vaults/kv-net-garbled-acl", Want: Unknown, Message: "defaultAction"},
	})
}
