package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// corpusDir holds the copied corpus: PSRule for Azure test data (exported
// resources), azure-rest-api-specs examples, and expected.json. See its NOTICE.md.
var corpusDir = filepath.Join("testdata", "corpus")

// corpusNow is the evaluation time of the corpus scan. No mapped check
// depends on the clock; it is fixed so that the run is deterministic.
var corpusNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// checkRules maps the corpus's neutral check ids to the contract rule whose
// outcome means the same thing on the same resource. The corpus resources carry
// no classification tag, and unclassified data is sensitive by default, so
// cmk-required there passes exactly when the resource uses a customer-managed key.
var checkRules = map[string]string{
	"storage.cmk":                 "cmk-required",
	"cosmos.cmk":                  "cmk-required",
	"acr.cmk":                     "cmk-required",
	"cognitive.cmk":               "cmk-required",
	"eventhub.cmk":                "cmk-required",
	"disk.cmk":                    "cmk-required",
	"postgresql_flexible.cmk":     "cmk-required",
	"sql.tde_cmk":                 "cmk-required",
	"appconfig.cmk":               "cmk-required",
	"keyvault.soft_delete":        "keyvault-soft-delete",
	"keyvault.purge_protection":   "keyvault-purge-protection",
	"keyvault.rbac":               "keyvault-rbac",
	"keyvault.network_restricted": "keyvault-network",
	"keyvault.diagnostic_logs":    "keyvault-audit-logs",
	"key.expiry_set":              "key-expiry-set",
	"key.rotation_policy":         "key-rotation-policy",
	"appservice.managed_identity": "app-managed-identity",
}

// unmappedChecks are the checks of in-scope files that no contract rule answers
// exactly, with the reason. A check that is in neither map fails the test, so
// that a new one is decided on rather than silently skipped.
var unmappedChecks = map[string]string{
	"aks.keyvault_secret_store_rotation":      "Key Vault secrets CSI driver rotation: secrets in pods, not encryption at rest",
	"aks.managed_identity":                    "cluster identity; cmkguard judges a workload's identity only as the one reaching its key (cmk-identity-access)",
	"apim.managed_identity":                   "API Management is not a CMK-capable workload in the service table",
	"appconfig.purge_protection":              "purge protection of the App Configuration store itself, not of a key vault",
	"automation.managed_identity":             "account identity; no contract rule asks whether it exists",
	"automation.variables_encrypted":          "Automation variable encryption flag, unrelated to customer-managed keys",
	"cognitive.managed_identity":              "account identity; cmk-identity-access asks whether the key identity can wrap and unwrap, a different question",
	"containerapp.managed_identity":           "Container Apps are not a CMK-capable workload in the service table",
	"defender.keyvault":                       "Defender for Key Vault plan; no contract rule",
	"disk.ade_enabled":                        "Azure Disk Encryption (guest BitLocker/dm-crypt), not server-side encryption with a customer-managed key",
	"disk_encryption_set.customer_key":        "a disk encryption set holds a key for disks; results are reported on the disk that uses it (CONTRACT §4)",
	"disk_encryption_set.managed_identity":    "identity of a key holder; judged through the disks that use it (cmk-identity-access)",
	"eventgrid.managed_identity":              "Event Grid topics are not CMK-capable workloads",
	"eventhub.managed_identity":               "namespace identity; cmk-identity-access asks a different question",
	"frontdoor.managed_identity":              "Front Door is not a CMK-capable workload",
	"keyvault.access_policy_least_privilege":  "PSRule fails any access policy granting All or Purge, people included; keyvault-least-privilege judges workload identities only and lets people hold them",
	"keyvault.keys_auto_rotation":             "PSRule's vault-level view (passes a vault without keys); key-rotation-policy is judged per key",
	"keyvault.public_network_access_disabled": "checkov CKV_AZURE_189 also passes an open firewall with IP rules; keyvault-network needs public access disabled or default action Deny",
	"kusto.disk_encryption":                   "Data Explorer disk encryption with platform keys, not customer-managed keys",
	"kusto.managed_identity":                  "cluster identity; no contract rule asks whether it exists",
	"ml.user_assigned_identity":               "workspace identity kind; no contract rule",
	"postgresql_flexible.managed_identity":    "server identity; cmk-identity-access asks a different question",
	"search.managed_identity":                 "service identity; no contract rule asks whether it exists",
	"signalr.managed_identity":                "SignalR is not a CMK-capable workload",
	"sql.tde_enabled":                         "TDE on or off, which service-managed keys satisfy; not the customer-managed-key question",
	"sqlmi.managed_identity":                  "managed instance identity; no contract rule asks whether it exists",
	"storage.managed_identity":                "account identity; cmk-identity-access asks a different question",
	"webpubsub.managed_identity":              "Web PubSub is not a CMK-capable workload",
}

