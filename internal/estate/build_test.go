package estate

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// Test resources are written as ARM JSON and converted here the way a reader
// does (member names lower-cased, tag keys and identity ids kept), so that
// these tests need no input package.

const (
	tSub   = "/subscriptions/11111111-1111-1111-1111-111111111111"
	tRGKey = tSub + "/resourceGroups/rg-keys"
	tVault = tRGKey + "/providers/Microsoft.KeyVault/vaults/kv-cmk"
	tKey   = tVault + "/keys/k1"
	tUAMI  = tSub + "/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
)

func testObject(v any, keep bool) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(Object, len(x))
		for k, v := range x {
			name := k
			if !keep {
				name = Lower(k)
			}
			lk := Lower(k)
			o[name] = testObject(v, !keep && (lk == "tags" || lk == "userassignedidentities"))
		}
		return o
	case []any:
		for i := range x {
			x[i] = testObject(x[i], false)
		}
		return x
	}
	return v
}

// testResource converts one ARM resource written as JSON.
func testResource(t *testing.T, src string) *Resource {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatalf("test resource %s: %v", src, err)
	}
	o := testObject(m, false).(Object)
	r := &Resource{ID: o.Str("id"), Props: o.Obj("properties"), Source: Source{File: t.Name()}}
	if r.Props == nil {
		r.Props = Object{}
	}
	id, ok := ParseID(r.ID)
	if !ok {
		t.Fatalf("test resource id %q does not parse", r.ID)
	}
	r.Type, r.Name = id.Type, id.Name
	if tags := o.Obj("tags"); tags != nil {
		m := map[string]string{}
		for k, v := range tags {
			m[k], _ = v.(string)
		}
		r.Tags = MakeTags(m)
	}
	if i := o.Obj("identity"); i != nil {
		r.Identity = &Identity{Type: NormaliseIdentityType(i.Str("type")), PrincipalID: Lower(i.Str("principalid"))}
		for rid, v := range i.Obj("userassignedidentities") {
			u, _ := v.(Object)
			r.Identity.UserAssigned = append(r.Identity.UserAssigned,
				UserAssignedIdentity{ResourceID: rid, PrincipalID: Lower(u.Str("principalid")), ClientID: Lower(u.Str("clientid"))})
		}
	}
	return r
}

func testEstate(t *testing.T, resources ...string) *Estate {
	t.Helper()
	b := NewBuilder()
	for _, src := range resources {
		b.Add(testResource(t, src))
	}
	return b.Build()
}

