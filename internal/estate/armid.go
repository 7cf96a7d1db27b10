package estate

import (
	"hash/maphash"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync/atomic"
)

// ID is a parsed ARM resource id. Types are lower-cased; names keep their case.
type ID struct {
	Subscription    string // subscription GUID, lower-case
	ResourceGroup   string // resource group name, lower-case
	ManagementGroup string // management group name, lower-case, for ids under one
	Type            string // full resource type, lower-case, e.g. microsoft.keyvault/vaults/keys
	Name            string // the last name segment
	Parent          string // id of the enclosing resource for child and extension resources
}

// ParseID parses an ARM resource id. The type is the one the id names: for an
// extension resource (…/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/x)
// it is the extension's type, and Parent is the resource it extends.
//
// Every resource read is parsed, and rules parse ids again, so ParseID finds
// the segments in place: the name and the parent are parts of id, and the
// type is built on the stack and, for the types rules read, shared.
func ParseID(id string) (ID, bool) { return parseID(id, true) }

// ParseIDType is ParseID without the scopes: the ID's Subscription,
// ResourceGroup and ManagementGroup are left empty, which spares lower-casing
// (and often copying) them. Readers classify every item by the type its id
// names, and the estate parses the ids it keeps again.
func ParseIDType(id string) (ID, bool) {
	out, ok := parseID(id, false)
	out.Subscription, out.ResourceGroup, out.ManagementGroup = "", "", ""
	return out, ok
}

// parseID is ParseID; the scope names are lower-cased only when scopes is
// set.
func parseID(id string, scopes bool) (ID, bool) {
	var out ID
	if id == "" || id[0] != '/' {
		return out, false
	}
	trimmed := id[1:]
	if trimmed != "" && trimmed[len(trimmed)-1] == '/' {
		trimmed = trimmed[:len(trimmed)-1] // one trailing slash is tolerated
	}
	if trimmed == "" {
		return out, false
	}
	// start[i] is where segment i begins in trimmed; start[n] is one past the end.
	// The slashes are found eight bytes at a time: where they fall in an id
	// is too irregular for a branch per byte to be predicted.
	var starts [32]int
	start := starts[:1]
	for i := 0; i < len(trimmed); i += 8 {
		var w uint64
		if i+8 <= len(trimmed) {
			w = word(trimmed, i)
		} else {
			w = tailWord(trimmed[i:])
		}
		for m := slashes(w); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			if j == start[len(start)-1] {
				return out, false // "//" inside: an empty subscription, group or name
			}
			if len(start) == len(starts)-1 {
				return parseIDSegments(id, trimmed)
			}
			start = append(start, j+1)
		}
	}
	if start[len(start)-1] == len(trimmed) {
		return out, false // "//" at the end
	}
	start = append(start, len(trimmed)+1)
	n := len(start) - 1
	seg := func(i int) string { return trimmed[start[i] : start[i+1]-1] }
	// prefix(i) is "/" + the first i segments joined: the id itself up to
	// there, since start counts from trimmed, one byte behind id.
	prefix := func(i int) string { return id[:start[i]] }
	lastProviders := -1
	for i := 0; i < n-1; i++ { // each word is followed by what it names
		switch s := seg(i); {
		case i == 0 && foldEq(s, "subscriptions"):
			out.Subscription = scope(seg(i+1), scopes)
			i++
		case i == 2 && foldEq(s, "resourcegroups"):
			out.ResourceGroup = scope(seg(i+1), scopes)
			i++
		case foldEq(s, "providers"):
			lastProviders = i
			i++ // skip the namespace
		}
	}
	if lastProviders < 0 {
		switch {
		case out.ResourceGroup != "" && n == 4:
			out.Type, out.Name = "microsoft.resources/subscriptions/resourcegroups", seg(3)
			out.Parent = prefix(2)
		case out.Subscription != "" && n == 2:
			out.Type, out.Name = "microsoft.resources/subscriptions", seg(1)
		default:
			return out, false
		}
		return out, true
	}
	rest := n - (lastProviders + 1) // namespace, type, name, [type, name]...
	if rest < 3 || rest%2 == 0 {
		return out, false
	}
	// The type is looked up as the id spells it, its segments joined but not
	// lower-cased: an estate spells each of its types one way or a few.
	var buf [160]byte
	spelled := append(buf[:0], seg(lastProviders+1)...)
	for i := lastProviders + 2; i < n; i += 2 {
		spelled = append(append(spelled, '/'), seg(i)...)
	}
	slot := &recentTypes[maphash.Bytes(recentSeed, spelled)%uint64(len(recentTypes))]
	if r := slot.Load(); r != nil && r.spelled == string(spelled) {
		out.Type = r.typ
	} else {
		var ok bool
		if out.Type, ok = (*spellings.Load())[string(spelled)]; !ok {
			var lower [160]byte
			typ := AppendLower(lower[:0], seg(lastProviders+1))
			for i := lastProviders + 2; i < n; i += 2 {
				typ = AppendLower(append(typ, '/'), seg(i))
			}
			out.Type = internType(spelled, typ)
		}
		if r == nil {
			slot.CompareAndSwap(nil, &spelling{string(spelled), out.Type})
		}
	}
	out.Name = seg(n - 1)
	switch {
	case rest > 3: // child resource: strip the last type/name pair
		out.Parent = prefix(n - 2)
	case lastProviders > 0: // extension resource: the scope before /providers
		out.Parent = prefix(lastProviders)
		if lastProviders == 4 && out.Type == "microsoft.management/managementgroups" {
			out.Parent = ""
		}
	}
	if scopes && n >= 4 && foldEq(seg(0), "providers") && foldEq(seg(1), "microsoft.management") && foldEq(seg(2), "managementgroups") {
		out.ManagementGroup = Lower(seg(3))
	}
	return out, true
}

