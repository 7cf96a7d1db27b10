package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var appManagedIdentity = &Rule{
	ID:       "app-managed-identity",
	Title:    "Web and function apps run with a managed identity",
	Severity: Medium,
	Description: "Passes when the web app, function app or deployment slot has a system-assigned and/or a user-assigned managed " +
		"identity (identity.type SystemAssigned, UserAssigned or both, in any case and spacing). An identity of type None, or " +
		"no identity block, fails. A slot does not inherit its site's identity and is judged on its own.",
	Rationale: "Without a managed identity an app reaches Key Vault, storage and databases with secrets kept in its settings: " +
		"credentials that leak, never rotate and cannot be tied to the app. Key Vault references and identity-based access " +
		"to customer-managed-key resources need the identity.",
	Remediation: "az webapp identity assign --name <app> --resource-group <rg> [--slot <slot>] " +
		"(function apps: az functionapp identity assign …; or set identity.type to SystemAssigned in the template), " +
		"then grant that identity the roles the app needs.",
	Frameworks: []string{"CIS Azure 2.0 9.5", "MCSB IM-3", "HIPAA 164.312(a)(1)"},
	App: func(env *Env, r *estate.Resource) Outcome {
		ev := Ev("kind", appKind(r))
		if r.Kind != "" {
			ev = append(ev, "appKind", r.Kind)
		}
		if ref := r.Props.Str("keyvaultreferenceidentity"); ref != "" {
			ev = append(ev, "keyVaultReferenceIdentity", ref)
		}
		id := r.Identity
		if id == nil {
			return env.Failf(append(ev, "identityType", "absent", "fix", appIdentityFix(r)),
				"the %s has no managed identity (no identity block)", appKind(r))
		}
		ev = append(ev, "identityType", id.Type)
		if !id.Any() {
			return env.Failf(append(ev, "fix", appIdentityFix(r)), "the %s has no managed identity (identity type %s)",
				appKind(r), identityTypeText(id.Type))
		}
		var kinds []string
		if id.SystemAssigned() {
			kinds = append(kinds, "a system-assigned identity")
			if id.PrincipalID != "" {
				ev = append(ev, "principalId", id.PrincipalID)
			}
		}
		if strings.Contains(id.Type, "userassigned") || len(id.UserAssigned) > 0 {
			var ids []string
			for _, u := range id.UserAssigned {
				ids = append(ids, u.ResourceID)
			}
			if len(ids) > 0 {
				ev = append(ev, "userAssignedIdentities", ids)
				kinds = append(kinds, countNoun(len(ids), "user-assigned identity", "user-assigned identities"))
			} else {
				kinds = append(kinds, "a user-assigned identity (the export does not list which)")
			}
		}
		return env.Passf(ev, "the %s runs with %s", appKind(r), strings.Join(kinds, " and "))
	},
}

func identityTypeText(t string) string {
	if t == "" {
		return "empty"
	}
	return t
}

// appIdentityFix is the command that gives the app a system-assigned identity.
func appIdentityFix(r *estate.Resource) string {
	group := "webapp"
	if strings.Contains(estate.Lower(r.Kind), "functionapp") {
		group = "functionapp"
	}
	name, slot := r.Name, ""
	if id, ok := estate.ParseID(r.ID); ok && r.Type == "microsoft.web/sites/slots" {
		parent, _ := estate.ParseID(id.Parent)
		name, slot = parent.Name, " --slot "+id.Name
	}
	return "az " + group + " identity assign --name " + name + " --resource-group " + resourceGroupOf(r.ID) + slot
}
