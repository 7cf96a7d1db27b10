package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyExpirySet = &Rule{
	ID:       "key-expiry-set",
	Title:    "Keys have an expiry date",
	Severity: Medium,
	Description: "Passes when the key's current version has an expiry date (properties.attributes.exp, Unix seconds; " +
		"an ISO-8601 time from the data plane counts too). A rotation policy's attributes.expiryTime does not count: it is " +
		"the lifetime given to versions that rotation creates later, not an expiry of the current one. Disabled keys are judged too.",
	Rationale: "A key without an expiry has an unbounded cryptoperiod: nothing forces it to be replaced, and nothing warns " +
		"before it is used far longer than the key-management policy allows. CIS asks for an expiry on every key.",
	Remediation: "az keyvault key set-attributes --vault-name <vault> --name <key> --expires <YYYY-MM-DDTHH:MM:SSZ> " +
		"(Managed HSM: --hsm-name <hsm>); in ARM, properties.attributes.exp in Unix seconds. Pair it with a rotation policy " +
		"whose rotate action fires before that date, so consumers never meet an expired key.",
	Frameworks: []string{"CIS Azure 2.0 8.1", "CIS Azure 2.0 8.2", "CIS Azure 4.0 9.3.1", "CIS Azure 4.0 9.3.2", "MCSB DP-6",
		"PCI-DSS 3.6.1", "PCI-DSS 3.6.1.1", "PCI-DSS 3.7.1", "PCI-DSS 3.7.2", "PCI-DSS 3.7.3", "PCI-DSS 3.7.5",
		"PCI-DSS 3.7.6", "PCI-DSS 3.7.7", "PCI-DSS 3.7.8",
		"HIPAA 164.308(a)(3)(ii)(C)", "HIPAA 164.308(a)(4)(ii)(C)", "HIPAA 164.308(a)(5)(ii)(D)"},
	Key: func(env *Env, k *estate.Key) Outcome {
		ev := keyEvidence(k)
		if !k.Expires.IsZero() {
			ev = append(ev, "expires", timeText(k.Expires))
			return env.Passf(ev, "expires %s%s", dateText(k.Expires), disabledNote(k))
		}
		if why := expiryUnreadable(k); why != "" {
			if raw := writtenTimes(k).Exp; raw != nil {
				ev = append(ev, "exp", rawTimeText(raw))
			}
			return env.Unknownf(ev, "%s", why)
		}
		var notes []string
		if k.Rotation != nil && !k.Rotation.ExpiryTime.IsZero() {
			ev = append(ev, "rotationPolicyExpiryTime", k.Rotation.ExpiryTime.String())
			notes = append(notes, "rotationPolicy.attributes.expiryTime "+k.Rotation.ExpiryTime.String()+
				" applies only to versions created by rotation and is not an expiry of the current version")
		}
		if raw := writtenTimes(k).MisplacedExp; raw != nil {
			ev = append(ev, "misplacedExp", rawTimeText(raw))
			notes = append(notes, "properties.exp is not read as an expiry: ARM keeps it under properties.attributes")
		}
		msg := "no expiry date (properties.attributes.exp) is set"
		if len(notes) > 0 {
			msg += "; " + strings.Join(notes, "; ")
		}
		return env.Failf(ev, "%s%s", msg, disabledNote(k))
	},
}
