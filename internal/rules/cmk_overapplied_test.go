package rules

import "testing"

func TestCMKOverapplied(t *testing.T) {
	runRuleCases(t, "cmk-overapplied", []ruleCase{
		{Name: "public on platform keys", Files: []string{"pass.json"}, Resource: "storageAccounts/stpublicpmk", Want: Pass},
		{Name: "confidential on CMK", Files: []string{"pass.json"}, Resource: "storageAccounts/stconfcmk", Want: Pass, Message: "Confidential"},
		{Name: "unclassified on CMK is for cmk-classified", Files: []string{"pass.json"}, Resource: "storageAccounts/stnotagcmk", Want: Pass, Message: "unclassified"},
		{Name: "public on CMK (storage spells Microsoft.Keyvault)", Files: []string{"fail.json"}, Resource: "storageAccounts/stpubliccmk", Want: Fail, Message: `"public"`},
		{Name: "Cosmos keyVaultKeyUri, tag key with underscore and capitals", Files: []string{"fail.json"}, Resource: "databaseAccounts/cosmos-general", Want: Fail, Message: "General"},
		{Name: "Cognitive Services spells Microsoft.KeyVault", Files: []string{"fail.json"}, Resource: "accounts/oai-internal", Want: Fail},
		{Name: "policy makes internal sensitive", Files: []string{"fail.json"}, Resource: "accounts/oai-internal", Want: Pass,
			Policy: "classification:\n  sensitiveValues: [confidential, internal]\n"},
		{Name: "classified internal, encryption not in the snapshot", Files: []string{"unknown.json"}, Resource: "servers/sql-reporting", Want: Unknown, Message: "does not show"},
		{Name: "CMK on a server known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "servers/sql-ghost", Want: Unknown, Message: "classification cannot be read"},
		{Name: "platform key on a server known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "servers/sql-ghostpmk", Want: Pass},
	})
}
