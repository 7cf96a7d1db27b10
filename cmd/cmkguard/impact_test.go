package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/impact"
)

// impactJSON runs cmkguard impact with --format json and decodes the answer.
func impactJSON(t *testing.T, args ...string) *impact.Impact {
	t.Helper()
	code, out, stderr := run(t, "", append(append([]string{"impact"}, args...), "--format", "json")...)
	if code != 0 {
		t.Fatalf("impact %v: exit %d: %s", args, code, stderr)
	}
	var im impact.Impact
	if err := json.Unmarshal([]byte(out), &im); err != nil {
		t.Fatalf("impact output is not JSON: %v\n%s", err, out)
	}
	return &im
}

func workloadNames(im *impact.Impact) []string {
	var out []string
	for _, w := range im.Workloads {
		out = append(out, w.Name)
	}
	return out
}

func holderNames(im *impact.Impact) []string {
	var out []string
	for _, h := range im.DiskEncryptionSets {
		out = append(out, h.Name)
	}
	return out
}

func identityLabels(im *impact.Impact) []string {
	var out []string
	for _, id := range im.Identities {
		out = append(out, id.Label+" → "+strings.Join(lastNamesOf(id.UsedBy), ","))
	}
	return out
}

func lastNamesOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = lastName(id)
	}
	return out
}

func reversibility(im *impact.Impact) string {
	var parts []string
	for _, c := range im.Consequences {
		parts = append(parts, c.Action+"="+c.Reversible)
	}
	return strings.Join(parts, " ")
}

func equalLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

const fixtureKeyA = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-a/keys/k1"

// TestImpactFixture checks the blast radius of the keys of testdata/impact
// exactly: a key used directly by a storage account and a Cosmos DB account
// and held by an idle disk encryption set; a key reached by a disk through a
// disk encryption set in a vault without soft delete; and a key whose vault
// is not in the snapshot.
func TestImpactFixture(t *testing.T) {
	// Every form of the key's name gives the same answer.
	for _, key := range []string{
		"https://kv-a.vault.azure.net/keys/k1",
		"https://KV-A.vault.azure.net/keys/K1/",
		"https://kv-a.vault.azure.net/keys/k1/00000000000000000000000000000001",
		"kv-a.vault.azure.net/keys/k1",
		fixtureKeyA,
	} {
		t.Run(key, func(t *testing.T) {
			im := impactJSON(t, key, "testdata/impact")
			if im.Key != "https://kv-a.vault.azure.net/keys/k1" || !im.InSnapshot || im.KeyID != fixtureKeyA {
				t.Errorf("key = %s in snapshot %v (%s)", im.Key, im.InSnapshot, im.KeyID)
			}
			equalLists(t, "workloads", workloadNames(im), []string{"sta", "cos-a"})
			equalLists(t, "disk encryption sets", holderNames(im), []string{"des-idle"})
			equalLists(t, "identities", identityLabels(im), []string{
				"user-assigned identity id-a → sta",
				"system-assigned identity of cos-a → cos-a",
				"system-assigned identity of des-idle → des-idle",
			})
			if v := im.Vault; !v.InSnapshot || v.Name != "kv-a" || v.SoftDelete == nil || !*v.SoftDelete || *v.PurgeProtection || v.RetentionDays != 30 {
				t.Errorf("vault = %+v", v)
			}
			if got := reversibility(im); got != "disable=yes delete=yes purge=no" {
				t.Errorf("consequences: %s", got)
			}
		})
	}

	t.Run("through a disk encryption set, no soft delete", func(t *testing.T) {
		im := impactJSON(t, "https://kv-c.vault.azure.net/keys/k3", "testdata/impact")
		equalLists(t, "workloads", workloadNames(im), []string{"disk-c"})
		if w := im.Workloads[0]; len(w.Via) != 1 || lastName(w.Via[0]) != "des-c" || w.Version != "fedcba9876543210fedcba9876543210" {
			t.Errorf("disk-c reaches the key via %v at version %q", w.Via, w.Version)
		}
		equalLists(t, "disk encryption sets", holderNames(im), []string{"des-c"})
		equalLists(t, "des-c users", lastNamesOf(im.DiskEncryptionSets[0].Users), []string{"disk-c"})
		equalLists(t, "identities", identityLabels(im), []string{"system-assigned identity of des-c → disk-c"})
		if got := reversibility(im); got != "disable=yes delete=no purge=no" {
			t.Errorf("consequences: %s", got)
		}
		if !strings.Contains(im.Consequences[1].Effect, "destroyed at once") {
			t.Errorf("delete: %s", im.Consequences[1].Effect)
		}
	})

	t.Run("pinned version, access-policy vault", func(t *testing.T) {
		im := impactJSON(t, "https://kv-b.vault.azure.net/keys/k2", "testdata/impact")
		equalLists(t, "workloads", workloadNames(im), []string{"sql-b"})
		if im.Workloads[0].Version != "0123456789abcdef0123456789abcdef" {
			t.Errorf("sql-b pins version %q", im.Workloads[0].Version)
		}
		if got := reversibility(im); got != "disable=yes delete=yes purge=yes" {
			t.Errorf("consequences: %s (purge protection is on)", got)
		}
	})

	t.Run("vault not in the snapshot", func(t *testing.T) {
		im := impactJSON(t, "https://kv-zz.vault.azure.net/keys/nothing", "testdata/impact")
		if im.InSnapshot || im.Vault.InSnapshot || len(im.Workloads) != 0 || len(im.DiskEncryptionSets) != 0 {
			t.Errorf("impact = %+v", im)
		}
		if got := reversibility(im); got != "disable=yes delete=unknown purge=unknown" {
			t.Errorf("consequences: %s", got)
		}
	})
}

