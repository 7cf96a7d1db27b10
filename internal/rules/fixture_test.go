package rules

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// fixtureNow is the evaluation time of every rule fixture, so expiry and age
// are deterministic.
var fixtureNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// ruleCase is one expectation: the result of the rule under test on the
// resource whose id ends with Resource, in the snapshot made of Files
// (relative to testdata/<rule-id>/).
type ruleCase struct {
	Name     string
	Files    []string
	Resource string // id suffix, e.g. "storageAccounts/st-pci"
	Want     Status
	Message  string // substring the message must contain, when set
	Policy   string // policy YAML, when the case needs a non-default policy
}

// runRuleCases evaluates rule id over each case's fixtures and checks the result.
func runRuleCases(t *testing.T, id string, cases []ruleCase) {
	t.Helper()
	rule := Lookup(id)
	if rule == nil {
		t.Fatalf("rule %s is not in the catalog", id)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p := policy.Default()
			if c.Policy != "" {
				var err error
				if p, err = policy.Parse([]byte(c.Policy), PolicyCatalog{}); err != nil {
					t.Fatalf("policy: %v", err)
				}
			}
			e := loadFixture(t, id, c.Files...)
			ev := Evaluate(e, p, fixtureNow, []*Rule{rule})
			var got []Result
			for _, r := range ev.Results {
				if strings.HasSuffix(strings.ToLower(r.Resource), strings.ToLower(c.Resource)) {
					got = append(got, r)
				}
			}
			switch {
			case c.Want == "" && len(got) == 0:
				return // expected not to apply
			case c.Want == "":
				t.Fatalf("want no result on %s, got %s: %s", c.Resource, got[0].Status, got[0].Message)
			case len(got) != 1:
				t.Fatalf("want one result on %s, got %d (all results: %+v)", c.Resource, len(got), ev.Results)
			}
			if got[0].Status != c.Want {
				t.Errorf("status = %s, want %s; message: %s; evidence: %v", got[0].Status, c.Want, got[0].Message, got[0].Evidence)
			}
			if c.Message != "" && !strings.Contains(got[0].Message, c.Message) {
				t.Errorf("message %q does not contain %q", got[0].Message, c.Message)
			}
		})
	}
}

// loadFixture reads testdata/<rule>/<file>... into an estate.
func loadFixture(t *testing.T, rule string, files ...string) *estate.Estate {
	t.Helper()
	b := estate.NewBuilder()
	for _, f := range files {
		if err := input.ReadFile(context.Background(), filepath.Join("testdata", rule, f), b); err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	e := b.Build()
	for _, w := range e.Warnings {
		t.Logf("fixture warning: %s", w)
	}
	return e
}

// readBytes reads data, named name, into an estate.
func readBytes(t *testing.T, name string, data []byte) *estate.Estate {
	t.Helper()
	b := estate.NewBuilder()
	if err := input.Read(context.Background(), name, bytes.NewReader(data), b); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// overridesAndWaivers is a policy that overrides and disables a rule and
// waives failures: one waiver in force, one expired, one matching nothing.
const overridesAndWaivers = `
overrides:
  - rule: key-hsm
    severity: critical
  - rule: keyvault-network
    disabled: true
waivers:
  - rule: cmk-required
    resource: "/subscriptions/*/resourceGroups/rg-vm-*"
    reason: in force
    expires: 2027-06-30
  - rule: "*"
    resource: "/subscriptions/*/resourceGroups/rg-data-*/providers/Microsoft.Storage/*"
    reason: expired
    expires: 2026-01-31
  - rule: cmk-classified
    resource: "/subscriptions/none/*"
    reason: matches nothing
    expires: 2027-06-30
`

// TestEveryRuleHasFixtures keeps every rule shipping with samples that prove it
// passes and fails.
func TestEveryRuleHasFixtures(t *testing.T) {
	for _, r := range Catalog() {
		entries, err := os.ReadDir(filepath.Join("testdata", r.ID))
		if err != nil {
			t.Errorf("%s: no testdata/%s: %v", r.ID, r.ID, err)
			continue
		}
		var pass, fail bool
		for _, e := range entries {
			pass = pass || strings.HasPrefix(e.Name(), "pass")
			fail = fail || strings.HasPrefix(e.Name(), "fail")
		}
		if !pass || !fail {
			t.Errorf("%s: testdata needs pass*.json and fail*.json fixtures", r.ID)
		}
	}
}
