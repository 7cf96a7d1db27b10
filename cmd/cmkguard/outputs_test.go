package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/report/sariftest"
)

func TestPlanOutputs(t *testing.T) {
	cases := []struct {
		name     string
		format   string
		values   []string
		terminal bool
		want     []output
		usage    string // substring of a usage error
	}{
		{name: "default on a terminal", terminal: true, want: []output{{"table", ""}}},
		{name: "default in a pipe", want: []output{{"json", ""}}},
		{name: "format to stdout", format: "markdown", want: []output{{"markdown", ""}}},
		{name: "plain file replaces stdout", values: []string{"r.json"}, terminal: true, want: []output{{"json", "r.json"}}},
		{name: "plain file in --format", format: "html", values: []string{"r.html"}, want: []output{{"html", "r.html"}}},
		{name: "typed outputs keep a table on stdout", values: []string{"sarif=o.sarif", "html=o.html"},
			want: []output{{"sarif", "o.sarif"}, {"html", "o.html"}, {"table", ""}}},
		{name: "typed outputs and --format", format: "json", values: []string{"csv=o.csv"},
			want: []output{{"csv", "o.csv"}, {"json", ""}}},
		{name: "typed and plain", format: "junit", values: []string{"sarif=o.sarif", "tests.xml"},
			want: []output{{"sarif", "o.sarif"}, {"junit", "tests.xml"}}},
		{name: "a file name with = that is not a format", values: []string{"a=b.json"}, want: []output{{"json", "a=b.json"}}},
		{name: "unknown format", format: "xml", usage: "--format"},
		{name: "empty typed file", values: []string{"sarif="}, usage: "no file"},
		{name: "same file twice", values: []string{"sarif=x", "html=x"}, usage: "twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := planOutputs(c.format, c.values, c.terminal)
			if c.usage != "" {
				var ue usageError
				if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.usage) {
					t.Fatalf("err = %v, want a usage error about %q", err, c.usage)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("plan = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// TestScanManyOutputs writes every format in one scan and reads each back.
func TestScanManyOutputs(t *testing.T) {
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	code, out, stderr := run(t, "", "scan", "testdata/impact", "--no-history", "--now", "2026-12-01T00:00:00Z", "--fail-on", "none",
		"--format", "table", "--framework", "pci-dss-4",
		"--output", "sarif="+path("r.sarif"), "--output", "html="+path("r.html"), "--output", "csv="+path("r.csv"),
		"--output", "junit="+path("r.xml"), "--output", "markdown="+path("r.md"), "--output", "json="+path("r.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "CMK compliance") || !strings.Contains(out, "PCI DSS v4.0.1 — results by control") {
		t.Errorf("stdout is not the table with the framework view:\n%s", out)
	}
	read := func(n string) []byte {
		b, err := os.ReadFile(path(n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	var rep report.Report
	if err := json.Unmarshal(read("r.json"), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Framework == nil || rep.Framework.ID != "pci-dss-4" || rep.Context == nil {
		t.Fatalf("JSON report lacks the framework view or the context")
	}
	// The context carries each workload's chain to its key and vault.
	var chains []string
	for _, c := range rep.Context.Chains {
		chains = append(chains, lastName(c.Workload)+" → "+c.Identity.Label+" → "+lastName(c.Key)+" @ "+lastName(c.Vault))
	}
	slices.Sort(chains)
	equalLists(t, "chains", chains, []string{
		"cos-a → system-assigned identity of cos-a → k1 @ kv-a",
		"disk-c → system-assigned identity of des-c → k3 @ kv-c",
		"sql-b → system-assigned identity of sql-b → k2 @ kv-b",
		"sta → user-assigned identity id-a → k1 @ kv-a",
	})
	for _, r := range rep.Context.Resources {
		if r.Source == nil || !strings.HasPrefix(r.Source.File, "testdata/impact/") || r.Source.Line < 1 {
			t.Errorf("resource %s: source %+v", r.Name, r.Source)
		}
	}

	var sarif struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	sariftest.Validate(t, read("r.sarif"))
	if err := json.Unmarshal(read("r.sarif"), &sarif); err != nil || sarif.Version != "2.1.0" {
		t.Fatalf("SARIF: %v %q", err, sarif.Version)
	}
	nonPass := rep.Summary.Fail + rep.Summary.Unknown + rep.Summary.Waived
	if n := len(sarif.Runs[0].Results); n != nonPass || n == 0 {
		t.Errorf("SARIF has %d results, want %d", n, nonPass)
	}
	for _, r := range sarif.Runs[0].Results {
		loc := r.Locations[0].PhysicalLocation
		if !strings.HasPrefix(loc.ArtifactLocation.URI, "testdata/impact/") || loc.Region.StartLine < 1 {
			t.Errorf("%s: location %+v, want the input file and line", r.RuleID, loc)
		}
	}
	if !bytes.HasPrefix(read("r.html"), []byte("<!DOCTYPE html>")) || !bytes.Contains(read("r.html"), []byte("Content-Security-Policy")) {
		t.Error("HTML report is not the self-contained page")
	}
	rows, err := csv.NewReader(bytes.NewReader(read("r.csv"))).ReadAll()
	if err != nil || len(rows) != rep.Summary.Results+1 {
		t.Errorf("CSV: %d rows (%v), want %d results and a header", len(rows), err, rep.Summary.Results)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(read("r.xml"), &junit); err != nil || junit.Tests != rep.Summary.Results || junit.Failures != rep.Summary.Fail {
		t.Errorf("JUnit: %+v %v", junit, err)
	}
	if md := string(read("r.md")); !strings.HasPrefix(md, "## cmkguard: ") || !strings.Contains(md, "PCI DSS v4.0.1") {
		t.Errorf("Markdown:\n%s", md)
	}
}

// A plain --output FILE keeps writing the --format report there and nothing
// to standard output, with typed outputs beside it.
func TestScanPlainAndTypedOutput(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "testdata/estate.json", "--no-history", "--fail-on", "none",
		"--output", filepath.Join(dir, "report.json"), "-o", "sarif="+filepath.Join(dir, "report.sarif"))
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	for _, n := range []string{"report.json", "report.sarif"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || !json.Valid(b) {
			t.Errorf("%s: %v", n, err)
		}
		if n == "report.sarif" {
			sariftest.Validate(t, b)
		}
	}
	if code, _, stderr := run(t, "", "scan", "testdata/estate.json", "--no-history", "--framework", "sox"); code != 2 || !strings.Contains(stderr, "pci-dss-4") {
		t.Errorf("unknown framework: exit %d, %s", code, stderr)
	}
}

// The example estate, with every rule passing and failing somewhere, through
// SARIF: it validates, and names the input file and line of each finding.
func TestScanExampleEstateSARIF(t *testing.T) {
	if _, err := os.Stat("../../examples/estate"); err != nil {
		t.Skip("examples/estate is not there")
	}
	code, out, stderr := run(t, "", "scan", "../../examples/estate", "--no-history", "--now", "2026-12-01T00:00:00Z",
		"--fail-on", "none", "--format", "sarif")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sariftest.Validate(t, []byte(out))
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs[0].Tool.Driver.Rules) < 21 || len(doc.Runs[0].Results) == 0 {
		t.Fatalf("%d rules, %d results", len(doc.Runs[0].Tool.Driver.Rules), len(doc.Runs[0].Results))
	}
	for _, r := range doc.Runs[0].Results {
		loc := r.Locations[0].PhysicalLocation
		if !strings.HasPrefix(loc.ArtifactLocation.URI, "../../examples/estate/") || loc.Region.StartLine < 1 {
			t.Fatalf("location %+v does not name the input file and line", loc)
		}
	}
}

// TestDescribeName names a judged resource by the estate's id when the
// estate holds it, and by the judged id otherwise.
func TestDescribeName(t *testing.T) {
	cases := []struct {
		id   string
		r    *estate.Resource
		want string
	}{
		{"/subscriptions/s/resourceGroups/rg/providers/a.b/c/name", nil, "name"},
		{"/subscriptions/s/resourceGroups/rg/providers/a.b/c/name", &estate.Resource{ID: "/subscriptions/s/resourceGroups/rg/providers/a.b/c/Name/"}, "Name"},
		{"/subscriptions/s//providers/a.b/c/name", nil, ""},
		{"/subscriptions/s//providers/a.b/c/name", &estate.Resource{ID: "/subscriptions/s//providers/a.b/c/name"}, "name"},
		{"///", &estate.Resource{ID: "///"}, ""},
	}
	for _, c := range cases {
		var src report.Source
		if got := describe(judgedResource{id: c.id, r: c.r}, nil, &src).Name; got != c.want {
			t.Errorf("describe(%q).Name = %q, want %q", c.id, got, c.want)
		}
	}
}

// TestChainOfMemo describes chains with one memo as with a new memo each.
func TestChainOfMemo(t *testing.T) {
	vault := &estate.Vault{Resource: &estate.Resource{ID: "/v"}, Host: "kv.example.net"}
	uami := estate.IdentityRef{Kind: estate.IdentityUser, ResourceID: "/subscriptions/s/providers/x.y/identities/uami"}
	refs := []*estate.KeyRef{
		{URI: estate.KeyURI{Vault: "kv", Name: "k"}, Identity: uami},
		{URI: estate.KeyURI{Vault: "kv", Name: "k"}, Identity: uami},
		{URI: estate.KeyURI{Vault: "kv", Name: "k"}, Vault: vault, Identity: estate.IdentityRef{Kind: estate.IdentitySystem, Holder: "/a/b"}},
		{URI: estate.KeyURI{Vault: "kv", Name: "k", Version: "1"}, Identity: estate.IdentityRef{Kind: estate.IdentitySystem, Holder: "/a/c"}},
		{Raw: "bad", ParseErr: "not a key"},
		{URI: estate.KeyURI{Vault: "kv", Name: "k"}, Unresolved: "gone", Identity: uami},
		{URI: estate.KeyURI{Vault: "kv", HSM: true, Name: "k"}, Identity: uami},
	}
	w := &estate.Workload{Resource: &estate.Resource{ID: "/w"}}
	var memo chainMemo
	for i, ref := range refs {
		got, want := chainOf(w, ref, &memo), chainOf(w, ref, &chainMemo{})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ref %d: %+v, want %+v", i, got, want)
		}
	}
}
