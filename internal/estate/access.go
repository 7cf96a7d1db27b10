package estate

import (
	"slices"
	"strings"
)

// Grant is one access policy or role assignment that gives a principal rights
// over keys in a vault.
type Grant struct {
	PrincipalID   string
	PrincipalType string // from the role assignment; "" for access policies
	Via           string // "access policy" or "role assignment"
	Role          string // role name, for role assignments
	RoleID        string
	Scope         string // scope of a role assignment
	// Ops are the key operations granted, lower-case (see KeyOperations).
	// They may be shared (a role assignment's are its role definition's,
	// "all" is KeyOperations): read them, never change them.
	Ops   []string
	Admin bool // an administrative role (see AdministrativeRole)
	// Ignored says why the grant has no effect, e.g. a role assignment on a
	// vault that uses access policies.
	Ignored string
	// Unresolved says why its effect cannot be known, e.g. a custom role whose
	// definition is not in the snapshot.
	Unresolved string
}

// Has reports whether the grant gives op.
func (g Grant) Has(op string) bool { return slices.Contains(g.Ops, op) }

// KeyScope returns the ARM id of key name in vault v: the narrowest RBAC scope.
func KeyScope(v *Vault, name string) string {
	return strings.TrimRight(v.ID, "/") + "/keys/" + name
}

// Grants returns every grant on keys of vault v that applies at target (a key
// scope from KeyScope, or the vault id for vault-wide grants), for one
// principal, or for all principals when principalID is "". Grants that the
// vault's permission model ignores are returned with Ignored set, so that
// evidence can show them.
func (e *Estate) Grants(v *Vault, target, principalID string) []Grant {
	return e.AppendGrants(nil, v, target, principalID)
}

// AppendGrants appends the grants Grants returns to dst and returns the
// extended slice: rules ask for the grants of every vault and key reference,
// and a buffer they reuse spares making a new list each time.
func (e *Estate) AppendGrants(dst []Grant, v *Vault, target, principalID string) []Grant {
	principalID = Lower(principalID)
	for _, p := range v.AccessPolicies {
		if principalID != "" && p.ObjectID != principalID {
			continue
		}
		g := Grant{PrincipalID: p.ObjectID, Via: "access policy", Ops: expandAccessPolicy(p.Keys)}
		if v.RBAC {
			g.Ignored = "the vault uses Azure RBAC, so access policies have no effect"
		}
		dst = append(dst, g)
	}
	if principalID != "" {
		for _, ra := range e.assignmentsBy[principalID] {
			dst = e.appendGrant(dst, v, ra, target)
		}
		return dst
	}
	// The positions of the assignments that may apply, on the stack unless
	// there are many.
	var buf [64]int
	for _, n := range e.assignmentsAt(buf[:0], target) {
		dst = e.appendGrant(dst, v, e.RoleAssignments[n], target)
	}
	return dst
}

// appendGrant appends the grant of role assignment ra on keys of v at
// target, when it applies there or may.
func (e *Estate) appendGrant(dst []Grant, v *Vault, ra *RoleAssignment, target string) []Grant {
	applies, unresolved := e.appliesTo(ra.Scope, target)
	if !applies && unresolved == "" {
		return dst
	}
	g := Grant{PrincipalID: ra.PrincipalID, PrincipalType: ra.PrincipalType, Via: "role assignment",
		Role: e.RoleName(ra.RoleID), RoleID: ra.RoleID, Scope: ra.Scope,
		Admin: AdministrativeRole(ra.RoleID, !v.RBAC), Unresolved: unresolved}
	def := e.Role(ra.RoleID)
	if def == nil {
		if g.Unresolved == "" {
			g.Unresolved = "role definition " + ra.RoleID + " is not in the snapshot"
		}
	} else {
		g.Ops = def.KeyOps()
	}
	switch {
	case v.HSM:
		g.Ignored = "a Managed HSM authorises key use by local RBAC, not Azure role assignments"
		g.Ops = nil
	case !v.RBAC && len(g.Ops) > 0:
		// Data actions need an RBAC vault; an administrative role keeps its
		// Admin flag, since it can still change who holds access.
		g.Ignored = "the vault uses access policies, so Azure RBAC data roles have no effect"
	}
	return append(dst, g)
}

