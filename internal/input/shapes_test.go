package input

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// The shape contract: one small estate (a vault with a key, a storage account
// using that key through a user-assigned identity, the identity, a role
// assignment and a diagnostic setting on the vault) written in every input
// shape must read into the same model. testdata/shapes holds one rendering
// per shape; variants that are pure re-encodings are made here.

// shapeInputs returns the shapes by name: each reads into a fresh estate.
func shapeInputs(t *testing.T) map[string]func(t *testing.T) *estate.Estate {
	t.Helper()
	dir := filepath.Join("testdata", "shapes")
	paths := func(p ...string) func(t *testing.T) *estate.Estate {
		return func(t *testing.T) *estate.Estate {
			for i := range p {
				p[i] = filepath.Join(dir, p[i])
			}
			return readEstate(t, p...)
		}
	}
	bytesOf := func(name string, conv func([]byte) []byte) func(t *testing.T) *estate.Estate {
		return func(t *testing.T) *estate.Estate {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			b := estate.NewBuilder()
			if err := Read(context.Background(), name, bytes.NewReader(conv(data)), b); err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			return b.Build()
		}
	}
	return map[string]func(t *testing.T) *estate.Estate{
		"array":                  paths("array.json"),
		"ARM list value":         paths("value.json"),
		"Resource Graph data":    paths("graph.json"),
		"az graph query":         paths("graph-cli.json"),
		"Resource Graph table":   paths("graph-table.json"),
		"NDJSON with header":     paths("snapshot.ndjson"),
		"single-object files":    paths("single"),
		"az CLI show and list":   paths("azcli"),
		"PowerShell export":      paths("powershell.json"),
		"mixed-case names":       paths("mixedcase.json"),
		"PowerShell UTF-16LE":    bytesOf("powershell.json", func(b []byte) []byte { return toUTF16(b, false, true) }),
		"array UTF-16BE, no BOM": bytesOf("array.json", func(b []byte) []byte { return toUTF16(b, true, false) }),
		"array UTF-8 BOM":        bytesOf("array.json", func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), b...) }),
		"NDJSON on stdin": func(t *testing.T) *estate.Estate {
			f, err := os.Open(filepath.Join(dir, "snapshot.ndjson"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := estate.NewBuilder()
			if err := ReadPaths(context.Background(), []string{"-"}, f, b); err != nil {
				t.Fatal(err)
			}
			return b.Build()
		},
		"ARM list pages in one array": bytesOf("array.json", func(b []byte) []byte {
			// jq -s over two saved pages of an ARM list.
			var out bytes.Buffer
			items := splitTopLevel(t, b)
			fmt.Fprintf(&out, "[{\"value\": [%s], \"nextLink\": \"https://management.azure.com/next\"},\n {\"value\": [%s]}]",
				strings.Join(items[:3], ","), strings.Join(items[3:], ","))
			return out.Bytes()
		}),
	}
}

func readEstate(t *testing.T, paths ...string) *estate.Estate {
	t.Helper()
	b := estate.NewBuilder()
	if err := ReadPaths(context.Background(), paths, nil, b); err != nil {
		t.Fatalf("read %v: %v", paths, err)
	}
	return b.Build()
}

func TestShapesReadIntoTheSameEstate(t *testing.T) {
	want := summary(readEstate(t, filepath.Join("testdata", "shapes", "array.json")))
	for name, read := range shapeInputs(t) {
		t.Run(name, func(t *testing.T) {
			e := read(t)
			for _, w := range e.Warnings {
				t.Errorf("warning: %s", w)
			}
			if got := summary(e); got != want {
				t.Errorf("model differs from the array shape's\n--- got\n%s\n--- want\n%s", got, want)
			}
			// Tag keys keep their case in every shape.
			for _, w := range e.Workloads {
				if _, ok := w.Tags.Get("dataClassification"); !ok {
					t.Errorf("%s: tag key case lost: %v", w.ID, w.Tags)
				}
			}
		})
	}
}

// TestShapeEstateContent pins what the shared estate must link to, so the
// contract test cannot pass with every shape equally broken.
func TestShapeEstateContent(t *testing.T) {
	e := readEstate(t, filepath.Join("testdata", "shapes", "array.json"))
	if e.Stats.Resources != 6 || e.Stats.Skipped != 0 {
		t.Errorf("stats = %+v, want 6 resources, none skipped", e.Stats)
	}
	if len(e.Workloads) != 1 || len(e.Vaults) != 1 || len(e.Keys) != 1 || len(e.RoleAssignments) != 1 || len(e.Diagnostics) != 1 {
		t.Fatalf("workloads %d vaults %d keys %d role assignments %d diagnostics %d, want 1 each",
			len(e.Workloads), len(e.Vaults), len(e.Keys), len(e.RoleAssignments), len(e.Diagnostics))
	}
	w, v, k := e.Workloads[0], e.Vaults[0], e.Keys[0]
	if w.CMK != estate.CMKCustomer || len(w.KeyRefs) != 1 {
		t.Fatalf("workload %s: CMK %v with %d key refs", w.Name, w.CMK, len(w.KeyRefs))
	}
	ref := w.KeyRefs[0]
	if ref.Key != k || ref.Vault != v || ref.Identity.PrincipalID != "77777777-7777-7777-7777-777777777777" || ref.Identity.Problem != "" {
		t.Errorf("key ref not linked: %+v", ref)
	}
	if !v.RBAC || !v.PurgeProtection || !v.SoftDelete || v.Host != "kv-cmk.vault.azure.net" || v.DefaultAction != "Deny" || len(v.Diagnostics) != 1 {
		t.Errorf("vault flags: %+v", v)
	}
	if k.Kty != "RSA-HSM" || k.Size != 3072 || !k.Expires.Equal(time.Unix(1830297600, 0)) || k.Rotation == nil || !k.Rotation.Rotate {
		t.Errorf("key: %+v", k)
	}
	grants := e.Grants(v, estate.KeyScope(v, k.Name), "77777777-7777-7777-7777-777777777777")
	if len(grants) != 1 || !grants[0].Has("wrapkey") || !grants[0].Has("unwrapkey") || !grants[0].Has("get") || grants[0].Ignored != "" {
		t.Errorf("grants: %+v", grants)
	}
}

