package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/report/frameworks"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// update rewrites the golden files instead of comparing against them. Review
// every changed file (git diff) before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current renderers")

// loadInput reads the shared input report every format is rendered from.
func loadInput(t *testing.T) *Report {
	t.Helper()
	b, err := os.ReadFile("testdata/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("testdata/input.json: %v", err)
	}
	return &r
}

// testCatalog is a fixed rule catalog, so that the golden files change when
// the renderers change and not when a rule's wording does.
func testCatalog() []*rules.Rule {
	w := func(*rules.Env, *estate.Workload) rules.Outcome { return rules.NotApplicable }
	v := func(*rules.Env, *estate.Vault) rules.Outcome { return rules.NotApplicable }
	k := func(*rules.Env, *estate.Key) rules.Outcome { return rules.NotApplicable }
	return []*rules.Rule{
		{ID: "cmk-required", Title: "Sensitive data is encrypted with a customer-managed key", Severity: rules.High,
			Description: "Passes when the resource uses a customer-managed key, or its classification does not require one.",
			Rationale:   "Platform-managed keys leave key custody with the provider.",
			Remediation: "az storage account update --name <account> --encryption-key-source Microsoft.Keyvault --encryption-key-vault <vault-uri>",
			Frameworks:  []string{"MCSB DP-5", "PCI-DSS 3.5.1"}, Workload: w},
		{ID: "cmk-classified", Title: "CMK-capable resources carry a data-classification tag", Severity: rules.Low,
			Description: "Passes when the resource carries a classification tag.", Rationale: "Untagged data cannot be scoped.",
			Remediation: "az tag update --resource-id <id> --operation merge --tags dataClassification=<class>",
			Frameworks:  []string{"MCSB DP-5"}, Workload: w},
		{ID: "cmk-overapplied", Title: "Customer-managed keys are not spent on non-sensitive data", Severity: rules.Info,
			Description: "Passes unless the resource is classified non-sensitive and uses CMK.", Rationale: "CMK costs operations effort.",
			Remediation: "Reclassify the resource or return it to platform-managed keys.", Frameworks: []string{"MCSB DP-5"}, Workload: w},
		{ID: "cmk-key-usable", Title: "The customer-managed key a resource uses exists and is usable", Severity: rules.Critical,
			Description: "Passes when the key exists, is enabled and not expired.", Rationale: "An unusable key makes data inaccessible.",
			Remediation: "az keyvault key set-attributes --vault-name <vault> --name <key> --enabled true", Frameworks: []string{"MCSB DP-6"}, Workload: w},
		{ID: "cmk-key-recoverable", Title: "The vault holding a resource's key cannot lose it", Severity: rules.Critical,
			Description: "Passes when the key's vault has soft delete and purge protection.", Rationale: "A purged key destroys the data.",
			Remediation: "az keyvault update --name <vault> --enable-purge-protection true", Frameworks: []string{"MCSB DP-8"}, Workload: w},
		{ID: "cmk-identity-access", Title: "The identity a resource uses for its key can use the key", Severity: rules.High,
			Description: "Passes when the identity holds get, wrapKey and unwrapKey.", Rationale: "Without unwrapKey the service loses its data.",
			Remediation: "az keyvault set-policy --name <vault> --object-id <principal-id> --key-permissions get wrapKey unwrapKey",
			Frameworks:  []string{"MCSB IM-3"}, Workload: w},
		{ID: "keyvault-soft-delete", Title: "Key Vault keeps deleted keys recoverable", Severity: rules.Medium,
			Description: "Passes when soft delete is on.", Rationale: "Deleted keys stay recoverable.", Remediation: "Soft delete is mandatory; recreate the vault.",
			Frameworks: []string{"MCSB DP-8"}, Vault: v},
		{ID: "keyvault-purge-protection", Title: "Key Vault has purge protection", Severity: rules.High,
			Description: "Passes when purge protection is on.", Rationale: "Nobody can purge a key before its retention ends.",
			Remediation: "az keyvault update --name <vault> --enable-purge-protection true", Frameworks: []string{"MCSB DP-8", "CIS Azure 2.0 8.5"}, Vault: v},
		{ID: "key-expiry-set", Title: "Keys have an expiry date", Severity: rules.Medium,
			Description: "Passes when the key has an expiry date.", Rationale: "Keys without expiry are never retired.",
			Remediation: "az keyvault key set-attributes --vault-name <vault> --name <key> --expires <date>", Frameworks: []string{"MCSB DP-6"}, Key: k},
		{ID: "key-near-expiry", Title: "Keys are not expired or about to expire", Severity: rules.High,
			Description: "Passes when the key expires beyond the warning window.", Rationale: "Expired keys stop services.",
			Remediation: "az keyvault key rotate --vault-name <vault> --name <key>", Frameworks: []string{"MCSB DP-6"}, Key: k},
		{ID: "key-hsm", Title: "Keys protecting sensitive data are HSM-backed", Severity: rules.Medium,
			Description: "Passes when the key is RSA-HSM or EC-HSM.", Rationale: "HSM keys never leave the HSM.",
			Remediation: "Create an RSA-HSM key and point the workloads at it.", Frameworks: []string{"MCSB DP-6"}, Key: k},
	}
}

