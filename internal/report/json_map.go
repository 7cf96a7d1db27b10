package report

import (
	"reflect"
	"slices"
	"strings"
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

// Rules hand out one evidence map to all results whose evidence is equal,
// and a map is never changed once a result holds it. A repeated map is
// therefore encoded once per encoder and its bytes copied after: evidenceCache
// maps a map's identity (its address) to its encoding. An entry holds the map
// itself, so the map cannot be collected and its address reused by another
// while the entry stands. Most maps are seen once (their evidence names the
// resource), so a map's bytes are kept only when it is seen a second time:
// the first sighting costs a pointer in a slot, not a copy.

// Sizes of an evidence cache: the number of entries, a power of two, and the
// most encoded bytes it holds, which with the entries bounds its memory.
const (
	evidenceSlotBits = 12
	evidenceBytes    = 4 << 20
)

// evidenceCache holds the encodings of recently seen evidence maps, each in
// the slot its address hashes to.
type evidenceCache struct {
	slots [1 << evidenceSlotBits]evidenceEntry
	bytes int // cap of the slots' enc
}

// evidenceEntry is a map seen in evidence and, once it has been seen twice,
// its encoding.
type evidenceEntry struct {
	m       map[string]any
	encoded bool
	enc     []byte
}

// mapAddress is the identity of a map: maps are references, and two map
// values are the same map exactly when they point to the same place.
func mapAddress(m map[string]any) uintptr {
	return uintptr(reflect.ValueOf(m).UnsafePointer())
}

// evidence writes a result's evidence map at depth 3, from the cache when
// the encoder has one and has encoded the map before.
func (e *jsonEncoder) evidence(m map[string]any) {
	c := e.evidenceCache
	if c == nil {
		e.anyMap(m, 3)
		return
	}
	p := mapAddress(m)
	s := &c.slots[(p*0x9e3779b97f4a7c15)>>(64-evidenceSlotBits)]
	if s.m == nil || mapAddress(s.m) != p {
		// A map new to the slot: remember it, and encode it. Its bytes
		// stay for the next map kept here, unless the cache runs short.
		s.m, s.encoded = m, false
		if c.bytes > evidenceBytes/2 {
			c.bytes -= cap(s.enc)
			s.enc = nil
		}
		e.anyMap(m, 3)
		return
	}
	if s.encoded {
		e.b = append(e.b, s.enc...)
		return
	}
	start, failed := len(e.b), e.err != nil
	e.anyMap(m, 3)
	enc := e.b[start:]
	if failed || e.err != nil || c.bytes-cap(s.enc)+len(enc) > evidenceBytes {
		return
	}
	if cap(s.enc) < len(enc) {
		c.bytes -= cap(s.enc)
		s.enc = make([]byte, 0, len(enc))
		c.bytes += cap(s.enc)
	}
	s.enc, s.encoded = append(s.enc[:0], enc...), true
}