func workload(t *testing.T, e *Estate, name string) *Workload {
	t.Helper()
	for _, w := range e.Workloads {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no workload %s", name)
	return nil
}

func oneRef(t *testing.T, w *Workload) *KeyRef {
	t.Helper()
	if len(w.KeyRefs) != 1 {
		t.Fatalf("%s: %d key refs, want 1: %+v", w.Name, len(w.KeyRefs), w.KeyRefs)
	}
	return w.KeyRefs[0]
}

var (
	rbacVault = `{"id": "` + tVault + `", "properties": {"vaultUri": "https://kv-cmk.vault.azure.net/", "enableRbacAuthorization": true, "enablePurgeProtection": true}}`
	key1      = `{"id": "` + tKey + `", "properties": {"kty": "RSA-HSM", "keySize": 3072, "attributes": {"enabled": true}}}`
)

func TestDiskFollowsItsEncryptionSetToTheKey(t *testing.T) {
	const rg = tSub + "/resourceGroups/rg-vm/providers/Microsoft.Compute/"
	e := testEstate(t, rbacVault, key1,
		`{"id": "`+rg+`diskEncryptionSets/des1", "identity": {"type": "SystemAssigned", "principalId": "DDDDDDDD-0000-0000-0000-000000000001"},
		  "properties": {"encryptionType": "EncryptionAtRestWithCustomerKey", "activeKey": {"keyUrl": "https://kv-cmk.vault.azure.net/keys/k1/0123", "sourceVault": {"id": "`+tVault+`"}}}}`,
		`{"id": "`+rg+`disks/disk-cmk", "properties": {"encryption": {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": "`+rg+`diskEncryptionSets/DES1"}}}`,
		`{"id": "`+rg+`disks/disk-lost", "properties": {"encryption": {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": "`+rg+`diskEncryptionSets/des-gone"}}}`,
		`{"id": "`+rg+`disks/disk-pmk", "properties": {"encryption": {"type": "EncryptionAtRestWithPlatformKey"}}}`,
		`{"id": "`+rg+`disks/disk-default", "properties": {}}`,
	)
	if len(e.EncryptionSets) != 1 || len(e.Workloads) != 4 {
		t.Fatalf("%d encryption sets and %d workloads, want 1 and 4 (a disk encryption set is not a workload)", len(e.EncryptionSets), len(e.Workloads))
	}
	disk := workload(t, e, "disk-cmk")
	ref := oneRef(t, disk)
	if disk.CMK != CMKCustomer || ref.Key == nil || ref.Key.Name != "k1" || ref.Vault == nil || ref.URI.Version != "0123" {
		t.Errorf("disk-cmk: CMK %v, ref %+v", disk.CMK, ref)
	}
	if len(ref.Via) != 1 || !strings.EqualFold(ref.Via[0], rg+"diskEncryptionSets/des1") || ref.Field != "properties.activeKey.keyUrl" {
		t.Errorf("disk-cmk: via %v field %s, want the encryption set and its activeKey", ref.Via, ref.Field)
	}
	if ref.Identity.Kind != IdentitySystem || ref.Identity.Holder != rg+"diskEncryptionSets/des1" || ref.Identity.PrincipalID != "dddddddd-0000-0000-0000-000000000001" {
		t.Errorf("disk-cmk: the key is reached by the encryption set's identity, got %+v", ref.Identity)
	}
	if !slices.Contains(ref.Key.Users, disk) {
		t.Errorf("the key does not list the disk among its users")
	}
	if lost := oneRef(t, workload(t, e, "disk-lost")); lost.Key != nil || !strings.Contains(lost.Unresolved, "is not in the snapshot") {
		t.Errorf("disk-lost: %+v, want an unresolved reference", lost)
	}
	for _, name := range []string{"disk-pmk", "disk-default"} {
		if w := workload(t, e, name); w.CMK != CMKPlatform || len(w.KeyRefs) != 0 {
			t.Errorf("%s: CMK %v with %d refs, want platform-managed", name, w.CMK, len(w.KeyRefs))
		}
	}
}

func TestSQLServerReadsItsEncryptionProtector(t *testing.T) {
	const servers = tSub + "/resourceGroups/rg-db/providers/Microsoft.Sql/servers/"
	e := testEstate(t, rbacVault, key1,
		`{"id": "`+servers+`sql-cmk", "identity": {"type": "SystemAssigned", "principalId": "5a1a1a1a-0000-0000-0000-000000000001"}, "properties": {"version": "12.0"}}`,
		`{"id": "`+servers+`sql-cmk/encryptionProtector/current", "properties": {"serverKeyType": "AzureKeyVault", "serverKeyName": "kv-cmk_k1_0123", "uri": "https://kv-cmk.vault.azure.net/keys/k1/0123"}}`,
		`{"id": "`+servers+`sql-pmk", "properties": {}}`,
		`{"id": "`+servers+`sql-pmk/encryptionProtector/current", "properties": {"serverKeyType": "ServiceManaged", "serverKeyName": "ServiceManaged"}}`,
		`{"id": "`+servers+`sql-nothing", "properties": {}}`,
		`{"id": "`+servers+`sql-only-protector/encryptionProtector/current", "properties": {"serverKeyType": "AzureKeyVault", "uri": "https://kv-cmk.vault.azure.net/keys/k1"}}`,
		`{"id": "`+servers+`sql-keyname/encryptionProtector/current", "properties": {"serverKeyType": "AzureKeyVault", "serverKeyName": "kv-cmk_k1_0456"}}`,
		`{"id": "`+servers+`sql-keyname", "identity": {"type": "SystemAssigned", "principalId": "5a1a1a1a-0000-0000-0000-000000000002"}, "properties": {}}`,
	)
	if len(e.Workloads) != 5 {
		t.Fatalf("%d workloads, want the 5 servers (protectors are not workloads)", len(e.Workloads))
	}
	sql := workload(t, e, "sql-cmk")
	ref := oneRef(t, sql)
	if sql.CMK != CMKCustomer || ref.Key == nil || ref.Field != "encryptionProtector.properties.uri" || ref.Identity.PrincipalID != "5a1a1a1a-0000-0000-0000-000000000001" {
		t.Errorf("sql-cmk: CMK %v, ref %+v", sql.CMK, ref)
	}
	if w := workload(t, e, "sql-pmk"); w.CMK != CMKPlatform {
		t.Errorf("sql-pmk: %v, want platform-managed", w.CMK)
	}
	if w := workload(t, e, "sql-nothing"); w.CMK != CMKUnknown {
		t.Errorf("sql-nothing: %v, want unknown without its encryptionProtector", w.CMK)
	}
	ph := workload(t, e, "sql-only-protector")
	if !ph.Placeholder || ph.CMK != CMKCustomer || oneRef(t, ph).Key == nil {
		t.Errorf("placeholder server: placeholder %v CMK %v ref %+v", ph.Placeholder, ph.CMK, ph.KeyRefs)
	}
	if id := oneRef(t, ph).Identity; id.PrincipalID != "" || !strings.Contains(id.Unknown, "not in the snapshot") {
		t.Errorf("placeholder server identity %+v, want unknown", id)
	}
	if ref := oneRef(t, workload(t, e, "sql-keyname")); ref.Key == nil || ref.URI.Version != "0456" || ref.Field != "encryptionProtector.properties.serverKeyName" {
		t.Errorf("serverKeyName VAULT_KEY_VERSION: %+v", ref)
	}
}

func TestWorkloadIdentityResolution(t *testing.T) {
	const st = tSub + "/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/"
	const ac = tSub + "/resourceGroups/rg-app/providers/Microsoft.AppConfiguration/configurationStores/"
	storage := func(name, identity, uai string) string {
		enc := `"keySource": "Microsoft.Keyvault", "keyvaultproperties": {"keyvaulturi": "https://kv-cmk.vault.azure.net/", "keyname": "k1"}`
		if uai != "" {
			enc += `, "identity": {"userAssignedIdentity": "` + uai + `"}`
		}
		if identity != "" {
			identity = `"identity": ` + identity + `, `
		}
		return `{"id": "` + st + name + `", ` + identity + `"properties": {"encryption": {` + enc + `}}}`
	}
	appConfig := func(name, identity, clientID string) string {
		return `{"id": "` + ac + name + `", "identity": ` + identity + `, "properties": {"encryption": {"keyVaultProperties": {
			"keyIdentifier": "https://kv-cmk.vault.azure.net/keys/k1", "identityClientId": "` + clientID + `"}}}}`
	}
	uamiRes := func(name, principal, client string) string {
		return `{"id": "` + tUAMI + name + `", "properties": {"principalId": "` + principal + `", "clientId": "` + client + `"}}`
	}
	e := testEstate(t, rbacVault, key1,
		uamiRes("uami-full", "a0000000-0000-0000-0000-000000000003", "c0000000-0000-0000-0000-000000000003"),
		uamiRes("uami-loose", "a0000000-0000-0000-0000-000000000005", "c0000000-0000-0000-0000-000000000005"),
		storage("st-system", `{"type": "SystemAssigned", "principalId": "A0000000-0000-0000-0000-000000000001"}`, ""),
		storage("st-none", "", ""),
		storage("st-system-noprincipal", `{"type": "SystemAssigned"}`, ""),
		storage("st-user", `{"type": "UserAssigned", "userAssignedIdentities": {"`+tUAMI+`uami-a": {"principalId": "a0000000-0000-0000-0000-000000000002", "clientId": "c0000000-0000-0000-0000-000000000002"}}}`,
			strings.ToUpper(tUAMI)+"UAMI-A"),
		storage("st-user-from-resource", `{"type": "UserAssigned", "userAssignedIdentities": {"`+tUAMI+`uami-full": {}}}`, tUAMI+"uami-full"),
		storage("st-user-detached", `{"type": "UserAssigned", "userAssignedIdentities": {"`+tUAMI+`uami-a": {"principalId": "a0000000-0000-0000-0000-000000000002"}}}`, tUAMI+"uami-b"),
		appConfig("ac-client", `{"type": "UserAssigned", "userAssignedIdentities": {"`+tUAMI+`uami-c": {"principalId": "a0000000-0000-0000-0000-000000000004", "clientId": "C0000000-0000-0000-0000-000000000004"}}}`,
			"c0000000-0000-0000-0000-000000000004"),
		appConfig("ac-client-detached", `{"type": "SystemAssigned", "principalId": "a0000000-0000-0000-0000-000000000009"}`, "c0000000-0000-0000-0000-000000000005"),
		appConfig("ac-client-unknown", `{"type": "SystemAssigned", "principalId": "a0000000-0000-0000-0000-000000000009"}`, "c0000000-0000-0000-0000-000000000099"),
	)
	cases := []struct {
		workload, principal, problem, unknown string
		kind                                  IdentityKind
	}{
		{"st-system", "a0000000-0000-0000-0000-000000000001", "", "", IdentitySystem},
		{"st-none", "", "has none", "", IdentitySystem},
		{"st-system-noprincipal", "", "", "principalId is not in the snapshot", IdentitySystem},
		{"st-user", "a0000000-0000-0000-0000-000000000002", "", "", IdentityUser},
		{"st-user-from-resource", "a0000000-0000-0000-0000-000000000003", "", "", IdentityUser},
		{"st-user-detached", "", "is not attached", "", IdentityUser},
		{"ac-client", "a0000000-0000-0000-0000-000000000004", "", "", IdentityUser},
		{"ac-client-detached", "", "is not attached", "", IdentityUser},
		{"ac-client-unknown", "", "", "no identity with client id", IdentityUser},
	}
	for _, c := range cases {
		t.Run(c.workload, func(t *testing.T) {
			ref := oneRef(t, workload(t, e, c.workload))
			id := ref.Identity
			if ref.Key == nil {
				t.Errorf("key not linked: %+v", ref)
			}
			if id.Kind != c.kind || id.PrincipalID != c.principal ||
				(c.problem == "") != (id.Problem == "") || !strings.Contains(id.Problem, c.problem) ||
				(c.unknown == "") != (id.Unknown == "") || !strings.Contains(id.Unknown, c.unknown) {
				t.Errorf("identity %+v, want kind %s principal %q problem ~%q unknown ~%q", id, c.kind, c.principal, c.problem, c.unknown)
			}
		})
	}
	if id := oneRef(t, workload(t, e, "ac-client")).Identity; !strings.EqualFold(id.ResourceID, tUAMI+"uami-c") {
		t.Errorf("a client id resolves to its identity's resource id, got %q", id.ResourceID)
	}
	if !e.ManagedIdentityPrincipal("A0000000-0000-0000-0000-000000000001") || !e.ManagedIdentityPrincipal("a0000000-0000-0000-0000-000000000005") ||
		e.ManagedIdentityPrincipal("b0000000-0000-0000-0000-000000000000") {
		t.Errorf("ManagedIdentityPrincipal does not know the snapshot's managed identities")
	}
}

func TestKeyAttributesAndVaultDefaults(t *testing.T) {
	e := testEstate(t,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/vaults/kv-defaults", "properties": {}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/vaults/kv-defaults/keys/unix", "properties": {"attributes": {"exp": 1830297600, "nbf": "1767225600", "created": 1767225600}}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/vaults/kv-defaults/keys/iso", "properties": {"attributes": {"enabled": "False", "expires": "2028-01-01T00:00:00Z", "notBefore": "garbage"}}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/managedHSMs/hsm1", "properties": {"hsmUri": "https://hsm1.managedhsm.azure.net/"}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/managedHSMs/hsm1/keys/hk", "properties": {"kty": "RSA-HSM"}}`,
	)
	if len(e.Vaults) != 2 || len(e.Keys) != 3 {
		t.Fatalf("%d vaults and %d keys", len(e.Vaults), len(e.Keys))
	}
	v := e.Vaults[0]
	if !v.SoftDelete || v.PurgeProtection || v.RBAC || v.HSM {
		t.Errorf("absent properties must mean the platform defaults: %+v", v)
	}
	if hsm := e.Vaults[1]; !hsm.HSM || !hsm.RBAC || hsm.Host != "hsm1.managedhsm.azure.net" || len(hsm.Keys) != 1 || !hsm.Keys[0].HSMKey {
		t.Errorf("managed HSM: %+v", hsm)
	}
	unix, iso := e.Keys[0], e.Keys[1]
	if !unix.Enabled || unix.Expires.Unix() != 1830297600 || unix.NotBefore.Unix() != 1767225600 || unix.Created.Unix() != 1767225600 || unix.Vault != v {
		t.Errorf("unix key: %+v", unix)
	}
	if iso.Enabled || iso.Expires.Unix() != 1830297600 || !iso.NotBefore.IsZero() {
		t.Errorf("iso key: enabled %v expires %v notBefore %v", iso.Enabled, iso.Expires, iso.NotBefore)
	}
	found := false
	for _, w := range e.Warnings {
		found = found || strings.Contains(w.Message, `"garbage"`)
	}
	if !found {
		t.Errorf("an unreadable key time must be warned about: %v", e.Warnings)
	}
	if got := e.FindKey(KeyURI{Vault: "hsm1", HSM: true, Name: "hk"}); got == nil {
		t.Errorf("FindKey does not find the HSM key")
	}
	if got := e.FindKey(KeyURI{Vault: "hsm1", Name: "hk"}); got != nil {
		t.Errorf("a vault reference must not find a Managed HSM key of the same name")
	}
	if got := e.FindVault(KeyURI{Host: "kv-defaults.vault.azure.cn", Vault: "kv-defaults"}); got != e.Vaults[0] {
		t.Errorf("a vault without a vaultUri is found by name")
	}
}

// An export that kept a disk's encryption set but dropped encryption.type
// still describes a customer-managed key, and a key reference to a host of no
// known cloud is unresolved rather than malformed.
func TestTrimmedDiskAndForeignKeyHost(t *testing.T) {
	const rg = tSub + "/resourceGroups/rg-vm/providers/Microsoft.Compute/"
	e := testEstate(t, rbacVault, key1,
		`{"id": "`+rg+`diskEncryptionSets/des1", "identity": {"type": "SystemAssigned", "principalId": "dddddddd-0000-0000-0000-000000000001"},
		  "properties": {"activeKey": {"keyUrl": "https://kv-cmk.vault.azure.net/keys/k1/0123"}}}`,
		`{"id": "`+rg+`disks/disk-des-only", "properties": {"encryption": {"diskEncryptionSetId": "`+rg+`diskEncryptionSets/des1"}}}`,
		`{"id": "`+tSub+`/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-int", "properties": {"keyVaultKeyUri": "https://kv.vault-int.azure-int.net/keys/k"}}`,
	)
	disk := workload(t, e, "disk-des-only")
	if ref := oneRef(t, disk); disk.CMK != CMKCustomer || ref.Key == nil || ref.Key.Name != "k1" {
		t.Errorf("disk-des-only: CMK %v, ref %+v; want a customer key followed through the set", disk.CMK, ref)
	}
	ref := oneRef(t, workload(t, e, "cosmos-int"))
	if ref.ParseErr != "" || !strings.Contains(ref.Unresolved, "known cloud") {
		t.Errorf("cosmos-int: ParseErr %q Unresolved %q; want unresolved, not malformed", ref.ParseErr, ref.Unresolved)
	}
}

// Resources no rule reads still tell which object ids are managed identities,
// and a resource given twice is reported, not replaced silently.
func TestBuilderNotesIdentitiesAndDuplicates(t *testing.T) {
	vm := `{"id": "` + tSub + `/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm1",
	        "identity": {"type": "SystemAssigned", "principalId": "EEEEEEEE-0000-0000-0000-000000000001"}, "properties": {}}`
	e := testEstate(t, vm, rbacVault, rbacVault)
	if e.Stats.Skipped != 1 || !e.ManagedIdentityPrincipal("eeeeeeee-0000-0000-0000-000000000001") {
		t.Errorf("skipped %d; the VM's identity should be known as a managed identity", e.Stats.Skipped)
	}
	if len(e.Vaults) != 1 || len(e.Warnings) != 1 || !strings.Contains(e.Warnings[0].Message, "1 resources were given more than once") {
		t.Errorf("vaults %d, warnings %v; want one vault and one warning about the duplicate", len(e.Vaults), e.Warnings)
	}
}

// A resource given more than once keeps its last copy, in the place of its
// first, whatever comes between; the warning counts the copies replaced and
// names the first.
func TestBuilderKeepsLastCopy(t *testing.T) {
	const rg = tSub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/"
	acct := func(name, src string, line int) *Resource {
		return &Resource{ID: rg + name, Type: "microsoft.storage/storageaccounts", Name: name,
			Props: Object{"encryption": Object{"keysource": src}}, Source: Source{File: "f", Line: line}}
	}
	for _, tc := range []struct {
		name  string
		added []*Resource
		want  []string // "name keySource" of each workload, in order
		warn  string
	}{
		{"none", []*Resource{acct("a", "Microsoft.Storage", 1), acct("b", "Microsoft.Storage", 2)},
			[]string{"a Microsoft.Storage", "b Microsoft.Storage"}, ""},
		{"three copies", []*Resource{acct("a", "x1", 1), acct("b", "x1", 2), acct("A", "x2", 3), acct("c", "x1", 4),
			acct("a", "x3", 5), acct("b", "x2", 6)},
			[]string{"a x3", "b x2", "c x1"}, "3 resources were given more than once; the later copy of each was used (first: " + rg + "A (f:1, again at f:3))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder()
			for _, r := range tc.added {
				b.Add(r)
			}
			e := b.Build()
			var got []string
			for _, w := range e.Workloads {
				got = append(got, w.Name+" "+w.Evidence["keySource"])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("workloads %q, want %q", got, tc.want)
			}
			var warned string
			if len(e.Warnings) > 0 {
				warned = e.Warnings[0].Message
			}
			if len(e.Warnings) > 1 || warned != tc.warn {
				t.Errorf("warnings %v, want %q", e.Warnings, tc.warn)
			}
			for _, w := range e.Workloads {
				if r := e.Resource(strings.ToUpper(w.ID)); r != w.Resource {
					t.Errorf("Resource(%s) is %v, not the workload's", w.ID, r)
				}
			}
		})
	}
}

