package input

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 256

// maxListDepth bounds how deeply lists of items may nest inside each other
// (pages of {"value": [...]} collected into one array, and so on).
const maxListDepth = 4

// bufferSize is the size of the buffer input is read through.
const bufferSize = 64 << 10

// bufferPool keeps the input buffers between reads: a folder of many small
// files should not allocate one per file.
var bufferPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufferSize) }}

// decodeOptions are the options of every decoder: Azure's JSON repeats
// member names in other cases, and exports carry invalid UTF-8 now and then.
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// Read reads one input stream named name (a path, or "-" for stdin). It
// recognises every shape of the package documentation by content; a stream may
// hold several top-level values (NDJSON, or concatenated documents). UTF-8
// text is read in blocks decoded on every core (see readBlocks); UTF-16 text
// is converted and read in one pass.
func Read(ctx context.Context, name string, r io.Reader, sink Sink) error {
	br := bufferPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		bufferPool.Put(br)
	}()
	enc, err := sniffEncoding(br)
	if err != nil {
		return &PositionError{File: name, Line: 1, Err: err}
	}
	rd := &reader{ctx: ctx, name: name, sink: sink}
	switch enc {
	case encUTF16LE, encUTF16BE:
		rd.utf16 = true
		return rd.readStream(newUTF16Reader(br, enc == encUTF16BE), 0, 0, 0)
	case encUTF8BOM:
		rd.base = 3
	}
	if !readInBlocks {
		return rd.readStream(br, 0, 0, 0)
	}
	return readBlocks(rd, br)
}

// readInBlocks lets tests read UTF-8 text in one pass, to check that reading
// it in blocks changes nothing.
var readInBlocks = true

// readStream reads the rest of the text from r in one pass: r starts at
// offset start of the text, after lines newlines and values top-level values.
// It is the whole read of UTF-16 text, and where reading in blocks falls back
// to when a block does not hold whole values.
func (rd *reader) readStream(r io.Reader, start int64, lines, values int) error {
	rd.start = start
	rd.lines = &lineCounter{r: r, pass: lines}
	rd.dec = jsontext.NewDecoder(rd.lines, decodeOptions...)
	n, err := rd.readValues()
	if err == nil && values+n == 0 {
		return rd.errAt(rd.lines.read, errors.New("the input is empty: it holds no JSON value"))
	}
	return err
}

// readValues reads top-level values until the end of the decoder's input and
// returns how many it read. Each value's warnings are handed over after it.
func (rd *reader) readValues() (int, error) {
	defer rd.flush()
	values := 0
	for {
		if err := rd.ctx.Err(); err != nil {
			return values, err
		}
		kind := rd.dec.PeekKind()
		if kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			if errors.Is(err, io.EOF) {
				return values, nil
			}
			return values, rd.wrap(err)
		}
		start := rd.valueStart()
		values++
		var err error
		switch kind {
		case '[':
			err = rd.readList(0)
		case '{':
			var it *item
			if it, err = rd.readObject(start, 0, true); it != nil {
				rd.handle(it, "")
				rd.release(it)
			}
		default:
			return values, rd.errAt(start, fmt.Errorf("the input holds a JSON %s, not an object or an array of ARM resources", kindName(kind)))
		}
		rd.flush()
		if err != nil {
			return values, err
		}
	}
}

// reader is the state of reading one stream.
type reader struct {
	ctx   context.Context
	name  string
	dec   *jsontext.Decoder
	lines *lineCounter
	sink  Sink
	base  int64 // bytes before the decoded text (a UTF-8 byte-order mark)
	start int64 // offset in the decoded text of the decoder's first byte
	utf16 bool  // the text was converted from UTF-16
	quiet bool  // decoding a nested document (a Log Analytics dynamic column): no positions
	// block is set while decoding a block of text held in memory (see
	// readBlocks), whose errors are not reported: the text is read again in
	// one pass from that block.
	block bool
	// reuse is set when the sink lets go of the resources of types no rule
	// reads once Add returns; slab then holds those of the block being
	// decoded (see slab).
	reuse bool
	slab  *slab
	// free holds released items for newItem.
	free []*item
	// pending holds the warnings about the item being read; flush hands them
	// to the sink in input order.
	pending []estate.Warning
	// skipped is decodeMembers' list of the members it passed over.
	skipped []string
	// checking is check's list of the member names met, level by level.
	checking []string
	// tagAt is readTags' index of a long list of tags.
	tagAt map[string]int
	// names caches member names, so that the many objects of a large input
	// share one copy of each; strs interns short string values.
	names *nameCache
	strs  *stringCache
	// order holds the names of the members of the items read last, tagOrder
	// the keys of their tags, and props the names of the properties of
	// resources of each type, by index (see memberAt).
	order    []knownName
	tagOrder []knownName
	props    map[string]*[]knownName
	spare    knownName // memberAt's entry for a name at an index not remembered
	// bits holds the names nameBit gave a bit to.
	bits map[string]uint64
	// last is the id parsed last: an item's id is looked at while it is
	// decoded and again when it is converted.
	last struct {
		raw      string
		id       estate.ID
		relevant bool
		ok       bool
	}
}

