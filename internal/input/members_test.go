package input

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestCheckedMembersWarn reads members that are checked rather than decoded
// (sku, zones and the like), repeated members, and items with more member
// names than have a bit (see nameBit): the warnings are those of decoding
// every member (see readSkipping), in order.
func TestCheckedMembersWarn(t *testing.T) {
	const id = `"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d", "properties": {}`
	var many strings.Builder
	for i := range 70 {
		fmt.Fprintf(&many, `"m%d": %d, `, i, i)
	}
	cases := []struct {
		name string
		text string
		want []string // the start of each warning
	}{
		{"sku string", `{` + id + `, "sku": "Standard"}`, []string{`resource /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d: "sku" is a JSON string`}},
		{"sku array", `{` + id + `, "sku": [1]}`, []string{`resource /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d: "sku" is a JSON array`}},
		{"sku out of range", `{` + id + `, "sku": 1e999}`, []string{`number 1e999 is out of range`}},
		{"sku null then number", `{` + id + `, "sku": null, "SKU": 2}`, []string{`resource /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d: "sku" is a JSON number`, `member "sku" appears again`}},
		{"sku object", `{` + id + `, "sku": {"name": "a", "Name": {"x": [1e999]}}}`, []string{`member "name" appears again in one object`, `number 1e999 is out of range`}},
		{"zones nested", `{` + id + `, "zones": [{"a": 1, "a": 2}], "plan": null, "systemData": {"createdAt": 1e400}, "etag": {"b": 1, "B": 2}}`,
			[]string{`member "a" appears again in one object`, `number 1e400 is out of range`, `member "b" appears again in one object`}},
		{"checked twice", `{` + id + `, "zones": ["1"], "zones": {"a": 1}, "etag": "x", "etag": 1}`,
			[]string{`member "zones" appears again`, `member "etag" appears again`}},
		{"tags in checked member", `{` + id + `, "systemData": {"tags": {"A": 1, "a": 2, "A": 3}}}`, []string{`member "A" appears again in one object`}},
		{"many names", `{` + id + `, ` + many.String() + `"m69": 1, "m1": 2, "sku": 3}`,
			[]string{`member "m69" appears again`, `member "m1" appears again`, `resource /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d: "sku" is a JSON number`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			if err := Read(context.Background(), "in.json", bytes.NewReader([]byte(c.text)), rec); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range rec.warnings {
				got = append(got, w.Message)
			}
			if len(got) != len(c.want) {
				t.Fatalf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("warning %d is %q, want %q…", i, got[i], c.want[i])
				}
			}
			readSkipping(t, []byte(c.text))
		})
	}
}

// TestNameKeyHoldsShortNames changes each byte of names of every length up
// to maxKeyed in turn: the key must change with it, since the name cache
// compares keys alone for such names.
func TestNameKeyHoldsShortNames(t *testing.T) {
	for n := 2; n <= maxKeyed; n++ {
		name := []byte(`"` + strings.Repeat("a", n-2) + `"`)
		k := keyOf(name)
		for i := range n {
			changed := bytes.Clone(name)
			changed[i] = 'b'
			if keyOf(changed) == k {
				t.Errorf("%s and %s have one key", name, changed)
			}
		}
	}
}