// TestBuilderSharesEqualMaps: resources with equal tags, and workloads with
// equal evidence, share one map; different ones keep their own, and the
// contents are untouched.
func TestBuilderSharesEqualMaps(t *testing.T) {
	b := NewBuilder()
	add := func(name string, tags map[string]string) *Resource {
		r := &Resource{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/" + name,
			Type: "microsoft.storage/storageaccounts", Tags: MakeTags(tags), Props: Object{}}
		b.Add(r)
		return r
	}
	a := add("a", map[string]string{"env": "prod", "tenant": "t1"})
	c := add("c", map[string]string{"tenant": "t1", "env": "prod"})
	d := add("d", map[string]string{"tenant": "t2", "env": "prod"})
	f := add("f", map[string]string{"env": "prodtenant", "": "t1"}) // the same bytes, split elsewhere
	g := add("g", nil)
	h := add("h", map[string]string{})
	i := add("i", map[string]string{"env": "prod", "tenant": "t1"}) // equal to tags not added last
	same := func(x, y map[string]string) bool {
		return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	}
	sameTags := func(x, y Tags) bool { return len(x) > 0 && len(x) == len(y) && &x[0] == &y[0] }
	get := func(t Tags, k string) string { v, _ := t.Get(k); return v }
	switch {
	case !sameTags(a.Tags, c.Tags) || !sameTags(a.Tags, i.Tags):
		t.Error("equal tags are not shared")
	case h.Tags == nil || len(h.Tags) != 0:
		t.Errorf("empty tags became %#v", h.Tags)
	case sameTags(a.Tags, d.Tags) || sameTags(a.Tags, f.Tags):
		t.Error("different tags are shared")
	case g.Tags != nil:
		t.Error("no tags became tags")
	case get(d.Tags, "tenant") != "t2" || get(f.Tags, "") != "t1" || len(a.Tags) != 2:
		t.Errorf("tags changed: %v %v %v", a.Tags, d.Tags, f.Tags)
	}
	e := b.Build()
	if m := e.TagMap(a.Tags); !same(m, e.TagMap(c.Tags)) || same(m, e.TagMap(d.Tags)) || m["env"] != "prod" || len(m) != 2 {
		t.Errorf("TagMap: %v, %v", m, e.TagMap(d.Tags))
	}
	if len(e.Workloads) != 7 {
		t.Fatalf("%d workloads", len(e.Workloads))
	}
	if w0, w1 := e.Workloads[0], e.Workloads[1]; !same(w0.Evidence, w1.Evidence) || w0.Evidence["keySource"] != "Microsoft.Storage" {
		t.Errorf("equal evidence is not shared: %v %v", w0.Evidence, w1.Evidence)
	}
}