// memberName is a member name in lower case, with what readObject may pass
// over when a member of that name holds a string.
type memberName struct {
	lower   string
	unread  bool   // unreadMembers
	display bool   // displayMembers
	checked bool   // checkedMembers
	id      bool   // "id" or "resourceid"
	slot    slot   // where an item keeps it (see known.go)
	bit     uint64 // the name's bit in item.names, or 0 (see seen); set by memberAt
}

// nameCache holds the member names met, as written (raw JSON, quotes and
// escapes included), with their lower-case form: a large input repeats the
// same few hundred names millions of times. It is direct-mapped, each slot
// holding the last name that hashed to it (see nameKey).
type nameCache struct {
	slots [1 << nameBits]knownName
}

// knownName is a member name as the name cache holds it.
type knownName struct {
	key  nameKey
	raw  string // the name, when key does not hold all of it
	text string // the name unquoted, in the case it is written in
	m    memberName
	// listed is set in the order of the properties of a type (see
	// propertyOrder) when estate.PropertyMembers lists the name.
	listed bool
	// bitSet is set once m.bit is the name's bit (see nameBit), which the
	// name cache keeps: a name met at a new index is not looked up again.
	bitSet bool
}

// is reports whether the name is the one raw, whose key is k.
func (e *knownName) is(k nameKey, raw []byte) bool {
	return e.key == k && (k.n <= maxKeyed || e.raw == string(raw))
}

// lowerName returns the lower-case form of a member name given as raw JSON.
func (rd *reader) lowerName(raw []byte) string { return rd.member(raw).lower }

// member returns the member name given as raw JSON, classified.
func (rd *reader) member(raw []byte) memberName { return rd.known(keyOf(raw), raw).m }

// memberAt is member for the member at index i of an object whose members
// were met before in order. The items of an input, and the properties of
// resources of one type, mostly list the same members in the same order, so
// the name met at that index before is tried first: it is at hand, where the
// name cache is large enough to be slow to reach.
//
// It returns the name's entry, which the caller may note more in when fresh
// is set (the name was not the one met at i before). The entry is the
// caller's until the next call.
//
// Names met through memberAt get their bit (see nameBit), unless bits is
// false (tag keys): names met only deeper down or as data need none.
func (rd *reader) memberAt(order *[]knownName, i int, raw []byte, bits bool) (e *knownName, fresh bool) {
	k := keyOf(raw)
	o := *order
	if i < len(o) && o[i].is(k, raw) {
		return &o[i], false
	}
	e = rd.known(k, raw)
	if bits && !e.bitSet {
		e.m.bit, e.bitSet = rd.nameBit(e.m.lower), true
	}
	switch {
	case i < len(o):
		o[i] = *e
		e = &o[i]
	case i == len(o) && i < maxOrder:
		*order = append(o, *e)
		e = &(*order)[i]
	default:
		rd.spare = *e
		e = &rd.spare
	}
	return e, true
}

// maxOrder bounds how many members of an object memberAt remembers.
const maxOrder = 64

// maxOrders bounds how many types the order of properties is remembered
// for.
const maxOrders = 256

// propertyOrder returns the order of the properties of resources of a type
// (see memberAt).
func (rd *reader) propertyOrder(typ string) *[]knownName {
	o, ok := rd.props[typ]
	if !ok {
		if rd.props == nil || len(rd.props) == maxOrders {
			rd.props = map[string]*[]knownName{}
		}
		o = new([]knownName)
		rd.props[typ] = o
	}
	return o
}

