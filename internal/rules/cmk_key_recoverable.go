package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkKeyRecoverable = &Rule{
	ID:       "cmk-key-recoverable",
	Title:    "The vault holding a resource's key cannot lose it",
	Severity: Critical,
	Description: "Passes when the Key Vault or Managed HSM of every key the resource references has soft delete and purge protection. " +
		"Absent properties take the platform defaults: soft delete on, purge protection off. Unknown when the vault is not in the " +
		"snapshot or the reference cannot be followed (cmk-key-usable reports a malformed reference). Resources on platform-managed " +
		"keys are not judged.",
	Rationale: "Without purge protection anyone who can delete the key or the vault can also purge it, and the data encrypted with it " +
		"is lost for good, backups included. Services such as Service Bus, Event Hubs, PostgreSQL and MySQL flexible server and Machine " +
		"Learning require both settings; a vault backing production data deserves them whatever the service checks.",
	Remediation: "az keyvault update --name <vault> --enable-purge-protection true (soft delete is on by default and cannot be turned off " +
		"once on); for a Managed HSM az keyvault update-hsm --hsm-name <hsm> --enable-purge-protection true; in a template set " +
		"properties.enablePurgeProtection: true. Purge protection cannot be turned off again.",
	Frameworks: []string{"MCSB DP-8", "CIS Azure 2.0 8.5", "PCI-DSS 3.6.1", "PCI-DSS 3.7.3",
		"HIPAA 164.308(a)(7)(i)", "HIPAA 164.308(a)(7)(ii)(A)", "HIPAA 164.312(a)(2)(ii)", "HIPAA 164.312(c)(1)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		return judgeRefs(env, w, &env.recoverableRefs, func(ref *estate.KeyRef) refVerdict { return keyRecoverable(env, ref) })
	},
}

// recoverableQuestion is everything keyRecoverable reads of a reference it
// can follow, so that references asking the same question share the verdict.
type recoverableQuestion struct {
	vault *estate.Vault
	key   string
}

// keyRecoverable judges one key reference for cmk-key-recoverable.
func keyRecoverable(env *Env, ref *estate.KeyRef) refVerdict {
	if ok, st, reason := followRef(ref); !ok {
		if st == Fail {
			reason += "; its vault is unknown (cmk-key-usable reports the reference)"
		}
		return refVerdict{Status: Unknown, Reason: reason}
	}
	return env.recoverable.answer(recoverableQuestion{ref.Vault, ref.URI.Name}, judgeRecoverable)
}

// judgeRecoverable answers a recoverableQuestion.
func judgeRecoverable(q recoverableQuestion) refVerdict {
	v := q.vault
	ev := Ev("vault", v.ID, "softDelete", v.SoftDelete, "purgeProtection", v.PurgeProtection)
	var missing []string
	if !v.SoftDelete {
		missing = append(missing, "soft delete")
	}
	if !v.PurgeProtection {
		missing = append(missing, "purge protection")
	}
	kind := "vault"
	if v.HSM {
		kind = "Managed HSM"
	}
	if len(missing) > 0 {
		return refVerdict{Status: Fail, Evidence: ev, Reason: kind + " " + v.Name + ", which holds key " + q.key + ", has no " +
			strings.Join(missing, " and no ")}
	}
	return refVerdict{Status: Pass, Evidence: ev, Reason: kind + " " + v.Name + ", which holds key " + q.key +
		", has soft delete and purge protection"}
}
