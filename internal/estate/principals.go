package estate

// PrincipalType returns the principalType that the snapshot's role assignments
// give for an object id (User, Group, ServicePrincipal, …), or "" when no role
// assignment of that principal says. Access policies name principals by object
// id only; this is how a rule tells a person from a workload there.
func (e *Estate) PrincipalType(principalID string) string {
	for _, ra := range e.assignmentsBy[Lower(principalID)] {
		if ra.PrincipalType != "" {
			return ra.PrincipalType
		}
	}
	return ""
}

// AllowsAction reports whether the role definition grants the control-plane
// (management) action, e.g. Microsoft.Authorization/roleAssignments/write.
func (d *RoleDefinition) AllowsAction(action string) bool {
	return matchAny(d.Actions, action) && !matchAny(d.NotActions, action)
}
