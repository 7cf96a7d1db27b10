package input

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// TestDecodingLessChangesNothing reads inputs twice, once decoding less (only
// the members of "properties" estate.PropertyMembers lists, none of the
// strings no one reads) and once decoding every member whole, and requires
// the same model (as the shape contract summarises it), the same warnings and
// the same evaluation: over every input shape, the example estate, the rule
// fixtures, the third-party corpus and a generated enterprise estate.
func TestDecodingLessChangesNothing(t *testing.T) {
	inputs := map[string][]string{
		"shapes":           {filepath.Join("testdata", "shapes")},
		"example estate":   {filepath.Join("..", "..", "examples", "estate")},
		"rule fixtures":    {filepath.Join("..", "rules", "testdata")},
		"conformance":      {filepath.Join("..", "conformance", "testdata", "corpus")},
		"input testdata":   {filepath.Join("testdata")},
		"generated estate": nil,
	}
	generated := estategen.Bytes(4000, 9)
	read := func(t *testing.T, paths []string, prune bool) *estate.Estate {
		t.Helper()
		pruneProperties, skipUnread = prune, prune
		defer func() { pruneProperties, skipUnread = true, true }()
		b := estate.NewBuilder()
		if paths == nil {
			if err := Read(context.Background(), "estate.ndjson", bytes.NewReader(generated), b); err != nil {
				t.Fatal(err)
			}
			return b.Build()
		}
		for _, p := range paths {
			files, err := listInputs(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				// Some test inputs are malformed on purpose; what was read
				// before the error counts all the same.
				_ = ReadFile(context.Background(), f, b)
			}
		}
		return b.Build()
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for name, paths := range inputs {
		t.Run(name, func(t *testing.T) {
			if paths != nil {
				if _, err := os.Stat(paths[0]); err != nil {
					t.Fatal(err)
				}
			}
			pruned, whole := read(t, paths, true), read(t, paths, false)
			if len(whole.Workloads)+len(whole.Apps)+len(whole.RoleAssignments) == 0 {
				t.Fatalf("nothing whose properties are pruned was read")
			}
			if got, want := summary(pruned), summary(whole); got != want {
				t.Errorf("model differs:\n--- listed members\n%s\n--- whole properties\n%s", got, want)
			}
			if !reflect.DeepEqual(pruned.Warnings, whole.Warnings) {
				t.Errorf("warnings differ: %v, want %v", pruned.Warnings, whole.Warnings)
			}
			p := policy.Default()
			got, want := rules.Evaluate(pruned, p, now, rules.Catalog()), rules.Evaluate(whole, p, now, rules.Catalog())
			// InScope is keyed by each estate's own resources: compare it by id.
			if !reflect.DeepEqual(got.Results, want.Results) || got.Summary != want.Summary ||
				!reflect.DeepEqual(got.Notes, want.Notes) || !maps.Equal(inScopeByID(got), inScopeByID(want)) {
				t.Errorf("evaluation differs: %d results %+v, want %d %+v", len(got.Results), got.Summary, len(want.Results), want.Summary)
			}
		})
	}
}

// inScopeByID is ev.InScope keyed by resource id.
func inScopeByID(ev rules.Evaluation) map[string]bool {
	m := make(map[string]bool, len(ev.InScope))
	for r, ok := range ev.InScope {
		m[r.ID] = ok
	}
	return m
}

// asRead returns a sink call as the estate reads it: a resource of a type no
// rule reads by its id, type, source and identity alone.
func asRead(c call) call {
	if c.resource == nil || estate.Relevant(estate.Lower(c.resource.Type)) {
		return c
	}
	r := c.resource
	return call{resource: &estate.Resource{ID: r.ID, Type: r.Type, Source: r.Source, Identity: r.Identity}}
}

// readSkipping reads data passing over the strings no one reads, and again
// decoding them, and fails unless the sink's calls are the same as the estate
// reads them, and so are the errors.
func readSkipping(t *testing.T, data []byte) {
	t.Helper()
	var less, whole callLog
	errLess := Read(context.Background(), "in.json", bytes.NewReader(data), &less)
	skipUnread = false
	errWhole := Read(context.Background(), "in.json", bytes.NewReader(data), &whole)
	skipUnread = true
	if fmt.Sprint(errLess) != fmt.Sprint(errWhole) {
		t.Fatalf("error %v, decoding every string %v", errLess, errWhole)
	}
	if len(less) != len(whole) {
		t.Fatalf("%d calls, decoding every string %d", len(less), len(whole))
	}
	for i := range less {
		if got, want := asRead(less[i]), asRead(whole[i]); !reflect.DeepEqual(got, want) {
			t.Fatalf("call %d is\n%v\ndecoding every string\n%v", i, got, want)
		}
	}
}

// TestSkippingUnreadStringsChangesNothing passes over strings no one reads in
// inputs where a later member changes what an item is.
func TestSkippingUnreadStringsChangesNothing(t *testing.T) {
	const vm = `"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"`
	const st = `"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"`
	cases := map[string]string{
		"relevant id after":       `{"id": ` + vm + `, "name": "n", "location": "westeurope", "kind": "k", "id": ` + st + `, "tags": {"a": "b"}}`,
		"no id after":             `{"id": ` + vm + `, "location": "westeurope", "id": "", "collectedAt": "2026-01-01T00:00:00Z"}`,
		"id not ARM after":        `{"id": ` + vm + `, "location": "westeurope", "type": "Microsoft.Storage/storageAccounts", "id": "st"}`,
		"id a number after":       `{"id": ` + vm + `, "location": "westeurope", "id": 7}`,
		"member twice":            `{"id": ` + vm + `, "location": "a", "Location": "b", "location": {"x": 1}, "location": "c"}`,
		"object display member":   `{"id": ` + vm + `, "location": ["a"], "kind": {"a": 1, "a": 2}, "name": 1e999}`,
		"unread members":          `{"id": ` + st + `, "resourceGroup": "rg", "etag": "x", "etag": {"a": 1}, "subscriptionId": "s", "apiVersion": null}`,
		"audit record":            `{"id": ` + vm + `, "category": "AuditEvent", "time": "2026-03-04T10:15:02Z", "operationName": "KeyGet", "location": "x", "resourceId": ` + vm + `}`,
		"children":                `{"id": ` + vm + `, "location": "x", "resources": [{"id": ` + vm + `, "name": "c"}, {"type": "extensions", "name": "e", "location": "y"}]}`,
		"tags of irrelevant type": `{"id": ` + vm + `, "tags": {"b": [1], "a": {"c": "d"}, "c": "x", "c": "y"}}`,
		"identity of irrelevant":  `{"id": ` + vm + `, "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/b": {"principalId": "P2"}, "/a": {"principalId": "P1"}, "/c": 3}}}`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { readSkipping(t, []byte(text)) })
	}
	readSkipping(t, estategen.Bytes(3000, 5))
}

// FuzzSkipUnread reads arbitrary bytes passing over the strings no one reads
// and decoding them: the estate must read the same either way.
func FuzzSkipUnread(f *testing.F) {
	addSeeds(f, "*/*.json", "*/*.ndjson", "shapes/*/*.json")
	f.Add([]byte(`{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d", "location": "x", "ID": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		readSkipping(t, data)
	})
}
