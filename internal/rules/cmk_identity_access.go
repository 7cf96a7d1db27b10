package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkIdentityAccess = &Rule{
	ID:       "cmk-identity-access",
	Title:    "The identity a resource uses for its key can use the key",
	Severity: High,
	Description: "Passes when the identity the resource uses to reach each of its keys (the disk encryption set's for a disk) holds get, " +
		"wrapKey and unwrapKey on the key (encrypt and decrypt for AKS KMS): by an access policy on a vault that uses access policies, " +
		"or by an Azure RBAC role assigned at the key, the vault or a parent scope (resource group, subscription, management group) on a " +
		"vault that uses RBAC. A role on an access-policy vault, an access policy on an RBAC vault, and a role scoped to another key give " +
		"no access. Fails when the identity named is not attached to the resource or lacks an operation. Unknown when the identity's " +
		"principal or the vault is not in the snapshot, the key is in a Managed HSM (local RBAC is not in ARM data), the vault uses RBAC " +
		"and the snapshot holds no role assignments for it, or a role assignment that might grant the rest cannot be resolved " +
		"(a custom role without its definition, a management group whose subscriptions are not in the snapshot).",
	Rationale: "Services reach their customer-managed key continuously. An identity that lost unwrapKey, was detached, or whose grant " +
		"the vault's permission model ignores makes the service lose its data at the next key access: SQL and PostgreSQL servers go " +
		"inaccessible, storage and Cosmos DB refuse requests.",
	Remediation: "RBAC vault: az role assignment create --role \"Key Vault Crypto Service Encryption User\" --assignee-object-id <principal-id> " +
		"--assignee-principal-type ServicePrincipal --scope <vault-id>/keys/<key> (AKS KMS: \"Key Vault Crypto User\"). Access-policy vault: " +
		"az keyvault set-policy --name <vault> --object-id <principal-id> --key-permissions get wrapKey unwrapKey (AKS KMS: encrypt decrypt). " +
		"Managed HSM: az keyvault role assignment create --hsm-name <hsm> --role \"Managed HSM Crypto Service Encryption User\" " +
		"--assignee-object-id <principal-id> --scope /keys/<key>. A detached identity: attach it again (az <service> identity assign …).",
	Frameworks: []string{"MCSB DP-5", "MCSB IM-3", "PCI-DSS 3.6.1", "HIPAA 164.312(a)(2)(iv)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		return judgeRefs(env, w, &env.accessRefs, func(ref *estate.KeyRef) refVerdict { return identityAccess(env, w, ref) })
	},
}

// opNames are the display names of the key operations the rule asks for.
var opNames = map[string]string{"get": "get", "wrapkey": "wrapKey", "unwrapkey": "unwrapKey", "encrypt": "encrypt", "decrypt": "decrypt"}

// accessOps are the key operations (estate.KeyOperations names) the identity
// needs: to encrypt and decrypt for AKS KMS, else to wrap and unwrap. The
// list is shared: read it, never change it.
func accessOps(kms bool) []string {
	if kms {
		return kmsAccessOps[:]
	}
	return wrapAccessOps[:]
}

// kmsAccessOps and wrapAccessOps are the lists accessOps returns.
var (
	kmsAccessOps  = [...]string{"encrypt", "decrypt"}
	wrapAccessOps = [...]string{"get", "wrapkey", "unwrapkey"}
)

// accessQuestion is everything identityAccess reads of a reference it can
// follow, so that references asking the same question share the verdict.
type accessQuestion struct {
	vault *estate.Vault
	key   string
	id    estate.IdentityRef
	kms   bool
}

// identityAccess judges one key reference for cmk-identity-access.
func identityAccess(env *Env, w *estate.Workload, ref *estate.KeyRef) refVerdict {
	if ok, st, reason := followRef(ref); !ok {
		if st == Fail {
			reason += "; its vault is unknown (cmk-key-usable reports the reference)"
		}
		return refVerdict{Status: Unknown, Reason: reason}
	}
	q := accessQuestion{vault: ref.Vault, key: ref.URI.Name, id: ref.Identity, kms: kmsRef(w, ref)}
	if ref.Identity.Holder == w.ID {
		// The workload's own identity: no other workload asks the question,
		// so remembering the verdict would cost more than it saves.
		return judgeAccess(env, q)
	}
	return env.access.answer(q, func(q accessQuestion) refVerdict { return judgeAccess(env, q) })
}

