package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkKeyUsable = &Rule{
	ID:       "cmk-key-usable",
	Title:    "The customer-managed key a resource uses exists and is usable",
	Severity: Critical,
	Description: "Passes when every key the resource references (following a disk to its disk encryption set, a SQL server to its " +
		"encryptionProtector) is in the snapshot, enabled, not expired and not before its nbf time at the evaluation time, and its " +
		"keyOps (when listed) allow wrapKey and unwrapKey (encrypt and decrypt for AKS KMS). Fails when a present reference is malformed, " +
		"or when the key's vault lists its keys and the key is missing (deleted), disabled or expired. Unknown when the vault is not in " +
		"the snapshot, its key list is not, a disk encryption set cannot be followed, or the reference pins a version other than the " +
		"current one the snapshot describes. Several keys (Service Bus, PostgreSQL geo-backup key) are judged each; the worst wins. " +
		"Resources on platform-managed keys are not judged.",
	Rationale: "A service encrypted with a key it can no longer use stops serving its data: SQL and PostgreSQL/MySQL servers become " +
		"inaccessible within minutes, storage and Cosmos DB refuse requests. A deleted, disabled or expired key is an outage in waiting, " +
		"and once the vault's soft-delete window passes the data is lost for good.",
	Remediation: "Re-enable the key (az keyvault key set-attributes --vault-name <vault> --name <key> --enabled true), move its expiry or " +
		"rotate it (az keyvault key set-attributes … --expires <time>; az keyvault key rotate --vault-name <vault> --name <key>), recover a " +
		"deleted key (az keyvault key recover --vault-name <vault> --name <key>), or point the resource at a usable key.",
	Frameworks: []string{"MCSB DP-5", "MCSB DP-6", "PCI-DSS 3.7.4", "PCI-DSS 3.7.5", "HIPAA 164.308(a)(7)(ii)(B)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		return judgeRefs(env, w, &env.usableRefs, func(ref *estate.KeyRef) refVerdict { return keyUsable(env, w, ref) })
	},
}

// usableQuestion is everything keyUsable reads of a reference it can follow,
// so that references asking the same question share the verdict.
type usableQuestion struct {
	vault         *estate.Vault
	key           *estate.Key
	name, version string
	kms           bool
}

// keyUsable judges one key reference for cmk-key-usable.
func keyUsable(env *Env, w *estate.Workload, ref *estate.KeyRef) refVerdict {
	if ok, st, reason := followRef(ref); !ok {
		return refVerdict{Status: st, Reason: reason}
	}
	q := usableQuestion{vault: ref.Vault, key: ref.Key, name: ref.URI.Name, version: ref.URI.Version, kms: kmsRef(w, ref)}
	return env.usable.answer(q, func(q usableQuestion) refVerdict { return judgeUsable(env, q) })
}

// judgeUsable answers a usableQuestion.
func judgeUsable(env *Env, q usableQuestion) refVerdict {
	v, k, name := q.vault, q.key, q.name
	if k == nil {
		if !env.Estate.KeysListed(v) {
			reason := fmt.Sprintf("the snapshot does not list the keys of %s, so key %s cannot be checked", v.Name, name)
			if g := env.Estate.GapFor("keys", v.ID); g != nil && g.Error != "" {
				reason += " (collection: " + g.Error + ")"
			}
			return refVerdict{Status: Unknown, Reason: reason}
		}
		return refVerdict{Status: Fail, Reason: fmt.Sprintf("key %s is not in %s, whose keys the snapshot lists: it was deleted or never created", name, v.Name)}
	}
	ev := Ev("key", k.ID, "enabled", k.Enabled)
	if !k.Expires.IsZero() {
		ev = append(ev, "expires", k.Expires.Format(time.RFC3339))
	}
	if !k.NotBefore.IsZero() {
		ev = append(ev, "notBefore", k.NotBefore.Format(time.RFC3339))
	}
	if q.version != "" {
		if current := k.Version; current != "" && !strings.EqualFold(q.version, current) {
			ev = append(ev, "pinnedVersion", q.version, "currentVersion", current)
			return refVerdict{Status: Unknown, Evidence: ev, Reason: fmt.Sprintf(
				"the reference pins version %s of key %s, but the snapshot describes only its current version %s", q.version, name, current)}
		}
	}
	var problems []string
	if !k.Enabled {
		problems = append(problems, "disabled")
	}
	if !k.Expires.IsZero() && !env.Now.Before(k.Expires) {
		problems = append(problems, "expired "+k.Expires.Format(time.RFC3339))
	}
	if !k.NotBefore.IsZero() && env.Now.Before(k.NotBefore) {
		problems = append(problems, "not valid before "+k.NotBefore.Format(time.RFC3339))
	}
	if len(k.KeyOps) > 0 {
		var missing []string
		for _, op := range usableOps(q.kms) {
			if !slices.ContainsFunc(k.KeyOps, func(o string) bool { return strings.EqualFold(strings.TrimSpace(o), op) }) {
				missing = append(missing, op)
			}
		}
		if len(missing) > 0 {
			ev = append(ev, "keyOps", k.KeyOps)
			problems = append(problems, "keyOps do not allow "+strings.Join(missing, ", "))
		}
	}
	if len(problems) > 0 {
		return refVerdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("key %s in %s: %s", name, v.Name, strings.Join(problems, ", "))}
	}
	until := "has no expiry"
	if !k.Expires.IsZero() {
		until = "is valid until " + k.Expires.Format(time.RFC3339)
	}
	return refVerdict{Status: Pass, Evidence: ev, Reason: "key " + name + " in " + v.Name + " is enabled and " + until}
}

// usableOps are the key operations a reference needs the key to allow: to
// encrypt and decrypt for AKS KMS (see kmsRef), else to wrap and unwrap.
func usableOps(kms bool) []string {
	if kms {
		return []string{"encrypt", "decrypt"}
	}
	return []string{"wrapKey", "unwrapKey"}
}
