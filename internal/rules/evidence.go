package rules

import (
	"hash/maphash"
	"math"
	"reflect"
	"slices"
)

// evidence makes the evidence maps of an Env's outcomes, and hands out a map
// it made before when the new one would be equal to it. Across an estate most
// results repeat their evidence (a service and its classification, a key that
// many disks reach through one encryption set), and every map that is not
// made is memory the garbage collector neither marks nor frees. The maps it
// hands out are shared by results, so nothing may change them; sinks only
// read evidence.
//
// A map is described pair by pair (str, num, strs, maps, val, kv, strMap
// and the others below), then made by done. The pairs are hashed as they
// are described, without boxing them into interfaces, and looked up in a
// table of the maps made last: one slot per hash, so the table never holds more than evidenceSlots
// maps. A value of a type the table cannot compare is boxed into a new map
// that is not kept. An evidence serves one goroutine, as its Env does.
//
// The evidence of a count-only Env is off: start returns nil, and a nil
// *evidence takes every pair without looking at it and makes no map, so a
// rule describes its evidence the same way in both modes at almost no cost.
type evidence struct {
	off   bool // a count-only Env's: start returns nil
	slots []evSlot
	pairs []evPair
	// The pairs' values that are neither strings nor ints, by evPair.i.
	lists    [][]string
	mapLists [][]map[string]any
	others   []any
	hash     uint64
	odd      bool // a value the table cannot compare: make a map and keep none
}

// evidenceSeed seeds the hashes of evidence. It is the same for every Env,
// so that the hash of a list that many results share can be worked out once
// (see keySharers).
var evidenceSeed = maphash.MakeSeed()

// evidenceSlots bounds the maps an evidence keeps (a power of two).
const evidenceSlots = 1 << 13

// evSlot is a map made before, with the hash of its pairs.
type evSlot struct {
	hash uint64
	m    map[string]any
}

// evKind says where an evPair's value is.
type evKind uint8

const (
	evString  evKind = iota // s
	evInt                   // i
	evStrings               // evidence.lists[i]
	evMaps                  // evidence.mapLists[i]
	evOther                 // evidence.others[i]
)

// evPair is one key and value of the map being described. Strings and the
// slices rules list are kept as they are, so that describing a map that is
// found in the table boxes nothing; the pair is small, since most values
// are strings, and lists wait beside it in the evidence.
type evPair struct {
	key  string
	s    string
	i    int
	kind evKind
	copy bool // the map made holds a copy of the list: the caller reuses it
}

// start begins describing a map, forgetting the pairs of the last one; it
// returns nil when e is off.
func (e *evidence) start() *evidence {
	if e.off {
		return nil
	}
	if e.slots == nil {
		e.slots = make([]evSlot, evidenceSlots)
	}
	e.pairs, e.hash, e.odd = e.pairs[:0], 0, false
	e.lists, e.mapLists, e.others = e.lists[:0], e.mapLists[:0], e.others[:0]
	return e
}

// add appends a pair whose value hashes to vh.
func (e *evidence) add(p evPair, vh uint64) *evidence {
	e.pairs = append(e.pairs, p)
	// Pairs are summed, so their order does not matter: a map has none.
	e.hash += mix(maphash.String(evidenceSeed, p.key), vh)
	return e
}

// str adds a string value.
func (e *evidence) str(k, v string) *evidence {
	if e == nil {
		return nil
	}
	return e.add(evPair{key: k, kind: evString, s: v}, maphash.String(evidenceSeed, v))
}

// num adds an int value.
func (e *evidence) num(k string, v int) *evidence {
	if e == nil {
		return nil
	}
	return e.add(evPair{key: k, kind: evInt, i: v}, hashInt(v))
}

// strs adds a list of strings, which the map made may hold: it must not
// change after.
func (e *evidence) strs(k string, v []string) *evidence {
	if e == nil {
		return nil
	}
	e.lists = append(e.lists, v)
	return e.add(evPair{key: k, kind: evStrings, i: len(e.lists) - 1}, hashStrings(v))
}

// strsBuf adds a list of strings that the caller reuses: the map made holds
// a copy of it.
func (e *evidence) strsBuf(k string, v []string) *evidence {
	if e == nil {
		return nil
	}
	e.lists = append(e.lists, v)
	return e.add(evPair{key: k, kind: evStrings, i: len(e.lists) - 1, copy: true}, hashStrings(v))
}

// maps adds a list of maps, which the map made may hold: neither the list
// nor its maps may change after.
func (e *evidence) maps(k string, v []map[string]any) *evidence {
	if e == nil {
		return nil
	}
	h, ok := hashMaps(v)
	return e.addMaps(k, v, h, ok, false)
}

// mapsHashed adds a list of maps as maps does, given its hash: hashMaps(v),
// worked out before for a list that many results share.
func (e *evidence) mapsHashed(k string, v []map[string]any, hash uint64) *evidence {
	return e.addMaps(k, v, hash, true, false)
}

