package frameworks

import (
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/rules"
)

func catalogKnows(id string) bool { return rules.Lookup(id) != nil }

// TestEmbeddedFrameworksLoad loads every shipped framework against the real
// catalog: a rule renamed or removed there makes this fail.
func TestEmbeddedFrameworksLoad(t *testing.T) {
	ids := IDs()
	for _, want := range []string{"cis-azure", "hipaa", "mcsb", "pci-dss-4"} {
		if !slices.Contains(ids, want) {
			t.Errorf("framework %s is not shipped (have %v)", want, ids)
		}
	}
	for _, id := range ids {
		f, err := Load(id, catalogKnows)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if f.ID != id || f.Citation == "" || len(f.Controls) == 0 {
			t.Errorf("%s: id %q, citation %q, %d controls", id, f.ID, f.Citation, len(f.Controls))
		}
	}
}

func TestUnknownRuleIsAnError(t *testing.T) {
	data := []byte("id: x\nname: X\nversion: \"1\"\ncontrols:\n  - id: C-1\n    title: t\n    rules: [cmk-required, cmk-no-such-rule]\n")
	_, err := Parse("x.yaml", data, catalogKnows)
	if err == nil || !strings.Contains(err.Error(), `unknown rule "cmk-no-such-rule"`) || !strings.Contains(err.Error(), "x.yaml") {
		t.Fatalf("err = %v, want one naming the file and the unknown rule", err)
	}
	// Load applies the same check to the embedded files: with a catalog that
	// knows nothing, every shipped framework fails to load.
	for _, id := range IDs() {
		if _, err := Load(id, func(string) bool { return false }); err == nil || !strings.Contains(err.Error(), "unknown rule") {
			t.Errorf("Load(%s) with an empty catalog: %v", id, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, data := range map[string]string{
		"unknown field":      "id: x\nname: X\nversion: \"1\"\ncontrol: []\n",
		"no controls":        "id: x\nname: X\nversion: \"1\"\n",
		"control without id": "id: x\nname: X\nversion: \"1\"\ncontrols:\n  - rules: [cmk-required]\n",
		"control w/o rules":  "id: x\nname: X\nversion: \"1\"\ncontrols:\n  - id: A\n",
		"duplicate control":  "id: x\nname: X\nversion: \"1\"\ncontrols:\n  - id: A\n    rules: [cmk-required]\n  - id: A\n    rules: [cmk-required]\n",
		"missing version":    "id: x\nname: X\ncontrols:\n  - id: A\n    rules: [cmk-required]\n",
		"empty":              "",
	} {
		if _, err := Parse("f.yaml", []byte(data), catalogKnows); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Load("sox", catalogKnows); err == nil || !strings.Contains(err.Error(), "pci-dss-4") {
		t.Errorf("unknown framework: %v", err)
	}
}

func TestCovers(t *testing.T) {
	f, err := Load("cis-azure", catalogKnows)
	if err != nil {
		t.Fatal(err)
	}
	var storage *Control
	for i := range f.Controls {
		if f.Controls[i].ID == "3.12" {
			storage = &f.Controls[i]
		}
	}
	if storage == nil {
		t.Fatal("CIS 3.12 missing")
	}
	if !storage.Covers("cmk-required", "Microsoft.Storage/storageAccounts") || storage.Covers("cmk-required", "microsoft.sql/servers") ||
		storage.Covers("cmk-classified", "microsoft.storage/storageaccounts") {
		t.Error("CIS 3.12 should count cmk-required on storage accounts only")
	}
}

// TestAgreesWithCatalog keeps the framework files and the catalog's framework
// references from contradicting each other: every (rule, control) pair a file
// lists must be cited by that rule in the catalog (as Citation + control id).
// The catalog may cite more than a file lists (other versions of a framework).
func TestAgreesWithCatalog(t *testing.T) {
	for _, id := range IDs() {
		f, err := Load(id, catalogKnows)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Controls {
			for _, ruleID := range c.Rules {
				r := rules.Lookup(ruleID)
				cited := false
				for _, ref := range r.Frameworks {
					ref, _, _ = strings.Cut(ref, " (") // "CIS Azure 2.0 3.12 (storage)"
					cited = cited || ref == f.Citation+c.ID
				}
				if !cited {
					t.Errorf("%s lists %s under %s, but the rule cites %v", id, ruleID, c.ID, r.Frameworks)
				}
			}
		}
		// And the other way: a rule citing a control the file has is listed
		// under it.
		for _, r := range rules.Catalog() {
			for _, ref := range r.Frameworks {
				ref, _, _ = strings.Cut(ref, " (")
				ctl, ok := strings.CutPrefix(ref, f.Citation)
				if !ok {
					continue
				}
				for _, c := range f.Controls {
					if c.ID == ctl && !slices.Contains(c.Rules, r.ID) {
						t.Errorf("%s cites %s, but %s does not list it under %s", r.ID, ref, id, c.ID)
					}
				}
			}
		}
	}
}