// known returns the name cache's entry for the raw member name whose key is
// k, made if need be.
func (rd *reader) known(k nameKey, raw []byte) *knownName {
	if rd.names == nil {
		rd.names = &nameCache{}
	}
	e := &rd.names.slots[k.slot()]
	if !e.is(k, raw) {
		text := rd.unquote(raw)
		lower := estate.Lower(text)
		e.key, e.raw, e.text, e.bitSet = k, "", text, false
		if k.n > maxKeyed {
			e.raw = string(raw)
		}
		e.m = memberName{lower: lower, unread: unreadMembers[lower], display: displayMembers[lower],
			checked: checkedMembers[lower], id: lower == "id" || lower == "resourceid", slot: slotOf(lower)}
	}
	return e
}

// nameBits is the size of the name cache, in bits of a slot number.
const nameBits = 12

// maxKeyed is the length of the longest raw name a nameKey holds whole.
const maxKeyed = 24

// nameKey is a raw member name as its length and up to 24 of its bytes in
// three words: the whole name when it is at most maxKeyed bytes long (the
// words overlap for shorter ones), which most are. Names are looked up for
// every member read; comparing keys spares comparing the bytes.
type nameKey struct {
	n       int
	a, b, c uint64
}

// keyOf returns the key of a raw member name.
func keyOf(raw []byte) nameKey {
	n := len(raw)
	k := nameKey{n: n}
	if n < 8 {
		for i, c := range raw {
			k.a |= uint64(c) << (8 * i)
		}
		return k
	}
	k.a, k.b = binary.LittleEndian.Uint64(raw), binary.LittleEndian.Uint64(raw[n-8:])
	if n > 16 {
		k.c = binary.LittleEndian.Uint64(raw[n/2-4:])
	}
	return k
}

// slot picks the slot of the name cache for a key, a few multiplications.
// Names that share a slot only cost the lower-casing of a miss, so a poor
// spread is slower, never wrong.
func (k nameKey) slot() uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xff51afd7ed558ccd
	h := (uint64(k.n)*m1 ^ k.a) * m2
	h = (h ^ k.b) * m1
	h = (h ^ k.c) * m2
	return h >> (64 - nameBits)
}

// nameBit returns the bit of a lower-case member name in item.names: the
// first 64 names a reader meets get one, for good; later ones get 0.
func (rd *reader) nameBit(lower string) uint64 {
	if b, ok := rd.bits[lower]; ok || len(rd.bits) == 64 {
		return b
	}
	if rd.bits == nil {
		rd.bits = make(map[string]uint64, 64)
	}
	b := uint64(1) << len(rd.bits)
	rd.bits[lower] = b
	return b
}

// maxShort bounds the strings unquote interns.
const maxShort = 256

// stringCache interns strings: a direct-mapped table, each slot holding the
// last string that hashed to it. Strings that repeat (types, locations, tag
// keys and values, enum values, and the ids resources refer to: disk
// encryption sets, role definitions, scopes, vault URIs) stay; one-off ones
// pass through without growing anything. A slot holds its string also as an
// interface value, so that decoded values share the box as well.
type stringCache struct {
	seed  maphash.Seed
	slots [8192]interned
}

// interned is a slot of a stringCache.
type interned struct {
	h uint64 // the hash of s: a string that misses mostly differs in it
	s string
	v any // s as an interface value, once one is asked for
}

// unquote returns the string a raw JSON string holds, as Token.String does
// (invalid UTF-8 replaced). Strings up to maxShort bytes are interned, so
// that the resources an estate keeps share one copy of each and reading
// allocates less.
func (rd *reader) unquote(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	if !plainString(inner) {
		b, _ := jsontext.AppendUnquote(nil, raw)
		return string(b)
	}
	if len(inner) > maxShort || len(inner) == 0 {
		return string(inner)
	}
	return rd.intern(inner).s
}

// unquoteOnce is unquote for a string that does not repeat, as a value: it is
// not interned.
func (rd *reader) unquoteOnce(raw []byte) any {
	if inner := raw[1 : len(raw)-1]; plainString(inner) {
		return string(inner)
	}
	return rd.unquote(raw)
}

// idValue is unquoteOnce for an id. The id of a resource of a type no rule
// reads lies in the block's slab, when there is one, as the resource does
// (see slab): the sink lets go of both.
func (rd *reader) idValue(raw []byte) any {
	inner := raw[1 : len(raw)-1]
	if rd.slab == nil || len(inner) == 0 || !plainString(inner) {
		return rd.unquoteOnce(raw)
	}
	s := rd.slab.str(inner)
	if _, relevant, ok := rd.parseID(strings.TrimSpace(s)); ok && !relevant {
		return s
	}
	// Anything else is kept: its id, and the parts of it the parse holds,
	// move to the heap.
	id := string(inner)
	rd.last.raw, rd.last.id = strings.TrimSpace(id), rebase(rd.last.id, strings.TrimSpace(id))
	rd.slab.unstr(len(inner))
	return id
}

