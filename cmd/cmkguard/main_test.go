package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// run runs the CLI as a user would and returns exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // substring of stderr
	}{
		{"failing high result", []string{"scan", "testdata/estate.json", "--now", "2026-12-01T00:00:00Z"}, 1, ""},
		{"fail-on above the worst failure", []string{"scan", "testdata/estate.json", "--fail-on", "critical"}, 0, ""},
		{"fail-on none", []string{"scan", "testdata/estate.json", "--fail-on", "none"}, 0, ""},
		{"waived failure does not fail the run", []string{"scan", "testdata/estate.json", "--policy", "testdata/waive.yaml", "--now", "2026-12-01T00:00:00Z"}, 0, ""},
		{"waiver expired", []string{"scan", "testdata/estate.json", "--policy", "testdata/waive.yaml", "--now", "2027-04-01T00:00:00Z"}, 1, ""},
		{"malformed JSON names file and line", []string{"scan", "testdata/malformed.json"}, 2, "testdata/malformed.json:2"},
		{"truncated JSON", []string{"scan", "testdata/truncated.json"}, 2, "truncated"},
		{"missing file", []string{"scan", "testdata/nope.json"}, 2, "nope.json"},
		{"bad --now", []string{"scan", "testdata/estate.json", "--now", "yesterday"}, 2, "--now"},
		{"bad --fail-on", []string{"scan", "testdata/estate.json", "--fail-on", "severe"}, 2, "--fail-on"},
		{"bad --format", []string{"scan", "testdata/estate.json", "--format", "xml"}, 2, "--format"},
		{"unknown flag", []string{"scan", "--bogus", "testdata/estate.json"}, 2, "bogus"},
		{"no path", []string{"scan"}, 2, "arg"},
		{"policy with unknown key names its line", []string{"scan", "testdata/estate.json", "--policy", "testdata/badpolicy.yaml"}, 2, "line 6: field reson not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != c.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if c.stderr != "" && !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, c.stderr)
			}
		})
	}
}

func TestScanJSON(t *testing.T) {
	code, out, stderr := run(t, "", "scan", "testdata/estate.json", "--now", "2026-12-01T00:00:00Z", "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		SchemaVersion string `json:"schemaVersion"`
		Tool          struct{ Name, Version string }
		ScannedAt     string `json:"scannedAt"`
		Summary       rules.Summary
		Results       []rules.Result
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.SchemaVersion != "1" || doc.Tool.Name != "cmkguard" || doc.ScannedAt != "2026-12-01T00:00:00Z" {
		t.Errorf("header = %+v %s %s", doc.Tool, doc.SchemaVersion, doc.ScannedAt)
	}
	var pass, fail int
	for _, r := range doc.Results {
		switch r.Status {
		case rules.Pass:
			pass++
		case rules.Fail:
			fail++
		}
		if r.Rule == "" || r.Resource == "" || r.ResourceType == "" || r.Message == "" {
			t.Errorf("incomplete result %+v", r)
		}
	}
	s := doc.Summary
	if s.Results != len(doc.Results) || s.Pass != pass || s.Fail != fail {
		t.Errorf("summary %+v does not match results (%d pass, %d fail of %d)", s, pass, fail, len(doc.Results))
	}
	// stpci (pci) requires CMK and lacks it; stpublic does not require it.
	if s.InScope != 1 || s.Compliant != 0 || s.CompliancePercent != 0 {
		t.Errorf("compliance = %d/%d %.1f%%, want 0/1 0%%", s.Compliant, s.InScope, s.CompliancePercent)
	}
}

func TestScanStdinAndOutputFile(t *testing.T) {
	data, err := os.ReadFile("testdata/estate.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, stderr := run(t, string(data), "scan", "-", "--output", path, "--fail-on", "none")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(written) || !bytes.Contains(written, []byte("stpci")) {
		t.Errorf("report file is not the JSON report: %s", written)
	}
}

func TestScanTable(t *testing.T) {
	_, out, _ := run(t, "", "scan", "testdata/estate.json", "--now", "2026-12-01T00:00:00Z", "--format", "table")
	fail := strings.Index(out, "FAIL")
	pass := strings.Index(out, "PASS")
	if fail < 0 || pass < 0 || fail > pass {
		t.Errorf("table should list failing resources first:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("no colour when not writing to a terminal")
	}
	if !strings.Contains(out, "CMK compliance 0.0% (0 of 1") {
		t.Errorf("summary line missing:\n%s", out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := run(t, "", "--version"); code != 0 || !strings.Contains(out, "cmkguard version") {
		t.Errorf("--version: %d %q", code, out)
	}
	if code, out, _ := run(t, "", "scan", "--help"); code != 0 || !strings.Contains(out, "--fail-on") {
		t.Errorf("scan --help: %d %q", code, out)
	}
}

// TestRulesListsContract keeps `cmkguard rules` listing every rule id of CONTRACT §6.
func TestRulesListsContract(t *testing.T) {
	code, out, _ := run(t, "", "rules", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var docs []struct {
		ID, Severity, Description, Remediation string
		Frameworks                             []string
	}
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, d := range docs {
		have[d.ID] = true
		if d.Description == "" || d.Remediation == "" || len(d.Frameworks) == 0 {
			t.Errorf("%s: incomplete metadata", d.ID)
		}
	}
	for _, id := range strings.Fields(`cmk-required cmk-classified cmk-overapplied cmk-key-usable cmk-key-recoverable
		cmk-identity-access cmk-tenant-isolation keyvault-soft-delete keyvault-purge-protection keyvault-rbac
		keyvault-network keyvault-audit-logs keyvault-expiry-alerts keyvault-least-privilege key-expiry-set
		key-near-expiry key-rotation-policy key-rotation-due key-strength key-hsm app-managed-identity`) {
		if !have[id] {
			t.Errorf("rule %s of CONTRACT §6 is missing from the catalog", id)
		}
	}
}