// mapsBuf adds a list of maps that the caller reuses: the map made holds a
// copy of the list (the maps in it must not change).
func (e *evidence) mapsBuf(k string, v []map[string]any) *evidence {
	if e == nil {
		return nil
	}
	h, ok := hashMaps(v)
	return e.addMaps(k, v, h, ok, true)
}

// mapsBufHashed adds a list of maps as mapsBuf does, given its hash (see
// listHash); ok is false when a map in it could not be hashed.
func (e *evidence) mapsBufHashed(k string, v []map[string]any, hash uint64, ok bool) *evidence {
	return e.addMaps(k, v, hash, ok, true)
}

// addMaps adds a list of maps whose hash is h (when ok).
func (e *evidence) addMaps(k string, v []map[string]any, h uint64, ok, copy bool) *evidence {
	if e == nil {
		return nil
	}
	e.odd = e.odd || !ok
	e.mapLists = append(e.mapLists, v)
	return e.add(evPair{key: k, kind: evMaps, i: len(e.mapLists) - 1, copy: copy}, h)
}

// val adds a value of any type.
func (e *evidence) val(k string, v any) *evidence {
	if e == nil {
		return nil
	}
	switch v := v.(type) {
	case string:
		return e.str(k, v)
	case []string:
		return e.strs(k, v)
	case []map[string]any:
		return e.maps(k, v)
	case int:
		return e.num(k, v)
	}
	h, ok := hashAny(v)
	e.odd = e.odd || !ok
	e.others = append(e.others, v)
	return e.add(evPair{key: k, kind: evOther, i: len(e.others) - 1}, h)
}

// kv adds key, value pairs as Ev lists them.
func (e *evidence) kv(kv []any) *evidence {
	if e == nil {
		return nil
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.val(evidenceKey(kv[i]), kv[i+1])
	}
	return e
}

// strMap adds every entry of m as a string value.
func (e *evidence) strMap(m map[string]string) *evidence {
	if e == nil {
		return nil
	}
	for k, v := range m {
		e.str(k, v)
	}
	return e
}

// done returns the map the pairs describe: one made before when it is equal,
// else a new one.
func (e *evidence) done() map[string]any {
	m, _, _ := e.doneHashed()
	return m
}

// doneHashed returns what done does, and the map's hash as hashMap works it
// out; ok is false when hashMap could not.
func (e *evidence) doneHashed() (m map[string]any, h uint64, ok bool) {
	if e == nil {
		return nil, 0, false
	}
	if len(e.pairs) == 0 {
		return nil, 0, false
	}
	if e.odd || e.repeatsKey() {
		return e.build(), 0, false
	}
	h = e.hash
	slot := &e.slots[fold(h)&(evidenceSlots-1)]
	if slot.m != nil && slot.hash == h && e.equal(slot.m) {
		return slot.m, h + mapHashStart, true
	}
	m = e.build()
	slot.hash, slot.m = h, m
	return m, h + mapHashStart, true
}

// repeatsKey reports whether two pairs have the same key. The later one
// wins in the map, which the table's comparison does not allow for.
func (e *evidence) repeatsKey() bool {
	for i := 1; i < len(e.pairs); i++ {
		for j := range i {
			if e.pairs[i].key == e.pairs[j].key {
				return true
			}
		}
	}
	return false
}

// build makes a new map of the pairs.
func (e *evidence) build() map[string]any {
	m := make(map[string]any, len(e.pairs))
	for i := range e.pairs {
		p := &e.pairs[i]
		switch p.kind {
		case evString:
			m[p.key] = p.s
		case evInt:
			m[p.key] = p.i
		case evStrings:
			if p.copy {
				m[p.key] = clone(e.lists[p.i])
			} else {
				m[p.key] = e.lists[p.i]
			}
		case evMaps:
			if p.copy {
				m[p.key] = clone(e.mapLists[p.i])
			} else {
				m[p.key] = e.mapLists[p.i]
			}
		default:
			m[p.key] = e.others[p.i]
		}
	}
	return m
}

// clone copies a list, keeping an empty list apart from a missing one:
// JSON writes them as [] and null.
func clone[E any](s []E) []E {
	if s == nil {
		return nil
	}
	return append(make([]E, 0, len(s)), s...)
}

// equal reports whether m holds exactly the pairs, which have distinct keys.
func (e *evidence) equal(m map[string]any) bool {
	if len(m) != len(e.pairs) {
		return false
	}
	for i := range e.pairs {
		p := &e.pairs[i]
		v, ok := m[p.key]
		if !ok {
			return false
		}
		switch p.kind {
		case evString:
			if s, ok := v.(string); !ok || s != p.s {
				return false
			}
		case evInt:
			if n, ok := v.(int); !ok || n != p.i {
				return false
			}
		case evStrings:
			if !equalAny(e.lists[p.i], v) {
				return false
			}
		case evMaps:
			if !equalAny(e.mapLists[p.i], v) {
				return false
			}
		default:
			if !equalAny(e.others[p.i], v) {
				return false
			}
		}
	}
	return true
}

