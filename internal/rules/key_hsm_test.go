package rules

import "testing"

func TestKeyHSM(t *testing.T) {
	runRuleCases(t, "key-hsm", []ruleCase{
		{Name: "RSA-HSM key protecting confidential data", Files: []string{"pass.json"}, Resource: "/keys/rsa-hsm", Want: Pass, Message: "stconf (Confidential)"},
		{Name: "EC-HSM key protecting unclassified (sensitive by default) data", Files: []string{"pass.json"}, Resource: "/keys/ec-hsm", Want: Pass, Message: "unclassified"},
		{Name: "Managed HSM key", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-rsa", Want: Pass, Message: "Managed HSM hsm-sec"},
		{Name: "Managed HSM key without kty is still HSM-protected", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-list-row", Want: Pass},

		{Name: "software RSA key protecting confidential data", Files: []string{"fail.json"}, Resource: "/keys/soft-rsa", Want: Fail, Message: "software-protected"},
		{Name: "software key protecting unclassified data", Files: []string{"fail.json"}, Resource: "/keys/soft-ec", Want: Fail, Message: "stuntagged2 (unclassified)"},
		{Name: "unclassified not sensitive by policy: not applicable", Files: []string{"fail.json"}, Resource: "/keys/soft-ec",
			Policy: "classification:\n  unclassifiedIsSensitive: false\n"},
		{Name: "key used only by public data: not applicable", Files: []string{"fail.json"}, Resource: "/keys/soft-public"},
		{Name: "key no workload uses: not applicable", Files: []string{"fail.json"}, Resource: "/keys/soft-unused"},
		{Name: "one sensitive user among others is enough, and is named", Files: []string{"fail.json"}, Resource: "/keys/soft-mixed", Want: Fail, Message: "in stsecret (SECRET)"},
		{Name: "policy that adds public to the sensitive values", Files: []string{"fail.json"}, Resource: "/keys/soft-public", Want: Fail,
			Policy: "classification:\n  sensitiveValues: [public]\n"},

		{Name: "vault key without kty", Files: []string{"unknown.json"}, Resource: "/keys/no-kty", Want: Unknown, Message: "no kty"},
	})
}
