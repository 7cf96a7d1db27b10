package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/report/sariftest"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// validateSARIF validates a document against the SARIF 2.1.0 schema.
func validateSARIF(t *testing.T, doc []byte) {
	t.Helper()
	sariftest.Validate(t, doc)
}

// TestSARIFSchema validates every SARIF document the tests make: the golden
// one, one with the real catalog, one of an empty report, and one without a
// context (synthetic artifacts).
func TestSARIFSchema(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden/report.sarif")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("golden", func(t *testing.T) { validateSARIF(t, golden) })
	t.Run("rendered", func(t *testing.T) { validateSARIF(t, render(t, loadInput(t), "sarif")) })
	t.Run("real catalog", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteSARIF(&b, loadInput(t), Options{Catalog: rules.Catalog()}); err != nil {
			t.Fatal(err)
		}
		validateSARIF(t, b.Bytes())
	})
	t.Run("empty report", func(t *testing.T) {
		validateSARIF(t, render(t, &Report{Tool: Tool{Name: "cmkguard", Version: "dev"}}, "sarif"))
	})
	t.Run("no context", func(t *testing.T) {
		r := loadInput(t)
		r.Context = nil
		validateSARIF(t, render(t, r, "sarif"))
	})
}

// The validator must reject what it should: a document with a result that has
// no message, or a log without runs, is not SARIF.
func TestSARIFSchemaRejects(t *testing.T) {
	for name, bad := range map[string]string{
		"result without message": `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"r"}]}]}`,
		"no runs":                `{"version":"2.1.0"}`,
		"wrong version":          `{"version":"2.0.0","runs":[]}`,
		"bad uri":                `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","informationUri":"not a uri"}}}]}`,
	} {
		if sariftest.Check([]byte(bad)) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name, Version string
				Rules         []struct {
					ID         string
					Help       struct{ Text, Markdown string }
					Properties struct {
						Tags             []string
						SecuritySeverity string `json:"security-severity"`
					}
				}
			}
		}
		Results []struct {
			RuleID, Kind, Level string
			RuleIndex           int
			Message             struct{ Text string }
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
					Region struct{ StartLine int }
				}
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification string }
		}
	}
}

func TestSARIFContent(t *testing.T) {
	in := loadInput(t)
	var doc sarifDoc
	if err := json.Unmarshal(render(t, in, "sarif"), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	cat := testCatalog()
	if len(run.Tool.Driver.Rules) != len(cat) {
		t.Fatalf("%d rule descriptors, want one per catalog rule (%d)", len(run.Tool.Driver.Rules), len(cat))
	}
	want := map[rules.Severity]string{rules.Critical: "9.5", rules.High: "8.0", rules.Medium: "5.5", rules.Low: "3.0", rules.Info: "1.0"}
	for i, d := range run.Tool.Driver.Rules {
		if d.ID != cat[i].ID || d.Properties.SecuritySeverity != want[cat[i].Severity] {
			t.Errorf("descriptor %d = %s %s, want %s %s", i, d.ID, d.Properties.SecuritySeverity, cat[i].ID, want[cat[i].Severity])
		}
		if d.Help.Text == "" || d.Help.Markdown == "" || len(d.Properties.Tags) == 0 || d.Properties.Tags[0] != "security" {
			t.Errorf("%s: help or tags missing: %+v", d.ID, d)
		}
		if strings.Contains(d.Help.Markdown, "<vault>") {
			t.Errorf("%s: help markdown keeps <vault> as HTML: %s", d.ID, d.Help.Markdown)
		}
	}
	nonPass := 0
	for _, r := range in.Results {
		if r.Status != rules.Pass {
			nonPass++
		}
	}
	if len(run.Results) != nonPass {
		t.Fatalf("%d SARIF results, want %d (every non-pass result)", len(run.Results), nonPass)
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	for _, r := range run.Results {
		kinds[r.Kind+"/"+r.Level]++
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d does not point at %s", r.RuleIndex, r.RuleID)
		}
		loc := r.Locations[0]
		fqn := loc.LogicalLocations[0].FullyQualifiedName
		fp := r.PartialFingerprints["cmkguard/v1"]
		if fp != Fingerprint(r.RuleID, fqn) || seen[fp] {
			t.Errorf("fingerprint of %s on %s: %q (duplicate %v)", r.RuleID, fqn, fp, seen[fp])
		}
		seen[fp] = true
		if loc.PhysicalLocation.Region.StartLine < 1 || loc.PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("%s on %s: no usable physical location: %+v", r.RuleID, fqn, loc.PhysicalLocation)
		}
		if r.Kind == "fail" && len(r.Suppressions) > 0 && r.Suppressions[0].Status != "accepted" {
			t.Errorf("waived result's suppression: %+v", r.Suppressions)
		}
	}
	// 10 failures (levels by severity), 2 unknown for review, 1 waived failure.
	if kinds["review/none"] != 2 || kinds["fail/error"]+kinds["fail/warning"]+kinds["fail/note"] != 11 {
		t.Errorf("kinds/levels = %v", kinds)
	}

	// Locations: the input file and line when known, synthetic otherwise.
	byName := map[string]string{}
	for _, r := range run.Results {
		l := r.Locations[0]
		byName[l.LogicalLocations[0].Name] = fmt.Sprintf("%s %s %d", l.PhysicalLocation.ArtifactLocation.URIBaseID,
			l.PhysicalLocation.ArtifactLocation.URI, l.PhysicalLocation.Region.StartLine)
	}
	for name, want := range map[string]string{
		"sql-pay":  "%SRCROOT% snapshots/estate.ndjson 2",
		"cosmos-x": "%SRCROOT% azure/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-ops/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-x 1",
		"disk-01":  " file:///abs/path/with%20space.json 1",
		"kv-pay":   "%SRCROOT% examples/estate/vaults.json 10",
	} {
		if byName[name] != want {
			t.Errorf("location of %s = %q, want %q", name, byName[name], want)
		}
	}
}

func TestFingerprintStable(t *testing.T) {
	a := Fingerprint("cmk-required", "/subscriptions/X/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/st")
	b := Fingerprint("cmk-required", "/subscriptions/x/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st")
	c := Fingerprint("cmk-classified", "/subscriptions/x/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st")
	if a != b {
		t.Error("the fingerprint depends on the id's case")
	}
	if a == c {
		t.Error("the fingerprint does not depend on the rule")
	}
	if len(a) != 64 {
		t.Errorf("fingerprint %q is not a hex SHA-256", a)
	}
}