// knownDisagreements are the mapped outcomes where cmkguard and the corpus
// differ, keyed by "file|resource|check", with the reason. A disagreement not
// listed fails the test, and so does a listed one that no longer occurs.
var knownDisagreements = map[string]string{
	"azure-rest-api-specs/compute/2022-07-02/Disk_Create_WithDiskEncryptionSet.json|myDisk|disk.cmk": "the example's response bodies carry neither id nor type (ARM returns both); " +
		"the reader skips an object without id with a warning, as CONTRACT §3 asks, so there is no result",
}

// wantMapped is the number of in-scope expected outcomes whose check is mapped;
// docs/CONFORMANCE.md quotes it.
const wantMapped = 84

// expectation is one entry of expected.json.
type expectation struct {
	File       string `json:"file"`
	Resource   string `json:"resource"`
	Check      string `json:"check"`
	Expected   string `json:"expected"`
	SourceTest string `json:"source_test"`
	Basis      string `json:"basis"`
}

func (x expectation) key() string { return x.File + "|" + x.Resource + "|" + x.Check }

// corpusScan is what scanning one corpus file gave.
type corpusScan struct {
	results []rules.Result
	ids     []string // ARM ids of every object in the file, for mapping children to parents
	warns   []string
}

// inScopeFiles lists the copied corpus data files, relative to corpusDir with
// forward slashes.
func inScopeFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, corpusDir+string(filepath.Separator)))
		if strings.HasPrefix(rel, "psrule/") || strings.HasPrefix(rel, "azure-rest-api-specs/") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no corpus files under " + corpusDir)
	}
	return files
}

