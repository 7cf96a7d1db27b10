package rules

import "testing"

func TestKeyExpirySet(t *testing.T) {
	runRuleCases(t, "key-expiry-set", []ruleCase{
		{Name: "exp as Unix seconds", Files: []string{"pass.json"}, Resource: "/keys/exp-unix", Want: Pass, Message: "2028-01-01"},
		{Name: "exp as ISO-8601 string (data-plane style)", Files: []string{"pass.json"}, Resource: "/keys/exp-iso", Want: Pass, Message: "2027-06-01"},
		{Name: "an expiry in the past is still an expiry", Files: []string{"pass.json"}, Resource: "/keys/exp-past", Want: Pass},
		{Name: "disabled key with expiry is judged and says so", Files: []string{"pass.json"}, Resource: "/keys/exp-disabled", Want: Pass, Message: "disabled"},
		{Name: "Managed HSM key with expiry", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-exp", Want: Pass},

		{Name: "no exp (REST getKey shape)", Files: []string{"fail.json"}, Resource: "/keys/no-exp", Want: Fail, Message: "no expiry date"},
		{Name: "rotationPolicy expiryTime is not an expiry (CKV_AZURE_40 quirk)", Files: []string{"fail.json"}, Resource: "/keys/policy-expiry-only",
			Want: Fail, Message: "expiryTime P1Y applies only to versions created by rotation"},
		{Name: "exp under properties instead of attributes is not an expiry", Files: []string{"fail.json"}, Resource: "/keys/misplaced-exp",
			Want: Fail, Message: "properties.exp is not read"},
		{Name: "disabled key without expiry still fails", Files: []string{"fail.json"}, Resource: "/keys/disabled-no-exp", Want: Fail, Message: "disabled"},
		{Name: "Managed HSM key without expiry", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-no-exp", Want: Fail},

		{Name: "no attributes at all", Files: []string{"unknown.json"}, Resource: "/keys/no-attributes", Want: Unknown, Message: "no properties.attributes"},
		{Name: "unreadable exp is unknown, not fail", Files: []string{"unknown.json"}, Resource: "/keys/bad-exp", Want: Unknown, Message: "neither Unix seconds"},
	})
}
