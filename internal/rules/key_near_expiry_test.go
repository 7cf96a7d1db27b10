package rules

import "testing"

func TestKeyNearExpiry(t *testing.T) {
	runRuleCases(t, "key-near-expiry", []ruleCase{
		{Name: "expiry months away", Files: []string{"pass.json"}, Resource: "/keys/far", Want: Pass, Message: "beyond the 30-day warning window"},
		{Name: "no expiry passes here and points at key-expiry-set", Files: []string{"pass.json"}, Resource: "/keys/never", Want: Pass, Message: "key-expiry-set"},
		{Name: "31 days left is outside the default window", Files: []string{"pass.json"}, Resource: "/keys/in-31-days", Want: Pass, Message: "in 31 days"},
		{Name: "policy widens the window to 60 days", Files: []string{"pass.json"}, Resource: "/keys/in-31-days", Want: Fail,
			Policy: "keys:\n  expiryWarningDays: 60\n", Message: "60-day warning window"},
		{Name: "Managed HSM key far from expiry", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-far", Want: Pass},

		{Name: "expired key names the workload using it", Files: []string{"fail.json"}, Resource: "/keys/expired", Want: Fail,
			Message: "expired on 2026-11-01 (30 days ago); used by stpay"},
		{Name: "ISO-8601 exp 10 days away", Files: []string{"fail.json"}, Resource: "/keys/soon-iso", Want: Fail, Message: "in 10 days"},
		{Name: "exactly 30 days left is inside the window", Files: []string{"fail.json"}, Resource: "/keys/edge-30-days", Want: Fail, Message: "in 30 days"},
		{Name: "window of 0 days fails only expired keys", Files: []string{"fail.json"}, Resource: "/keys/edge-30-days", Want: Pass,
			Policy: "keys:\n  expiryWarningDays: 0\n"},
		{Name: "disabled key is judged and says so", Files: []string{"fail.json"}, Resource: "/keys/disabled-soon", Want: Fail, Message: "disabled"},
		{Name: "Managed HSM key near expiry names its user", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-soon", Want: Fail,
			Message: "in 20 days, inside the 30-day warning window; used by sthsm"},

		{Name: "no attributes", Files: []string{"unknown.json"}, Resource: "/keys/no-attributes", Want: Unknown},
		{Name: "unreadable exp", Files: []string{"unknown.json"}, Resource: "/keys/bad-exp", Want: Unknown, Message: "attributes.exp"},
	})
}
