package estate

import (
	"bufio"
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// referenceGrants is Grants as it was before the scope index: every role
// assignment of the snapshot tried against the target.
func referenceGrants(e *Estate, v *Vault, target string) []Grant {
	var out []Grant
	for _, g := range e.Grants(v, target, "") {
		if g.Via == "access policy" {
			out = append(out, g)
		}
	}
	for _, ra := range e.RoleAssignments {
		applies, unresolved := e.appliesTo(ra.Scope, target)
		if !applies && unresolved == "" {
			continue
		}
		g := Grant{PrincipalID: ra.PrincipalID, PrincipalType: ra.PrincipalType, Via: "role assignment",
			Role: e.RoleName(ra.RoleID), RoleID: ra.RoleID, Scope: ra.Scope,
			Admin: AdministrativeRole(ra.RoleID, !v.RBAC), Unresolved: unresolved}
		if def := e.Role(ra.RoleID); def == nil {
			if g.Unresolved == "" {
				g.Unresolved = "role definition " + ra.RoleID + " is not in the snapshot"
			}
		} else {
			for _, op := range KeyOperations {
				if def.Allows(keyDataActions[op]) {
					g.Ops = append(g.Ops, op)
				}
			}
		}
		switch {
		case v.HSM:
			g.Ignored = "a Managed HSM authorises key use by local RBAC, not Azure role assignments"
			g.Ops = nil
		case !v.RBAC && len(g.Ops) > 0:
			g.Ignored = "the vault uses access policies, so Azure RBAC data roles have no effect"
		}
		out = append(out, g)
	}
	return out
}

// TestGrantsByScopeIndex compares Grants for all principals with the
// reference on a generated estate (role assignments at management group,
// subscription, resource group, vault and key scope), at every vault, its
// keys, its parents, in other case and with a trailing slash, with and
// without the subscriptions' management-group ancestry.
func TestGrantsByScopeIndex(t *testing.T) {
	for _, ancestry := range []bool{true, false} {
		b := NewBuilder()
		sc := bufio.NewScanner(bytes.NewReader(estategen.Bytes(5000, 5)))
		sc.Buffer(nil, 1<<20)
		sc.Scan() // the header
		for sc.Scan() {
			r := testResource(t, sc.Text())
			if !ancestry && r.Type == "microsoft.resources/subscriptions" {
				continue
			}
			b.Add(r)
		}
		e := b.Build()
		if len(e.Vaults) == 0 || len(e.RoleAssignments) == 0 {
			t.Fatalf("%d vaults, %d role assignments", len(e.Vaults), len(e.RoleAssignments))
		}
		compared, granted := 0, 0
		for _, v := range e.Vaults {
			id, _ := ParseID(v.ID)
			targets := []string{v.ID, strings.ToUpper(v.ID), v.ID + "/", id.Parent, "/subscriptions/" + id.Subscription, "/", ""}
			for _, k := range v.Keys {
				targets = append(targets, KeyScope(v, k.Name))
			}
			for _, target := range targets {
				want, got := referenceGrants(e, v, target), e.Grants(v, target, "")
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("ancestry %v: Grants(%s, %q) = %d grants, want %d", ancestry, v.Name, target, len(got), len(want))
				}
				compared++
				granted += len(got)
			}
		}
		if granted == 0 {
			t.Fatalf("%d targets compared and no grants at all", compared)
		}
	}
}

// TestWithinInPlace holds the in-place comparison of ASCII ids to the
// lower-casing one, over pairs of ids in mixed case, with trailing slashes,
// prefixes that stop inside a segment, and ids beyond ASCII.
func TestWithinInPlace(t *testing.T) {
	ids := []string{"", "/", "//", tSub, strings.ToUpper(tSub), tSub + "/", tRGKey, tVault, strings.ToUpper(tVault) + "//", tVault + "2",
		tKey, tVault + "/keys", "/SUBSCRIPTIONS", "/subscriptions/İ", "/subscriptions/i̇", "/subscriptions/K", "/subscriptions/k",
		"/providers/Microsoft.Management/managementGroups/mg", "/providers/microsoft.management/managementgroups/MG/x"}
	for _, a := range ids {
		for _, b := range ids {
			if got, want := Within(a, b), withinLower(a, b); got != want {
				t.Errorf("Within(%q, %q) = %v, lower-casing says %v", a, b, got, want)
			}
		}
	}
}

// FuzzWithin is TestWithinInPlace on any pair of strings.
func FuzzWithin(f *testing.F) {
	f.Add(tVault, tSub)
	f.Add("/subscriptions/K/x", "/subscriptions/k")
	f.Add("/a/İ", "/A/i̇/")
	f.Fuzz(func(t *testing.T, id, scope string) {
		if got, want := Within(id, scope), withinLower(id, scope); got != want {
			t.Fatalf("Within(%q, %q) = %v, lower-casing says %v", id, scope, got, want)
		}
	})
}

// FuzzGlob holds the case-folding Glob to matching lower-cased copies.
func FuzzGlob(f *testing.F) {
	f.Add("Microsoft.KeyVault/vaults/keys/*", "microsoft.keyvault/VAULTS/keys/wrap/action")
	f.Add("/subscriptions/*/resourceGroups/rg-?", "/SUBSCRIPTIONS/x/resourcegroups/RG-1")
	f.Add("*K*", "\u212a")
	f.Add("a*b?c", "a*xb?c")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if got, want := Glob(pattern, s), globLower(Lower(pattern), Lower(s)); got != want {
			t.Fatalf("Glob(%q, %q) = %v, on lower-cased copies %v", pattern, s, got, want)
		}
	})
}

// globLower is the reference FuzzGlob holds Glob to: matching on lower-cased
// copies, as Glob did before it folded ASCII case in place.
func globLower(pattern, s string) bool {
	// Iterative matching, backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
