package rules

import "testing"

func TestKeyvaultExpiryAlerts(t *testing.T) {
	runRuleCases(t, "keyvault-expiry-alerts", []ruleCase{
		{Name: "system topic subscription for KeyNearExpiry and KeyExpired", Files: []string{"pass.json"}, Resource: "vaults/kv-exp-topic", Want: Pass, Message: "KeyNearExpiry"},
		{Name: "vault-scoped subscription without a type filter gets every event", Files: []string{"pass.json"}, Resource: "vaults/kv-exp-all", Want: Pass, Message: "no includedEventTypes filter"},
		{Name: "event type in lower case", Files: []string{"pass.json"}, Resource: "vaults/kv-exp-lowercase", Want: Pass, Message: "KeyExpired"},
		{Name: "log alert over the workspace the vault sends its audit log to", Files: []string{"pass.json"}, Resource: "vaults/kv-exp-law", Want: Pass, Message: "law-sec"},
		{Name: "log alert scoped to the vault's resource group, generic NearExpiry", Files: []string{"pass.json"}, Resource: "vaults/kv-exp-rg", Want: Pass, Message: "rg-payments"},
		{Name: "Managed HSM with a key-expired alert", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-exp", Want: Pass},
		{Name: "subscription for secret events only", Files: []string{"fail.json"}, Resource: "vaults/kv-exp-secrets", Want: Fail, Message: "SecretNearExpiry"},
		{Name: "disabled alert rule does not count", Files: []string{"fail.json"}, Resource: "vaults/kv-exp-disabled", Want: Fail, Message: "disabled"},
		{Name: "certificate expiry is not key expiry", Files: []string{"fail.json"}, Resource: "vaults/kv-exp-cert", Want: Fail},
		{Name: "alert on kv-pay does not cover kv-pay-dr", Files: []string{"fail.json"}, Resource: "vaults/kv-pay-dr", Want: Fail},
		{Name: "alert on kv-pay covers kv-pay", Files: []string{"fail.json"}, Resource: "vaults/kv-pay", Want: Pass},
		{Name: "nothing, with event subscriptions collected", Files: []string{"fail.json"}, Resource: "vaults/kv-exp-nothing", Want: Fail},
		{Name: "collected snapshot with no subscription at all", Files: []string{"fail-collected.ndjson"}, Resource: "vaults/kv-exp-collected", Want: Fail},
		{Name: "collection gap for event subscriptions", Files: []string{"fail-collected.ndjson"}, Resource: "vaults/kv-exp-gapped", Want: Unknown, Message: "could not read"},
		{Name: "subscription whose system topic is missing may watch this vault", Files: []string{"unknown-unplaced.json"}, Resource: "vaults/kv-exp-maybe", Want: Unknown, Message: "system topic is not in it"},
		{Name: "no event subscriptions in the snapshot, unrelated metric alert", Files: []string{"unknown.json"}, Resource: "vaults/kv-exp-unseen", Want: Unknown, Message: "not in Resource Graph"},
	})
}
