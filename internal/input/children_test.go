package input

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Children nested without an id (PowerShell exports of sub-resources, ARM
// template style "type": "keys", "name": "vault/key") get the id their parent
// implies, so that a SQL server's encryptionProtector and a vault's key link.
func TestNestedChildrenWithoutIDs(t *testing.T) {
	e := readEstate(t, filepath.Join("testdata", "children", "nested-without-ids.json"))
	if e.Stats.Resources != 5 {
		t.Errorf("%d resources read, want 5 (server, protector, firewall rule, vault, key)", e.Stats.Resources)
	}
	if len(e.Warnings) != 1 || e.Warnings[0].Source.Line != 21 || !strings.Contains(e.Warnings[0].Message, `no "id"`) {
		t.Errorf("warnings %v, want one at line 21 for the child whose type is not the parent's", e.Warnings)
	}
	if len(e.Workloads) != 1 {
		t.Fatalf("%d workloads, want the SQL server", len(e.Workloads))
	}
	w := e.Workloads[0]
	if w.Placeholder || w.CMK != estate.CMKCustomer || len(w.KeyRefs) != 1 {
		t.Fatalf("server: placeholder %v CMK %v refs %d", w.Placeholder, w.CMK, len(w.KeyRefs))
	}
	ref := w.KeyRefs[0]
	if ref.Key == nil || ref.Key.ID != "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-cmk/keys/cmk-sql" {
		t.Errorf("key ref %+v does not reach the nested key", ref)
	}
	if ref.Identity.PrincipalID != "66666666-6666-6666-6666-666666666666" {
		t.Errorf("identity %+v", ref.Identity)
	}
}

func TestChildID(t *testing.T) {
	vault := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	cases := []struct {
		obj  estate.Object
		want string
	}{
		{estate.Object{"type": "Microsoft.KeyVault/vaults/keys", "name": "k1"}, vault + "/keys/k1"},
		{estate.Object{"type": "MICROSOFT.KEYVAULT/VAULTS/KEYS", "name": "kv/k1"}, vault + "/KEYS/k1"},
		{estate.Object{"type": "keys", "name": "kv/k1"}, vault + "/keys/k1"},
		{estate.Object{"resourcetype": "Microsoft.KeyVault/vaults/accessPolicies", "resourcename": "add"}, vault + "/accessPolicies/add"},
		{estate.Object{"type": "Microsoft.KeyVault/vaults/keys/versions", "name": "v1"}, ""},
		{estate.Object{"type": "Microsoft.Web/sites/config", "name": "web"}, ""},
		{estate.Object{"type": "keys"}, ""},
		{estate.Object{"name": "k1"}, ""},
		{estate.Object{"type": "Microsoft.KeyVault/vaults/", "name": "k1"}, ""},
	}
	for _, c := range cases {
		got, ok := childID(c.obj, vault)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("childID(%v) = %q, %v; want %q", c.obj, got, ok, c.want)
		}
	}
	if _, ok := childID(estate.Object{"type": "keys", "name": "k"}, "not an id"); ok {
		t.Errorf("a child of a parent without an ARM id got an id")
	}
}