func TestImpactTableAndErrors(t *testing.T) {
	code, out, stderr := run(t, "", "impact", "https://kv-a.vault.azure.net/keys/k1", "--input", "testdata/impact")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Vault kv-a: soft delete on (30 days), purge protection off", "Workloads that depend on the key (2)",
		"Disk encryption sets holding the key (1)", "des-idle", "purge:", "[reversible: no]"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for name, c := range map[string]struct {
		args   []string
		stderr string
	}{
		"not a key":     {[]string{"impact", "https://example.com/keys/x", "testdata/impact"}, "KEY"},
		"a vault id":    {[]string{"impact", "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv", "testdata/impact"}, "KEY"},
		"no input":      {[]string{"impact", "https://kv-a.vault.azure.net/keys/k1"}, "no input"},
		"no key":        {[]string{"impact"}, "arg"},
		"bad format":    {[]string{"impact", "https://kv-a.vault.azure.net/keys/k1", "testdata/impact", "--format", "xml"}, "--format"},
		"missing input": {[]string{"impact", "https://kv-a.vault.azure.net/keys/k1", "testdata/nope"}, "nope"},
	} {
		if code, _, stderr := run(t, "", c.args...); code != 2 || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d, stderr %q (want 2 and %q)", name, code, stderr, c.stderr)
		}
	}
}

// TestImpactExampleEstate checks the blast radius of keys of the bundled
// Contoso Pay estate (examples/README.md describes them).
func TestImpactExampleEstate(t *testing.T) {
	if _, err := os.Stat("../../examples/estate"); err != nil {
		t.Skip("examples/estate is not there")
	}
	const estatePath = "../../examples/estate"
	im := impactJSON(t, "https://kv-cpay-pay-prod.vault.azure.net/keys/cmk-disks-prod", estatePath)
	equalLists(t, "cmk-disks-prod workloads", workloadNames(im), []string{"disk-cpay-pay-01-os", "disk-cpay-pay-01-data01", "aks-cpay-payments-prod"})
	equalLists(t, "cmk-disks-prod disk encryption sets", holderNames(im), []string{"des-cpay-prod"})
	equalLists(t, "cmk-disks-prod identities", identityLabels(im), []string{
		"system-assigned identity of des-cpay-prod → disk-cpay-pay-01-os,disk-cpay-pay-01-data01,aks-cpay-payments-prod"})
	if got := reversibility(im); got != "disable=yes delete=yes purge=yes" {
		t.Errorf("cmk-disks-prod consequences: %s", got)
	}

	im = impactJSON(t, "https://kv-cpay-saas-prod.vault.azure.net/keys/cmk-tenant-shared", estatePath)
	equalLists(t, "cmk-tenant-shared workloads", workloadNames(im), []string{"stcpaysaasnorthwind", "cosmos-cpay-saas-fabrikam"})
	equalLists(t, "cmk-tenant-shared identities", identityLabels(im), []string{
		"user-assigned identity id-cpay-saas-cmk → stcpaysaasnorthwind,cosmos-cpay-saas-fabrikam"})

	im = impactJSON(t, "https://kv-cpay-legacy.vault.azure.net/keys/tde-ledger-2019", estatePath)
	equalLists(t, "tde-ledger-2019 workloads", workloadNames(im), []string{"sql-cpay-ledger-legacy"})
	if got := reversibility(im); got != "disable=yes delete=no purge=no" {
		t.Errorf("tde-ledger-2019 consequences: %s (kv-cpay-legacy has no soft delete)", got)
	}

	im = impactJSON(t, "https://hsm-cpay-prod.managedhsm.azure.net/keys/cmk-sql-core", estatePath)
	equalLists(t, "cmk-sql-core workloads", workloadNames(im), []string{"sql-cpay-core-prod"})
	if !im.Vault.HSM || !strings.Contains(im.Consequences[0].Recovery, "--hsm-name hsm-cpay-prod") {
		t.Errorf("Managed HSM key: vault %+v, recovery %q", im.Vault, im.Consequences[0].Recovery)
	}
}
