package input

import (
	"bytes"
	"context"
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

// TestDecodingListedMembersChangesNothing reads inputs twice, once decoding
// only the members of "properties" estate.PropertyMembers lists and once
// decoding them whole, and requires the same model (as the shape contract
// summarises it), the same warnings and the same evaluation: over every
// input shape, the example estate, the rule fixtures, the third-party corpus
// and a generated enterprise estate.
func TestDecodingListedMembersChangesNothing(t *testing.T) {
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
		pruneProperties = prune
		defer func() { pruneProperties = true }()
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
			if !reflect.DeepEqual(got, want) {
				t.Errorf("evaluation differs: %d results %+v, want %d %+v", len(got.Results), got.Summary, len(want.Results), want.Summary)
			}
		})
	}
}
