package rules

import "testing"

func TestKeyRotationDue(t *testing.T) {
	runRuleCases(t, "key-rotation-due", []ruleCase{
		{Name: "younger than timeAfterCreate", Files: []string{"pass.json"}, Resource: "/keys/after-create", Want: Pass, Message: "due by 2026-12-30"},
		{Name: "P1Y is a calendar year: one day short", Files: []string{"pass.json"}, Resource: "/keys/p1y-day-short", Want: Pass, Message: "364 days old"},
		{Name: "P3Y across 29 February is a calendar span, not 1095 days", Files: []string{"pass.json"}, Resource: "/keys/p3y-leap", Want: Pass, Message: "due by 2026-12-02"},
		{Name: "expiryTime less timeBeforeExpiry, not yet due", Files: []string{"pass.json"}, Resource: "/keys/before-expiry-young", Want: Pass, Message: "due by 2026-12-16"},
		{Name: "timeBeforeExpiry before the key's own exp when no expiryTime", Files: []string{"pass.json"}, Resource: "/keys/exp-derived", Want: Pass, Message: "due by 2027-05-02"},
		{Name: "no rotation policy: maximum age", Files: []string{"pass.json"}, Resource: "/keys/no-policy-young", Want: Pass, Message: "maximum age 365 days"},
		{Name: "policy lowers the maximum age", Files: []string{"pass.json"}, Resource: "/keys/no-policy-young", Want: Fail,
			Policy: "keys:\n  maxAgeDays: 180\n", Message: "183 days old"},
		{Name: "created as ISO-8601 string", Files: []string{"pass.json"}, Resource: "/keys/created-iso", Want: Pass, Message: "183 days old"},
		{Name: "Managed HSM key within its interval", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-young", Want: Pass},

		{Name: "exactly one calendar year old is due", Files: []string{"fail.json"}, Resource: "/keys/p1y-exact", Want: Fail, Message: "365 days old, past its rotation date 2026-12-01"},
		{Name: "derived interval fails a key the maximum age would pass", Files: []string{"fail.json"}, Resource: "/keys/before-expiry-late", Want: Fail,
			Message: "expiryTime P1Y less timeBeforeExpiry P30D"},
		{Name: "no rotation policy, older than maximum age", Files: []string{"fail.json"}, Resource: "/keys/no-policy-old", Want: Fail, Message: "no rotation policy"},
		{Name: "policy raises the maximum age", Files: []string{"fail.json"}, Resource: "/keys/no-policy-old", Want: Pass, Policy: "keys:\n  maxAgeDays: 730\n"},
		{Name: "notify-only policy falls back to maximum age", Files: []string{"fail.json"}, Resource: "/keys/notify-only-old", Want: Fail, Message: "no rotate action"},
		{Name: "disabled key is judged", Files: []string{"fail.json"}, Resource: "/keys/disabled-old", Want: Fail, Message: "disabled"},
		{Name: "Managed HSM key whose automatic rotation did not happen", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-old", Want: Fail, Message: "automatic rotation has not produced a new version"},

		{Name: "no created time", Files: []string{"unknown.json"}, Resource: "/keys/no-created", Want: Unknown, Message: "attributes.created"},
		{Name: "nbf is not used in place of created", Files: []string{"unknown.json"}, Resource: "/keys/nbf-only", Want: Unknown, Message: "nbf"},
		{Name: "list row: rotation policy unknown", Files: []string{"unknown.json"}, Resource: "/keys/list-row", Want: Unknown, Message: "list row"},
		{Name: "unparsable trigger", Files: []string{"unknown.json"}, Resource: "/keys/bad-trigger", Want: Unknown, Message: "ninety days"},
	})
}