// TestDisksShareHolderRefs: disks behind one disk encryption set share its
// resolved references, and the key lists each disk once as a user.
func TestDisksShareHolderRefs(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/rg/providers/"
	b := NewBuilder()
	for _, src := range []string{
		`{"id": "` + rg + `Microsoft.KeyVault/vaults/kv1", "properties": {"vaultUri": "https://kv1.vault.azure.net/"}}`,
		`{"id": "` + rg + `Microsoft.KeyVault/vaults/kv1/keys/k1", "properties": {}}`,
		`{"id": "` + rg + `Microsoft.Compute/diskEncryptionSets/des1", "identity": {"type": "SystemAssigned", "principalId": "p1"},
		  "properties": {"activeKey": {"keyUrl": "https://kv1.vault.azure.net/keys/k1/v1"}}}`,
		`{"id": "` + rg + `Microsoft.Compute/disks/d1", "properties": {"encryption": {"diskEncryptionSetId": "` + rg + `Microsoft.Compute/diskEncryptionSets/des1"}}}`,
		`{"id": "` + rg + `Microsoft.Compute/disks/d2", "properties": {"encryption": {"diskEncryptionSetId": "` + rg + `Microsoft.Compute/diskEncryptionSets/des1"}}}`,
		`{"id": "` + rg + `Microsoft.Compute/disks/d3", "properties": {"encryption": {"diskEncryptionSetId": "` + rg + `Microsoft.Compute/diskEncryptionSets/des2"}}}`,
	} {
		b.Add(testResource(t, src))
	}
	e := b.Build()
	if len(e.Workloads) != 3 || len(e.Keys) != 1 {
		t.Fatalf("%d workloads, %d keys", len(e.Workloads), len(e.Keys))
	}
	d1, d2, d3 := e.Workloads[0], e.Workloads[1], e.Workloads[2]
	switch {
	case len(d1.KeyRefs) != 1 || d1.KeyRefs[0] != d2.KeyRefs[0]:
		t.Errorf("disks of one set do not share its reference: %v %v", d1.KeyRefs, d2.KeyRefs)
	case d1.KeyRefs[0].Key != e.Keys[0] || d1.KeyRefs[0].Identity.PrincipalID != "p1":
		t.Errorf("shared reference not resolved: %+v", d1.KeyRefs[0])
	case len(d3.KeyRefs) != 1 || d3.KeyRefs[0].Unresolved == "":
		t.Errorf("disk of a missing set: %+v", d3.KeyRefs)
	case len(e.Keys[0].Users) != 2 || e.Keys[0].Users[0] != d1 || e.Keys[0].Users[1] != d2:
		t.Errorf("key users %v", e.Keys[0].Users)
	}
}

