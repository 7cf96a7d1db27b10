package rules

import "testing"

func TestKeyvaultRBAC(t *testing.T) {
	runRuleCases(t, "keyvault-rbac", []ruleCase{
		{Name: "explicit true", Files: []string{"pass.json"}, Resource: "vaults/kv-rbac-on", Want: Pass},
		{Name: "Managed HSM: local RBAC by design", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-rbac", Want: Pass, Message: "local RBAC"},
		{Name: "PowerShell export, \"True\" string", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-rbac-ps", Want: Pass},
		{Name: "absent means access policies", Files: []string{"fail.json"}, Resource: "vaults/kv-rbac-absent", Want: Fail, Message: "with 1 access policy"},
		{Name: "explicit false", Files: []string{"fail.json"}, Resource: "vaults/kv-rbac-off", Want: Fail, Message: "enableRbacAuthorization false"},
		{Name: "null means access policies", Files: []string{"fail.json"}, Resource: "vaults/kv-rbac-null", Want: Fail, Message: "absent"},
		{Name: "PowerShell export, \"false\" string", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-rbac-ps-off", Want: Fail},
		{Name: "listed without properties", Files: []string{"unknown.json"}, Resource: "vaults/kv-listed", Want: Unknown},
	})
}
