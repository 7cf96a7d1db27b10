package rules

import "github.com/cmkguard/cmkguard/internal/estate"

var keyNearExpiry = &Rule{
	ID:       "key-near-expiry",
	Title:    "Keys are not expired or about to expire",
	Severity: High,
	Description: "Passes when the key's expiry (properties.attributes.exp) lies beyond the policy's warning window " +
		"(keys.expiryWarningDays, 30 days by default) from the evaluation time, or when the key has no expiry at all " +
		"(key-expiry-set reports those). Fails when the key has expired or expires within the window, the window's last " +
		"instant included. Disabled keys are judged too.",
	Rationale: "Services that encrypt with a customer-managed key lose access to their data when the key version they use " +
		"expires: SQL databases go inaccessible, storage and disks stop serving. The evidence lists the workloads that depend on the key.",
	Remediation: "Create a new version before expiry — az keyvault key rotate --vault-name <vault> --name <key> " +
		"(Managed HSM: --hsm-name <hsm>) — and make sure every consumer follows the latest version (versionless key URI or " +
		"auto-rotation), or extend the current version: az keyvault key set-attributes --vault-name <vault> --name <key> --expires <date>. " +
		"A rotation policy with a rotate action well before expiry keeps this from recurring.",
	Frameworks: []string{"MCSB DP-6", "PCI-DSS 3.7.4", "PCI-DSS 3.7.5", "HIPAA 164.308(a)(7)(ii)(B)"},
	Key: func(env *Env, k *estate.Key) Outcome {
		ev := keyEvidence(k)
		ev = append(ev, "usedBy", userIDs(k.Users))
		if k.Expires.IsZero() {
			if why := expiryUnreadable(k); why != "" {
				return env.Unknownf(ev, "%s", why)
			}
			return env.Passf(ev, "no expiry date is set, so the key cannot expire (key-expiry-set reports keys without an expiry)%s", disabledNote(k))
		}
		warn := env.Policy.Keys.ExpiryWarningDays
		days := daysFrom(env.Now, k.Expires)
		ev = append(ev, "expires", timeText(k.Expires), "daysLeft", days, "warningDays", warn)
		if k.Rotation != nil {
			ev = append(ev, "autoRotate", k.Rotation.Rotate)
		}
		switch {
		case !k.Expires.After(env.Now):
			return env.Failf(ev, "expired on %s (%d days ago); %s%s", dateText(k.Expires), -days, usersText(k), disabledNote(k))
		case !k.Expires.After(env.Now.AddDate(0, 0, warn)):
			return env.Failf(ev, "expires on %s, in %d days, inside the %d-day warning window; %s%s",
				dateText(k.Expires), days, warn, usersText(k), disabledNote(k))
		}
		return env.Passf(ev, "expires on %s, in %d days, beyond the %d-day warning window%s", dateText(k.Expires), days, warn, disabledNote(k))
	},
}
