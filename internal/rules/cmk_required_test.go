package rules

import "testing"

func TestCMKRequired(t *testing.T) {
	runRuleCases(t, "cmk-required", []ruleCase{
		{Name: "sensitive on platform keys", Files: []string{"fail.json"}, Resource: "storageAccounts/stpci", Want: Fail, Message: "PCI"},
		{Name: "unclassified is sensitive by default", Files: []string{"fail.json"}, Resource: "storageAccounts/stnotags", Want: Fail, Message: "unclassified"},
		{Name: "unclassified not sensitive by policy", Files: []string{"fail.json"}, Resource: "storageAccounts/stnotags", Want: Pass,
			Policy: "classification:\n  unclassifiedIsSensitive: false\n"},
		{Name: "customer-managed key (storage spells Microsoft.Keyvault)", Files: []string{"pass.json"}, Resource: "storageAccounts/stcmk", Want: Pass},
		{Name: "non-sensitive classification", Files: []string{"pass.json"}, Resource: "storageAccounts/stpublic", Want: Pass},
	})
}
