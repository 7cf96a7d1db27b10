package rules

import (
	"fmt"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyRotationDue = &Rule{
	ID:       "key-rotation-due",
	Title:    "The current key version is within its rotation interval",
	Severity: Medium,
	Description: "Passes when the key's current version, aged from properties.attributes.created, is younger than its " +
		"rotation interval: the rotate action's timeAfterCreate, or the policy's expiryTime less the rotate action's " +
		"timeBeforeExpiry (timeBeforeExpiry before the key's own expiry when the policy sets no expiryTime). Without a rotate " +
		"action the interval is the policy's keys.maxAgeDays (365 days by default). Calendar durations are calendar " +
		"durations: P1Y after 2025-12-01 is 2026-12-01. Unknown when the snapshot has no creation time or cannot show " +
		"whether the key has a rotation policy.",
	Rationale: "A version older than its rotation interval has outlived its cryptoperiod: with a rotation policy that means " +
		"automatic rotation is failing; without one, nobody has replaced the key. PCI DSS 3.7.4 asks for keys to be changed at " +
		"the end of their cryptoperiod. This rule's pass rate is the rotation-adherence KPI.",
	Remediation: "Rotate now — az keyvault key rotate --vault-name <vault> --name <key> (Managed HSM: --hsm-name <hsm>) — " +
		"then find out why automatic rotation did not happen (key-rotation-policy; the vault's AutoKeyRotation audit events), " +
		"or add a rotation policy whose rotate action fires within the cryptoperiod.",
	Frameworks: []string{"MCSB DP-6", "PCI-DSS 3.7.4", "PCI-DSS 3.7.5"},
	Key: func(env *Env, k *estate.Key) Outcome {
		ev := keyEvidence(k)
		if k.Created.IsZero() {
			why := "the key's creation time (properties.attributes.created) is not in the snapshot, so the current version's age cannot be told"
			if raw := writtenTimes(k).Created; raw != nil {
				ev = append(ev, "created", rawTimeText(raw))
				why = "properties.attributes.created is neither Unix seconds nor an RFC 3339 time, so the current version's age cannot be told"
			}
			if raw := writtenTimes(k).NotBefore; raw != nil {
				ev = append(ev, "nbf", rawTimeText(raw))
				why += " (attributes.nbf is a usage gate the owner may set to any date, not the version's creation, and is not used in its place)"
			}
			return env.Unknownf(ev, "%s", why)
		}
		if why := rotationUnreadable(env, k); why != "" {
			return env.Unknownf(ev, "the rotation interval cannot be told: %s", why)
		}
		due, unknown := rotationDue(env, k)
		if unknown != "" {
			return env.Unknownf(ev, "%s", unknown)
		}
		basis := due.basis
		age := daysFrom(k.Created, env.Now)
		ev = append(ev, "created", timeText(k.Created), "ageDays", age, "rotateBy", timeText(due.at), "interval", basis)
		if env.Now.Before(due.at) {
			return env.Passf(ev, "the current version is %d days old; rotation is due by %s (%s)%s", age, dateText(due.at), basis, disabledNote(k))
		}
		hint := ""
		if due.automatic {
			hint = "; automatic rotation has not produced a new version"
		}
		return env.Failf(ev, "the current version is %d days old, past its rotation date %s (%s)%s%s", age, dateText(due.at), basis, hint, disabledNote(k))
	},
}

// rotationDate is when a key's current version is due for rotation.
type rotationDate struct {
	at        time.Time
	basis     string // how at was worked out, for messages
	automatic bool   // at comes from a rotate action of the key's rotation policy
}

// rotationDue works out when the key's current version is due for rotation,
// or says why it cannot be worked out.
func rotationDue(env *Env, k *estate.Key) (due rotationDate, unknown string) {
	maxAge := env.Policy.Keys.MaxAgeDays
	fallback := func(why string) (rotationDate, string) {
		return rotationDate{at: k.Created.AddDate(0, 0, maxAge), basis: fmt.Sprintf("policy maximum age %d days: %s", maxAge, why)}, ""
	}
	policy := func(at time.Time, basis string) (rotationDate, string) {
		return rotationDate{at: at, basis: "rotation policy: " + basis, automatic: true}, ""
	}
	rp := k.Rotation
	switch {
	case rp == nil:
		return fallback("the key has no rotation policy")
	case !rp.Rotate:
		return fallback("the rotation policy has no rotate action")
	case !rp.RotateAfterCreate.IsZero():
		return policy(rp.RotateAfterCreate.AddTo(k.Created), "rotate "+rp.RotateAfterCreate.String()+" after creation")
	case !rp.RotateBeforeExpiry.IsZero() && !rp.ExpiryTime.IsZero():
		return policy(rp.RotateBeforeExpiry.Sub(rp.ExpiryTime.AddTo(k.Created)),
			"expiryTime "+rp.ExpiryTime.String()+" less timeBeforeExpiry "+rp.RotateBeforeExpiry.String())
	case !rp.RotateBeforeExpiry.IsZero() && !k.Expires.IsZero():
		return policy(rp.RotateBeforeExpiry.Sub(k.Expires), "rotate "+rp.RotateBeforeExpiry.String()+" before the key's expiry "+dateText(k.Expires))
	case !rp.RotateBeforeExpiry.IsZero():
		return fallback("the rotate action fires " + rp.RotateBeforeExpiry.String() + " before expiry, but neither the policy's expiryTime nor the key's exp is set")
	}
	if raw := rp.RotateTriggers; len(raw) > 0 {
		return rotationDate{}, fmt.Sprintf("the rotate action's trigger %q is not an ISO-8601 duration, so the rotation interval cannot be told", raw[0])
	}
	return fallback("the rotate action has no trigger")
}
