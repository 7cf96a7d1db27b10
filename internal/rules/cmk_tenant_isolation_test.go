package rules

import "testing"

func TestCMKTenantIsolation(t *testing.T) {
	runRuleCases(t, "cmk-tenant-isolation", []ruleCase{
		{Name: "same tenant in another case, versioned and versionless references", Files: []string{"pass.json"}, Resource: "storageAccounts/sta1", Want: Pass, Message: "1 other resource(s)"},
		{Name: "same tenant, the sharer's side", Files: []string{"pass.json"}, Resource: "storageAccounts/sta2", Want: Pass},
		{Name: "only user of its key", Files: []string{"pass.json"}, Resource: "storageAccounts/stsolo", Want: Pass, Message: "no other resource"},
		{Name: "all sharers untagged", Files: []string{"pass.json"}, Resource: "storageAccounts/stu1", Want: Pass, Message: "none of them"},
		{Name: "same vault and key name in another cloud is another key", Files: []string{"pass.json"}, Resource: "accounts/cog-cn", Want: Pass, Message: "no other resource"},
		{Name: "default tenant tag agrees", Files: []string{"pass.json"}, Resource: "storageAccounts/stg1", Want: Pass},
		{Name: "tenant tag key from the policy", Files: []string{"pass.json"}, Resource: "storageAccounts/stg1", Want: Fail, Message: "customer=globex",
			Policy: "tenantTagKey: customer\n"},
		{Name: "platform keys: not applicable", Files: []string{"pass.json"}, Resource: "storageAccounts/stpmk"},
		{Name: "unresolved disk encryption set: not applicable", Files: []string{"pass.json"}, Resource: "disks/disklostdes"},
		{Name: "another tenant on the same key (vault not in the snapshot)", Files: []string{"fail.json"}, Resource: "storageAccounts/stb1", Want: Fail, Message: "tenant=fabrikam"},
		{Name: "another tenant, Cosmos side", Files: []string{"fail.json"}, Resource: "databaseAccounts/cosmosb2", Want: Fail, Message: "tenant=contoso"},
		{Name: "tagged resource shares with an untagged one", Files: []string{"fail.json"}, Resource: "storageAccounts/stc1", Want: Fail, Message: "untagged"},
		{Name: "untagged resource shares with a tagged one", Files: []string{"fail.json"}, Resource: "storageAccounts/stc2", Want: Fail, Message: "tenant=contoso"},
		{Name: "disks of two tenants behind one disk encryption set", Files: []string{"fail.json"}, Resource: "disks/diskd1", Want: Fail, Message: "diskd2"},
		{Name: "one of several Service Bus keys shared with another tenant", Files: []string{"fail.json"}, Resource: "namespaces/sbmulti", Want: Fail, Message: "ste"},
		{Name: "sharer known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "storageAccounts/stf", Want: Unknown, Message: "sql-ghost"},
		{Name: "server known only from its encryptionProtector", Files: []string{"unknown.json"}, Resource: "servers/sql-ghost", Want: Unknown, Message: "tenant tag cannot be read"},
	})
}