// rebase returns id, parsed from a string equal to s, with the strings that
// may be parts of the string parsed taken from s instead (or copied, should
// they not be parts of it). The type is never a part: the parse builds it
// (see estate.ParseID).
func rebase(id estate.ID, s string) estate.ID {
	part := func(p string) string {
		switch {
		case strings.HasPrefix(s, p): // the parent, and scopes not parsed
			return s[:len(p)]
		case strings.HasSuffix(s, p): // the name
			return s[len(s)-len(p):]
		}
		if i := strings.LastIndex(s, p); i >= 0 {
			return s[i : i+len(p)]
		}
		return strings.Clone(p)
	}
	id.Subscription, id.ResourceGroup, id.ManagementGroup = part(id.Subscription), part(id.ResourceGroup), part(id.ManagementGroup)
	id.Name, id.Parent = part(id.Name), part(id.Parent)
	return id
}

// stringValue is unquote for a decoded value: the string as an interface
// value, shared when the string is interned.
func (rd *reader) stringValue(raw []byte) any {
	if inner := raw[1 : len(raw)-1]; len(inner) <= maxShort && len(inner) > 0 && plainString(inner) {
		slot := rd.intern(inner)
		if slot.v == nil {
			slot.v = slot.s
		}
		return slot.v
	}
	return rd.unquote(raw)
}

// intern returns the slot of the string cache holding s.
func (rd *reader) intern(s []byte) *interned {
	if rd.strs == nil {
		rd.strs = &stringCache{seed: maphash.MakeSeed()}
	}
	h := maphash.Bytes(rd.strs.seed, s)
	slot := &rd.strs.slots[h&(uint64(len(rd.strs.slots))-1)]
	if slot.h != h || slot.s != string(s) {
		*slot = interned{h: h, s: string(s)}
	}
	return slot
}

// plainString reports whether the text between a raw JSON string's quotes is
// the string itself: no escapes, and valid UTF-8 (the decoder has already
// rejected control characters and bare quotes).
func plainString(b []byte) bool {
	return bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b)
}

// pruneProperties lets tests read properties whole, to check that decoding
// only the members estate.PropertyMembers lists changes nothing.
var pruneProperties = true

// decodeMembers decodes the next value, an object of properties, keeping only
// the members listed (names lower-cased) and passing over the others
// undecoded. A member given twice is warned about as decodeValue does. order
// is the order of the members met before in such objects (see memberAt).
func (rd *reader) decodeMembers(members map[string]bool, order *[]knownName) (estate.Object, error) {
	if rd.dec.StackDepth() >= maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, err
	}
	obj := estate.Object{}
	skipped := rd.skipped[:0]
	defer func() { rd.skipped = skipped[:0] }()
	var names uint64
	for i := 0; rd.dec.PeekKind() != '}'; i++ {
		raw, err := rd.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		e, fresh := rd.memberAt(order, i, raw, true)
		name := e.m.lower
		if fresh {
			e.listed = members[name]
		}
		// A member listed is kept in obj, one not listed noted in skipped;
		// one whose name has a bit (see nameBit) is noted in names too.
		listed := e.listed
		var dup bool
		switch {
		case e.m.bit != 0:
			dup = names&e.m.bit != 0
			names |= e.m.bit
		case listed:
			_, dup = obj[name]
		default:
			dup = slices.Contains(skipped, name)
		}
		if dup && !rd.quiet {
			rd.warn(rd.here(), "member %q appears again in one object (names compare case-insensitively); the last one is used", name)
		}
		if !listed {
			if err := rd.skip(); err != nil {
				return nil, err
			}
			if e.m.bit == 0 {
				skipped = append(skipped, name)
			}
			continue
		}
		v, err := rd.decodeValue(keepCase(name))
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
	_, err := rd.dec.ReadToken()
	return obj, err
}

// skip passes over the next value. In a block of text held in memory it is
// read as one raw value, which the decoder checks in one sweep instead of
// token by token (several times faster for an object). Both accept the same
// text, but may report an error differently; a block's errors are not
// reported (the text is read again in one pass, which skips token by token).
func (rd *reader) skip() error {
	if rd.block {
		_, err := rd.dec.ReadValue()
		return err
	}
	return rd.dec.SkipValue()
}

