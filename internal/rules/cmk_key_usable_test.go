package rules

import "testing"

func TestCMKKeyUsable(t *testing.T) {
	snap := func(files ...string) []string { return append([]string{"vaults.json", "keys.json"}, files...) }
	runRuleCases(t, "cmk-key-usable", []ruleCase{
		// pass
		{Name: "storage, vault URI and key name in other case, versionless", Files: snap("pass.json"), Resource: "storageAccounts/stok", Want: Pass, Message: "valid until 2027-06-01"},
		{Name: "disk through its disk encryption set (id in other case), versioned key URL", Files: snap("pass.json"), Resource: "disks/disk-data1", Want: Pass},
		{Name: "SQL server through its encryptionProtector child", Files: snap("pass.json"), Resource: "servers/sql-orders", Want: Pass, Message: "cmk-ok"},
		{Name: "PostgreSQL primary key and geo-backup key in a Managed HSM", Files: snap("pass.json"), Resource: "flexibleServers/pg-ledger", Want: Pass, Message: "pg-geo"},
		{Name: "ACR versionless key identifier with trailing slash", Files: snap("pass.json"), Resource: "registries/acrpay", Want: Pass},
		{Name: "China cloud vault host, key without expiry", Files: snap("pass.json"), Resource: "accounts/cog-cn", Want: Pass, Message: "no expiry"},
		{Name: "platform keys: not applicable", Files: snap("pass.json"), Resource: "storageAccounts/stpmk"},
		{Name: "SQL server whose encryption is unknown: not applicable", Files: snap("pass.json"), Resource: "servers/sql-noprotector"},
		// fail
		{Name: "key expired the day before", Files: snap("fail.json"), Resource: "storageAccounts/stexpired", Want: Fail, Message: "expired 2026-11-30"},
		{Name: "key expires at the evaluation instant", Files: snap("fail.json"), Resource: "storageAccounts/stexpnow", Want: Fail, Message: "expired"},
		{Name: "key disabled, enabled written as the string \"false\"", Files: snap("fail.json"), Resource: "storageAccounts/stdisabled", Want: Fail, Message: "disabled"},
		{Name: "key not yet valid (nbf in the future)", Files: snap("fail.json"), Resource: "storageAccounts/stfuture", Want: Fail, Message: "not valid before"},
		{Name: "key missing from a vault whose keys are listed", Files: snap("fail.json"), Resource: "storageAccounts/stdeleted", Want: Fail, Message: "deleted"},
		{Name: "keyOps exclude wrapKey and unwrapKey", Files: snap("fail.json"), Resource: "storageAccounts/stsignonly", Want: Fail, Message: "wrapKey, unwrapKey"},
		{Name: "reference to a secret, not a key", Files: snap("fail.json"), Resource: "registries/acrbadref", Want: Fail, Message: "does not name a valid key"},
		{Name: "Service Bus with two keys, one expired", Files: snap("fail.json"), Resource: "namespaces/sb-orders", Want: Fail, Message: "1 of 2"},
		{Name: "PostgreSQL geo-backup key disabled", Files: snap("fail.json"), Resource: "flexibleServers/pg-geo-broken", Want: Fail, Message: "cmk-disabled"},
		{Name: "finding lands on a SQL server known only from its encryptionProtector", Files: snap("fail.json"), Resource: "servers/sql-ghost", Want: Fail},
		{Name: "collected snapshot: vault without keys and without a gap lists none", Files: []string{"collected.ndjson"}, Resource: "storageAccounts/stcollectedgone", Want: Fail, Message: "deleted"},
		// unknown
		{Name: "vault not in the snapshot", Files: snap("unknown.json"), Resource: "storageAccounts/stnovault", Want: Unknown, Message: "kv-elsewhere.vault.azure.net"},
		{Name: "vault in the snapshot, its keys not", Files: snap("unknown.json"), Resource: "storageAccounts/stnokeys", Want: Unknown, Message: "does not list the keys"},
		{Name: "same vault name in another cloud", Files: snap("unknown.json"), Resource: "storageAccounts/stwrongcloud", Want: Unknown, Message: "not in the snapshot"},
		{Name: "disk encryption set not in the snapshot", Files: snap("unknown.json"), Resource: "disks/disk-lostdes", Want: Unknown, Message: "des-missing"},
		{Name: "pinned version is not the current one", Files: snap("unknown.json"), Resource: "disks/disk-pinned", Want: Unknown, Message: "pins version"},
		{Name: "two keys, one usable and one in a vault not in the snapshot", Files: snap("unknown.json"), Resource: "namespaces/evh-telemetry", Want: Unknown, Message: "1 of 2"},
		{Name: "CMK with no key reference to follow (AI Search)", Files: snap("unknown.json"), Resource: "searchServices/srch-docs", Want: Unknown, Message: "names no key reference"},
		{Name: "collected snapshot: keys of the vault could not be read", Files: []string{"collected.ndjson"}, Resource: "storageAccounts/stcollectedlocked", Want: Unknown, Message: "403"},
		{Name: "no keys at all in the snapshot", Files: []string{"vaults.json", "pass.json"}, Resource: "storageAccounts/stok", Want: Unknown, Message: "does not list the keys"},
	})
}
