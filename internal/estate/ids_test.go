package estate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// idPairs are ids that differ in case, length and non-ASCII letters whose
// lower-case forms differ in length (K, the Kelvin sign, lower-cases to k).
var idPairs = []string{
	"", "/", "/a", "/A", "/a/", "/ab", "/aB", "/B", "/b", "/[", "/_", "/`", "/Z", "/z",
	"/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Sql/servers/X",
	"/subscriptions/s1/resourcegroups/rg/providers/microsoft.sql/servers/x",
	"/subscriptions/s1/resourcegroups/rg/providers/microsoft.sql/servers/x/encryptionProtector/current",
	"/x/\u212a", "/x/k", "/x/K", "/x/\u212aa", "/x/ka", "/x/Ä", "/x/ä", "/x/äb", "/x/\xff", "/x/\xffa", "/x/\uFFFD",
	"/x/İ", "/x/i̇", "/x/ſ", "/x/s",
}

func TestCompareIDs(t *testing.T) {
	for _, a := range idPairs {
		for _, b := range idPairs {
			want := strings.Compare(Lower(a), Lower(b))
			if got := compareIDs(a, b); got != want {
				t.Errorf("compareIDs(%q, %q) = %d, want %d", a, b, got, want)
			}
			if got := SameID(a, b); got != (want == 0) {
				t.Errorf("SameID(%q, %q) = %v, want %v", a, b, got, want == 0)
			}
		}
	}
}

func FuzzCompareIDs(f *testing.F) {
	for i, a := range idPairs {
		f.Add(a, idPairs[(i+1)%len(idPairs)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := strings.Compare(Lower(a), Lower(b))
		if got := compareIDs(a, b); got != want {
			t.Errorf("compareIDs(%q, %q) = %d, want %d", a, b, got, want)
		}
		x := newIDIndex(0)
		if x.hash(a) != x.hash(Lower(a)) {
			t.Errorf("hash(%q) differs from the hash of its lower-case form", a)
		}
	})
}

func TestIDHash(t *testing.T) {
	long := "/subscriptions/S/resourceGroups/RG/providers/P.Q/r/" + strings.Repeat("Ab", 200)
	tests := []string{
		"", "/A", idPairs[14], "/x/\u212a", "/x/İ",
		long[:256], long[:257], long, long + "\u212a", "\u212a" + long, long[:255] + "Ä", long[:256] + "Ä",
	}
	x := newIDIndex(0)
	for _, id := range tests {
		if x.hash(id) != x.hash(Lower(id)) {
			t.Errorf("hash(%q) differs from the hash of its lower-case form", id)
		}
		if id != "" && x.hash(id) == x.hash(id+"x") {
			t.Errorf("hash(%q) is the hash of a longer id", id)
		}
	}
}

func TestLowerASCIIBytes(t *testing.T) {
	var all []byte
	for c := range 0x80 {
		all = append(all, byte(c))
	}
	tests := []struct {
		in    string
		ascii bool
	}{
		{"", true},
		{"AZaz@[`{09/", true},
		{string(all), true},
		{"/SUBSCRIPTIONS/S1/resourceGroups/RG/providers/Microsoft.Sql/servers/X", true},
		{"/x/Ä", false},
		{"ABCDEFG\xff", false},
		{"ABCDEFGHIJKLMNO\x80", false},
	}
	for _, tt := range tests {
		b := []byte(tt.in)
		if got := lowerASCIIBytes(b); got != tt.ascii {
			t.Errorf("lowerASCIIBytes(%q) = %v, want %v", tt.in, got, tt.ascii)
		}
		if tt.ascii && string(b) != strings.ToLower(tt.in) {
			t.Errorf("lowerASCIIBytes(%q) made %q", tt.in, b)
		}
	}
}

func TestIDIndex(t *testing.T) {
	var list []*Resource
	for i := range 300 {
		id := fmt.Sprintf("/subscriptions/S/resourceGroups/RG-%d/providers/P.Q/r/N%d\u212a", i%7, i)
		list = append(list, &Resource{ID: id})
	}
	// Two ids whose hashes collide: the second is found down the chain.
	z := newIDIndex(0)
	h := z.hash(list[1].ID)
	z.first[h] = 0
	z.more = map[uint64][]int{h: {1}}
	if i := z.find(list, strings.ToUpper(list[1].ID)); i != 1 {
		t.Errorf("colliding id: find = %d, want 1", i)
	}
	y := newIDIndex(0)
	for i, r := range list {
		y.add(r.ID, i)
	}
	// insertHash finds what add recorded, and records what is new.
	w := newIDIndex(0)
	for i, r := range list {
		if got := w.insertHash(list, r.ID, w.hash(r.ID), i); got != -1 {
			t.Errorf("insertHash(%q) of a new id = %d, want -1", r.ID, got)
		}
		if got := w.insertHash(list, strings.ToUpper(r.ID), w.hash(strings.ToUpper(r.ID)), len(list)); got != i {
			t.Errorf("insertHash(%q) again = %d, want %d", r.ID, got, i)
		}
	}
	if got := z.insertHash(list, list[1].ID, z.hash(list[1].ID), 7); got != 1 {
		t.Errorf("insertHash of a colliding id = %d, want 1", got)
	}
	tests := []struct {
		id   string
		want int
	}{
		{list[5].ID, 5},
		{strings.ToUpper(list[5].ID), 5},
		{Lower(list[299].ID), 299},
		{list[5].ID + "/", -1},
		{"/subscriptions/s/resourcegroups/rg-0/providers/p.q/r/n0", -1},
		{"", -1},
	}
	for _, tt := range tests {
		if got := y.find(list, tt.id); got != tt.want {
			t.Errorf("find(%q) = %d, want %d", tt.id, got, tt.want)
		}
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		in, want Tags
	}{
		{nil, Tags{}},
		{Tags{{"b", "1"}, {"a", "2"}}, Tags{{"a", "2"}, {"b", "1"}}},
		{Tags{{"b", "1"}, {"B", "2"}, {"b", "3"}, {"a", ""}}, Tags{{"B", "2"}, {"a", ""}, {"b", "3"}}},
	}
	for _, tt := range tests {
		got := SortTags(slices.Clone(tt.in))
		if !slices.Equal(got, tt.want) {
			t.Errorf("SortTags(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if m := MakeTags(got.Map()); !slices.Equal(m, tt.want) {
			t.Errorf("MakeTags(Map()) = %v, want %v", m, tt.want)
		}
		for _, tag := range tt.want {
			if v, ok := got.Get(tag.Key); !ok || v != tag.Value {
				t.Errorf("Get(%q) = %q, %v", tag.Key, v, ok)
			}
		}
		if _, ok := got.Get("c"); ok {
			t.Errorf("Get found a missing key in %v", got)
		}
	}
}