// parseID is estate.ParseID with a one-entry cache, and estate.Relevant of
// the id's type.
func (rd *reader) parseID(raw string) (id estate.ID, relevant, ok bool) {
	if raw != rd.last.raw || raw == "" {
		rd.last.raw = raw
		rd.last.id, rd.last.ok = estate.ParseIDType(raw)
		rd.last.relevant = rd.last.ok && estate.Relevant(rd.last.id.Type)
	}
	return rd.last.id, rd.last.relevant, rd.last.ok
}

// item is one decoded object at the level where resources, audit records and
// headers are found, with where it and each of its members start.
type item struct {
	// obj holds the members that have no slot (see known.go).
	obj      estate.Object
	known    [nSlots]any // the members that have one
	held     uint32      // bit s is set when slot s holds a member
	src      estate.Source
	at       []member // top-level members in input order
	names    uint64   // the bits (see nameBit) of the names in at
	children []*item  // objects nested in its "resources" list
	// skipped is set when "properties" was passed over undecoded because no
	// rule reads resources of this type.
	skipped bool
	// badTags are the tags readTags found holding objects or arrays, with
	// their JSON types.
	badTags map[string]string
	// tags is what readTags read, sorted, until the item is released
	// (its tags slot holds a readTagsMark): a resource that keeps its tags
	// copies it.
	tags estate.Tags
	// skims are string members of a resource of such a type kept as written
	// in scratch instead of decoded (see displayMembers), in input order.
	skims   []skim
	scratch []byte
	// identity holds the "identity" member read last, until the item is
	// released.
	identity estate.Object
	// sku is the JSON type of the last "sku" member, checked rather than
	// decoded (see checkedMembers); "" when there is none.
	sku string
}

type member struct {
	name   string // lower-case
	offset int64
	line   int
}

// seen reports whether a member of that name was met before in the item:
// the one before is warned about, whether it was kept in obj or not. A name
// with a bit is looked for by its bit, one without in at.
func (it *item) seen(m memberName) bool {
	if m.bit != 0 {
		return it.names&m.bit != 0
	}
	for _, a := range it.at {
		if a.name == m.lower {
			return true
		}
	}
	return false
}

// pos returns where the value of a top-level member starts, or where the item
// starts when the member is absent.
func (it *item) pos(name string) estate.Source {
	for _, m := range it.at {
		if m.name == name {
			return estate.Source{File: it.src.File, Offset: m.offset, Line: m.line}
		}
	}
	return it.src
}

// src turns an offset of the decoded text into a Source. Offsets must be asked
// for in increasing order (see lineCounter).
func (rd *reader) src(off int64) estate.Source {
	if rd.quiet {
		return estate.Source{File: rd.name}
	}
	return estate.Source{File: rd.name, Offset: rd.start + off + rd.base, Line: rd.lines.line(off)}
}

func (rd *reader) warn(src estate.Source, format string, args ...any) {
	rd.pending = append(rd.pending, estate.Warning{Source: src, Message: fmt.Sprintf(format, args...)})
}

// flush hands the pending warnings to the sink, ordered by position.
func (rd *reader) flush() {
	slices.SortStableFunc(rd.pending, func(a, b estate.Warning) int { return cmp.Compare(a.Source.Offset, b.Source.Offset) })
	for _, w := range rd.pending {
		rd.sink.Warn(w.Source, "%s", w.Message)
	}
	rd.pending = rd.pending[:0]
}

// here is the position just after the last token read.
func (rd *reader) here() estate.Source { return rd.src(rd.dec.InputOffset()) }

// valueStart returns the offset where the next value starts: InputOffset
// stops after the previous token, before the separator and blank space.
func (rd *reader) valueStart() int64 {
	off := rd.dec.InputOffset()
	if rd.dec.PeekKind() == jsontext.KindInvalid {
		return off
	}
	b := rd.dec.UnreadBuffer()
	i := 0
	for i < len(b) && isSeparator(b[i]) {
		i++
	}
	return off + int64(i)
}

func isSeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':'
}

// errAt makes a PositionError at an offset of the decoded text.
func (rd *reader) errAt(off int64, err error) error {
	if rd.utf16 {
		err = fmt.Errorf("%w (the input is UTF-16; the byte offset counts its UTF-8 conversion)", err)
	}
	return &PositionError{File: rd.name, Offset: rd.start + off + rd.base, Line: rd.lines.line(off), Err: err}
}

