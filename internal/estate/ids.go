package estate

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
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
func (x *idIndex) find(list []*Resource, id string) int { return x.findHash(list, id, x.hash(id)) }

// findHash is find for an id that hashes to h.
func (x *idIndex) findHash(list []*Resource, id string, h uint64) int {
	i, ok := x.first[h]
	if !ok {
		return -1
	}
	return x.match(list, id, h, i)
}

// match returns the position of the resource with that id among those whose
// ids hash to h, the first of which is at position first, or -1.
func (x *idIndex) match(list []*Resource, id string, h uint64, first int) int {
	if SameID(list[first].ID, id) {
		return first
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

// addHash is add for an id that hashes to h.
func (x *idIndex) addHash(h uint64, i int) {
	if _, taken := x.first[h]; !taken {
		x.first[h] = i
		return
	}
	x.addMore(h, i)
}

// insertHash returns the position of the resource with that id, which
// hashes to h, in list, as find does, or else records that it is at
// position i, as add does, and returns -1. It looks the hash up once: in a
// large index, that is a cache miss.
func (x *idIndex) insertHash(list []*Resource, id string, h uint64, i int) int {
	j, taken := x.first[h]
	if !taken {
		x.first[h] = i
		return -1
	}
	if j = x.match(list, id, h, j); j >= 0 {
		return j
	}
	x.addMore(h, i)
	return -1
}

// addMore records position i for a hash another id has.
func (x *idIndex) addMore(h uint64, i int) {
	if x.more == nil {
		x.more = map[uint64][]int{}
	}
	x.more[h] = append(x.more[h], i)
}

// hash hashes Lower(id) with the index's seed.
func (x *idIndex) hash(id string) uint64 { return hashID(x.seed, id) }

// hashID hashes Lower(id) with seed. An id that fits a buffer on the stack (almost
// every one) is copied into it, lower-cased there eight bytes at a time and
// hashed in one call; maphash gives the same sum for the same bytes however
// they are written, so longer ids and ids beyond ASCII hash alike in pieces.
func hashID(seed maphash.Seed, id string) uint64 {
	var buf [256]byte
	if len(id) <= len(buf) {
		b := buf[:copy(buf[:], id)]
		if lowerASCIIBytes(b) {
			return maphash.Bytes(seed, b)
		}
	}
	var h maphash.Hash
	h.SetSeed(seed)
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

// lowerASCIIBytes lower-cases b in place and reports whether it is all
// ASCII; when it is not, b is left partly lower-cased. It works on eight
// bytes at a time: 0x80>>2 is the bit that makes a letter lower-case.
func lowerASCIIBytes(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w&highBits != 0 {
			return false
		}
		binary.LittleEndian.PutUint64(b[i:], w|inRange(w, 'A', 'Z')>>2)
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return false
		}
		b[i] = lowerASCII(b[i])
	}
	return true
}