// testFramework is a small framework over the test catalog.
func testFramework(t *testing.T) *frameworks.Framework {
	t.Helper()
	b, err := os.ReadFile("testdata/framework.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range testCatalog() {
		known[r.ID] = true
	}
	f, err := frameworks.Parse("framework.yaml", b, func(id string) bool { return known[id] })
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// goldenFiles names the golden file of each format.
var goldenFiles = map[string]string{
	"table": "report.txt", "json": "report.json", "sarif": "report.sarif", "junit": "report.junit.xml",
	"csv": "report.csv", "markdown": "report.md", "html": "report.html",
}

// render renders the shared input in one format with the test catalog.
func render(t *testing.T, r *Report, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, r, Options{Catalog: testCatalog()}); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// checkGolden compares got with testdata/golden/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update, then review the file)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(if the change is intended, run with -update and review the diff)", name, i+1, g, w)
			}
		}
	}
}

// TestGolden renders the one shared input through every format.
func TestGolden(t *testing.T) {
	for _, format := range FormatNames() {
		t.Run(format, func(t *testing.T) {
			name, ok := goldenFiles[format]
			if !ok {
				t.Fatalf("format %s has no golden file; add it to goldenFiles", format)
			}
			checkGolden(t, name, render(t, loadInput(t), format))
		})
	}
}

// TestGoldenFramework renders the framework view in the formats that show it.
func TestGoldenFramework(t *testing.T) {
	r := loadInput(t)
	r.Framework = NewFrameworkView(testFramework(t), r.Results)
	for format, name := range map[string]string{"table": "framework.txt", "markdown": "framework.md", "json": "framework.json"} {
		t.Run(format, func(t *testing.T) { checkGolden(t, name, render(t, r, format)) })
	}
}

func TestFrameworkView(t *testing.T) {
	r := loadInput(t)
	v := NewFrameworkView(testFramework(t), r.Results)
	got := map[string]ControlView{}
	for _, c := range v.Controls {
		got[c.ID] = c
	}
	// T-1 lists cmk-required on storage accounts only: one fail (the
	// storage account), the SQL server's pass does not count.
	if c := got["T-1"]; c.Status != "fail" || c.Fail != 1 || c.Pass != 0 || len(c.Failing) != 1 || !strings.Contains(c.Failing[0], "storageAccounts") {
		t.Errorf("T-1 = %+v", c)
	}
	// T-2: keyvault-soft-delete (2 pass) and keyvault-purge-protection (1 fail, 1 pass).
	if c := got["T-2"]; c.Status != "fail" || c.Fail != 1 || c.Pass != 3 {
		t.Errorf("T-2 = %+v", c)
	}
	// T-3: cmk-key-recoverable, one waived result only.
	if c := got["T-3"]; c.Status != "waived" || c.Waived != 1 {
		t.Errorf("T-3 = %+v", c)
	}
	// T-4: key-hsm has no result in the input.
	if c := got["T-4"]; c.Status != NotAssessed || c.Pass+c.Fail+c.Unknown+c.Waived != 0 {
		t.Errorf("T-4 = %+v", c)
	}
}