// wrap turns a decoder error into a PositionError.
func (rd *reader) wrap(err error) error {
	var perr *PositionError
	if err == nil || errors.As(err, &perr) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	off := rd.dec.InputOffset()
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		off = syn.ByteOffset
		err = syn.Err
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("unexpected end of input: the JSON is truncated")
		case strings.Contains(err.Error(), "invalid character '/'"):
			err = fmt.Errorf("%w: JSON has no comments (ARM templates with comments are not read)", err)
		case rd.start+off == 0:
			err = fmt.Errorf("the input is not JSON: %w", err)
		case syn.JSONPointer != "":
			err = fmt.Errorf("in %s: %w", syn.JSONPointer, err)
		}
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		off = rd.lines.read
		err = errors.New("unexpected end of input: the JSON is truncated")
	}
	return rd.errAt(off, err)
}

// readList streams the elements of a list of items, one at a time: the
// top-level array, or the list of an envelope ({"value": [...]} and the like).
func (rd *reader) readList(depth int) error {
	if _, err := rd.dec.ReadToken(); err != nil {
		return rd.wrap(err)
	}
	for {
		if err := rd.ctx.Err(); err != nil {
			return err
		}
		kind := rd.dec.PeekKind()
		if kind == ']' || kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			return rd.wrap(err)
		}
		start := rd.valueStart()
		switch {
		case kind == '{':
			it, err := rd.readObject(start, depth+1, depth+1 < maxListDepth)
			if err != nil {
				return err
			}
			if it != nil {
				rd.handle(it, "")
				rd.release(it)
			}
			rd.flush()
		case kind == '[' && depth+1 < maxListDepth:
			if err := rd.readList(depth + 1); err != nil {
				return err
			}
		default:
			src := rd.src(start)
			if err := rd.skip(); err != nil {
				return rd.wrap(err)
			}
			rd.warn(src, "list element is a JSON %s, not an object; skipped", kindName(kind))
		}
	}
}

// containers are the members that hold the list of items in the envelope
// shapes: ARM lists, Resource Graph results, audit-log exports.
var containers = map[string]bool{"value": true, "data": true, "records": true}

