package estate

import (
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestObjectAccessors(t *testing.T) {
	o := Object{
		"encryption":            Object{"keysource": "Microsoft.Keyvault", "keyvaultproperties": Object{"keyname": "cmk"}},
		"enablesoftdelete":      "True",
		"enablepurgeprotection": " false ",
		"enablerbac":            true,
		"notbool":               "yes",
		"number":                1.0,
		"keysize":               "3072",
		"fraction":              1.5,
		"blank":                 "   ",
		"empty":                 Object{},
		"null":                  nil,
		"list":                  []any{"a", 1.0, "b", nil},
		"f":                     false,
	}
	strs := []struct{ path, want string }{
		{"encryption.keySource", "Microsoft.Keyvault"},
		{"ENCRYPTION.KeyVaultProperties.KEYNAME", "cmk"},
		{"number", "1"},
		{"fraction", "1.5"},
		{"enablerbac", "true"},
		{"encryption", ""},
		{"list", ""},
		{"missing.path", ""},
		{"encryption.keysource.deeper", ""},
	}
	for _, c := range strs {
		if got := o.Str(c.path); got != c.want {
			t.Errorf("Str(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	bools := []struct {
		path  string
		v, ok bool
	}{
		{"enablesoftdelete", true, true},
		{"enablePurgeProtection", false, true},
		{"enablerbac", true, true},
		{"f", false, true},
		{"notbool", false, false},
		{"number", false, false},
		{"missing", false, false},
	}
	for _, c := range bools {
		if v, ok := o.Bool(c.path); v != c.v || ok != c.ok {
			t.Errorf("Bool(%q) = %v, %v; want %v, %v", c.path, v, ok, c.v, c.ok)
		}
	}
	nums := []struct {
		path string
		v    float64
		ok   bool
	}{{"keysize", 3072, true}, {"number", 1, true}, {"notbool", 0, false}, {"null", 0, false}, {"encryption", 0, false}}
	for _, c := range nums {
		if v, ok := o.Num(c.path); v != c.v || ok != c.ok {
			t.Errorf("Num(%q) = %v, %v; want %v, %v", c.path, v, ok, c.v, c.ok)
		}
	}
	has := map[string]bool{"encryption": true, "blank": false, "empty": false, "null": false, "missing": false, "f": true, "number": true, "list": true}
	for path, want := range has {
		if got := o.Has(path); got != want {
			t.Errorf("Has(%q) = %v, want %v", path, got, want)
		}
	}
	if o.Obj("encryption.keyvaultproperties").Str("keyname") != "cmk" || o.Obj("number") != nil || o.Obj("missing") != nil {
		t.Errorf("Obj does not return objects only")
	}
	if got := o.Strs("list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Strs = %v, want the strings only", got)
	}
	if o.List("encryption") != nil || len(o.List("list")) != 4 {
		t.Errorf("List does not return arrays only")
	}
	if !o.EqualFold("encryption.keysource", "MICROSOFT.KEYVAULT") || o.EqualFold("encryption.keysource", "Microsoft.Storage") {
		t.Errorf("EqualFold")
	}
	var nilObj Object
	if nilObj.Str("a") != "" || nilObj.Has("a") {
		t.Errorf("a nil Object must read as empty")
	}
}

func TestResourceTagAndIdentity(t *testing.T) {
	r := &Resource{Tags: Tags{{"DataClassification", "PCI"}}}
	if v, ok := r.Tag("dataclassification", "classification"); !ok || v != "PCI" {
		t.Errorf("Tag = %q, %v", v, ok)
	}
	if _, ok := r.Tag("owner"); ok {
		t.Errorf("Tag found a missing key")
	}
	id := &Identity{Type: NormaliseIdentityType("SystemAssigned, UserAssigned"),
		UserAssigned: []UserAssignedIdentity{{ResourceID: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u", ClientID: "c1"}}}
	if id.Type != "systemassigned,userassigned" || !id.SystemAssigned() || !id.Any() {
		t.Errorf("identity type %q", id.Type)
	}
	if _, ok := id.UserAssignedByID("/SUBSCRIPTIONS/S/resourceGroups/RG/providers/microsoft.managedidentity/userassignedidentities/U"); !ok {
		t.Errorf("UserAssignedByID must compare ids case-insensitively")
	}
	if _, ok := id.UserAssignedByClientID("C1"); !ok {
		t.Errorf("UserAssignedByClientID")
	}
	var none *Identity
	if none.Any() || none.SystemAssigned() {
		t.Errorf("a nil identity has no identity")
	}
}

// Lower returns what strings.ToLower does, and the string it was given when
// that is lower-case ASCII, whatever byte stands where in it.
func TestLower(t *testing.T) {
	in := []string{"", "a", "microsoft.compute/disks", "Microsoft.Compute/disks", "20a7f113-c951-96b8-4e5c-bee6a40025aa",
		"/SUBSCRIPTIONS/S", "abcdefgh@[`{", "äbcdefghij", "abcdefgh\u212a", "abcdefgh\x80", "İ"}
	for c := range 256 {
		for _, at := range []int{0, 3, 7, 8, 12} {
			b := []byte("abcdefghijklm")
			b[at] = byte(c)
			in = append(in, string(b))
		}
	}
	for _, s := range in {
		got, want := Lower(s), strings.ToLower(s)
		if got != want {
			t.Errorf("Lower(%q) = %q, want %q", s, got, want)
		}
		if want == s && unsafe.StringData(got) != unsafe.StringData(s) {
			t.Errorf("Lower(%q) made a copy", s)
		}
		// AppendLower appends the same after what the buffer holds.
		if got := string(AppendLower([]byte("ABC/"), s)); got != "ABC/"+want {
			t.Errorf("AppendLower(%q, %q) = %q, want %q", "ABC/", s, got, "ABC/"+want)
		}
	}
}
