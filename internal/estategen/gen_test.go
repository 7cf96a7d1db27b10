package estategen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
)

// TestEstateShape writes a small estate and checks what the benchmarks rely
// on: exactly the lines asked for, each a JSON object; the same seed gives
// the same bytes and another seed other bytes; most resources are of types no
// rule reads; the input readers take it without a warning; and every
// reference a workload makes resolves, apart from the keys the generator
// deletes on purpose.
func TestEstateShape(t *testing.T) {
	const n = 6000
	data := estategen.Bytes(n, 7)
	if again := estategen.Bytes(n, 7); !bytes.Equal(data, again) {
		t.Fatal("the same size and seed gave different estates")
	}
	if other := estategen.Bytes(n, 8); bytes.Equal(data, other) {
		t.Fatal("another seed gave the same estate")
	}

	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	lines, relevant := 0, 0
	types := map[string]int{}
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		lines++
		if lines == 1 {
			if _, ok := o["collectedAt"]; !ok {
				t.Fatalf("the first line is not a collection header: %s", sc.Text())
			}
			continue
		}
		typ := strings.ToLower(o["type"].(string))
		types[typ]++
		if estate.Relevant(typ) {
			relevant++
		}
	}
	if lines != n+1 {
		t.Fatalf("%d lines, want %d resources and a header", lines, n)
	}
	if relevant*2 >= n {
		t.Errorf("%d of %d resources are of types rules read; an enterprise estate is mostly other things", relevant, n)
	}
	for _, typ := range []string{"microsoft.storage/storageaccounts", "microsoft.compute/disks", "microsoft.compute/diskencryptionsets",
		"microsoft.web/sites", "microsoft.sql/servers", "microsoft.sql/servers/encryptionprotector", "microsoft.documentdb/databaseaccounts",
		"microsoft.keyvault/vaults", "microsoft.keyvault/vaults/keys", "microsoft.authorization/roleassignments",
		"microsoft.managedidentity/userassignedidentities", "microsoft.insights/diagnosticsettings",
		"microsoft.network/networkinterfaces", "microsoft.network/publicipaddresses", "microsoft.network/virtualnetworks",
		"microsoft.network/networksecuritygroups", "microsoft.compute/virtualmachines"} {
		if types[typ] == 0 {
			t.Errorf("no %s in the estate", typ)
		}
	}

	b := estate.NewBuilder()
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(data), b); err != nil {
		t.Fatal(err)
	}
	e := b.Build()
	if len(e.Warnings) > 0 {
		t.Errorf("%d warnings, first: %s", len(e.Warnings), e.Warnings[0])
	}
	if e.Stats.Resources != n || e.Header == nil {
		t.Fatalf("read %d resources (header %v), want %d", e.Stats.Resources, e.Header != nil, n)
	}
	refs, missingKeys := 0, 0
	for _, w := range e.Workloads {
		if w.Placeholder {
			t.Errorf("%s is known only from a child", w.ID)
		}
		for _, ref := range w.KeyRefs {
			refs++
			switch {
			case ref.ParseErr != "" || ref.Unresolved != "":
				t.Errorf("%s: reference %s does not resolve: %s%s", w.ID, ref.Raw, ref.ParseErr, ref.Unresolved)
			case ref.Vault == nil:
				t.Errorf("%s: the vault of %s is not in the estate", w.ID, ref.Raw)
			case ref.Key == nil:
				missingKeys++
			}
			if id := ref.Identity; id.Problem != "" {
				t.Errorf("%s: identity: %s", w.ID, id.Problem)
			}
		}
	}
	if refs == 0 || missingKeys*10 > refs {
		t.Errorf("%d key references, %d to keys not in the estate: want some references and only a few deleted keys", refs, missingKeys)
	}
}
