package estate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// parseIDReference is ParseID as it was before it stopped allocating: the
// reference the faster one is held to.
//
// ParseID parses an ARM resource id. The type is the one the id names: for an
// extension resource (…/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/x)
// it is the extension's type, and Parent is the resource it extends.
func parseIDReference(id string) (ID, bool) {
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

// parseIDCases are ids of every shape ParseID meets, and broken ones.
func parseIDCases(t testing.TB) []string {
	ids := []string{tVault, tKey, tVault + "/providers/microsoft.insights/diagnosticSettings/d", tSub, tRGKey, tSub + "/",
		"/providers/Microsoft.Management/managementGroups/mg1", "/providers/Microsoft.Management/managementGroups/mg1/",
		"/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments/x",
		"/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
		tSub + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s/encryptionProtector/current",
		tSub + "/resourceGroups/RG-Mixed", tSub + "/resourceGroups/rg/providers", tSub + "/resourceGroups/rg/providers/ns",
		tSub + "/resourceGroups/rg/providers/ns/t", "/SUBSCRIPTIONS/ABC/RESOURCEGROUPS/RG/PROVIDERS/NS.X/T/N/SUB/M",
		"/subscriptions/s/resourceGroups/r/providers/a/b/c/providers/d/e/f", "/subscriptions/s/providers/x/y/z",
		"/subscriſtions/s", "/subscriptions/s/resourceGroups/İ/providers/Ns.İ/Tİ/n", "/a/b", "/a/providers/b/c/d",
		"", "/", "//", "///", "/subscriptions//resourceGroups/x", "/subscriptions/s//", tVault + "/", tVault + "//",
		"https://kv.vault.azure.net/keys/k", "subscriptions/s", "/subscriptions", "/subscriptions/s/resourceGroups",
		"/" + strings.Repeat("a/", 60) + "providers/n/t/x", "/" + strings.Repeat("providers/n/", 30) + "t/x",
	}
	sc := bufio.NewScanner(bytes.NewReader(estategen.Bytes(1500, 4)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID != "" {
			ids = append(ids, r.ID, strings.ToUpper(r.ID))
		}
	}
	return ids
}

// TestParseIDMatchesReference holds ParseID to the implementation it
// replaced, on ids of every shape and every id of a generated estate.
func TestParseIDMatchesReference(t *testing.T) {
	for _, id := range parseIDCases(t) {
		got, gok := ParseID(id)
		want, wok := parseIDReference(id)
		if got != want || gok != wok {
			t.Errorf("ParseID(%q) = %+v, %v; want %+v, %v", id, got, gok, want, wok)
		}
	}
}

// FuzzParseIDMatchesReference is TestParseIDMatchesReference on any input.
func FuzzParseIDMatchesReference(f *testing.F) {
	for _, id := range parseIDCases(f)[:40] {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got, gok := ParseID(id)
		want, wok := parseIDReference(id)
		if got != want || gok != wok {
			t.Fatalf("ParseID(%q) = %+v, %v; want %+v, %v", id, got, gok, want, wok)
		}
	})
}
