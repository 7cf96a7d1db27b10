package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// TestSortByID holds sortByID to a stable sort by estate.Lower of the ids,
// and its marks to the ids that are equal in lower case.
func TestSortByID(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
	}{
		{"empty", nil},
		{"one", []string{"/S/A"}},
		{"case", []string{"/subscriptions/B", "/Subscriptions/a", "/subscriptions/A", "/SUBSCRIPTIONS/b"}},
		{"prefix", []string{"/s/ab", "/s/a", "/S/A", "/s/abc", "/s/AB"}},
		{"non-ASCII", []string{"/s/Ärger", "/s/ärger", "/s/Zeta", "/s/ÉTÉ", "/s/\xff", "/s/été", "/s/a"}},
		{"cycles", []string{"/s/3", "/s/1", "/s/4", "/s/0", "/s/2", "/s/7", "/s/5", "/s/6"}},
		{"brackets", []string{"/s/[", "/s/Z", "/s/z", "/s/_", "/s/`"}},
		{"long", []string{"/subscriptions/X/resourceGroups/RG-@[`{/providers/Microsoft.Sql/servers/A",
			"/SUBSCRIPTIONS/x/RESOURCEGROUPS/rg-@[`{/PROVIDERS/microsoft.sql/servers/a",
			"/subscriptions/x/resourceGroups/RG-Ärger/providers/Microsoft.Sql/servers/Zeta",
			"/subscriptions/x/resourceGroups/rg-ärger/providers/Microsoft.Sql/servers/zeta",
			"/subscriptions/x/resourceGroups/RG-ÉTÉ-12345678", "/subscriptions/x/resourceGroups/rg-été-12345678\xff",
			"/subscriptions/x/resourceGroups/rg-1/providers/Microsoft.Web/sites/APP-0~",
			"/subscriptions/x/resourceGroups/rg-1/providers/Microsoft.Web/sites/app-0\x7f",
			"/subscriptions/ZZZZZZZZ/AAAAAAAA", "/subscriptions/[[[[[[[[/@@@@@@@@", "/subscriptions/zzzzzzzz/aaaaaaaa",
			"/subscriptions/````````/{{{{{{{{"}},
	}
	var many []string // ids in every case, equal ones far apart
	for i := range 300 {
		many = append(many, fmt.Sprintf("/subscriptions/S/resourceGroups/rg-%d/providers/P/n%d", i*7%13, i*5%11))
		if i%3 == 0 {
			many[i] = strings.ToUpper(many[i])
		}
	}
	tests = append(tests, struct {
		name string
		ids  []string
	}{"many", many})
	defer func(n int) { minSortPart = n }(minSortPart)
	minSortPart = 1 // every part a goroutine
	for _, tt := range tests {
		for _, workers := range []int{1, 2, 3, 4} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, workers), func(t *testing.T) {
				var subjects []subject
				for i, id := range tt.ids {
					subjects = append(subjects, subject{kind: subjectKind(i), res: &estate.Resource{ID: id}})
				}
				want := slices.Clone(subjects)
				slices.SortStableFunc(want, func(a, b subject) int {
					return strings.Compare(estate.Lower(a.res.ID), estate.Lower(b.res.ID))
				})
				got := sortByID(subjects, workers)
				if len(got) != len(want) {
					t.Fatalf("got %d subjects, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i].res != want[i].res || got[i].kind != want[i].kind {
						t.Errorf("position %d: got %q (%d), want %q (%d)", i, got[i].res.ID, got[i].kind, want[i].res.ID, want[i].kind)
					}
					again := i > 0 && estate.Lower(want[i].res.ID) == estate.Lower(want[i-1].res.ID)
					if got[i].again != again {
						t.Errorf("position %d (%q): again is %v, want %v", i, got[i].res.ID, got[i].again, again)
					}
				}
			})
		}
	}
}