// tailWord is word of fewer than eight bytes, padded with zero bytes.
func tailWord(s string) uint64 {
	var w uint64
	for k := len(s) - 1; k >= 0; k-- {
		w = w<<8 | uint64(s[k])
	}
	return w
}

// slashes returns the high bit of each byte of w that is a '/', and no
// other bit.
func slashes(w uint64) uint64 {
	const ones, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	x := w ^ '/'*ones // the slashes are zero bytes now
	// Adding 0x7f to the low seven bits of a byte sets its high bit unless
	// they are all zero; carries never cross into the next byte.
	return ^((x&low7 + low7) | x | low7)
}

// scope returns a scope name lower-cased when lower is set, else as it is:
// parseID tests it only for being there.
func scope(name string, lower bool) string {
	if lower {
		return Lower(name)
	}
	return name
}

// foldEq reports whether Lower(s) == lower for a lower-case ASCII word of
// eight bytes or more with no "k" (the one ASCII letter a non-ASCII rune,
// the Kelvin sign, lower-cases to), without lower-casing s. It compares
// eight bytes at a time, the last eight overlapping the ones before.
func foldEq(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; ; i += 8 {
		i = min(i, len(s)-8)
		// A byte of s matches a letter of lower when it does with the
		// case bit set, and any other byte when it is the same.
		if w := word(lower, i); word(s, i)|inRange(w, 'a', 'z')>>2 != w {
			return false
		}
		if i == len(s)-8 {
			return true
		}
	}
}

// knownTypes are the types rules read; ParseID shares their strings.
var knownTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range RelevantTypes() {
		m[t] = t
	}
	for _, t := range []string{"microsoft.resources/subscriptions/resourcegroups", "microsoft.management/managementgroups"} {
		m[t] = t
	}
	return m
}()

// spellings is knownTypes and the types no rule reads met so far, each
// under its lower-case name and under the ways ids spelled it, sharing one
// string: a large estate names a few hundred types a million times. Ids are
// parsed on every core, so the map is replaced, never changed.
var spellings = func() *atomic.Pointer[map[string]string] {
	var p atomic.Pointer[map[string]string]
	p.Store(&knownTypes)
	return &p
}()

// maxSpellings bounds spellings; types beyond it get a string each.
const maxSpellings = 2048

// recentTypes is a look-up in front of spellings: the first spelling met
// whose hash picks a slot keeps it. It spares most ids the map's probing.
var recentTypes [1024]atomic.Pointer[spelling]

// recentSeed seeds the hashes that pick a slot of recentTypes.
var recentSeed = maphash.MakeSeed()

// spelling is a type as ids spell it and the type.
type spelling struct{ spelled, typ string }

