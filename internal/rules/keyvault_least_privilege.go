package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var keyvaultLeastPrivilege = &Rule{
	ID:       "keyvault-least-privilege",
	Title:    "No workload identity can manage or administer the vault's keys",
	Severity: Medium,
	Description: "Passes when no workload identity — a managed identity or a service principal — holds key-management permissions " +
		"(create, import, update, delete, backup, restore, recover, purge, rotate, setrotationpolicy, or all) by an effective " +
		"access policy or role assignment at the vault, a parent scope or one of its keys, nor an administrative role: one that " +
		"can assign roles there (Owner, User Access Administrator, RBAC Administrator), that can write the access policies of an " +
		"access-policy vault (Contributor, Key Vault Contributor), or Key Vault Administrator / Crypto Officer / Data Access " +
		"Administrator on an RBAC vault. People (users, groups) may. Unknown when role assignments are not in the snapshot, when a " +
		"principal holding such rights cannot be told apart as a person or a workload, or for a Managed HSM whose local RBAC " +
		"assignments ARM does not return.",
	Rationale: "A workload needs get, wrapKey and unwrapKey on its key and nothing more; an application that can delete, purge or " +
		"replace keys, or grant itself access, turns one compromised app into the loss of every resource encrypted in the vault. " +
		"Key custody belongs with the fewest people (PCI DSS 3.6.1).",
	Remediation: "Remove the grant the evidence names (az role assignment delete --assignee <object id> --role <role> --scope <scope>, " +
		"or az keyvault set-policy --name <vault> --object-id <object id> --key-permissions get wrapKey unwrapKey) and give the " +
		"workload Key Vault Crypto Service Encryption User on its key instead.",
	Frameworks: []string{"MCSB PA-7", "MCSB DP-8", "PCI-DSS 3.6.1", "PCI-DSS 7.2.1", "PCI-DSS 7.2.2",
		"HIPAA 164.308(a)(4)(ii)(B)", "HIPAA 164.312(a)(1)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		if o, ok := withoutProperties(env, v); ok {
			return o
		}
		var offenders, undetermined, people []map[string]string
		for _, h := range holdersOf(env, v) {
			switch {
			case h.workload && h.unsure == "":
				offenders = append(offenders, h.evidence(v))
			case h.workload || !h.known:
				undetermined = append(undetermined, h.evidence(v))
			case h.unsure == "":
				people = append(people, h.evidence(v))
			}
		}
		ev := Ev("kind", vaultKind(v), "permissionModel", permissionModel(v))
		if len(people) > 0 {
			ev = append(ev, "people", people)
		}
		if len(offenders) > 0 {
			ev = append(ev, "offenders", offenders)
			if len(undetermined) > 0 {
				ev = append(ev, "undetermined", undetermined)
			}
			return env.Failf(ev, "%s: %s", countNoun(len(offenders), "workload identity holds key-management or administrative rights",
				"workload identities hold key-management or administrative rights"), holdersText(offenders))
		}
		var missing []string
		if !env.Estate.Known("roleAssignments", v.ID) {
			missing = append(missing, missingData(env, "roleAssignments", v.ID, "role assignments")+
				", so roles that manage keys or can grant access (Owner, Contributor, Key Vault Administrator…) are unseen")
		}
		if len(undetermined) > 0 {
			ev = append(ev, "undetermined", undetermined)
			missing = append(missing, "cannot tell whether these principals are people or workloads, or what their roles allow: "+
				holdersText(undetermined))
		}
		if v.HSM {
			missing = append(missing, "a Managed HSM grants key permissions by its local RBAC, whose role assignments ARM does "+
				"not return (list them with az keyvault role assignment list --hsm-name "+v.Name+")")
		}
		if len(missing) > 0 {
			return env.Unknownf(ev, "no workload identity is seen with key-management or administrative rights, but %s",
				strings.Join(missing, "; "))
		}
		if len(people) == 0 {
			return env.Passf(ev, "no principal, workload or person, holds key-management or administrative rights")
		}
		return env.Passf(ev, "no workload identity holds key-management or administrative rights; %s",
			countNoun(len(people), "person or group does", "people or groups do"))
	},
}

