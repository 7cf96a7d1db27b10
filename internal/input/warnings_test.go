package input

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrongTypedFieldsWarn(t *testing.T) {
	path := filepath.Join("testdata", "warnings", "wrong-types.json")
	rec := &recorder{}
	if err := ReadFile(context.Background(), path, rec); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line int
		msg  string
	}{
		{4, `"properties" is a PowerShell string`},
		{5, `"tags" is a JSON array, not an object`},
		{6, `"identity" is a JSON string, not an object`},
		{7, `"sku" is a JSON string, not an object`},
		{8, `"location" is a JSON object, not a string`},
		{11, `"properties" is a JSON array, not an object`},
		{12, `tag "nested" is a JSON object`},
		{13, `identity.userAssignedIdentities is a JSON array`},
		{13, `identity.type is the number 1`},
		{14, `object has no "id"`},
		{15, `the id is not an ARM resource id; type taken from the "type" member`},
		{15, `resource 42 has no properties`},
		{15, `"id" is a JSON number, not a string`},
		{16, `the id is not an ARM resource id and no type is given; skipped`},
		{17, `list element is a JSON string, not an object; skipped`},
		{18, `type "microsoft.storage/storageaccounts" differs from the type its id names (microsoft.keyvault/vaults)`},
		{19, `member "enablesoftdelete" appears again in one object`},
		{20, `member "properties" appears again`},
		{21, `has no properties`},
		{22, `number 1e999 is out of range`},
		{23, `"resources" is a JSON string, not a list`},
		{24, `Azure error response (AuthorizationFailed: The client does not have authorization)`},
		{25, `ARM deployment template`},
		{27, `is nested under /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv8 but its id does not lie below it`},
		{28, `element of "resources" is a JSON number, not a child resource`},
	}
	if len(rec.warnings) != len(want) {
		for _, w := range rec.warnings {
			t.Log(w)
		}
		t.Fatalf("%d warnings, want %d", len(rec.warnings), len(want))
	}
	for i, w := range want {
		got := rec.warnings[i]
		if got.Source.File != path || got.Source.Line != w.line || !strings.Contains(got.Message, w.msg) {
			t.Errorf("warning %d = %s, want %s:%d: …%s…", i, got, path, w.line, w.msg)
		}
	}
	// Wrong-typed members cost the member, never the resource.
	ids := map[string]bool{}
	for _, r := range rec.resources {
		ids[r.Name] = true
	}
	for _, name := range []string{"st1", "kv1", "42", "kv2", "kv3", "kv4", "kv5", "kv6", "kv7", "kv8", "k1", "vm1"} {
		if !ids[name] {
			t.Errorf("resource %s was dropped; read: %v", name, ids)
		}
	}
	for _, r := range rec.resources {
		switch r.Name {
		case "kv1":
			if tags := r.Tags.Map(); tags["count"] != "3" || tags["none"] != "" || tags["env"] != "prod" {
				t.Errorf("kv1 tags %v", r.Tags)
			}
			if r.Identity == nil || r.Identity.Type != "systemassigned" || r.Identity.PrincipalID != "aaaaaaaa-0000-0000-0000-000000000000" {
				t.Errorf("kv1 identity %+v", r.Identity)
			}
		case "vm1":
			if len(r.Props) != 0 || r.Type != "microsoft.compute/virtualmachines" {
				t.Errorf("vm1 %s properties %v: an unread type's properties should be passed over", r.Type, r.Props)
			}
		case "kv3":
			if b, _ := r.Props.Bool("enablesoftdelete"); b {
				t.Errorf("kv3: the later of two duplicate members should win")
			}
		}
	}
}

// TestPositionsMatchLines checks every position the reader reports against a
// line count of the input, in each shape.
func TestPositionsMatchLines(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.*json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("glob: %v (%d files)", err, len(files))
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			data := readTestFile(t, path)
			rec := &recorder{}
			_ = ReadFile(context.Background(), path, rec)
			checkPositions(t, data, rec)
		})
	}
}