// summary renders what rules read of an estate, in a stable order and lower
// case (the model compares case-insensitively; tag-key case is checked apart).
func summary(e *estate.Estate) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("stats resources=%d skipped=%d audit=%d", e.Stats.Resources, e.Stats.Skipped, len(e.Audit))
	for _, w := range e.Workloads {
		add("workload %s type=%s name=%s cmk=%s tags=%s evidence=%s identity=%s", w.ID, w.Type, w.Name, w.CMK,
			sortedMap(w.Tags.Map()), sortedMap(w.Evidence), identity(w.Identity))
		for _, r := range w.KeyRefs {
			add("  ref %s field=%s via=%v parse=%q unresolved=%q vault=%v key=%v identity={%s %s %s %s problem=%q unknown=%q}",
				r.URI, r.Field, r.Via, r.ParseErr, r.Unresolved, r.Vault != nil, r.Key != nil,
				r.Identity.Kind, r.Identity.ResourceID, r.Identity.ClientID, r.Identity.PrincipalID, r.Identity.Problem, r.Identity.Unknown)
		}
	}
	for _, v := range e.Vaults {
		add("vault %s hsm=%v host=%s soft=%v purge=%v rbac=%v public=%s default=%s bypass=%s policies=%d keys=%d diags=%d",
			v.ID, v.HSM, v.Host, v.SoftDelete, v.PurgeProtection, v.RBAC, v.PublicNetworkAccess, v.DefaultAction, v.Bypass,
			len(v.AccessPolicies), len(v.Keys), len(v.Diagnostics))
		for _, k := range v.Keys {
			for _, g := range e.Grants(v, estate.KeyScope(v, k.Name), "") {
				add("  grant key=%s principal=%s via=%s role=%s scope=%s ops=%v admin=%v ignored=%q unresolved=%q",
					k.Name, g.PrincipalID, g.Via, g.Role, g.Scope, g.Ops, g.Admin, g.Ignored, g.Unresolved)
			}
		}
	}
	for _, k := range e.Keys {
		rot := "none"
		if k.Rotation != nil {
			rot = fmt.Sprintf("%+v", *k.Rotation)
		}
		add("key %s vault=%s linked=%v enabled=%v exp=%s nbf=%s created=%s updated=%s kty=%s size=%d curve=%s ops=%v rotation=%s users=%d",
			k.ID, k.VaultName, k.Vault != nil, k.Enabled, k.Expires.Format(time.RFC3339), k.NotBefore.Format(time.RFC3339),
			k.Created.Format(time.RFC3339), k.Updated.Format(time.RFC3339), k.Kty, k.Size, k.Curve, k.KeyOps, rot, len(k.Users))
	}
	for _, d := range e.Diagnostics {
		add("diagnostic %s target=%s logs=%+v destinations=%v", d.ID, d.Target, d.Logs, d.Destinations)
	}
	for _, ra := range e.RoleAssignments {
		add("role assignment %s scope=%s principal=%s type=%s role=%s", ra.ID, ra.Scope, ra.PrincipalID, ra.PrincipalType, ra.RoleID)
	}
	slices.Sort(lines)
	return strings.ToLower(strings.Join(lines, "\n"))
}

func identity(i *estate.Identity) string {
	if i == nil {
		return "none"
	}
	var uai []string
	for _, u := range i.UserAssigned {
		uai = append(uai, u.ResourceID+"="+u.PrincipalID+"/"+u.ClientID)
	}
	slices.Sort(uai)
	return fmt.Sprintf("%s/%s/%v", i.Type, i.PrincipalID, uai)
}

func sortedMap(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// toUTF16 re-encodes UTF-8 text as UTF-16, as Windows PowerShell 5.1 writes
// files, with or without a byte-order mark.
func toUTF16(b []byte, bigEndian, bom bool) []byte {
	units := utf16.Encode([]rune(string(b)))
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	var out []byte
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

// splitTopLevel returns the elements of a JSON array as raw text.
func splitTopLevel(t *testing.T, b []byte) []string {
	t.Helper()
	var items []string
	depth, start, inString, escaped := 0, 0, false, false
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth == 2 {
				start = i
			}
		case c == '}' || c == ']':
			if depth == 2 {
				items = append(items, string(b[start:i+1]))
			}
			depth--
		}
	}
	if len(items) != 6 {
		t.Fatalf("split %d items, want 6", len(items))
	}
	return items
}
