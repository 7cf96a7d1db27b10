package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// exampleNow is the evaluation time the example estate was written for
// (cmkguard scan examples/estate --now 2026-12-01T00:00:00Z): key expiry and
// age in the estate are relative to it.
var exampleNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

var (
	exampleDir    = filepath.Join("..", "..", "examples", "estate")
	examplePolicy = filepath.Join("..", "..", "examples", "policy.yaml")
)

// contractRules are the rule ids of CONTRACT §6. The example estate must make
// each of them pass somewhere and fail somewhere.
var contractRules = []string{
	"cmk-required", "cmk-classified", "cmk-overapplied", "cmk-key-usable", "cmk-key-recoverable",
	"cmk-identity-access", "cmk-tenant-isolation",
	"keyvault-soft-delete", "keyvault-purge-protection", "keyvault-rbac", "keyvault-network",
	"keyvault-audit-logs", "keyvault-expiry-alerts", "keyvault-least-privilege",
	"key-expiry-set", "key-near-expiry", "key-rotation-policy", "key-rotation-due", "key-strength", "key-hsm",
	"app-managed-identity",
}

// loadExample reads the example estate the way `cmkguard scan examples/estate` does.
func loadExample(t *testing.T) *estate.Estate {
	t.Helper()
	b := estate.NewBuilder()
	if err := input.ReadPaths(context.Background(), []string{exampleDir}, nil, b); err != nil {
		t.Fatalf("read %s: %v", exampleDir, err)
	}
	return b.Build()
}

// TestExampleEstateReadsCleanly: the example is written in Azure's exact shapes,
// so the readers must take every file without a warning, and the estate must
// hold what the README says it holds.
func TestExampleEstateReadsCleanly(t *testing.T) {
	e := loadExample(t)
	for _, w := range e.Warnings {
		t.Errorf("reader warning: %s", w)
	}
	counts := map[string]int{}
	for _, w := range e.Workloads {
		counts[w.Type]++
	}
	checks := []struct {
		what      string
		got, want int
	}{
		{"CMK-capable workloads", len(e.Workloads), 34},
		{"vaults and Managed HSMs", len(e.Vaults), 6},
		{"keys", len(e.Keys), 19},
		{"web and function apps", len(e.Apps), 5},
		{"role assignments", len(e.RoleAssignments), 18},
		{"diagnostic settings", len(e.Diagnostics), 5},
		{"event subscriptions", len(e.EventSubs), 2},
		{"alert rules", len(e.Alerts), 2},
		{"disk encryption sets", len(e.EncryptionSets), 1},
		{"Key Vault audit records", len(e.Audit), 5},
		{"storage accounts", counts["microsoft.storage/storageaccounts"], 9},
		{"SQL servers", counts["microsoft.sql/servers"], 5},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.what, c.got, c.want)
		}
	}
	var forbidden int
	for _, a := range e.Audit {
		if a.HTTPStatus == 403 {
			forbidden++
		}
	}
	if forbidden != 2 {
		t.Errorf("audit records refused with HTTP 403: got %d, want 2 (rsv-cpay-prod's wrap and unwrap)", forbidden)
	}
	for _, w := range e.Workloads {
		if w.Placeholder {
			t.Errorf("%s is known only from a child resource; the example must carry the resource itself", w.ID)
		}
	}
}

