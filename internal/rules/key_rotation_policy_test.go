package rules

import "testing"

func TestKeyRotationPolicy(t *testing.T) {
	runRuleCases(t, "key-rotation-policy", []ruleCase{
		{Name: "ARM casing rotate with timeAfterCreate", Files: []string{"pass.json"}, Resource: "/keys/rotate-arm", Want: Pass, Message: "timeAfterCreate P330D"},
		{Name: "SDK casing Rotate/Notify", Files: []string{"pass.json"}, Resource: "/keys/rotate-sdk", Want: Pass, Message: "timeAfterCreate P6M"},
		{Name: "rotate before expiry", Files: []string{"pass.json"}, Resource: "/keys/rotate-before-expiry", Want: Pass, Message: "timeBeforeExpiry P30D"},
		{Name: "Managed HSM key with rotate", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-rotate", Want: Pass},

		{Name: "full key object without rotationPolicy (REST getKey shape)", Files: []string{"fail.json"}, Resource: "/keys/no-policy", Want: Fail, Message: "no rotation policy"},
		{Name: "notify-only policy", Files: []string{"fail.json"}, Resource: "/keys/notify-only", Want: Fail, Message: "only notifies"},
		{Name: "policy without lifetime actions", Files: []string{"fail.json"}, Resource: "/keys/no-actions", Want: Fail, Message: "no rotate lifetime action"},
		{Name: "rotate action without trigger never fires", Files: []string{"fail.json"}, Resource: "/keys/rotate-no-trigger", Want: Fail, Message: "never fires"},
		{Name: "disabled key is judged", Files: []string{"fail.json"}, Resource: "/keys/disabled-no-policy", Want: Fail, Message: "disabled"},
		{Name: "Managed HSM key without rotationPolicy", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-no-policy", Want: Fail},

		{Name: "ARM list row omits rotationPolicy: unknown, not fail", Files: []string{"unknown.json"}, Resource: "/keys/list-row", Want: Unknown, Message: "list row"},
		{Name: "unparsable trigger", Files: []string{"unknown.json"}, Resource: "/keys/bad-trigger", Want: Unknown, Message: "90 days"},
		{Name: "collection gap on the vault's keys", Files: []string{"unknown-gap.ndjson"}, Resource: "/keys/gapped", Want: Unknown, Message: "403 Forbidden"},
	})
}
