package rules

import "testing"

func TestKeyvaultSoftDelete(t *testing.T) {
	runRuleCases(t, "keyvault-soft-delete", []ruleCase{
		{Name: "absent means on (contract default)", Files: []string{"pass.json"}, Resource: "vaults/kv-sd-default", Want: Pass, Message: "absent"},
		{Name: "explicit true", Files: []string{"pass.json"}, Resource: "vaults/kv-sd-on", Want: Pass},
		{Name: "Managed HSM without the property is on", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sd-default", Want: Pass},
		{Name: "Resource Graph row, lower-case type", Files: []string{"pass-graph.json"}, Resource: "vaults/kv-sd-graph", Want: Pass},
		{Name: "Resource Graph Managed HSM", Files: []string{"pass-graph.json"}, Resource: "managedHSMs/hsm-sd-graph", Want: Pass},
		{Name: "PowerShell export, PascalCase name, \"True\" string", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-sd-ps", Want: Pass},
		{Name: "explicit false", Files: []string{"fail.json"}, Resource: "vaults/kv-sd-off", Want: Fail, Message: "enableSoftDelete false"},
		{Name: "Managed HSM explicitly false", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sd-off", Want: Fail, Message: "Managed HSM"},
		{Name: "PowerShell export, \"False\" string", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-sd-ps-off", Want: Fail},
		{Name: "listed without properties is not the default", Files: []string{"unknown.json"}, Resource: "vaults/kv-listed", Want: Unknown, Message: "without its properties"},
		{Name: "unresolved expression is not a boolean", Files: []string{"unknown-malformed.json"}, Resource: "vaults/kv-sd-garbled", Want: Unknown, Message: "not a boolean"},
	})
}