// TestRoleAssignmentsShareStrings: role assignments of one scope, principal
// and role share one copy of each lower-cased string.
func TestRoleAssignmentsShareStrings(t *testing.T) {
	b := NewBuilder()
	for _, name := range []string{"a1", "a2"} {
		b.Add(testResource(t, `{"id": "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/`+name+`",
			"properties": {"scope": "/subscriptions/S/resourceGroups/RG", "principalId": "P1",
			"roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ABC"}}`))
	}
	// Written in other cases, or with a trailing slash, they read the same.
	b.Add(testResource(t, `{"id": "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a3",
		"properties": {"scope": "/SUBSCRIPTIONS/S/resourceGroups/rg/", "principalId": "p1", "roleDefinitionId": " abc "}}`))
	b.Add(testResource(t, `{"id": "/subscriptions/S/providers/Microsoft.Authorization/roleAssignments/a4",
		"properties": {"principalId": "P1", "roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ABC"}}`))
	e := b.Build()
	if len(e.RoleAssignments) != 4 {
		t.Fatalf("%d role assignments", len(e.RoleAssignments))
	}
	x, y, z := e.RoleAssignments[0], e.RoleAssignments[1], e.RoleAssignments[2]
	for _, ra := range e.RoleAssignments[:3] {
		if ra.Scope != "/subscriptions/s/resourcegroups/rg" || ra.PrincipalID != "p1" || ra.RoleID != "abc" {
			t.Errorf("%s: read %q %q %q", ra.ID, ra.Scope, ra.PrincipalID, ra.RoleID)
		}
	}
	if s := e.RoleAssignments[3].Scope; s != "/subscriptions/s" {
		t.Errorf("scope from the id: %q", s)
	}
	// A principal written in lower case is kept as written; lower-case
	// copies of one written otherwise are shared.
	for _, p := range [][2]string{{x.Scope, y.Scope}, {x.PrincipalID, y.PrincipalID}, {x.RoleID, y.RoleID},
		{x.Scope, z.Scope}, {x.RoleID, z.RoleID}, {x.PrincipalID, e.RoleAssignments[3].PrincipalID}} {
		if unsafe.StringData(p[0]) != unsafe.StringData(p[1]) {
			t.Errorf("%q is not shared", p[0])
		}
	}
}

