package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyRotationPolicy = &Rule{
	ID:       "key-rotation-policy",
	Title:    "Keys rotate automatically",
	Severity: Medium,
	Description: "Passes when the key's rotation policy has a lifetime action of type rotate (any casing: ARM writes rotate, " +
		"the SDKs Rotate) with a timeAfterCreate or timeBeforeExpiry trigger. A policy that only notifies fails. A full key " +
		"object without rotationPolicy fails, since ARM omits the property when the key has none; a list row (attributes and " +
		"keyUri only) or a key the collection could not read is unknown.",
	Rationale: "Automatic rotation bounds each version's cryptoperiod without a person remembering to act, and consumers on " +
		"versionless key URIs pick the new version up. CIS asks for automatic key rotation on every key.",
	Remediation: "az keyvault key rotation-policy update --vault-name <vault> --name <key> --value policy.json " +
		"(Managed HSM: --hsm-name <hsm>) with policy.json such as " +
		`{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P330D"},"action":{"type":"Rotate"}},` +
		`{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Notify"}}],"attributes":{"expiryTime":"P1Y"}}; ` +
		"in ARM, properties.rotationPolicy.lifetimeActions[].action.type = rotate.",
	Frameworks: []string{"CIS Azure 2.0 8.8", "CIS Azure 4.0 9.3.9", "MCSB DP-6",
		"PCI-DSS 3.6.1", "PCI-DSS 3.6.1.1", "PCI-DSS 3.6.1.2", "PCI-DSS 3.6.1.4", "PCI-DSS 3.7.1", "PCI-DSS 3.7.2",
		"PCI-DSS 3.7.3", "PCI-DSS 3.7.5", "PCI-DSS 3.7.6", "PCI-DSS 3.7.7", "PCI-DSS 3.7.8",
		"HIPAA 164.308(a)(1)(ii)(B)", "HIPAA 164.308(a)(4)(ii)(A)", "HIPAA 164.308(a)(5)(ii)(D)", "HIPAA 164.312(a)(2)(iv)"},
	Key: func(env *Env, k *estate.Key) Outcome {
		ev := keyEvidence(k)
		rp := k.Rotation
		if rp == nil {
			if why := rotationUnreadable(env, k); why != "" {
				return env.Unknownf(ev, "the snapshot does not show the key's rotation policy: %s", why)
			}
			ev = append(ev, "rotationPolicy", "absent")
			return env.Failf(ev, "no rotation policy: the key object has no rotationPolicy, so no version is ever rotated automatically%s", disabledNote(k))
		}
		ev = append(ev, "rotateAction", rp.Rotate, "notifyAction", rp.Notify)
		if !rp.ExpiryTime.IsZero() {
			ev = append(ev, "expiryTime", rp.ExpiryTime.String())
		}
		switch {
		case rp.Rotate:
			if trigger := rotateTriggerText(rp); trigger != "" {
				ev = append(ev, "trigger", trigger)
				return env.Passf(ev, "the rotation policy rotates automatically (%s)%s", trigger, disabledNote(k))
			}
			if raw := rp.RotateTriggers; len(raw) > 0 {
				ev = append(ev, "trigger", strings.Join(raw, ", "))
				return env.Unknownf(ev, "the rotate action's trigger %q is not an ISO-8601 duration, so when it fires cannot be told", raw[0])
			}
			return env.Failf(ev, "the rotation policy has a rotate action without a timeAfterCreate or timeBeforeExpiry trigger, so it never fires%s", disabledNote(k))
		case rp.Notify:
			return env.Failf(ev, "the rotation policy only notifies (notify action) and never rotates the key automatically%s", disabledNote(k))
		}
		return env.Failf(ev, "the rotation policy has no rotate lifetime action%s", disabledNote(k))
	},
}
