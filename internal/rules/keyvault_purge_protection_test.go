package rules

import "testing"

func TestKeyvaultPurgeProtection(t *testing.T) {
	runRuleCases(t, "keyvault-purge-protection", []ruleCase{
		{Name: "explicit true", Files: []string{"pass.json"}, Resource: "vaults/kv-pp-on", Want: Pass},
		{Name: "Managed HSM true", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-pp-on", Want: Pass},
		{Name: "PowerShell export, PascalCase name, \"true\" string", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-pp-ps", Want: Pass},
		{Name: "absent means off", Files: []string{"fail.json"}, Resource: "vaults/kv-pp-absent", Want: Fail, Message: "absent"},
		{Name: "explicit false", Files: []string{"fail.json"}, Resource: "vaults/kv-pp-off", Want: Fail, Message: "enablePurgeProtection false"},
		{Name: "purge protection without soft delete protects nothing", Files: []string{"fail.json"}, Resource: "vaults/kv-pp-nosd", Want: Fail, Message: "soft delete is off"},
		{Name: "Managed HSM without the property", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-pp-absent", Want: Fail},
		{Name: "Resource Graph row, lower-case id and type", Files: []string{"fail-graph.json"}, Resource: "vaults/kv-pp-graph", Want: Fail},
		{Name: "listed without properties", Files: []string{"unknown.json"}, Resource: "vaults/kv-listed", Want: Unknown, Message: "without its properties"},
		{Name: "unresolved expression", Files: []string{"unknown-malformed.json"}, Resource: "vaults/kv-pp-garbled", Want: Unknown, Message: "not a boolean"},
	})
}
