package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyHSM = &Rule{
	ID:       "key-hsm",
	Title:    "Keys protecting sensitive data are HSM-backed",
	Severity: Medium,
	Description: "Applies to keys used by at least one workload the policy classifies as sensitive (unclassified workloads " +
		"count as sensitive unless the policy says otherwise); keys no sensitive workload in the snapshot uses get no result. " +
		"Passes when the key lives in a Managed HSM or its kty is RSA-HSM, EC-HSM or oct-HSM; fails for software-protected " +
		"RSA and EC keys; unknown when a vault key's kty is not in the snapshot.",
	Rationale: "Software-protected keys are wrapped by the service but their material is processed outside an HSM boundary; " +
		"PCI DSS 3.6.1.2 expects secret keys protecting cardholder data inside a secure cryptographic device, and regulated " +
		"workloads commonly require FIPS 140 Level 3 HSMs.",
	Remediation: "The protection of an existing key cannot be changed: create an HSM-backed key in a Premium vault — " +
		"az keyvault key create --vault-name <premium-vault> --name <key> --kty RSA-HSM --size 3072 — or in a Managed HSM " +
		"(az keyvault key create --hsm-name <hsm> --name <key> --kty RSA-HSM), then point the workloads in the evidence at it.",
	Frameworks: []string{"CIS Azure 4.0 9.3.10", "MCSB DP-6", "MCSB DP-8", "PCI-DSS 3.6.1.2"},
	Key: func(env *Env, k *estate.Key) Outcome {
		users, labels := sensitiveUsers(env, k)
		if len(users) == 0 {
			return NotApplicable
		}
		ev := keyEvidence(k)
		ev = append(ev, "sensitiveUsers", userIDs(users))
		who := listText(labels, 3)
		kty := strings.TrimSpace(k.Kty)
		if kty != "" {
			ev = append(ev, "kty", kty)
		}
		switch {
		case k.HSMKey:
			return env.Passf(ev, "the key lives in Managed HSM %s, so it is HSM-protected; it protects %s", k.VaultName, who)
		case kty == "":
			return env.Unknownf(ev, "the key object has no kty, so whether the key is HSM-protected cannot be told; it protects %s", who)
		case hsmKty(kty):
			return env.Passf(ev, "kty %s is HSM-protected; the key protects %s", kty, who)
		case keyFamily(kty) == "":
			return env.Unknownf(ev, "key type %q is not one cmkguard knows, so whether it is HSM-protected cannot be told; it protects %s", kty, who)
		}
		return env.Failf(ev, "kty %s is software-protected, but the key protects sensitive data in %s%s", kty, who, disabledNote(k))
	},
}