// scopeIndex finds the role assignments that may apply at a target without
// looking at all of them: a vault is judged against every assignment in the
// snapshot, and an enterprise has hundreds of thousands.
type scopeIndex struct {
	// byScope maps a scope as Within compares it (lower case, no trailing
	// slash) to the positions of its assignments in RoleAssignments.
	byScope map[string][]int
	// groups are the positions of assignments at management-group scope,
	// which apply below the group by subscription ancestry, not by id.
	groups []int
	// keyScopes maps a vault id (lower case) to the key scopes below it that
	// hold role assignments, in first-seen order.
	keyScopes map[string][]string
}

// assignmentsAt appends to at, in RoleAssignments order, the positions of
// the role assignments whose scope contains target or is a management group:
// every assignment appliesTo may accept for target, and few others.
func (e *Estate) assignmentsAt(at []int, target string) []int {
	e.scopesOnce.Do(e.indexScopes)
	t := strings.TrimRight(Lower(target), "/")
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '/' {
			at = append(at, e.scopes.byScope[t[:i]]...)
		}
	}
	at = append(at, e.scopes.groups...)
	slices.Sort(at)
	return slices.Compact(at)
}

// indexScopes builds the index behind assignmentsAt once, after Build.
func (e *Estate) indexScopes() {
	e.scopes.byScope = map[string][]int{}
	e.scopes.keyScopes = map[string][]string{}
	for i, ra := range e.RoleAssignments {
		k := strings.TrimRight(Lower(ra.Scope), "/")
		first := len(e.scopes.byScope[k]) == 0
		e.scopes.byScope[k] = append(e.scopes.byScope[k], i)
		sid, ok := ParseID(ra.Scope)
		switch {
		case !ok:
		case sid.Type == "microsoft.management/managementgroups":
			e.scopes.groups = append(e.scopes.groups, i)
		case first && (sid.Type == "microsoft.keyvault/vaults/keys" || sid.Type == "microsoft.keyvault/managedhsms/keys"):
			v := Lower(sid.Parent)
			e.scopes.keyScopes[v] = append(e.scopes.keyScopes[v], k)
		}
	}
}

// KeyScopesWithAssignments returns the scopes of single keys of v that hold
// role assignments: rights granted there apply to that key only, and the
// vault's own scope does not show them.
func (e *Estate) KeyScopesWithAssignments(v *Vault) []string {
	e.scopesOnce.Do(e.indexScopes)
	return e.scopes.keyScopes[strings.TrimRight(Lower(v.ID), "/")]
}

// appliesTo reports whether a role assignment at scope applies to target. A
// management-group scope applies when the target's subscription lies below
// that group; when the snapshot does not say, the answer is unresolved.
func (e *Estate) appliesTo(scope, target string) (bool, string) {
	if Within(target, scope) {
		return true, ""
	}
	sid, ok := ParseID(scope)
	if !ok || sid.Type != "microsoft.management/managementgroups" {
		return false, ""
	}
	tid, _ := ParseID(target)
	ancestors, known := e.mgAncestors[tid.Subscription]
	if !known {
		return false, "assignment at management group " + sid.Name + ", whose subscriptions are not in the snapshot"
	}
	return slices.Contains(ancestors, Lower(sid.Name)), ""
}

// expandAccessPolicy lower-cases access-policy key permissions and expands "all".
func expandAccessPolicy(perms []string) []string {
	var out []string
	for _, p := range perms {
		p = Lower(strings.TrimSpace(p))
		if p == "all" {
			return KeyOperations // read only, as Grant.Ops are
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// ManagedIdentityPrincipal reports whether the object id belongs to a managed
// identity the snapshot knows (system-assigned on any resource, or user-assigned).
func (e *Estate) ManagedIdentityPrincipal(principalID string) bool {
	_, ok := e.miPrincipals[Lower(principalID)]
	return ok
}
