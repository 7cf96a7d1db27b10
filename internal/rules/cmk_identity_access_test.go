package rules

import "testing"

func TestCMKIdentityAccess(t *testing.T) {
	// full is a snapshot with every kind of data the rule reads; the cases
	// that leave some out say which.
	full := func(files ...string) []string {
		return append([]string{"vaults.json", "identities.json", "roles.json", "roledefs.json", "mg.json"}, files...)
	}
	runRuleCases(t, "cmk-identity-access", []ruleCase{
		// access-policy vault
		{Name: "access policy with permissions in PascalCase", Files: full("pass.json"), Resource: "storageAccounts/stap", Want: Pass, Message: "access policy (get, wrapKey, unwrapKey)"},
		{Name: "access policy lacks unwrapKey", Files: full("fail.json"), Resource: "storageAccounts/stappartial", Want: Fail, Message: "lacks unwrapKey"},
		{Name: "RBAC role on an access-policy vault gives no access", Files: full("fail.json"), Resource: "storageAccounts/stAProle", Want: Fail, Message: "ignored"},
		{Name: "Key Vault Administrator on an access-policy vault gives no data access", Files: full("fail.json"), Resource: "storageAccounts/stapadmin", Want: Fail, Message: "Key Vault Administrator"},
		{Name: "access-policy vault needs no role assignments in the snapshot", Files: []string{"vaults.json", "pass.json"}, Resource: "storageAccounts/stap", Want: Pass},
		{Name: "disk through its disk encryption set's identity; objectId in upper case", Files: full("pass.json"), Resource: "disks/diskap", Want: Pass, Message: "des-ap"},
		{Name: "AKS KMS needs encrypt and decrypt", Files: full("pass.json"), Resource: "managedClusters/aks-kms-ok", Want: Pass, Message: "encrypt, decrypt"},
		{Name: "AKS KMS with wrapKey/unwrapKey only", Files: full("fail.json"), Resource: "managedClusters/aks-kms-wrap", Want: Fail, Message: "lacks encrypt, decrypt"},
		{Name: "Cosmos defaultIdentity UserAssignedIdentity=<id>, access policy all", Files: full("pass.json"), Resource: "databaseAccounts/cosmos-uai", Want: Pass, Message: "uai-cosmos"},
		{Name: "ACR identity named by client id (upper case)", Files: full("pass.json"), Resource: "registries/acrclient", Want: Pass, Message: "uai-acr"},
		// RBAC vault
		{Name: "role at the key", Files: full("pass.json"), Resource: "storageAccounts/strbackey", Want: Pass, Message: "Key Vault Crypto Service Encryption User"},
		{Name: "role at the subscription", Files: full("pass.json"), Resource: "storageAccounts/strbacsub", Want: Pass, Message: "Key Vault Crypto User"},
		{Name: "role at a management group above the subscription", Files: full("pass.json"), Resource: "storageAccounts/strbacmg", Want: Pass, Message: "mg-platform"},
		{Name: "role at a management group, subscriptions not in the snapshot", Files: []string{"vaults.json", "identities.json", "roles.json", "pass.json"},
			Resource: "storageAccounts/strbacmg", Want: Unknown, Message: "mg-platform"},
		{Name: "role at a management group the subscription is not under", Files: full("fail.json"), Resource: "storageAccounts/strbacmgother", Want: Fail},
		{Name: "role at another management group, subscriptions not in the snapshot", Files: []string{"vaults.json", "roles.json", "fail.json"},
			Resource: "storageAccounts/strbacmgother", Want: Unknown},
		{Name: "custom role whose definition is in the snapshot", Files: full("pass.json"), Resource: "storageAccounts/strbaccustomdef", Want: Pass, Message: "CMK Key Unwrapper"},
		{Name: "custom role whose definition is not in the snapshot", Files: full("unknown.json"), Resource: "storageAccounts/strbaccustom", Want: Unknown, Message: "not in the snapshot"},
		{Name: "role at the resource group, SQL server through its encryptionProtector", Files: full("pass.json"), Resource: "servers/sql-rbac", Want: Pass, Message: "rg-keys"},
		{Name: "role assigned on another key", Files: full("fail.json"), Resource: "storageAccounts/strbacotherkey", Want: Fail, Message: "lacks get, wrapKey, unwrapKey"},
		{Name: "access policy on an RBAC vault gives no access", Files: full("fail.json"), Resource: "storageAccounts/strbacap", Want: Fail, Message: "access policies have no effect"},
		{Name: "access policy on a vault whose RBAC flag is the string \"true\"", Files: full("fail.json"), Resource: "storageAccounts/strbacstrap", Want: Fail},
		{Name: "Key Vault Reader cannot wrap or unwrap", Files: full("fail.json"), Resource: "storageAccounts/strbacreader", Want: Fail, Message: "lacks wrapKey, unwrapKey"},
		{Name: "RBAC vault, no role assignments in the snapshot", Files: []string{"vaults.json", "pass.json"}, Resource: "storageAccounts/strbackey", Want: Unknown, Message: "no role assignments"},
		{Name: "collected snapshot: RBAC vault and truly no role assignments", Files: []string{"collected.ndjson"}, Resource: "storageAccounts/stcollectednone", Want: Fail, Message: "lacks get, wrapKey, unwrapKey"},
		{Name: "collected snapshot: role assignments could not be read", Files: []string{"collected.ndjson"}, Resource: "storageAccounts/stcollectedlocked", Want: Unknown, Message: "403"},
		// identities
		{Name: "user-assigned identity not attached to the resource", Files: full("fail.json"), Resource: "storageAccounts/stdetached", Want: Fail, Message: "not attached"},
		{Name: "identity named by the client id of a detached identity", Files: full("fail.json"), Resource: "registries/acrdetached", Want: Fail, Message: "not attached"},
		{Name: "identity named by client id not in the snapshot", Files: []string{"vaults.json", "roles.json", "fail.json"}, Resource: "registries/acrdetached", Want: Unknown, Message: "client id"},
		{Name: "Cosmos first-party identity", Files: full("unknown.json"), Resource: "databaseAccounts/cosmos-1p", Want: Unknown, Message: "first-party"},
		{Name: "system-assigned identity without principalId", Files: full("unknown.json"), Resource: "storageAccounts/stnoprincipal", Want: Unknown, Message: "principalId"},
		// vaults
		{Name: "Managed HSM key", Files: full("unknown.json"), Resource: "storageAccounts/sthsm", Want: Unknown, Message: "local RBAC"},
		{Name: "vault not in the snapshot", Files: full("unknown.json"), Resource: "storageAccounts/stnovault", Want: Unknown, Message: "not in the snapshot"},
	})
}
