package estate

import (
	"cmp"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// compareIDs orders ARM ids as strings.Compare(Lower(a), Lower(b)) does,
// without making the lower-case copies: a large estate's ids are compared
// far more often than they change.
func compareIDs(a, b string) int {
	for i := range min(len(a), len(b)) {
		ca, cb := a[i], b[i]
		if ca|cb >= utf8.RuneSelf {
			// a[:i] and b[:i] are equal ASCII, so the rest decides; Lower
			// maps rune by rune, so it may be lower-cased on its own.
			return strings.Compare(Lower(a[i:]), Lower(b[i:]))
		}
		if ca, cb = lowerASCII(ca), lowerASCII(cb); ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	// One is a prefix of the other; Lower of a longer rest is never empty.
	return cmp.Compare(len(a), len(b))
}

// SameID reports whether two ids name the same resource: Lower(a) == Lower(b).
func SameID(a, b string) bool {
	if len(a) == len(b) && a == b {
		return true
	}
	return compareIDs(a, b) == 0
}

// idIndex finds resources by id as SameID compares ids, without keeping a
// lower-case copy of each id: it maps a hash of the lower-cased id to the
// resource's position in a list its owner keeps, and checks each candidate.
type idIndex struct {
	seed  maphash.Seed
	first map[uint64]int
	more  map[uint64][]int // further positions whose ids hash alike; almost always empty
}

func newIDIndex(size int) idIndex {
	return idIndex{seed: maphash.MakeSeed(), first: make(map[uint64]int, size)}
}

// find returns the position of the resource with that id in list, or -1.
func (x *idIndex) find(list []*Resource, id string) int {
	return x.findHash(list, id, x.hash(id))
}

// findHash is find for an id whose hash is h.
func (x *idIndex) findHash(list []*Resource, id string, h uint64) int {
	i, ok := x.first[h]
	if !ok {
		return -1
	}
	if SameID(list[i].ID, id) {
		return i
	}
	for _, i := range x.more[h] {
		if SameID(list[i].ID, id) {
			return i
		}
	}
	return -1
}

// add records that the resource with that id is at position i; find must
// not know the id yet.
func (x *idIndex) add(id string, i int) { x.addHash(x.hash(id), i) }

// addHash is add for an id whose hash is h.
func (x *idIndex) addHash(h uint64, i int) {
	if _, taken := x.first[h]; !taken {
		x.first[h] = i
		return
	}
	if x.more == nil {
		x.more = map[uint64][]int{}
	}
	x.more[h] = append(x.more[h], i)
}

// clone returns an index that add may change without changing x.
func (x *idIndex) clone() idIndex {
	c := idIndex{seed: x.seed, first: maps.Clone(x.first)}
	if x.more != nil {
		c.more = make(map[uint64][]int, len(x.more))
		for h, is := range x.more {
			c.more[h] = slices.Clone(is)
		}
	}
	return c
}

// hash hashes Lower(id), lower-casing ASCII on the way.
func (x *idIndex) hash(id string) uint64 {
	var h maphash.Hash
	h.SetSeed(x.seed)
	var buf [128]byte
	n := 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= utf8.RuneSelf {
			h.Write(buf[:n])
			h.WriteString(Lower(id[i:]))
			return h.Sum64()
		}
		buf[n] = lowerASCII(c)
		if n++; n == len(buf) {
			h.Write(buf[:])
			n = 0
		}
	}
	h.Write(buf[:n])
	return h.Sum64()
}