// Build lets go of the properties of vaults, keys, diagnostic settings, event
// subscriptions and apps once read; what rules read of them stays, as written.
func TestReleasedPropertiesKeepWhatRulesRead(t *testing.T) {
	const kv = tRGKey + "/providers/Microsoft.KeyVault/vaults/kv-w"
	const site = tSub + "/resourceGroups/rg-web/providers/Microsoft.Web/sites/"
	e := testEstate(t,
		`{"id": "`+kv+`", "properties": {"enableSoftDelete": "yes", "softDeleteRetentionInDays": 7, "enableRbacAuthorization": false,
			"initialAdminObjectIds": ["A", 1], "networkAcls": {"defaultAction": "Deny", "ipRules": [{}, {}], "virtualNetworkRules": [{}]},
			"privateEndpointConnections": [{"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}},
				{"privateLinkServiceConnectionState": {"status": "approved"}}, {}, {"properties": {"privateLinkServiceConnectionState": {"status": "Pending"}}}, 3]}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.KeyVault/vaults/kv-bare"}`,
		`{"id": "`+kv+`/keys/read", "properties": {"keyUriWithVersion": "https://kv-w.vault.azure.net/keys/read/v1", "keyOps": [], "attributes": {"exp": 1830297600, "created": 1767225600}}}`,
		`{"id": "`+kv+`/keys/unread", "properties": {"exp": 5, "attributes": {"expires": "soon", "notBefore": true}}}`,
		`{"id": "`+kv+`/providers/microsoft.insights/diagnosticSettings/d1", "properties": {"metrics": [{"enabled": true}]}}`,
		`{"id": "`+kv+`/providers/microsoft.insights/diagnosticSettings/d2", "properties": {"metrics": []}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.EventGrid/eventSubscriptions/s1", "properties": {"provisioningState": "Failed"}}`,
		`{"id": "`+site+`app1", "properties": {"keyVaultReferenceIdentity": "SystemAssigned", "siteConfig": {"numberOfWorkers": 1}}}`,
		`{"id": "`+site+`app2", "properties": {"keyVaultReferenceIdentity": "SystemAssigned"}}`,
		`{"id": "`+site+`app3", "properties": {"siteConfig": {}}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.EventGrid/systemTopics/t1", "properties": {"source": "`+kv+`"}}`,
		`{"id": "`+tRGKey+`/providers/Microsoft.EventGrid/systemTopics/t1/eventSubscriptions/s2"}`,
		`{"id": "`+tUAMI+`uami-1", "properties": {"principalId": "P", "clientId": "C"}}`,
		`{"id": "`+tSub+`", "properties": {"managementGroupAncestorsChain": [{"name": "MG"}]}}`,
		`{"id": "/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000001", "properties": {"roleName": "R"}}`,
	)
	v, bare := e.Vaults[0], e.Vaults[1]
	want := VaultSettings{Properties: true, EnableSoftDelete: "yes", SoftDeleteRetentionInDays: 7.0, EnableRBACAuthorization: false,
		DefaultAction: "Deny", NetworkACLs: true, IPRules: 2, VirtualNetworkRules: 1, ApprovedEndpoints: 2, UnstatedEndpoints: 1,
		InitialAdmins: []string{"A"}}
	if !reflect.DeepEqual(v.Written, want) {
		t.Errorf("vault settings\n got %+v\nwant %+v", v.Written, want)
	}
	if !reflect.DeepEqual(bare.Written, VaultSettings{}) {
		t.Errorf("a vault without properties: %+v", bare.Written)
	}
	read, unread := e.Keys[0], e.Keys[1]
	if !read.Attributes || !read.Detailed || read.Version != "v1" || read.Written != nil {
		t.Errorf("key read: attributes %v detailed %v version %q written %+v", read.Attributes, read.Detailed, read.Version, read.Written)
	}
	wantTimes := KeyTimes{Exp: "soon", NotBefore: true, MisplacedExp: 5.0}
	if !unread.Attributes || unread.Detailed || unread.Version != "" || unread.Written == nil || *unread.Written != wantTimes {
		t.Errorf("key unread: attributes %v detailed %v version %q written %+v", unread.Attributes, unread.Detailed, unread.Version, unread.Written)
	}
	if !e.Diagnostics[0].Metrics || e.Diagnostics[1].Metrics {
		t.Errorf("metrics: %v, %v", e.Diagnostics[0].Metrics, e.Diagnostics[1].Metrics)
	}
	if s := e.EventSubs[0]; s.ProvisioningState != "Failed" {
		t.Errorf("event subscription state %q", s.ProvisioningState)
	}
	if e.RoleName("00000000-0000-0000-0000-000000000001") != "R" || !slices.Equal(e.mgAncestors["11111111-1111-1111-1111-111111111111"], []string{"mg"}) ||
		e.uaiByClientID["c"] == nil || len(v.EventSubs) != 1 || v.EventSubs[0].Name != "s2" {
		t.Errorf("a role definition, subscription, identity or topic was not read before its properties went")
	}
	for _, r := range e.all {
		if r.Type != "microsoft.web/sites" && len(r.Props) > 0 {
			t.Errorf("%s keeps its properties", r.ID)
		}
	}
	a1, a2, a3 := e.Apps[0].Props, e.Apps[1].Props, e.Apps[2].Props
	if len(a1) != 1 || a1.Str("keyvaultreferenceidentity") != "SystemAssigned" || reflect.ValueOf(a1).UnsafePointer() != reflect.ValueOf(a2).UnsafePointer() || len(a3) != 0 {
		t.Errorf("app properties: %v, %v, %v", a1, a2, a3)
	}
}

