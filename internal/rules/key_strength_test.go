package rules

import "testing"

func TestKeyStrength(t *testing.T) {
	runRuleCases(t, "key-strength", []ruleCase{
		{Name: "RSA 2048 meets the default", Files: []string{"pass.json"}, Resource: "/keys/rsa-2048", Want: Pass},
		{Name: "RSA 2048 below a 3072 policy", Files: []string{"pass.json"}, Resource: "/keys/rsa-2048", Want: Fail, Policy: "keys:\n  minRSABits: 3072\n"},
		{Name: "RSA-HSM 3072 meets a 3072 policy", Files: []string{"pass.json"}, Resource: "/keys/rsa-hsm-3072", Want: Pass, Policy: "keys:\n  minRSABits: 3072\n"},
		{Name: "absent keySize is the platform default 2048", Files: []string{"pass.json"}, Resource: "/keys/rsa-default-size", Want: Pass, Message: "platform default"},
		{Name: "absent keySize fails a 3072 policy", Files: []string{"pass.json"}, Resource: "/keys/rsa-default-size", Want: Fail, Policy: "keys:\n  minRSABits: 3072\n"},
		{Name: "P-256K ranks above P-256", Files: []string{"pass.json"}, Resource: "/keys/ec-p256k", Want: Pass},
		{Name: "P-256K ranks below P-384", Files: []string{"pass.json"}, Resource: "/keys/ec-p256k", Want: Fail, Policy: "keys:\n  minECCurve: P-384\n", Message: "ranks below the minimum P-384"},
		{Name: "P-384 meets P-384", Files: []string{"pass.json"}, Resource: "/keys/ec-hsm-p384", Want: Pass, Policy: "keys:\n  minECCurve: P-384\n"},
		{Name: "absent curve is the platform default P-256", Files: []string{"pass.json"}, Resource: "/keys/ec-default-curve", Want: Pass, Message: "platform default"},
		{Name: "absent curve fails a P-256K policy", Files: []string{"pass.json"}, Resource: "/keys/ec-default-curve", Want: Fail, Policy: "keys:\n  minECCurve: P-256K\n"},
		{Name: "Managed HSM AES 256", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-oct-256", Want: Pass},
		{Name: "Managed HSM RSA 4096", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-rsa-4096", Want: Pass},

		{Name: "RSA 1024", Files: []string{"fail.json"}, Resource: "/keys/rsa-1024", Want: Fail, Message: "below the minimum of 2048"},
		{Name: "kty compared case-insensitively", Files: []string{"fail.json"}, Resource: "/keys/rsa-hsm-lower-1024", Want: Fail},
		{Name: "Managed HSM AES 128 below the default 256", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-oct-128", Want: Fail},
		{Name: "policy accepts AES 128", Files: []string{"fail.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-oct-128", Want: Pass, Policy: "keys:\n  minAESBits: 128\n"},

		{Name: "list row without kty", Files: []string{"unknown.json"}, Resource: "/keys/list-row", Want: Unknown, Message: "no kty"},
		{Name: "AES key without size", Files: []string{"unknown.json"}, Resource: "managedHSMs/hsm-sec/keys/hsm-oct-no-size", Want: Unknown, Message: "without keySize"},
		{Name: "curve outside the known list", Files: []string{"unknown.json"}, Resource: "/keys/ec-odd-curve", Want: Unknown, Message: "SECP256R1"},
		{Name: "unknown key type", Files: []string{"unknown.json"}, Resource: "/keys/odd-kty", Want: Unknown, Message: "OKP"},
	})
}
