package rules

// Catalog returns every rule, in the order `cmkguard rules` lists them. This is
// the one list of rules: a rule not named here does not run. The per-subject
// lists live beside their rules (workloadRules in workload.go, vaultRules in
// vault.go, keyRules in key.go, appRules in app.go).
func Catalog() []*Rule {
	var all []*Rule
	for _, group := range [][]*Rule{workloadRules, vaultRules, keyRules, appRules} {
		all = append(all, group...)
	}
	return all
}

// Lookup returns the catalog rule with that id, or nil.
func Lookup(id string) *Rule {
	for _, r := range Catalog() {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// PolicyCatalog lets the policy loader check rule ids and severities.
type PolicyCatalog struct{}

// HasRule reports whether id names a catalog rule.
func (PolicyCatalog) HasRule(id string) bool { return Lookup(id) != nil }

// HasSeverity reports whether s names a severity.
func (PolicyCatalog) HasSeverity(s string) bool { _, err := ParseSeverity(s); return err == nil }