// judgeAccess answers an accessQuestion.
func judgeAccess(env *Env, q accessQuestion) refVerdict {
	id, v, name := q.id, q.vault, q.key
	// A count-only Env's verdicts have neither reasons nor evidence.
	var who string
	var ev []any
	if !env.countOnly {
		who = id.Label()
		ev = Ev("identity", who, "vault", v.ID)
		if id.PrincipalID != "" {
			ev = append(ev, "principalId", id.PrincipalID)
		}
	}
	switch {
	case id.Problem != "":
		return refVerdict{Status: Fail, Evidence: ev, Reason: id.Problem}
	case id.Unknown != "":
		return refVerdict{Status: Unknown, Evidence: ev, Reason: id.Unknown}
	case id.PrincipalID == "":
		return refVerdict{Status: Unknown, Evidence: ev, Reason: "the principal of " + who + " is not in the snapshot"}
	case v.HSM:
		return refVerdict{Status: Unknown, Evidence: ev, Reason: fmt.Sprintf(
			"Managed HSM %s authorises key use by local RBAC, which ARM snapshots do not carry", v.Name)}
	}
	need := accessOps(q.kms)
	var have [max(len(kmsAccessOps), len(wrapAccessOps))]bool // by position in need
	var granted, ignored, unresolved []string
	env.grants = env.Estate.AppendGrants(env.grants[:0], v, estate.KeyScope(v, name), id.PrincipalID)
	for _, g := range env.grants {
		label := ""
		if !env.countOnly {
			label = grantLabel(g)
		}
		switch {
		case g.Ignored != "":
			ignored = append(ignored, label+": "+g.Ignored)
		case g.Via == "role assignment" && !v.RBAC:
			// Grants keeps administrative roles on access-policy vaults for the
			// least-privilege rules; they still give no data-plane access.
			ignored = append(ignored, label+": the vault uses access policies, so Azure RBAC roles give no key access")
		case g.Unresolved != "":
			unresolved = append(unresolved, label+": "+g.Unresolved)
		default:
			useful := false
			for i, op := range need {
				if g.Has(op) {
					have[i], useful = true, true
				}
			}
			if useful {
				granted = append(granted, label)
			}
		}
	}
	var missing []string
	for i, op := range need {
		if !have[i] {
			missing = append(missing, opNames[op])
		}
	}
	st := accessStatus(env, v, missing, unresolved)
	if env.countOnly {
		return refVerdict{Status: st}
	}
	model := "access policies"
	if v.RBAC {
		model = "Azure RBAC"
	}
	ev = append(ev, "permissionModel", model, "grants", nonNil(granted))
	if len(ignored) > 0 {
		ev = append(ev, "ignoredGrants", ignored)
	}
	if len(unresolved) > 0 {
		ev = append(ev, "unresolvedGrants", unresolved)
	}
	opsText := strings.Join(displayOps(need), ", ")
	if st == Pass {
		return refVerdict{Status: Pass, Evidence: ev, Reason: fmt.Sprintf("%s holds %s on key %s in %s (%s)",
			who, opsText, name, v.Name, strings.Join(granted, "; "))}
	}
	ev = append(ev, "missing", missing)
	switch {
	case st == Unknown && len(unresolved) > 0:
		return refVerdict{Status: Unknown, Evidence: ev, Reason: fmt.Sprintf("%s may lack %s on key %s in %s: %s",
			who, strings.Join(missing, ", "), name, v.Name, strings.Join(unresolved, "; "))}
	case st == Unknown:
		reason := fmt.Sprintf("%s uses Azure RBAC and the snapshot holds no role assignments for it, so %s's access to key %s cannot be told",
			v.Name, who, name)
		if g := env.Estate.GapFor("roleAssignments", v.ID); g != nil && g.Error != "" {
			reason += " (collection: " + g.Error + ")"
		}
		return refVerdict{Status: Unknown, Evidence: ev, Reason: reason}
	}
	reason := fmt.Sprintf("%s lacks %s on key %s in %s (%s)", who, strings.Join(missing, ", "), name, v.Name, model)
	if len(ignored) > 0 {
		reason += "; ignored: " + strings.Join(ignored, "; ")
	}
	return refVerdict{Status: Fail, Evidence: ev, Reason: reason}
}

// accessStatus is the verdict on an identity that lacks the operations
// missing on a key of v, with the grants unresolved that might give them:
// it passes when nothing is missing; on an RBAC vault a grant that cannot
// be resolved, or role assignments the snapshot does not hold, leave it
// unknown; else it fails.
func accessStatus(env *Env, v *estate.Vault, missing, unresolved []string) Status {
	switch {
	case len(missing) == 0:
		return Pass
	case v.RBAC && (len(unresolved) > 0 || !env.Estate.Known("roleAssignments", v.ID)):
		return Unknown
	}
	return Fail
}

// grantLabel describes a grant for messages and evidence.
func grantLabel(g estate.Grant) string {
	if g.Via == "access policy" {
		if len(g.Ops) == len(estate.KeyOperations) {
			return "access policy (all key permissions)"
		}
		return "access policy (" + strings.Join(displayOps(g.Ops), ", ") + ")"
	}
	return fmt.Sprintf("role %s at %s", g.Role, g.Scope)
}

// displayOps renders key operations with their Azure spelling.
func displayOps(ops []string) []string {
	out := make([]string, 0, len(ops))
	for _, op := range ops {
		if n, ok := opNames[op]; ok {
			op = n
		}
		if !slices.Contains(out, op) {
			out = append(out, op)
		}
	}
	return out
}

// nonNil makes an empty list render as [] rather than null in JSON evidence.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