// holder is one grant that gives a principal power over the vault's keys.
type holder struct {
	principal string
	kind      string
	workload  bool   // a managed identity or service principal
	known     bool   // whether kind is known
	via       string // access policy, role assignment, local administrator
	role      string
	roleID    string
	scope     string
	power     string // what the grant allows that a workload must not hold; "" when none is known
	unsure    string // why the grant's effect cannot be known
}

func (h holder) evidence(v *estate.Vault) map[string]string {
	m := map[string]string{"principal": h.principal, "kind": h.kind, "via": h.via}
	for k, s := range map[string]string{"role": h.role, "scope": h.scope, "rights": h.power, "unresolved": h.unsure} {
		if s != "" {
			m[k] = s
		}
	}
	if h.workload && h.power != "" {
		switch h.via {
		case "access policy":
			m["fix"] = "az keyvault set-policy --name " + v.Name + " --resource-group " + resourceGroupOf(v.ID) +
				" --object-id " + h.principal + " --key-permissions get wrapKey unwrapKey"
		case "role assignment":
			m["fix"] = "az role assignment delete --assignee " + h.principal + " --role " + h.roleID + " --scope " + h.scope
		}
	}
	return m
}

func holdersText(list []map[string]string) string {
	parts := make([]string, len(list))
	for i, h := range list {
		s := h["kind"] + " " + h["principal"] + " by " + h["via"]
		if h["role"] != "" {
			s += " " + h["role"]
		}
		if h["scope"] != "" {
			s += " at " + h["scope"]
		}
		if h["rights"] != "" {
			s += " (" + h["rights"] + ")"
		}
		if h["unresolved"] != "" {
			s += " (" + h["unresolved"] + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}

func permissionModel(v *estate.Vault) string {
	switch {
	case v.HSM:
		return "Managed HSM local RBAC"
	case v.RBAC:
		return "Azure RBAC"
	}
	return "access policies"
}

// holdersOf returns privilegedHolders(env, v), worked out once per
// evaluation: a scan judges every vault in both its passes, and the grants
// behind a vault's few holders cost more to find than the holders cost to
// keep. The list is shared: read it, never change it.
func holdersOf(env *Env, v *estate.Vault) []holder {
	ix := env.ix()
	ix.holdersMu.Lock()
	hs, ok := ix.holders[v]
	ix.holdersMu.Unlock()
	if ok {
		return hs
	}
	hs = privilegedHolders(env, v)
	ix.holdersMu.Lock()
	if ix.holders == nil {
		ix.holders = map[*estate.Vault][]holder{}
	}
	ix.holders[v] = hs
	ix.holdersMu.Unlock()
	return hs
}

// privilegedHolders lists every grant on the vault that gives key management or
// administration, or whose effect cannot be known, with the kind of principal
// holding it.
func privilegedHolders(env *Env, v *estate.Vault) []holder {
	grants := env.Estate.AppendGrants(env.grants[:0], v, v.ID, "")
	for _, scope := range env.Estate.KeyScopesWithAssignments(v) {
		n := len(grants)
		grants = env.Estate.AppendGrants(grants, v, scope, "")
		kept := grants[:n]
		for _, g := range grants[n:] {
			if g.Via == "role assignment" && g.Scope == scope {
				kept = append(kept, g)
			}
		}
		grants = kept
	}
	env.grants = grants
	var out []holder
	policy := 0 // Grants lists access policies first, in the vault's order
	for _, g := range grants {
		h := holder{principal: g.PrincipalID, via: g.Via, role: g.Role, roleID: g.RoleID, scope: g.Scope}
		appID := ""
		switch g.Via {
		case "access policy":
			if policy < len(v.AccessPolicies) && v.AccessPolicies[policy].ObjectID == g.PrincipalID {
				appID = v.AccessPolicies[policy].ApplicationID
			}
			policy++
			if v.RBAC {
				continue // ignored by an RBAC vault
			}
			if m := managementOps(g.Ops); len(m) > 0 {
				h.power = "key permissions " + strings.Join(m, ", ")
			}
		default:
			h.power, h.unsure = rolePower(env, v, g)
		}
		if h.power == "" && h.unsure == "" {
			continue
		}
		h.kind, h.workload, h.known = principalKind(env, g.PrincipalID, g.PrincipalType, appID)
		out = append(out, h)
	}
	if v.HSM {
		for _, id := range v.Written.InitialAdmins {
			h := holder{principal: estate.Lower(id), via: "local administrator", role: "Managed HSM Administrator",
				power: "listed in initialAdminObjectIds; manages the HSM's local role assignments"}
			h.kind, h.workload, h.known = principalKind(env, id, "", "")
			out = append(out, h)
		}
	}
	return out
}

// rolePower says what a role assignment lets its principal do to the vault's
// keys that a workload must not, or why that cannot be known.
func rolePower(env *Env, v *estate.Vault, g estate.Grant) (power, unsure string) {
	def := env.Estate.Role(g.RoleID)
	if def == nil {
		return "", "role definition " + g.RoleID + " is not in the snapshot"
	}
	var what []string
	if m := managementOps(g.Ops); len(m) > 0 && v.RBAC && !v.HSM {
		what = append(what, "key-management data actions "+strings.Join(m, ", "))
	}
	limitedToKeyVaultRoles := g.RoleID == estate.RoleKeyVaultDataAccessAdministrator && (!v.RBAC || v.HSM)
	switch {
	case def.AllowsAction("Microsoft.Authorization/roleAssignments/write") && !limitedToKeyVaultRoles && v.HSM:
		what = append(what, "can assign Azure roles on the Managed HSM and so take over its management (delete, network)")
	case def.AllowsAction("Microsoft.Authorization/roleAssignments/write") && !limitedToKeyVaultRoles:
		what = append(what, "can assign roles here and so grant itself any access")
	case !v.RBAC && !v.HSM && def.AllowsAction("Microsoft.KeyVault/vaults/accessPolicies/write"):
		what = append(what, "can write the vault's access policies and so grant itself key access")
	case g.Admin && v.RBAC && !v.HSM && len(what) == 0:
		what = append(what, "administrative role on the vault")
	}
	if len(what) == 0 {
		return "", ""
	}
	if g.Unresolved != "" {
		return strings.Join(what, "; "), g.Unresolved
	}
	return strings.Join(what, "; "), ""
}

// managementOps returns the key-management operations among ops.
func managementOps(ops []string) []string {
	var out []string
	for _, op := range ops {
		if slices.Contains(estate.KeyManagementOperations, op) {
			out = append(out, op)
		}
	}
	return out
}

// principalKind tells a workload identity (managed identity, service principal)
// from a person: by the snapshot's managed identities, the principalType of a
// role assignment, or an access policy's applicationId (a compound identity:
// the application acts only for a signed-in user).
func principalKind(env *Env, id, principalType, applicationID string) (kind string, workload, known bool) {
	if env.Estate.ManagedIdentityPrincipal(id) {
		return "managed identity", true, true
	}
	if principalType == "" {
		principalType = env.Estate.PrincipalType(id)
	}
	switch estate.Lower(principalType) {
	case "serviceprincipal":
		return "service principal", true, true
	case "user", "group", "foreigngroup", "device":
		return estate.Lower(principalType), false, true
	case "":
		if applicationID != "" {
			return fmt.Sprintf("user through application %s (compound identity)", applicationID), false, true
		}
		return "principal of unknown type", false, false
	}
	return "principal of type " + principalType, false, false
}