// TestExampleEveryRuleBothWays holds every rule of the contract and of the
// catalog to at least one pass and one fail in the example estate.
func TestExampleEveryRuleBothWays(t *testing.T) {
	e := loadExample(t)
	catalog := rules.Catalog()
	ev := rules.Evaluate(e, policy.Default(), exampleNow, catalog)
	seen := map[string]map[rules.Status]int{}
	for _, r := range ev.Results {
		if seen[r.Rule] == nil {
			seen[r.Rule] = map[rules.Status]int{}
		}
		seen[r.Rule][r.Status]++
	}
	ids := slices.Clone(contractRules)
	for _, r := range catalog {
		if !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	for _, id := range ids {
		if rules.Lookup(id) == nil {
			t.Errorf("%s: CONTRACT §6 names it but the catalog does not have it", id)
			continue
		}
		got := seen[id]
		if got[rules.Pass] == 0 || got[rules.Fail] == 0 {
			t.Errorf("%s: want at least one pass and one fail in the example, got %d pass, %d fail, %d unknown",
				id, got[rules.Pass], got[rules.Fail], got[rules.Unknown])
		}
	}
}

// exampleExpectation is one outcome designed into the example estate.
type exampleExpectation struct {
	resource string // ARM id suffix from the provider type on, e.g. Microsoft.Storage/storageAccounts/st1
	rule     string
	want     rules.Status
	why      string // what in the estate makes it so
}

// exampleExpectations are the reviewed golden outcomes of the example estate.
var exampleExpectations = []exampleExpectation{
	{"Microsoft.Storage/storageAccounts/stcpaypaymentsprod01", "cmk-required", rules.Pass,
		"PCI storage on a pinned version of cmk-storage-pci in kv-cpay-pay-prod"},
	{"Microsoft.Sql/servers/sql-cpay-reporting", "cmk-required", rules.Fail,
		"confidential SQL server whose TDE protector is ServiceManaged (sql/sql-cpay-reporting.encryption-protector.json)"},
	{"Microsoft.Search/searchServices/srch-cpay-merchant", "cmk-required", rules.Unknown,
		"CMK enforcement is on but the service reports NonCompliant: the snapshot cannot show the index keys"},
	{"Microsoft.Storage/storageAccounts/stcpayhealthexports", "cmk-classified", rules.Fail,
		"the one unclassified resource"},
	{"Microsoft.Storage/storageAccounts/stcpayphiprod01", "cmk-classified", rules.Pass,
		"tag key DataClassification (other casing) with value PHI"},
	{"Microsoft.Storage/storageAccounts/stcpaydevdata01", "cmk-overapplied", rules.Fail,
		"classified Internal and yet on a customer-managed key"},
	{"Microsoft.OperationalInsights/clusters/log-cpay-health-cluster", "cmk-key-usable", rules.Fail,
		"cmk-loganalytics expired on 2026-10-31"},
	{"Microsoft.DBforMySQL/flexibleServers/mysql-cpay-reporting", "cmk-key-usable", rules.Fail,
		"cmk-mysql-reporting is disabled"},
	{"Microsoft.Compute/disks/disk-cpay-pay-01-os", "cmk-key-usable", rules.Pass,
		"followed through disk encryption set des-cpay-prod to cmk-disks-prod"},
	{"Microsoft.Storage/storageAccounts/stcpaymerchantnwind", "cmk-key-usable", rules.Unknown,
		"cross-tenant CMK: the key is in the merchant's vault, which is not in the snapshot"},
	{"Microsoft.Sql/servers/sql-cpay-ledger-legacy", "cmk-key-recoverable", rules.Fail,
		"the TDE key is in kv-cpay-legacy, without soft delete or purge protection (PowerShell export)"},
	{"Microsoft.Sql/servers/sql-cpay-core-prod", "cmk-key-recoverable", rules.Pass,
		"the TDE key is in Managed HSM hsm-cpay-prod, purge-protected"},
	{"Microsoft.Sql/servers/sql-cpay-payments-prod", "cmk-identity-access", rules.Pass,
		"Crypto Service Encryption User inherited from management group mg-cpay-prod"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/psql-cpay-phi-prod", "cmk-identity-access", rules.Fail,
		"the access policy of id-cpay-health-cmk grants get and unwrapKey but not wrapKey"},
	{"Microsoft.DBforMySQL/flexibleServers/mysql-cpay-reporting", "cmk-identity-access", rules.Fail,
		"an RBAC role on kv-cpay-health-prod, which uses access policies, so the role has no effect"},
	{"Microsoft.RecoveryServices/vaults/rsv-cpay-prod", "cmk-identity-access", rules.Fail,
		"the vault's identity holds Key Vault Reader, which cannot wrap or unwrap"},
	{"Microsoft.ContainerRegistry/registries/crcpayprod", "cmk-identity-access", rules.Pass,
		"identity named by client id, Crypto Service Encryption User on the key"},
	{"Microsoft.Sql/servers/sql-cpay-core-prod", "cmk-identity-access", rules.Unknown,
		"a Managed HSM authorises key use by local RBAC, which ARM snapshots do not carry"},
	{"Microsoft.Storage/storageAccounts/stcpaymerchantnwind", "cmk-identity-access", rules.Unknown,
		"cross-tenant key: the merchant's vault and its grants are not in the snapshot"},
	{"Microsoft.DocumentDB/databaseAccounts/cosmos-cpay-saas-fabrikam", "cmk-tenant-isolation", rules.Fail,
		"shares cmk-tenant-shared with stcpaysaasnorthwind, tagged tenant northwind"},
	{"Microsoft.Storage/storageAccounts/stcpaysaasnorthwind", "cmk-tenant-isolation", rules.Fail,
		"the other side of the shared key: tenant northwind shares it with tenant fabrikam"},
	{"Microsoft.Storage/storageAccounts/stcpaysaasadatum", "cmk-tenant-isolation", rules.Pass,
		"tenant adatum has a key of its own"},
	{"Microsoft.KeyVault/vaults/kv-cpay-legacy", "keyvault-soft-delete", rules.Fail,
		"enableSoftDelete false on the 2019 vault"},
	{"Microsoft.KeyVault/vaults/kv-cpay-dev", "keyvault-soft-delete", rules.Pass,
		"enableSoftDelete absent: on by default"},
	{"Microsoft.KeyVault/vaults/kv-cpay-saas-prod", "keyvault-network", rules.Pass,
		"public network access Enabled but firewall default action Deny"},
	{"Microsoft.KeyVault/vaults/kv-cpay-legacy", "keyvault-audit-logs", rules.Fail,
		"its only diagnostic setting has AuditEvent disabled"},
	{"Microsoft.KeyVault/managedHSMs/hsm-cpay-prod", "keyvault-audit-logs", rules.Pass,
		"category group allLogs sent to log-cpay-security"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod", "keyvault-expiry-alerts", rules.Pass,
		"Event Grid subscription for KeyNearExpiry and KeyExpired on its system topic"},
	{"Microsoft.KeyVault/vaults/kv-cpay-health-prod", "keyvault-expiry-alerts", rules.Pass,
		"log search alert scoped to the vault on the near-expiry notification operations"},
	{"Microsoft.KeyVault/vaults/kv-cpay-saas-prod", "keyvault-expiry-alerts", rules.Fail,
		"its Event Grid subscription only takes KeyNewVersionCreated"},
	{"Microsoft.KeyVault/vaults/kv-cpay-saas-prod", "keyvault-least-privilege", rules.Fail,
		"managed identity id-cpay-keyrotation holds Key Vault Crypto Officer"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod", "keyvault-least-privilege", rules.Pass,
		"workload identities hold only Crypto Service Encryption User or Reader; a person is administrator"},
	{"Microsoft.KeyVault/vaults/kv-cpay-health-prod", "keyvault-least-privilege", rules.Pass,
		"key management by access policy belongs to the custodians group, a group of people"},
	{"Microsoft.KeyVault/vaults/kv-cpay-dev", "keyvault-least-privilege", rules.Fail,
		"the dev pipeline's service principal is Key Vault Administrator on the whole subscription"},
	{"Microsoft.KeyVault/vaults/kv-cpay-legacy", "keyvault-least-privilege", rules.Fail,
		"the legacy portal's system-assigned identity holds All on keys by access policy"},
	{"Microsoft.KeyVault/managedHSMs/hsm-cpay-prod", "keyvault-least-privilege", rules.Unknown,
		"a Managed HSM's key permissions are local role assignments, not in the snapshot"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-sql-payments", "key-near-expiry", rules.Fail,
		"expires 2026-12-20, inside the 30-day window"},
	{"Microsoft.KeyVault/vaults/kv-cpay-health-prod/keys/cmk-analytics-adf", "key-expiry-set", rules.Fail,
		"no attributes.exp"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-cosmos-ledger", "key-rotation-due", rules.Fail,
		"rotate after P180D, yet the current version is 274 days old"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-sql-payments", "key-rotation-policy", rules.Fail,
		"its rotation policy only notifies"},
	{"Microsoft.KeyVault/managedHSMs/hsm-cpay-prod/keys/tokenization-aes", "key-strength", rules.Fail,
		"oct-HSM 128 bits, below the default AES minimum of 256"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-openai-fraud", "key-hsm", rules.Fail,
		"software RSA key protecting a confidential Azure OpenAI account"},
	{"Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-storage-pci", "key-hsm", rules.Pass,
		"RSA-HSM key protecting PCI storage"},
	{"Microsoft.Web/sites/app-cpay-merchant-dev", "app-managed-identity", rules.Fail,
		"identity null"},
	{"Microsoft.Web/sites/func-cpay-settlement-prod", "app-managed-identity", rules.Pass,
		"user-assigned identity id-cpay-settlement"},
	{"Microsoft.Web/sites/app-cpay-legacy-portal", "app-managed-identity", rules.Pass,
		"system-assigned identity read from the PowerShell export (PascalCase Identity block)"},
}

// TestExampleExpectations checks the outcomes designed into the example estate.
func TestExampleExpectations(t *testing.T) {
	e := loadExample(t)
	ev := rules.Evaluate(e, policy.Default(), exampleNow, rules.Catalog())
	for _, x := range exampleExpectations {
		t.Run(x.rule+"/"+x.resource[strings.LastIndexByte(x.resource, '/')+1:], func(t *testing.T) {
			if rules.Lookup(x.rule) == nil {
				t.Fatalf("rule %s is not in the catalog", x.rule)
			}
			got := resultsFor(ev.Results, x.rule, x.resource)
			if len(got) != 1 {
				t.Fatalf("want one %s result on …/%s, got %d:%s", x.rule, x.resource, len(got), describe(got))
			}
			if got[0].Status != x.want {
				t.Errorf("%s on …/%s = %s, want %s (%s)\nmessage: %s\nevidence: %v",
					x.rule, x.resource, got[0].Status, x.want, x.why, got[0].Message, got[0].Evidence)
			}
		})
	}
}

// TestExamplePolicy reads examples/policy.yaml and checks what it was written to
// show: an active waiver turns a failure into waived, an expired one does not
// and is reported, an override changes a severity, and a stricter RSA minimum
// fails 2048-bit keys that pass under the defaults.
func TestExamplePolicy(t *testing.T) {
	p, err := policy.Load(examplePolicy, rules.PolicyCatalog{})
	if err != nil {
		t.Fatalf("load %s: %v", examplePolicy, err)
	}
	e := loadExample(t)
	ev := rules.Evaluate(e, p, exampleNow, rules.Catalog())
	base := rules.Evaluate(e, policy.Default(), exampleNow, rules.Catalog())
	one := func(results []rules.Result, rule, res string) rules.Result {
		t.Helper()
		got := resultsFor(results, rule, res)
		if len(got) != 1 {
			t.Fatalf("want one %s result on …/%s, got %d", rule, res, len(got))
		}
		return got[0]
	}

	waived := one(ev.Results, "cmk-required", "Microsoft.DocumentDB/databaseAccounts/cosmos-cpay-analytics")
	if waived.Status != rules.Waived || waived.WaiverReason == "" {
		t.Errorf("cosmos-cpay-analytics cmk-required = %s (reason %q), want waived by the active waiver", waived.Status, waived.WaiverReason)
	}
	expired := one(ev.Results, "keyvault-purge-protection", "Microsoft.KeyVault/vaults/kv-cpay-dev")
	if expired.Status != rules.Fail {
		t.Errorf("kv-cpay-dev keyvault-purge-protection = %s, want fail: its waiver expired", expired.Status)
	}
	if !slices.ContainsFunc(ev.Notes, func(n string) bool { return strings.Contains(n, "expired") && strings.Contains(n, "kv-cpay-dev") }) {
		t.Errorf("no note about the expired waiver on kv-cpay-dev; notes: %q", ev.Notes)
	}

	if len(p.Overrides) == 0 {
		t.Fatal("the example policy has no override")
	}
	ov := p.Overrides[0]
	rule := rules.Lookup(ov.Rule)
	want, err := rules.ParseSeverity(ov.Severity)
	if err != nil || rule == nil {
		t.Fatalf("override %+v: rule %v, severity error %v", ov, rule, err)
	}
	if want == rule.Severity {
		t.Errorf("the override of %s sets its default severity %s: it shows nothing", ov.Rule, want)
	}
	for _, r := range ev.Results {
		if r.Rule == ov.Rule && r.Severity != want {
			t.Errorf("%s on %s has severity %s, want %s from the override", r.Rule, r.Resource, r.Severity, want)
		}
	}

	const k2048 = "Microsoft.KeyVault/vaults/kv-cpay-pay-prod/keys/cmk-sql-payments"
	if got := one(base.Results, "key-strength", k2048).Status; got != rules.Pass {
		t.Errorf("RSA 2048 key-strength under the defaults = %s, want pass", got)
	}
	if got := one(ev.Results, "key-strength", k2048).Status; got != rules.Fail {
		t.Errorf("RSA 2048 key-strength under minRSABits 3072 = %s, want fail", got)
	}
}

// resultsFor returns the results of rule on resources whose id ends with
// "/"+suffix, compared case-insensitively.
func resultsFor(results []rules.Result, rule, suffix string) []rules.Result {
	suffix = "/" + strings.ToLower(suffix)
	var out []rules.Result
	for _, r := range results {
		if r.Rule == rule && strings.HasSuffix(strings.ToLower(r.Resource), suffix) {
			out = append(out, r)
		}
	}
	return out
}

// describe renders results for a failure message.
func describe(results []rules.Result) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "\n  %s %s %s: %s", r.Rule, r.Status, r.Resource, r.Message)
	}
	return b.String()
}
