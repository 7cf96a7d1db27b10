package rules

import (
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var subjects []subject
			for i, id := range tt.ids {
				subjects = append(subjects, subject{kind: subjectKind(i), res: &estate.Resource{ID: id}})
			}
			want := slices.Clone(subjects)
			slices.SortStableFunc(want, func(a, b subject) int {
				return strings.Compare(estate.Lower(a.res.ID), estate.Lower(b.res.ID))
			})
			got := sortByID(subjects)
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
