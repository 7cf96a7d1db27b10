package report

import (
	"iter"
	"math"
	"reflect"
	"slices"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// A report holds a result for every rule and resource, and much of each
// result is the same for all results of its rule: the rule id, the
// remediation and the frameworks. An encoder encodes those once per rule and
// copies the bytes after. The copies belong to the encoder, so encoders on
// different goroutines share nothing.

// ruleFragments are the encoded parts of a rule's results that do not depend
// on the resource.
type ruleFragments struct {
	// head opens a result and holds its "rule" member, up to the name of
	// the "resource" member.
	head []byte
	// remediation and frameworks are what tail was encoded from; a result
	// whose own differ is encoded member by member.
	remediation string
	frameworks  []string
	// tail holds the "remediation" and "frameworks" members, each with the
	// comma before it, or nothing when both are omitted.
	tail []byte
}

// Member names of a result with the indentation before them: a result is an
// element of "results", at depth 2, so its members are at depth 3.
const (
	resultOpen          = "{\n      \"rule\": "
	resultResource      = ",\n      \"resource\": "
	resultResourceType  = ",\n      \"resourceType\": "
	resultStatus        = ",\n      \"status\": "
	resultSeverity      = ",\n      \"severity\": "
	resultMessage       = ",\n      \"message\": "
	resultEvidence      = ",\n      \"evidence\": "
	resultRemediation   = ",\n      \"remediation\": "
	resultFrameworks    = ",\n      \"frameworks\": "
	resultWaiverReason  = ",\n      \"waiverReason\": "
	resultWaiverExpires = ",\n      \"waiverExpires\": "
	resultClose         = "\n    }"
)

// result writes one result at depth 2 (an element of "results").
func (e *jsonEncoder) result(r *rules.Result) {
	f := e.fragments(r)
	e.b = append(e.b, f.head...)
	e.b = e.resource.append(e.b, r.Resource)
	e.b = append(e.b, resultResourceType...)
	e.b = e.resourceType.append(e.b, r.ResourceType)
	e.b = appendStatusSeverity(e.b, r.Status, r.Severity)
	if len(r.Evidence) > 0 {
		e.messageEvidence(r.Message, r.Evidence)
	} else {
		e.b = appendJSONString(e.b, r.Message)
	}
	e.b = append(e.b, f.tail...)
	if r.WaiverReason != "" {
		e.b = append(e.b, resultWaiverReason...)
		e.b = appendJSONString(e.b, r.WaiverReason)
	}
	if r.WaiverExpires != "" {
		e.b = append(e.b, resultWaiverExpires...)
		e.b = appendJSONString(e.b, r.WaiverExpires)
	}
	e.b = append(e.b, resultClose...)
}

// resultStatuses are the statuses rules give, and statusSeverity the
// members of a result from "status" to the name of "message" encoded for
// each of them and each severity.
var (
	resultStatuses = [...]rules.Status{rules.Pass, rules.Fail, rules.Unknown, rules.Waived}
	statusSeverity = func() (t [len(resultStatuses)][rules.Critical + 1]string) {
		for i, st := range resultStatuses {
			for sev := range t[i] {
				t[i][sev] = string(encodeStatusSeverity(nil, st, rules.Severity(sev)))
			}
		}
		return t
	}()
)

// appendStatusSeverity appends a result's members from "status" to the name
// of "message", encoded once for the statuses and severities rules give.
func appendStatusSeverity(b []byte, st rules.Status, sev rules.Severity) []byte {
	for i := range resultStatuses {
		if st == resultStatuses[i] && uint(sev) < uint(len(statusSeverity[i])) {
			return append(b, statusSeverity[i][sev]...)
		}
	}
	return encodeStatusSeverity(b, st, sev)
}

// encodeStatusSeverity appends what appendStatusSeverity does, encoding it.
func encodeStatusSeverity(b []byte, st rules.Status, sev rules.Severity) []byte {
	b = append(b, resultStatus...)
	b = appendJSONString(b, string(st))
	b = append(b, resultSeverity...)
	b = appendJSONString(b, sev.String()) // as its MarshalText
	return append(b, resultMessage...)
}

// fragments returns the encoded parts of r's rule, encoding them when the
// rule is new to the encoder or r's remediation or frameworks are not those
// encoded last for it.
func (e *jsonEncoder) fragments(r *rules.Result) *ruleFragments {
	f := e.rules[r.Rule]
	if f != nil && f.remediation == r.Remediation && slices.Equal(f.frameworks, r.Frameworks) {
		return f
	}
	if f == nil {
		if e.rules == nil {
			e.rules = map[string]*ruleFragments{}
		}
		f = &ruleFragments{}
		f.head = append(f.head, resultOpen...)
		f.head = appendJSONString(f.head, r.Rule)
		f.head = append(f.head, resultResource...)
		e.rules[r.Rule] = f
	}
	// The frameworks are copied: the cache must not change if the
	// result's slice does.
	f.remediation, f.frameworks = r.Remediation, slices.Clone(r.Frameworks)
	f.tail = f.tail[:0]
	if r.Remediation != "" {
		f.tail = append(f.tail, resultRemediation...)
		f.tail = appendJSONString(f.tail, r.Remediation)
	}
	if len(r.Frameworks) > 0 {
		f.tail = append(f.tail, resultFrameworks...)
		// Encoded by an encoder of its own, which appends to tail.
		fe := jsonEncoder{b: f.tail}
		fe.strs(r.Frameworks, 3)
		f.tail = fe.b
	}
	return f
}

// Rules hand out one evidence map to all results whose evidence is equal,
// and a map is never changed once a result holds it. A repeated map is
// therefore encoded once per encoder and its bytes copied after:
// evidenceCache maps a map's identity (its address) and the depth it is
// written at to its encoding. An entry holds the map itself, so the map
// cannot be collected and its address reused by another while the entry
// stands. Most maps are seen once (their evidence names the resource), so a
// map's bytes are kept only when it is seen a second time: the first
// sighting costs a pointer in a slot, not a copy. Results with equal evidence
// mostly have equal messages too, so an entry also keeps the last message
// written with its map. The maps in evidence's lists (the keys a workload
// reaches, a key's sharers) are shared still more widely, by evidence maps
// that differ, and are kept the same way in the same slots.

// Sizes of an evidence cache: the number of entries, a power of two, and the
// most encoded bytes it holds, which with the entries bounds its memory.
const (
	evidenceSlotBits = 13
	evidenceBytes    = 4 << 20
)

// evidenceCache holds the encodings of recently seen evidence maps, each in
// the slot its address hashes to.
type evidenceCache struct {
	slots [1 << evidenceSlotBits]evidenceEntry
	bytes int // the capacity of the slots' evidence and message
	next  int // the slot reclaim looks at first
}

// evidenceEntry is a map seen in evidence at a depth and, once it has been
// seen twice, its encoding and, for a result's evidence, that of the last
// message written with it.
type evidenceEntry struct {
	m        map[string]any
	addr     uintptr // mapAddress(m), which it is looked up by
	depth    uint8   // m is written at depth: 3 for a result's evidence
	encoded  bool    // evidence holds m's encoding
	evidence []byte  // m at depth
	message  string  // the message messageEnc encodes, if it is not empty
	// messageEnc is message encoded, or empty when no message is kept.
	messageEnc []byte
}

// mapAddress is the identity of a map: maps are references, and two map
// values are the same map exactly when they point to the same place.
func mapAddress(m map[string]any) uintptr {
	return uintptr(reflect.ValueOf(m).UnsafePointer())
}

// messageEvidence writes a result's message, and its evidence m as the
// member after it, from the cache when the encoder has one and has encoded
// them before.
func (e *jsonEncoder) messageEvidence(msg string, m map[string]any) {
	c := e.evidenceCache
	if c == nil {
		e.uncachedMessageEvidence(msg, m)
		return
	}
	s, seen := c.entry(m, 3)
	if !seen {
		e.uncachedMessageEvidence(msg, m)
		return
	}
	if len(s.messageEnc) > 0 && msg == s.message {
		e.b = append(e.b, s.messageEnc...)
	} else {
		start := len(e.b)
		e.b = appendJSONString(e.b, msg)
		if c.keep(&s.messageEnc, e.b[start:]) {
			s.message = msg
		}
	}
	e.b = append(e.b, resultEvidence...)
	e.cachedMap(s, m, 3)
}

// evidenceMap writes a map of evidence values at depth as anyMap does, from
// the cache when the encoder has one and has met the map before.
func (e *jsonEncoder) evidenceMap(m map[string]any, depth int) {
	c := e.evidenceCache
	if c == nil || m == nil || depth > math.MaxUint8 {
		e.anyMap(m, depth)
		return
	}
	if s, seen := c.entry(m, depth); seen {
		e.cachedMap(s, m, depth)
		return
	}
	e.anyMap(m, depth)
}

// cachedMap writes m at depth from its entry s, encoding it and keeping the
// bytes when s has none yet.
func (e *jsonEncoder) cachedMap(s *evidenceEntry, m map[string]any, depth int) {
	if s.encoded {
		e.b = append(e.b, s.evidence...)
		return
	}
	start, failed := len(e.b), e.err != nil
	e.anyMap(m, depth)
	// The maps within m are looked up in the same slots, and one of them
	// may have taken s over.
	if s.m == nil || s.addr != mapAddress(m) || int(s.depth) != depth {
		return
	}
	s.encoded = !failed && e.err == nil && e.evidenceCache.keep(&s.evidence, e.b[start:])
}

// slot returns the slot of the map at addr at depth.
func (c *evidenceCache) slot(addr uintptr, depth int) *evidenceEntry {
	return &c.slots[((addr^uintptr(depth))*0x9e3779b97f4a7c15)>>(64-evidenceSlotBits)]
}

// entry returns the slot of m at depth (which must fit a uint8), and
// whether it was m's already; when it was not, m takes it, and the slot's
// buffers stay for the next map kept there.
func (c *evidenceCache) entry(m map[string]any, depth int) (*evidenceEntry, bool) {
	addr := mapAddress(m)
	s := c.slot(addr, depth)
	if s.m != nil && s.addr == addr && int(s.depth) == depth {
		return s, true
	}
	s.m, s.addr, s.depth, s.encoded, s.message, s.messageEnc = m, addr, uint8(depth), false, "", s.messageEnc[:0]
	return s, false
}

// uncachedMessageEvidence writes a result's message and its evidence m
// without the cache.
func (e *jsonEncoder) uncachedMessageEvidence(msg string, m map[string]any) {
	e.b = appendJSONString(e.b, msg)
	e.b = append(e.b, resultEvidence...)
	e.anyMap(m, 3)
}

// keep copies enc to *dst if the cache has room for it, and reports whether
// it did; when it did not, *dst is as it was. A slot's buffers are reused by
// every map kept in it after, and grow to the next allocation size class;
// the cache's bound counts their capacity. Once the cache is full, a buffer
// left by a map that has gone is taken over (see idleSlots), and only when none
// is large enough are such buffers released to make room for a new one.
func (c *evidenceCache) keep(dst *[]byte, enc []byte) bool {
	if cap(*dst) >= len(enc) {
		*dst = append((*dst)[:0], enc...)
		return true
	}
	if need := len(enc) + len(enc)/8 - cap(*dst); evidenceBytes-c.bytes < need { // a size class adds at most an eighth
		if b := c.takeIdle(len(enc)); b != nil {
			*dst, *b = append((*b)[:0], enc...), *dst
			return true
		}
		c.releaseIdle(need)
	}
	if c.bytes-cap(*dst)+len(enc) > evidenceBytes {
		return false
	}
	grown := append([]byte(nil), enc...) // capacity rounded up to a size class
	if c.bytes-cap(*dst)+cap(grown) > evidenceBytes {
		return false
	}
	c.bytes += cap(grown) - cap(*dst)
	*dst = grown
	return true
}

// idleSpan is the most slots one call of takeIdle or releaseIdle looks at.
const idleSpan = 64

// idleSlots goes round the slots, from where the last round stopped, and
// yields those that keep nothing (their map is seen once so far) among the
// next idleSpan: a slot's buffers stay after its map has gone, and would
// otherwise hold the cache's bytes where nothing is kept.
func (c *evidenceCache) idleSlots() iter.Seq[*evidenceEntry] {
	return func(yield func(*evidenceEntry) bool) {
		for range idleSpan {
			s := &c.slots[c.next]
			c.next = (c.next + 1) % len(c.slots)
			if !s.encoded && len(s.messageEnc) == 0 && !yield(s) {
				return
			}
		}
	}
}

// takeIdle returns a buffer of at least size bytes that an idle slot holds,
// or nil.
func (c *evidenceCache) takeIdle(size int) *[]byte {
	for s := range c.idleSlots() {
		switch {
		case cap(s.evidence) >= size:
			return &s.evidence
		case cap(s.messageEnc) >= size:
			return &s.messageEnc
		}
	}
	return nil
}

// releaseIdle releases the buffers of idle slots until need bytes are free
// under the bound, or idleSpan slots have been looked at.
func (c *evidenceCache) releaseIdle(need int) {
	for s := range c.idleSlots() {
		c.bytes -= cap(s.evidence) + cap(s.messageEnc)
		s.evidence, s.messageEnc = nil, nil
		if evidenceBytes-c.bytes >= need {
			return
		}
	}
}
