package rules

import "testing"

func TestCMKClassified(t *testing.T) {
	runRuleCases(t, "cmk-classified", []ruleCase{
		{Name: "tag key in another case", Files: []string{"pass.json"}, Resource: "storageAccounts/stpci", Want: Pass, Message: `"PCI"`},
		{Name: "non-sensitive classification still classifies", Files: []string{"pass.json"}, Resource: "databaseAccounts/cosmos-catalog", Want: Pass, Message: `"public"`},
		{Name: "PowerShell export, PascalCase Tags", Files: []string{"pass-powershell.json"}, Resource: "servers/sql-orders", Want: Pass, Message: "Confidential"},
		{Name: "no tags at all", Files: []string{"fail.json"}, Resource: "storageAccounts/stnotags", Want: Fail, Message: "no classification tag"},
		{Name: "other tags only", Files: []string{"fail.json"}, Resource: "storageAccounts/stowner", Want: Fail, Message: "dataClassification"},
		{Name: "empty classification value", Files: []string{"fail.json"}, Resource: "storageAccounts/stempty", Want: Fail, Message: "empty"},
		{Name: "tag key the default policy does not know", Files: []string{"fail.json"}, Resource: "storageAccounts/stcustom", Want: Fail},
		{Name: "tag key added by the policy", Files: []string{"fail.json"}, Resource: "storageAccounts/stcustom", Want: Pass,
			Policy: "classification:\n  tagKeys: [sensitivity]\n"},
		{Name: "SQL server known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "servers/sql-ghost", Want: Unknown, Message: "tags"},
	})
}
