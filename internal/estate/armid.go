package estate

import (
	"slices"
	"strings"
)

// ID is a parsed ARM resource id. Types are lower-cased; names keep their case.
type ID struct {
	Subscription    string // subscription GUID, lower-case
	ResourceGroup   string // resource group name, lower-case
	ManagementGroup string // management group name, lower-case, for ids under one
	Type            string // full resource type, lower-case, e.g. microsoft.keyvault/vaults/keys
	Name            string // the last name segment
	Parent          string // id of the enclosing resource for child and extension resources
}

// ParseID parses an ARM resource id. The type is the one the id names: for an
// extension resource (…/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/x)
// it is the extension's type, and Parent is the resource it extends.
func ParseID(id string) (ID, bool) {
	var out ID
	trimmed := strings.TrimSuffix(strings.TrimPrefix(id, "/"), "/") // one trailing slash is tolerated
	if trimmed == "" || !strings.HasPrefix(id, "/") {
		return out, false
	}
	seg := strings.Split(trimmed, "/")
	if slices.Contains(seg, "") {
		return out, false // "//" inside: an empty subscription, group or name
	}
	lastProviders := -1
	for i := 0; i < len(seg); i++ {
		switch Lower(seg[i]) {
		case "subscriptions":
			if i == 0 && i+1 < len(seg) {
				out.Subscription = Lower(seg[i+1])
				i++
				continue
			}
		case "resourcegroups":
			if i == 2 && i+1 < len(seg) {
				out.ResourceGroup = Lower(seg[i+1])
				i++
				continue
			}
		case "providers":
			if i+1 < len(seg) {
				lastProviders = i
				i++ // skip the namespace
				continue
			}
		}
		if seg[i] == "" {
			return out, false
		}
	}
	if lastProviders < 0 {
		switch {
		case out.ResourceGroup != "" && len(seg) == 4:
			out.Type, out.Name = "microsoft.resources/subscriptions/resourcegroups", seg[3]
			out.Parent = "/" + strings.Join(seg[:2], "/")
		case out.Subscription != "" && len(seg) == 2:
			out.Type, out.Name = "microsoft.resources/subscriptions", seg[1]
		default:
			return out, false
		}
		return out, true
	}
	rest := seg[lastProviders+1:] // namespace, type, name, [type, name]...
	if len(rest) < 3 || len(rest)%2 == 0 {
		return out, false
	}
	types := []string{Lower(rest[0])}
	for i := 1; i < len(rest); i += 2 {
		types = append(types, Lower(rest[i]))
	}
	out.Type = strings.Join(types, "/")
	out.Name = rest[len(rest)-1]
	switch {
	case len(rest) > 3: // child resource: strip the last type/name pair
		out.Parent = "/" + strings.Join(seg[:len(seg)-2], "/")
	case lastProviders > 0: // extension resource: the scope before /providers
		out.Parent = "/" + strings.Join(seg[:lastProviders], "/")
		if lastProviders == 4 && out.Type == "microsoft.management/managementgroups" {
			out.Parent = ""
		}
	}
	if len(seg) >= 4 && Lower(seg[0]) == "providers" && Lower(seg[1]) == "microsoft.management" && Lower(seg[2]) == "managementgroups" {
		out.ManagementGroup = Lower(seg[3])
	}
	return out, true
}

// Within reports whether the resource id lies at or below scope, comparing
// case-insensitively. The root scope "/" contains everything.
func Within(id, scope string) bool {
	if !asciiOnly(id) || !asciiOnly(scope) {
		return withinLower(id, scope)
	}
	// ASCII ids (all real ones) are compared in place, without lower-casing
	// copies: rules ask this for every role assignment of every vault.
	scope = strings.TrimRight(scope, "/")
	if scope == "" {
		return true
	}
	id = strings.TrimRight(id, "/")
	if len(id) < len(scope) || !equalFoldASCII(id[:len(scope)], scope) {
		return false
	}
	return len(id) == len(scope) || id[len(scope)] == '/'
}

// withinLower is Within for ids beyond ASCII, where lower-casing can change
// lengths.
func withinLower(id, scope string) bool {
	scope = strings.TrimRight(Lower(scope), "/")
	if scope == "" {
		return true
	}
	id = strings.TrimRight(Lower(id), "/")
	return id == scope || strings.HasPrefix(id, scope+"/")
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// equalFoldASCII compares two ASCII strings of the same length ignoring case.
func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Glob matches s against a pattern case-insensitively, where * matches any run
// of characters (slashes included) and ? matches one character. RBAC action
// patterns and policy waiver resource patterns both use it.
func Glob(pattern, s string) bool {
	pattern, s = Lower(pattern), Lower(s)
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
