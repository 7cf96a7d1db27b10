package estate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestServiceMembersCoverServices parses services.go and checks that the
// first member of every property path it names is one PropertyMembers keeps
// for service types, so that a row reading a new member cannot be starved by
// the readers that decode only the listed members. Literals that are values,
// not paths, are named here, and so are the field labels of references
// ("properties.…", what evidence calls the field).
func TestServiceMembersCoverServices(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "services.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]bool{"absent": true, "enabled": true, "disabled": true, "true": true, "false": true, "customerkey": true,
		"properties": true}
	path := regexp.MustCompile(`^[a-z][a-z0-9]*(\.[a-z0-9]+)*$`)
	seen := 0
	ast.Inspect(f, func(n ast.Node) bool {
		if _, ok := n.(*ast.ImportSpec); ok {
			return false
		}
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !path.MatchString(s) {
			return true
		}
		first, _, _ := strings.Cut(s, ".")
		seen++
		if !values[first] && !serviceMembers[first] {
			t.Errorf("services.go reads %q, but %q is not in serviceMembers: readers would not decode it", s, first)
		}
		return true
	})
	if seen < 20 {
		t.Fatalf("found only %d property paths in services.go; is the test still reading it?", seen)
	}
	for _, s := range services {
		if m, all := PropertyMembers(s.Type); all || !m["encryption"] {
			t.Errorf("%s: PropertyMembers keeps %v (all %v)", s.Type, m, all)
		}
	}
	if _, all := PropertyMembers("microsoft.keyvault/vaults"); !all {
		t.Error("vault properties are read whole (rules show them as evidence)")
	}
}
