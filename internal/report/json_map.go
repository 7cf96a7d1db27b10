package report

import (
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Maps are written with their members sorted by name, as encoding/json
// writes them. Evidence is millions of small maps, so their members are
// collected and sorted in an array on the stack: no allocation, and no write
// barriers while the garbage collector runs, which moving the strings and
// values of members in a heap slice would take.

// smallMap is the most members a map may have to be sorted on the stack.
const smallMap = 12

// mapMember is a member of a map being written.
type mapMember[V any] struct {
	name  string
	value V
}

// strMap writes a map of strings at depth, keys sorted; nil is null.
func (e *jsonEncoder) strMap(v map[string]string, depth int) {
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	var local [smallMap]mapMember[string]
	m := e.open(depth)
	for _, x := range sortedMembers(local[:0], v) {
		m.str(x.name, x.value)
	}
	m.close()
}

// tags writes tags at depth as strMap writes t.Map(): when their keys are
// in order and each is there once, as the estate keeps them, without the
// map.
func (e *jsonEncoder) tags(t estate.Tags, depth int) {
	for i := 1; i < len(t); i++ {
		if !nameLess(t[i-1].Key, t[i].Key) {
			e.strMap(t.Map(), depth)
			return
		}
	}
	m := e.open(depth)
	for _, tag := range t {
		m.str(tag.Key, tag.Value)
	}
	m.close()
}

// anyMap writes a map of evidence values at depth, keys sorted; nil is
// null.
func (e *jsonEncoder) anyMap(v map[string]any, depth int) {
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	var local [smallMap]mapMember[any]
	m := e.open(depth)
	for _, x := range sortedMembers(local[:0], v) {
		m.key(x.name).value(x.value, depth+1)
	}
	m.close()
}

// sortedMembers appends the members of v to ms and sorts them by name.
func sortedMembers[V any](ms []mapMember[V], v map[string]V) []mapMember[V] {
	for k, x := range v {
		ms = append(ms, mapMember[V]{k, x})
	}
	if len(ms) > smallMap {
		slices.SortFunc(ms, func(a, b mapMember[V]) int { return strings.Compare(a.name, b.name) })
		return ms
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && nameLess(ms[j].name, ms[j-1].name); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	return ms
}

// nameLess is a < b, deciding on the first bytes where they differ, as they
// mostly do, without a call.
func nameLess(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}