// readObject reads an object at item level. When envelopes is set and the
// object holds a list of items ({"value": [...]}, {"data": [...]},
// {"records": [...]}, a Resource Graph or Log Analytics table), the list is
// streamed and readObject returns nil; otherwise it returns the object, its
// children (the "resources" list) decoded as items of their own. What no one
// reads is passed over (see unread.go).
func (rd *reader) readObject(start int64, depth int, envelopes bool) (*item, error) {
	if rd.dec.StackDepth() >= maxDepth {
		return nil, rd.errAt(start, fmt.Errorf("JSON nested deeper than %d levels", maxDepth))
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, rd.wrap(err)
	}
	it := rd.newItem(rd.src(start))
	envelope, irrelevant, skimming := false, false, false
	typ := "" // the type the id names, once it is read
	for {
		kind := rd.dec.PeekKind()
		if kind == '}' {
			break
		}
		raw, err := rd.dec.ReadValue()
		if err != nil {
			return nil, rd.wrap(err)
		}
		e, _ := rd.memberAt(&rd.order, len(it.at), raw, true)
		m := e.m
		name := m.lower
		kind = rd.dec.PeekKind()
		vsrc := rd.src(rd.valueStart())
		// A member given again is warned about: before an object or an
		// array is read (reading one may hand items over), after anything
		// else is read (late).
		nested := kind == '{' || kind == '['
		again := it.seen(m)
		if again && nested {
			rd.warnAgain(vsrc, name)
		}
		late := again && !nested
		it.at = append(it.at, member{name, vsrc.Offset, vsrc.Line})
		it.names |= m.bit
		switch {
		case kind == '[' && envelopes && containers[name]:
			envelope = true
			if err := rd.readList(depth); err != nil {
				return nil, err
			}
			continue
		case envelopes && name == "tables" && kind == '[':
			envelope = true
			if err := rd.readTables(depth); err != nil {
				return nil, err
			}
			continue
		case envelopes && name == "data" && kind == '{':
			rest, table, err := rd.readTable(depth)
			if err != nil {
				return nil, err
			}
			if table {
				envelope = true
			} else {
				it.store(m.slot, name, rest)
			}
			continue
		case name == "resources" && kind == '[':
			children, err := rd.readChildren(depth)
			if err != nil {
				return nil, err
			}
			it.children = append(it.children, children...)
			continue
		case name == "properties" && irrelevant:
			if late {
				rd.warnAgain(vsrc, name)
			}
			if err := rd.skip(); err != nil {
				return nil, rd.wrap(err)
			}
			it.skipped = true
			continue
		case kind == '"' && m.unread && skipUnread:
			// A string no one reads: it is noted as present and passed
			// over (a string cannot hold anything to warn about).
			err := rd.skip()
			if late {
				rd.warnAgain(vsrc, name)
			}
			if err != nil {
				return nil, rd.wrap(err)
			}
			continue
		case (m.unread || m.checked) && skipUnread:
			// A value no one reads, or only the JSON type of: it is checked
			// for what decoding it would warn about, and not kept.
			typ, err := rd.check(false)
			if late {
				rd.warnAgain(vsrc, name)
			}
			if err != nil {
				return nil, rd.wrap(err)
			}
			if name == "sku" {
				it.sku = typ
			}
			continue
		case kind == '"' && m.display && skimming && skipUnread:
			held := it.holds(m.slot, name)
			if late {
				rd.warnAgain(vsrc, name)
			}
			raw, err := rd.dec.ReadValue()
			if err != nil {
				return nil, rd.wrap(err)
			}
			if again {
				it.forget(name)
			}
			if held {
				it.remove(m.slot, name)
			}
			start := len(it.scratch)
			it.scratch = append(it.scratch, raw...)
			it.skims = append(it.skims, skim{name, start, len(it.scratch)})
			continue
		case name == "tags" && kind == '{':
			if err := rd.readTags(it); err != nil {
				return nil, rd.wrap(err)
			}
			it.store(m.slot, name, readTagsMark{})
			continue
		case name == "properties" && kind == '{' && typ != "" && pruneProperties:
			if members, all := estate.PropertyMembers(typ); !all {
				v, err := rd.decodeMembers(members, rd.propertyOrder(typ))
				if err != nil {
					return nil, rd.wrap(err)
				}
				it.store(m.slot, name, v)
				continue
			}
		}
		var v any
		switch {
		case kind == '"' && m.id && rd.dec.StackDepth() < maxDepth:
			// An id is unique to its resource: interning it would only push
			// out strings that repeat.
			if raw, err = rd.dec.ReadValue(); err == nil {
				v = rd.idValue(raw)
			}
		case kind == '{' && m.slot == sIdentity && rd.dec.StackDepth() < maxDepth:
			// What is read of an identity is copied out of it (see
			// identity, caller), so the item's map serves every one.
			if _, err = rd.dec.ReadToken(); err == nil {
				clear(it.identity)
				if it.identity == nil {
					it.identity = make(estate.Object, 4)
				}
				v, err = rd.decodeObject(it.identity, false)
			}
		default:
			v, err = rd.decodeValue(keepCase(name))
		}
		if late {
			rd.warnAgain(vsrc, name)
		}
		if err != nil {
			return nil, rd.wrap(err)
		}
		if m.display {
			it.forget(name)
		}
		it.store(m.slot, name, v)
		if name == "id" || name == "resourceid" {
			// Once the id says no rule reads this type, its properties (the
			// bulk of a resource) need not be decoded, nor the members only
			// shown for it.
			if s, ok := v.(string); ok {
				if pid, relevant, ok := rd.parseID(strings.TrimSpace(s)); ok {
					typ = pid.Type
					irrelevant = !relevant
				}
			}
			if name == "id" {
				skimming = rd.unshown(it)
			}
		}
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, rd.wrap(err)
	}
	if envelope {
		rd.envelopeNotes(it)
		rd.release(it)
		return nil, nil
	}
	return it, nil
}

// warnAgain warns about a member given again in one object.
func (rd *reader) warnAgain(src estate.Source, name string) {
	rd.warn(src, "member %q appears again (names compare case-insensitively); the last one is used", name)
}

// newItem returns an empty item, one released before when there is one:
// items are handled as soon as they are read, so a few serve a whole input
// and reading a million resources does not make a million item maps.
func (rd *reader) newItem(src estate.Source) *item {
	if n := len(rd.free); n > 0 {
		it := rd.free[n-1]
		rd.free = rd.free[:n-1]
		it.src = src
		return it
	}
	// An ARM resource or Resource Graph row has about 16 members.
	return &item{src: src, obj: make(estate.Object, 16), at: make([]member, 0, 16)}
}

