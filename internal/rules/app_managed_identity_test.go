package rules

import "testing"

func TestAppManagedIdentity(t *testing.T) {
	runRuleCases(t, "app-managed-identity", []ruleCase{
		{Name: "system-assigned", Files: []string{"pass.json"}, Resource: "sites/app-sami", Want: Pass, Message: "system-assigned"},
		{Name: "function app with a user-assigned identity", Files: []string{"pass.json"}, Resource: "sites/func-uami", Want: Pass, Message: "1 user-assigned identity"},
		{Name: "\"SystemAssigned, UserAssigned\" with a space", Files: []string{"pass.json"}, Resource: "sites/app-both", Want: Pass},
		{Name: "deployment slot with its own identity", Files: []string{"pass.json"}, Resource: "sites/app-sami/slots/staging", Want: Pass, Message: "slot"},
		{Name: "Resource Graph, lower-case type and identity type without space", Files: []string{"pass-graph.json"}, Resource: "sites/func-graph", Want: Pass},
		{Name: "PowerShell export, PascalCase identity", Files: []string{"pass-powershell.json"}, Resource: "sites/site-ps-sami", Want: Pass},
		{Name: "PowerShell export, slot nested under resources", Files: []string{"pass-powershell.json"}, Resource: "sites/site-ps-sami/slots/staging", Want: Pass},
		{Name: "PowerShell export, UserAssigned without the identity list", Files: []string{"pass-powershell.json"}, Resource: "sites/fn-ps-uami", Want: Pass, Message: "does not list"},
		{Name: "identity type None", Files: []string{"fail.json"}, Resource: "sites/app-none", Want: Fail, Message: "none"},
		{Name: "no identity block", Files: []string{"fail.json"}, Resource: "sites/app-absent", Want: Fail, Message: "no identity block"},
		{Name: "identity null", Files: []string{"fail.json"}, Resource: "sites/func-null", Want: Fail, Message: "function app"},
		{Name: "slot does not inherit the site's identity", Files: []string{"fail.json"}, Resource: "sites/app-parent/slots/staging", Want: Fail},
		{Name: "its site passes", Files: []string{"fail.json"}, Resource: "sites/app-parent", Want: Pass},
		{Name: "PowerShell export, Identity null", Files: []string{"fail-powershell.json"}, Resource: "sites/site-ps-none", Want: Fail},
		{Name: "PowerShell export, nested slot without identity", Files: []string{"fail-powershell.json"}, Resource: "sites/site-ps-none/slots/staging", Want: Fail, Message: "web app slot"},
	})
}
