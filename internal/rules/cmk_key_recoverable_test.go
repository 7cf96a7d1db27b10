package rules

import "testing"

func TestCMKKeyRecoverable(t *testing.T) {
	snap := func(files ...string) []string { return append([]string{"vaults.json"}, files...) }
	runRuleCases(t, "cmk-key-recoverable", []ruleCase{
		{Name: "purge protection on, soft delete absent means on", Files: snap("pass.json"), Resource: "storageAccounts/stsafe", Want: Pass, Message: "kv-protected"},
		{Name: "disk through its disk encryption set", Files: snap("pass.json"), Resource: "disks/disk-safe", Want: Pass},
		{Name: "Managed HSM, purge protection written as the string \"true\"", Files: snap("pass.json"), Resource: "flexibleServers/mysql-hsm", Want: Pass, Message: "Managed HSM hsm-safe"},
		{Name: "platform keys: not applicable", Files: snap("pass.json"), Resource: "storageAccounts/stpmk"},
		{Name: "purge protection absent means off", Files: snap("fail.json"), Resource: "storageAccounts/stnoprotect", Want: Fail, Message: "no purge protection"},
		{Name: "legacy vault, both off as strings", Files: snap("fail.json"), Resource: "databaseAccounts/cosmos-legacy", Want: Fail, Message: "no soft delete and no purge protection"},
		{Name: "Service Bus with one key in each vault", Files: snap("fail.json"), Resource: "namespaces/sb-mixed", Want: Fail, Message: "1 of 2"},
		{Name: "managed instance known only from its encryptionProtector", Files: snap("fail.json"), Resource: "managedInstances/sqlmi-ops", Want: Fail},
		{Name: "Managed HSM without purge protection", Files: snap("fail.json"), Resource: "workspaces/mlw-risk", Want: Fail, Message: "Managed HSM hsm-open"},
		{Name: "vault not in the snapshot", Files: snap("unknown.json"), Resource: "storageAccounts/stnovault", Want: Unknown, Message: "not in the snapshot"},
		{Name: "vaults not in the snapshot at all", Files: []string{"pass.json"}, Resource: "storageAccounts/stsafe", Want: Unknown},
		{Name: "disk encryption set not in the snapshot", Files: snap("unknown.json"), Resource: "disks/disk-lostdes", Want: Unknown, Message: "des-missing"},
		{Name: "malformed reference leaves the vault unknown", Files: snap("unknown.json"), Resource: "configurationStores/appcs-badref", Want: Unknown, Message: "cmk-key-usable"},
	})
}