// scanCorpusFile reads one corpus file into its own estate and evaluates the
// catalog. REST API examples ({"parameters": …, "responses": {"200": {"body": …}}})
// are not resources themselves: every successful response body is read.
func scanCorpusFile(rel string) (*corpusScan, error) {
	path := filepath.Join(corpusDir, filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var whole any
	if err := json.Unmarshal(data, &whole); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	scan := &corpusScan{}
	collectIDs(whole, &scan.ids)
	b := estate.NewBuilder()
	ctx := context.Background()
	if strings.HasPrefix(rel, "azure-rest-api-specs/") {
		var ex struct {
			Responses map[string]struct {
				Body json.RawMessage `json:"body"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(data, &ex); err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		codes := make([]string, 0, len(ex.Responses))
		for code := range ex.Responses {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		bodies := 0
		for _, code := range codes {
			body := ex.Responses[code].Body
			if !strings.HasPrefix(code, "2") || len(body) == 0 || string(body) == "null" {
				continue // no body (202 Accepted) or an error response
			}
			bodies++
			if err := input.Read(ctx, rel+"#/responses/"+code+"/body", bytes.NewReader(body), b); err != nil {
				return nil, err
			}
		}
		if bodies == 0 {
			return nil, fmt.Errorf("%s: no successful response body", rel)
		}
	} else if err := input.ReadFile(ctx, path, b); err != nil {
		return nil, err
	}
	e := b.Build()
	for _, w := range e.Warnings {
		scan.warns = append(scan.warns, w.String())
	}
	scan.results = rules.Evaluate(e, policy.Default(), corpusNow, rules.Catalog()).Results
	return scan, nil
}

// collectIDs gathers the ARM ids of every object of a decoded JSON value
// ("id", or PowerShell's "ResourceId").
func collectIDs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && (strings.EqualFold(k, "id") || strings.EqualFold(k, "resourceId")) && strings.HasPrefix(s, "/") {
				*out = append(*out, s)
			}
			collectIDs(val, out)
		}
	case []any:
		for _, val := range x {
			collectIDs(val, out)
		}
	}
}

// namePath returns the names along an ARM id's resource type chain:
// …/sites/site-B/slots/staging gives [site-B staging].
func namePath(id string) []string {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	last := -1
	for i, s := range seg {
		if strings.EqualFold(s, "providers") {
			last = i
		}
	}
	if last < 0 || last+2 >= len(seg) {
		return []string{seg[len(seg)-1]}
	}
	var names []string
	for i := last + 3; i < len(seg); i += 2 {
		names = append(names, seg[i])
	}
	return names
}

// nameMatches reports whether an expected resource name ("site-A", or
// "site-A/staging" for a child) names the resource at id.
func nameMatches(id, name string) bool {
	want := strings.Split(name, "/")
	got := namePath(id)
	if len(want) > len(got) {
		return false
	}
	return strings.EqualFold(strings.Join(got[len(got)-len(want):], "/"), name)
}

// reportedOn returns the ids cmkguard reports a named resource's finding on.
// Per CONTRACT §4 a SQL encryption protector's finding is the server's.
func reportedOn(scan *corpusScan, name string) []string {
	var out []string
	for _, id := range scan.ids {
		pid, ok := estate.ParseID(id)
		if !ok || !strings.EqualFold(pid.Name, name) {
			continue
		}
		switch pid.Type {
		case "microsoft.sql/servers/encryptionprotector", "microsoft.sql/managedinstances/encryptionprotector":
			out = append(out, pid.Parent)
		}
	}
	return out
}

// TestCorpusConformance scans every in-scope corpus file and measures agreement
// with the outcomes expected.json records for mapped checks.
func TestCorpusConformance(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected []expectation
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatalf("expected.json: %v", err)
	}

	files := inScopeFiles(t)
	scans := map[string]*corpusScan{}
	for _, rel := range files {
		scan, err := scanCorpusFile(rel)
		if err != nil {
			t.Errorf("scan %s: %v", rel, err)
			continue
		}
		for _, w := range scan.warns {
			t.Logf("%s: reader warning: %s", rel, w)
		}
		scans[rel] = scan
	}

	var mapped, agree int
	seen, missing := map[string]bool{}, map[string]bool{}
	var unexpected []string
	for _, x := range expected {
		if !slices.Contains(files, x.File) {
			continue // out of scope for this suite (templates, checkov, KICS, …)
		}
		rule, ok := checkRules[x.Check]
		if !ok {
			if _, decided := unmappedChecks[x.Check]; !decided {
				t.Errorf("check %s (%s %s) is neither mapped to a rule nor listed as unmapped", x.Check, x.File, x.Resource)
			}
			continue
		}
		if rules.Lookup(rule) == nil && !missing[rule] {
			missing[rule] = true
			t.Errorf("check %s maps to %s, which is not in the catalog", x.Check, rule)
		}
		mapped++
		scan := scans[x.File]
		if scan == nil {
			continue // the scan error is reported above; counts as a disagreement
		}
		got := matchResults(scan, rule, x.Resource)
		verdict := ""
		switch {
		case len(got) == 0:
			verdict = "no " + rule + " result"
		default:
			for _, r := range got {
				if string(r.Status) != x.Expected {
					verdict = fmt.Sprintf("%s %s on %s (%s)", rule, r.Status, r.Resource, r.Message)
					break
				}
			}
		}
		if verdict == "" {
			agree++
			continue
		}
		k := x.key()
		seen[k] = true
		reason, known := knownDisagreements[k]
		if known {
			t.Logf("known disagreement: %s: corpus %s, cmkguard: %s — %s", k, x.Expected, verdict, reason)
			continue
		}
		unexpected = append(unexpected, fmt.Sprintf("%s: corpus %s (%s), cmkguard: %s", k, x.Expected, x.SourceTest, verdict))
	}
	for _, u := range unexpected {
		t.Errorf("new disagreement: %s", u)
	}
	for k, reason := range knownDisagreements {
		if !seen[k] {
			t.Errorf("known disagreement %s no longer occurs (%s): remove it from knownDisagreements and docs/CONFORMANCE.md", k, reason)
		}
	}
	if mapped != wantMapped {
		t.Errorf("%d mapped outcomes, want %d (update wantMapped and docs/CONFORMANCE.md)", mapped, wantMapped)
	}
	pct := 100 * float64(agree) / float64(max(mapped, 1))
	t.Logf("agreement: %d/%d = %.1f%%", agree, mapped, pct)
	if pct < 95 {
		t.Errorf("agreement %d/%d = %.1f%%, below 95%%", agree, mapped, pct)
	}
}

// matchResults finds the results of rule for an expected resource name.
func matchResults(scan *corpusScan, rule, name string) []rules.Result {
	var out []rules.Result
	for _, r := range scan.results {
		if r.Rule == rule && nameMatches(r.Resource, name) {
			out = append(out, r)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, parent := range reportedOn(scan, name) {
		for _, r := range scan.results {
			if r.Rule == rule && strings.EqualFold(r.Resource, parent) {
				out = append(out, r)
			}
		}
	}
	return out
}

// TestCorpusMappingTablesAreDisjoint keeps a check from being both mapped and
// listed as unmapped.
func TestCorpusMappingTablesAreDisjoint(t *testing.T) {
	for c := range checkRules {
		if reason, ok := unmappedChecks[c]; ok {
			t.Errorf("%s is mapped to %s and also listed as unmapped (%s)", c, checkRules[c], reason)
		}
	}
}