// release takes back a handled item and its children for newItem. Nothing
// read from an item keeps its map: values are copied or taken out of it.
func (rd *reader) release(it *item) {
	for _, c := range it.children {
		rd.release(c)
	}
	clear(it.obj)
	it.clearSlots()
	clear(it.children)
	it.at, it.children, it.skipped, it.sku, it.names = it.at[:0], it.children[:0], false, "", 0
	it.skims, it.scratch = it.skims[:0], it.scratch[:0]
	clear(it.badTags)
	clear(it.identity)
	clear(it.tags)
	it.tags = it.tags[:0]
	if len(rd.free) < 64 {
		rd.free = append(rd.free, it)
	}
}

// envelopeNotes warns about what an envelope says of its own completeness.
func (rd *reader) envelopeNotes(it *item) {
	o := it.whole()
	if o.Has("id") {
		rd.warn(it.pos("id"), "an object holding a list of items also has an \"id\"; only its items were read")
	}
	if o.EqualFold("resulttruncated", "true") {
		rd.warn(it.pos("resulttruncated"), "the Resource Graph result is truncated (resultTruncated is true): rows are missing; project the id column so that paging works")
	}
	if e := o.Obj("error"); e != nil {
		rd.warn(it.pos("error"), "the response reports an error beside its results (%s: %s): they may be partial", e.Str("code"), e.Str("message"))
	}
}

// readChildren reads a "resources" list of nested child resources.
func (rd *reader) readChildren(depth int) ([]*item, error) {
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, rd.wrap(err)
	}
	var out []*item
	for {
		kind := rd.dec.PeekKind()
		if kind == ']' || kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			return out, rd.wrap(err)
		}
		start := rd.valueStart()
		if kind != '{' {
			src := rd.src(start)
			if err := rd.skip(); err != nil {
				return nil, rd.wrap(err)
			}
			rd.warn(src, "element of \"resources\" is a JSON %s, not a child resource; skipped", kindName(kind))
			continue
		}
		it, err := rd.readObject(start, depth+1, false)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
}

// keepCase reports whether the members of a member's value are data, not
// property names: tag keys and user-assigned identity ids keep the case they
// were written in.
func keepCase(name string) bool { return name == "tags" || name == "userassignedidentities" }

// decodeValue decodes the next value into string, float64, bool, nil, []any or
// estate.Object with lower-cased member names (unless keep is set).
func (rd *reader) decodeValue(keep bool) (any, error) {
	if rd.dec.StackDepth() >= maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	if rd.dec.PeekKind() == '"' {
		raw, err := rd.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		return rd.stringValue(raw), nil
	}
	tok, err := rd.dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case 'n':
		return nil, nil
	case 'f', 't':
		return tok.Bool(), nil
	case '0':
		f, err := tok.Float()
		if err != nil {
			text := tok.String()
			if !rd.quiet {
				rd.warn(rd.here(), "number %.40s is out of range; read as null", text)
			}
			return nil, nil
		}
		return f, nil
	case '[':
		list := []any{}
		for rd.dec.PeekKind() != ']' {
			v, err := rd.decodeValue(false)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := rd.dec.ReadToken()
		return list, err
	case '{':
		obj, err := rd.decodeObject(estate.Object{}, keep)
		if err != nil {
			return nil, err
		}
		return obj, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok.Kind())
}

// decodeObject decodes the members of an object whose opening brace has been
// read into obj, as decodeValue does.
func (rd *reader) decodeObject(obj estate.Object, keep bool) (estate.Object, error) {
	for rd.dec.PeekKind() != '}' {
		raw, err := rd.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		// The members of an object whose keys keep their case (tags) are
		// values, so their own keys are lower-cased.
		var name string
		if keep {
			name = rd.unquote(raw)
		} else {
			name = rd.lowerName(raw)
		}
		if _, dup := obj[name]; dup && !rd.quiet {
			rd.warn(rd.here(), "member %q appears again in one object (names compare case-insensitively); the last one is used", name)
		}
		v, err := rd.decodeValue(!keep && keepCase(name))
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
	_, err := rd.dec.ReadToken()
	return obj, err
}

// kindName names a JSON kind for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// typeName names the JSON type of a decoded value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case estate.Object:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}