// equalAny reports whether two evidence values are equal and of the same
// type, for the types hashAny hashes; values of other types are never equal.
func equalAny(a, b any) bool {
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case int:
		b, ok := b.(int)
		return ok && a == b
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case []string:
		b, ok := b.([]string)
		return ok && (a == nil) == (b == nil) && (sameList(a, b) || slices.Equal(a, b))
	case map[string]string:
		b, ok := b.(map[string]string)
		if !ok || (a == nil) != (b == nil) || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			if vb, ok := b[k]; !ok || va != vb {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || (a == nil) != (b == nil) || len(a) != len(b) {
			return false
		}
		if sameMap(a, b) {
			return true // one map, handed out by an evidence again
		}
		for k, va := range a {
			if vb, ok := b[k]; !ok || !equalAny(va, vb) {
				return false
			}
		}
		return true
	case []map[string]any:
		b, ok := b.([]map[string]any)
		if !ok || (a == nil) != (b == nil) || len(a) != len(b) {
			return false
		}
		if sameList(a, b) {
			return true // one list, shared by the results that list it
		}
		for i := range a {
			if !equalAny(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// sameMap reports whether a and b are one map, not two equal ones.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameList reports whether a and b are the same non-empty list of equal length.
func sameList[E any](a, b []E) bool { return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0] }

// hashAny hashes an evidence value of a type equalAny compares; ok is false
// for any other type.
func hashAny(v any) (h uint64, ok bool) {
	switch v := v.(type) {
	case string:
		return maphash.String(evidenceSeed, v), true
	case bool:
		if v {
			return 0x5bd1e995, true
		}
		return 0x1b873593, true
	case int:
		return hashInt(v), true
	case float64:
		return fold(math.Float64bits(v) ^ 0x3c6ef372fe94f82b), true
	case []string:
		return hashStrings(v), true
	case map[string]string:
		h = uint64(len(v)) + 0x6a09e667f3bcc908
		if v == nil {
			h = 0x510e527fade682d1
		}
		for k, s := range v {
			h += mix(maphash.String(evidenceSeed, k), maphash.String(evidenceSeed, s))
		}
		return h, true
	case map[string]any:
		return hashMap(v)
	case []map[string]any:
		return hashMaps(v)
	}
	return 0, false
}

// hashInt hashes an int.
func hashInt(v int) uint64 { return fold(uint64(v) ^ 0x2545f4914f6cdd1d) }

// hashStrings hashes a list of strings, a missing list apart from an empty one.
func hashStrings(v []string) uint64 {
	if v == nil {
		return 0x9b05688c2b3e6c1f
	}
	h := uint64(0xbb67ae8584caa73b)
	for _, s := range v {
		h = (h ^ maphash.String(evidenceSeed, s)) * 0x100000001b3
	}
	return h
}

// mapHashStart is what hashMap starts the sum of a map's pairs from.
const mapHashStart = 0x3c6ef372fe94f82b

// hashMap hashes a map, whatever the order its entries are visited in: the
// sum of its pairs' hashes, as an evidence sums them when it describes one.
func hashMap(m map[string]any) (uint64, bool) {
	if m == nil {
		return 0x1f83d9abfb41bd6b, true
	}
	h := uint64(mapHashStart)
	for k, v := range m {
		vh, ok := hashAny(v)
		if !ok {
			return 0, false
		}
		h += mix(maphash.String(evidenceSeed, k), vh)
	}
	return h, true
}

// hashMaps hashes a list of maps.
func hashMaps(v []map[string]any) (uint64, bool) {
	if v == nil {
		return 0x5be0cd19137e2179, true
	}
	h := listHashStart
	for _, m := range v {
		mh, ok := hashMap(m)
		if !ok {
			return 0, false
		}
		h = listHash(h, mh)
	}
	return h, true
}

// listHashStart and listHash work out hashMaps of a non-nil list from the
// hashes of its maps: h = listHash(h, hashMap(m)) for each map m, in order,
// from listHashStart.
const listHashStart uint64 = 0xa54ff53a5f1d36f1

// listHash adds the hash of the next map to the hash of a list; see listHashStart.
func listHash(h, mapHash uint64) uint64 { return (h ^ fold(mapHash)) * 0x100000001b3 }

// mix combines the hashes of a key and its value into the hash of the pair.
func mix(k, v uint64) uint64 { return fold(k ^ (v * 0x9e3779b97f4a7c15)) }

// fold scrambles the bits of a hash, so that sums of hashes spread too.
func fold(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
