package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// Platform defaults for properties the key object may omit (ARM schema: keySize
// defaults to 2048 for RSA, curveName to P-256).
const (
	defaultRSABits = 2048
	defaultCurve   = "P-256"
)

var keyStrength = &Rule{
	ID:       "key-strength",
	Title:    "Keys meet the minimum strength",
	Severity: Medium,
	Description: "Passes when an RSA or RSA-HSM key has keySize ≥ keys.minRSABits (2048 by default; an absent keySize " +
		"is the platform default 2048), an EC or EC-HSM key's curveName ranks at or above keys.minECCurve in the order " +
		"P-256, P-256K, P-384, P-521 (P-256 by default; an absent curveName is the platform default P-256), and an oct or " +
		"oct-HSM (AES) key has keySize ≥ keys.minAESBits. Unknown when the key type, an AES key's size or the curve cannot be read.",
	Rationale: "Short RSA moduli and small curves fall below what NIST SP 800-57 and PCI DSS accept as strong cryptography " +
		"for keys that protect stored data; a key-encryption key must be at least as strong as the data keys it wraps.",
	Remediation: "Key size and curve cannot be changed on an existing version: create a new version with the required " +
		"strength — az keyvault key create --vault-name <vault> --name <key> --kty RSA-HSM --size 3072 (EC: --kty EC-HSM " +
		"--curve P-384; Managed HSM: --hsm-name <hsm>, AES: --kty oct-HSM --size 256) — and let consumers follow the new version.",
	Frameworks: []string{"MCSB DP-6", "PCI-DSS 3.5.1.1", "PCI-DSS 3.6.1", "PCI-DSS 3.7.1", "PCI-DSS 3.7.2", "PCI-DSS 3.7.6", "PCI-DSS 4.2.1"},
	Key: func(env *Env, k *estate.Key) Outcome {
		ev := keyEvidence(k)
		lim := env.Policy.Keys
		kty := strings.TrimSpace(k.Kty)
		if kty == "" {
			why := "the key object has no kty, so its type and strength cannot be told"
			if !fullKeyObject(k) {
				why += " (ARM list responses carry only attributes and keyUri; a per-key GET returns kty, keySize and curveName)"
			}
			return env.Unknownf(ev, "%s", why)
		}
		ev = append(ev, "kty", kty)
		switch keyFamily(kty) {
		case "rsa":
			bits, note := k.Size, ""
			if bits == 0 {
				bits, note = defaultRSABits, " (keySize absent: the platform default)"
			}
			ev = append(ev, "keySize", bits, "minRSABits", lim.MinRSABits)
			if bits >= lim.MinRSABits {
				return env.Passf(ev, "%s key of %d bits%s meets the minimum of %d", kty, bits, note, lim.MinRSABits)
			}
			return env.Failf(ev, "%s key of %d bits%s is below the minimum of %d%s", kty, bits, note, lim.MinRSABits, disabledNote(k))
		case "ec":
			curve, note := strings.TrimSpace(k.Curve), ""
			if curve == "" {
				curve, note = defaultCurve, " (curveName absent: the platform default)"
			}
			ev = append(ev, "curve", curve, "minECCurve", lim.MinECCurve)
			rank := policy.CurveRank(curve)
			if rank < 0 {
				return env.Unknownf(ev, "curve %q is not one of %s, so its strength cannot be ranked", curve, strings.Join(policy.Curves, ", "))
			}
			if rank >= policy.CurveRank(lim.MinECCurve) {
				return env.Passf(ev, "%s key on curve %s%s meets the minimum %s", kty, curve, note, lim.MinECCurve)
			}
			return env.Failf(ev, "%s key on curve %s%s ranks below the minimum %s (order: %s)%s",
				kty, curve, note, lim.MinECCurve, strings.Join(policy.Curves, " < "), disabledNote(k))
		case "oct":
			if k.Size == 0 {
				return env.Unknownf(ev, "%s key without keySize: AES keys have no documented platform default size, so the strength cannot be told", kty)
			}
			ev = append(ev, "keySize", k.Size, "minAESBits", lim.MinAESBits)
			if k.Size >= lim.MinAESBits {
				return env.Passf(ev, "%s key of %d bits meets the minimum of %d", kty, k.Size, lim.MinAESBits)
			}
			return env.Failf(ev, "%s key of %d bits is below the minimum of %d%s", kty, k.Size, lim.MinAESBits, disabledNote(k))
		}
		return env.Unknownf(ev, "key type %q is not one cmkguard knows (RSA, RSA-HSM, EC, EC-HSM, oct, oct-HSM)", kty)
	},
}
