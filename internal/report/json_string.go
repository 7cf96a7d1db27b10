package report

import (
	"math/bits"
	"unicode/utf8"
)

// Strings are most of the bytes of a JSON report (ids, messages, evidence),
// and nearly all of their bytes are written as they are. appendJSONString
// therefore looks for the next byte that is not, eight bytes at a time, and
// copies the run before it in one append.

// jsonPlain marks the bytes a JSON string holds as they are: printable ASCII
// other than ", \ and the HTML characters <, > and &.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// Constants for looking at eight bytes of a string at once, one per byte.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// notPlain returns a word whose lowest set bit is the high bit of the first
// byte of x (little-endian) that jsonPlain does not mark, or 0 when every
// byte is plain. Bits above that first byte may be set or not.
//
// Below the first byte that is not plain, every byte is between 0x20 and
// 0x7f, so no subtraction borrows from the next byte and each byte's high bit
// says only whether that byte is special: x - 0x20 sets it for a byte below
// 0x20, x itself for one at or above 0x80, and v-1 for a zero byte of v,
// which is x with " and & (they differ only in bit 2), < and > (only in bit
// 1) or \ mapped to zero.
func notPlain(x uint64) uint64 {
	quoteAmp := (x | 0x04*ones) ^ 0x26*ones
	angle := (x | 0x02*ones) ^ 0x3e*ones
	backslash := x ^ 0x5c*ones
	return ((x - 0x20*ones) | x | (quoteAmp - ones) | (angle - ones) | (backslash - ones)) & highs
}

// plainRun returns the index of the first byte of s at or after i that
// jsonPlain does not mark, or len(s).
func plainRun(s string, i int) int {
	for ; i+16 <= len(s); i += 16 {
		lo, hi := notPlain(word(s, i)), notPlain(word(s, i+8))
		if lo|hi != 0 {
			if lo != 0 {
				return i + bits.TrailingZeros64(lo)>>3
			}
			return i + 8 + bits.TrailingZeros64(hi)>>3
		}
	}
	if i+8 <= len(s) {
		if m := notPlain(word(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	if i == len(s) || len(s) < 8 {
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		return i
	}
	// Fewer than eight bytes are left: take the last eight of s and shift
	// out those before i. The zero bytes shifted in are not plain, so the
	// first byte that is not is found, at len(s) at the latest.
	j := len(s) - 8
	return i + bits.TrailingZeros64(notPlain(word(s, j)>>(8*(i-j))))>>3
}

// word returns the eight bytes of s from i, little-endian.
func word(s string, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping on: <, > and & as \u003c, \u003e and \u0026; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] is yet to be copied
	for i := plainRun(s, 0); i < len(s); i = plainRun(s, i) {
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// lastString is the last string written in one place of a result and its
// encoding, which the next result often repeats: a resource's results
// follow one another, and most resources share their type with the last.
type lastString struct {
	s   string
	enc []byte // s encoded; nil before the first string
}

// append appends s as appendJSONString does, from the encoding it keeps
// when s is the string it encoded last.
func (l *lastString) append(b []byte, s string) []byte {
	if l.enc == nil || s != l.s {
		l.s, l.enc = s, appendJSONString(l.enc[:0], s)
	}
	return append(b, l.enc...)
}

// plainStrings holds long strings that JSON writes as they are, each in a
// slot chosen by its length and last bytes: evidence repeats the ids of keys,
// vaults and workloads, and comparing an id with one met before is cheaper
// than looking at its bytes for characters to escape.
type plainStrings struct {
	slots [1 << plainSlotBits]string
}

// plainSlotBits sets the number of slots of plainStrings; plainMin is the
// shortest string it holds.
const (
	plainSlotBits = 10
	plainMin      = 24
)

// append appends s as appendJSONString does; p may be nil.
func (p *plainStrings) append(b []byte, s string) []byte {
	if p == nil || len(s) < plainMin {
		return appendJSONString(b, s)
	}
	i := ((uint64(len(s)) ^ word(s, len(s)-8)) * 0x9e3779b97f4a7c15) >> (64 - plainSlotBits)
	if p.slots[i] == s {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	start := len(b)
	b = appendJSONString(b, s)
	// Escaping lengthens what it escapes: s is plain when it took only
	// its quotes.
	if len(b)-start == len(s)+2 {
		p.slots[i] = s
	}
	return b
}