// TestEvidenceOf: evidence read as name, value pairs while resources are
// added is one map for equal pairs in any order, whether it was handed out
// last or before, and the same map shareEvidence gives.
func TestEvidenceOf(t *testing.T) {
	b := NewBuilder()
	same := func(x, y map[string]string) bool {
		return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	}
	ab := b.evidenceOf([]string{"a", "1", "b", "2"})
	if !reflect.DeepEqual(ab, map[string]string{"a": "1", "b": "2"}) {
		t.Fatalf("evidenceOf made %v", ab)
	}
	if ba := b.evidenceOf([]string{"b", "2", "a", "1"}); !same(ab, ba) {
		t.Error("the same pairs in another order are another map")
	}
	a := b.evidenceOf([]string{"a", "1"})
	tests := []struct {
		kv   []string
		want map[string]string
	}{
		{[]string{"a", "1", "b", "2"}, ab},
		{[]string{"a", "1"}, a},
		{[]string{"a", "1", "b", "3"}, nil},
	}
	for _, tt := range tests {
		got := b.evidenceOf(tt.kv)
		switch {
		case tt.want != nil && !same(got, tt.want):
			t.Errorf("evidenceOf(%q) is not the map handed out before", tt.kv)
		case tt.want == nil && (same(got, ab) || same(got, a) || !reflect.DeepEqual(got, makeEvidence(tt.kv))):
			t.Errorf("evidenceOf(%q) = %v", tt.kv, got)
		}
	}
	if m := b.shareEvidence(map[string]string{"a": "1"}); !same(m, a) {
		t.Error("shareEvidence does not give the map evidenceOf handed out")
	}
}