// internType returns the type lower as a string, shared when it is a known
// one, and remembers that ids spell it as spelled.
func internType(spelled, lower []byte) string {
	types := spellings.Load()
	t, ok := (*types)[string(lower)]
	if !ok {
		t = string(lower)
	}
	if len(*types) < len(knownTypes)+maxSpellings {
		m := maps.Clone(*types)
		m[t] = t
		m[string(spelled)] = t
		spellings.CompareAndSwap(types, &m) // losing a race only costs a later miss
	}
	return t
}

// parseIDSegments parses ids of very many segments, which real ids never have.
func parseIDSegments(id, trimmed string) (ID, bool) {
	var out ID
	seg := strings.Split(trimmed, "/")
	if slices.Contains(seg, "") {
		return out, false
	}
	lastProviders := -1
	for i := 0; i < len(seg); i++ {
		switch Lower(seg[i]) {
		case "subscriptions":
			if i == 0 && i+1 < len(seg) {
				out.Subscription = Lower(seg[i+1])
				i++
				continue
			}
		case "resourcegroups":
			if i == 2 && i+1 < len(seg) {
				out.ResourceGroup = Lower(seg[i+1])
				i++
				continue
			}
		case "providers":
			if i+1 < len(seg) {
				lastProviders = i
				i++
				continue
			}
		}
	}
	if lastProviders < 0 {
		return out, false // a subscription or resource group id has few segments
	}
	rest := seg[lastProviders+1:]
	if len(rest) < 3 || len(rest)%2 == 0 {
		return out, false
	}
	types := []string{Lower(rest[0])}
	for i := 1; i < len(rest); i += 2 {
		types = append(types, Lower(rest[i]))
	}
	out.Type = strings.Join(types, "/")
	out.Name = rest[len(rest)-1]
	switch {
	case len(rest) > 3:
		out.Parent = "/" + strings.Join(seg[:len(seg)-2], "/")
	case lastProviders > 0:
		out.Parent = "/" + strings.Join(seg[:lastProviders], "/")
		if lastProviders == 4 && out.Type == "microsoft.management/managementgroups" {
			out.Parent = ""
		}
	}
	if len(seg) >= 4 && Lower(seg[0]) == "providers" && Lower(seg[1]) == "microsoft.management" && Lower(seg[2]) == "managementgroups" {
		out.ManagementGroup = Lower(seg[3])
	}
	return out, true
}

// Within reports whether the resource id lies at or below scope, comparing
// case-insensitively. The root scope "/" contains everything.
func Within(id, scope string) bool {
	// Ids are compared in place, byte by byte, stopping at the first
	// difference: rules ask this for every role assignment of every vault.
	// Up to the first byte beyond ASCII, lower-casing maps byte to byte, so
	// a difference before one is a difference of the lower-cased ids too;
	// from one on, the comparison is left to lower-casing copies.
	s := trimSlashes(scope)
	if s == "" {
		return true
	}
	d := trimSlashes(id)
	n := min(len(d), len(s))
	for i := 0; i < n; i++ {
		a, b := d[i], s[i]
		if a >= 0x80 || b >= 0x80 {
			return withinLower(id, scope)
		}
		if a != b && lowerASCII(a) != lowerASCII(b) {
			return false
		}
	}
	switch {
	case len(d) == len(s):
		return true
	case len(d) > len(s):
		// The rest of the id must start a new segment; no rune lower-cases to '/'.
		return d[n] == '/'
	case !asciiOnly(s[n:]):
		return withinLower(id, scope) // the scope's rest may lower-case shorter
	}
	return false
}

// trimSlashes is strings.TrimRight(s, "/"), inlined.
func trimSlashes(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// withinLower is Within for ids beyond ASCII, where lower-casing can change
// lengths.
func withinLower(id, scope string) bool {
	scope = strings.TrimRight(Lower(scope), "/")
	if scope == "" {
		return true
	}
	id = strings.TrimRight(Lower(id), "/")
	return id == scope || strings.HasPrefix(id, scope+"/")
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Glob matches s against a pattern case-insensitively, where * matches any run
// of characters (slashes included) and ? matches one character. RBAC action
// patterns and policy waiver resource patterns both use it.
func Glob(pattern, s string) bool {
	// ASCII is folded while matching instead of lower-casing copies (role
	// actions are matched for every grant a rule looks at); anything else is
	// lower-cased first, after which folding changes nothing.
	if !asciiOnly(pattern) || !asciiOnly(s) {
		pattern, s = Lower(pattern), Lower(s)
	}
	// Iterative matching, backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || lowerASCII(pattern[pi]) == lowerASCII(s[si])):
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
