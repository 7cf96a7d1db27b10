package estate

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Object is a decoded JSON object whose member names are lower-cased, so that
// property lookups are case-insensitive as they are in ARM. Values are string,
// float64, bool, nil, []any or Object.
type Object map[string]any

// Lower lower-cases ARM ids, types and enum values for comparison. It does not
// allocate when s is already lower-case ASCII, which it finds out eight bytes
// at a time: most strings it is given are.
func Lower(s string) string {
	if lowerASCIIString(s) {
		return s
	}
	return strings.ToLower(s)
}

// AppendLower appends Lower(s) to b. Sorting and hashing lower-case ids
// wants them in a buffer, not a string each; an ASCII s, the usual kind, is
// lower-cased in place after it is copied, eight bytes at a time.
func AppendLower(b []byte, s string) []byte {
	start := len(b)
	b = append(b, s...)
	if lowerASCIIBytes(b[start:]) {
		return b
	}
	return append(b[:start], Lower(s)...)
}

// lowerASCIIString reports whether s is ASCII without upper-case letters. It
// reads eight bytes at a time, as lowerASCIIBytes does.
func lowerASCIIString(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if w := word(s, i); w&highBits != 0 || inRange(w, 'A', 'Z') != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// highBits has the high bit of each of eight bytes set: a word of ASCII has
// none of them.
const highBits = 0x8080808080808080

// word returns the eight bytes of s from i on as a little-endian word; the
// compiler makes one load of them.
func word(s string, i int) uint64 {
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// inRange returns the high bit of each byte of the ASCII word w that lies
// in [lo, hi], and no other bit. Adding 0x80-c to an ASCII byte sets its
// high bit when it is c or more, and carries into no other byte.
func inRange(w uint64, lo, hi byte) uint64 {
	const ones = 0x0101010101010101
	return (w + uint64(0x80-lo)*ones) &^ (w + uint64(0x80-hi-1)*ones) & highBits
}

// Get returns the value at a dotted path such as "encryption.keysource", or nil.
// Path segments are matched case-insensitively.
func (o Object) Get(path string) any {
	var cur any = o
	for path != "" {
		seg := path
		if i := strings.IndexByte(path, '.'); i >= 0 {
			seg, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		m, ok := cur.(Object)
		if !ok {
			return nil
		}
		cur = m[Lower(seg)]
	}
	return cur
}

// Has reports whether path holds a value other than null, "" or an empty object.
func (o Object) Has(path string) bool {
	switch v := o.Get(path).(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	case Object:
		return len(v) > 0
	default:
		return true
	}
}

// Str returns the string at path; numbers and booleans are formatted, anything
// else gives "".
func (o Object) Str(path string) string { return Scalar(o.Get(path)) }

// Scalar formats a decoded JSON value as Str does: a string as it is, a number
// or boolean as text, anything else as "". Readers use it for values they
// hold outside an Object.
func Scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Bool returns the boolean at path. Like Azure Policy it accepts the strings
// "true" and "false" in any case. ok is false when the value is absent or not a
// boolean.
func (o Object) Bool(path string) (v, ok bool) { return Bool(o.Get(path)) }

// Bool reads a decoded JSON value as Object.Bool does, for values held
// outside an Object.
func Bool(v any) (b, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch Lower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// Num returns the number at path; numeric strings are accepted.
func (o Object) Num(path string) (float64, bool) { return Num(o.Get(path)) }

// Num reads a decoded JSON value as Object.Num does, for values held outside
// an Object.
func Num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// Obj returns the object at path, or nil.
func (o Object) Obj(path string) Object {
	m, _ := o.Get(path).(Object)
	return m
}

// List returns the array at path, or nil.
func (o Object) List(path string) []any {
	l, _ := o.Get(path).([]any)
	return l
}

// Strs returns the strings of the array at path, skipping other values.
func (o Object) Strs(path string) []string {
	var out []string
	for _, v := range o.List(path) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// EqualFold reports whether the string at path equals want, ignoring case.
func (o Object) EqualFold(path, want string) bool {
	return strings.EqualFold(strings.TrimSpace(o.Str(path)), want)
}
