package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// The JSON report is written by hand rather than by encoding/json: a large
// estate has millions of results, and reflection over them, the whole
// document held in memory, and the copy indentation makes cost more than the
// scan itself. The bytes are exactly those of an encoding/json Encoder with
// SetIndent("", "  ") (HTML characters escaped, map keys sorted, floats as
// ES6 numbers); json_test.go holds the encoders to that. Values of types the
// hand encoder does not know (evidence is map[string]any) fall back to
// encoding/json, indented in place.

// WriteJSON writes the report as one indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	e := newJSONEncoder(w)
	e.reportHead(r)
	e.b = append(e.b, "\n  \"results\": ["...)
	for i := range r.Results {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, "\n    "...)
		e.result(&r.Results[i])
		e.flushIfFull()
	}
	if len(r.Results) > 0 {
		e.b = append(e.b, "\n  "...)
	}
	e.b = append(e.b, ']')
	e.reportTail(r, nil)
	return e.finish()
}

// WriteJSONAround writes the report as WriteJSON does, except that the
// elements of "results" are not taken from r.Results: results writes them
// straight to w, n elements made by AppendJSONResult and separated by
// JSONResultSeparator (the separator and indentation WriteJSON puts between
// them). A scan that encodes its results as it makes them this way never
// holds them all in memory. results is not called when n is 0. When context
// is not nil, it is the report's context in place of r.Context, and its
// lists are asked for after results returns.
func WriteJSONAround(w io.Writer, r *Report, n int, results func(io.Writer) error, context *ContextStream) error {
	e := newJSONEncoder(w)
	e.reportHead(r)
	e.b = append(e.b, "\n  \"results\": ["...)
	if n > 0 {
		e.b = append(e.b, "\n    "...)
		if err := e.flush(); err != nil {
			return err
		}
		if err := results(w); err != nil {
			e.fail(err)
			return e.err
		}
		e.b = append(e.b, "\n  "...)
	}
	e.b = append(e.b, ']')
	e.reportTail(r, context)
	return e.finish()
}

// JSONResultSeparator goes between two results made by AppendJSONResult in
// what WriteJSONAround's results function writes.
const JSONResultSeparator = ",\n    "

// AppendJSONResult appends one result as it appears in the results array of
// the JSON report (its first line unindented, the rest indented for its
// place in the document). It fails on values encoding/json refuses, such as
// a NaN in the evidence.
func AppendJSONResult(b []byte, r *rules.Result) ([]byte, error) {
	e := jsonEncoder{b: b}
	e.result(r)
	return e.b, e.err
}

// ResultEncoder appends results as AppendJSONResult does, reusing its
// scratch space from one result to the next and the encodings of evidence
// maps it has met before, which it therefore takes to be unchanged since (as
// rules promise). It serves one goroutine.
type ResultEncoder struct{ e jsonEncoder }

// Append appends r to b as AppendJSONResult does.
func (re *ResultEncoder) Append(b []byte, r *rules.Result) ([]byte, error) {
	re.e.b, re.e.err = b, nil
	if re.e.evidenceCache == nil {
		re.e.evidenceCache, re.e.plain = &evidenceCache{}, &plainStrings{}
	}
	re.e.result(r)
	b, re.e.b = re.e.b, nil
	return b, re.e.err
}

// jsonEncoder appends JSON to b and hands it to w in large pieces.
type jsonEncoder struct {
	w     io.Writer
	b     []byte
	err   error
	rules map[string]*ruleFragments // by rule id; see fragments
	// evidenceCache, when not nil, holds the encodings of evidence
	// maps seen before; see messageEvidence.
	evidenceCache *evidenceCache
	// resource and resourceType are the last of a result's.
	resource, resourceType lastString
	// plain, when not nil, holds long strings met before that are
	// written as they are.
	plain *plainStrings
}

// jsonChunk is the size of the encoder's buffer, and about that of the
// writes of a large JSON report: a report of gigabytes written in pieces of
// 32 or 64 KiB to a pipe takes twice the time.
const jsonChunk = 1 << 20

func newJSONEncoder(w io.Writer) *jsonEncoder {
	return &jsonEncoder{w: w, b: make([]byte, 0, jsonChunk), evidenceCache: &evidenceCache{}, plain: &plainStrings{}}
}

func (e *jsonEncoder) flush() error {
	if e.err == nil && len(e.b) > 0 {
		if _, err := e.w.Write(e.b); err != nil {
			e.err = fmt.Errorf("write JSON report: %w", err)
		}
	}
	e.b = e.b[:0]
	return e.err
}

// flushIfFull writes what is buffered when a result or context entry of
// ordinary size might not fit behind it.
func (e *jsonEncoder) flushIfFull() {
	if len(e.b) >= jsonChunk-64<<10 {
		e.flush()
	}
}

func (e *jsonEncoder) finish() error {
	e.b = append(e.b, "\n}\n"...)
	return e.flush()
}

// fail records the first encoding error.
func (e *jsonEncoder) fail(err error) {
	if e.err == nil {
		e.err = fmt.Errorf("write JSON report: %w", err)
	}
}

// Indentation: member and element lines of a value at depth d are indented by
// d+1 times two spaces.
const newlineSpaces = "\n                                                                "

func (e *jsonEncoder) newline(depth int) {
	if n := 1 + 2*depth; n <= len(newlineSpaces) {
		e.b = append(e.b, newlineSpaces[:n]...)
		return
	}
	e.b = append(e.b, newlineSpaces...)
	for n := 2*depth - (len(newlineSpaces) - 1); n > 0; {
		k := min(n, len(newlineSpaces)-1)
		e.b = append(e.b, newlineSpaces[1:1+k]...)
		n -= k
	}
}

// members writes the members of an object at depth: key writes a member's
// name, and the value follows.
type members struct {
	e     *jsonEncoder
	depth int
	n     int
}

func (e *jsonEncoder) open(depth int) members {
	e.b = append(e.b, '{')
	return members{e: e, depth: depth}
}

// key starts a member.
func (m *members) key(name string) *jsonEncoder {
	if m.n > 0 {
		m.e.b = append(m.e.b, ',')
	}
	m.n++
	m.e.newline(m.depth + 1)
	m.e.b = appendJSONString(m.e.b, name)
	m.e.b = append(m.e.b, ':', ' ')
	return m.e
}

// at starts a member whose name, and the indentation before it, f holds.
func (m *members) at(f field) *jsonEncoder {
	if m.n > 0 {
		m.e.b = append(m.e.b, ',')
	}
	m.n++
	m.e.b = append(m.e.b, f.s...)
	return m.e
}

func (m *members) close() {
	if m.n > 0 {
		m.e.newline(m.depth)
	}
	m.e.b = append(m.e.b, '}')
}

func (m *members) str(name, v string) { m.key(name).str(v) }

func (m *members) integer(name string, v int) { m.key(name).integer(v) }

func (m *members) strs(name string, v []string) { m.key(name).strs(v, m.depth+1) }

func (m *members) strsOmit(name string, v []string) {
	if len(v) > 0 {
		m.strs(name, v)
	}
}

func (e *jsonEncoder) str(s string) { e.b = appendJSONString(e.b, s) }

func (e *jsonEncoder) integer(v int) { e.b = strconv.AppendInt(e.b, int64(v), 10) }

func (e *jsonEncoder) boolean(v bool) { e.b = strconv.AppendBool(e.b, v) }

// strs writes a list of strings at depth; nil is null.
func (e *jsonEncoder) strs(v []string, depth int) {
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i, s := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.newline(depth + 1)
		e.b = e.plain.append(e.b, s)
	}
	if len(v) > 0 {
		e.newline(depth)
	}
	e.b = append(e.b, ']')
}

// time writes a time as time.Time's MarshalJSON does.
func (e *jsonEncoder) time(t time.Time) {
	b, err := t.MarshalJSON()
	if err != nil {
		e.fail(err)
		return
	}
	e.b = append(e.b, b...)
}

// value writes an evidence value at depth: the types rules use directly,
// anything else through encoding/json.
func (e *jsonEncoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case string:
		e.b = e.plain.append(e.b, x)
	case bool:
		e.b = strconv.AppendBool(e.b, x)
	case int:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case int64:
		e.b = strconv.AppendInt(e.b, x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			e.fallback(v, depth)
			return
		}
		e.b = appendJSONFloat(e.b, x)
	case []string:
		e.strs(x, depth)
	case map[string]string:
		e.strMap(x, depth)
	case map[string]any:
		e.evidenceMap(x, depth)
	case []any:
		list(e, x, depth, func(v any) { e.value(v, depth+1) })
	case []map[string]any:
		list(e, x, depth, func(v map[string]any) { e.value(v, depth+1) })
	case []map[string]string:
		list(e, x, depth, func(v map[string]string) { e.strMap(v, depth+1) })
	default:
		e.fallback(v, depth)
	}
}

// list writes a list at depth, each element by elem; nil is null.
func list[T any](e *jsonEncoder, v []T, depth int, elem func(T)) {
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.newline(depth + 1)
		elem(v[i])
	}
	if len(v) > 0 {
		e.newline(depth)
	}
	e.b = append(e.b, ']')
}

// fallback writes v at depth with encoding/json, indented for its place.
func (e *jsonEncoder) fallback(v any, depth int) {
	raw, err := json.Marshal(v)
	if err != nil {
		e.fail(err)
		return
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, indentOf(depth), "  "); err != nil {
		e.fail(err)
		return
	}
	e.b = append(e.b, buf.Bytes()...)
}

func indentOf(depth int) string {
	s := ""
	for range depth {
		s += "  "
	}
	return s
}

// reportHead writes the report's members before "results".
func (e *jsonEncoder) reportHead(r *Report) {
	m := e.open(0)
	m.str("schemaVersion", r.SchemaVersion)
	t := m.key("tool").open(1)
	t.str("name", r.Tool.Name)
	t.str("version", r.Tool.Version)
	t.close()
	m.key("scannedAt").time(r.ScannedAt)
	m.strsOmit("inputs", r.Inputs)
	m.integer("resourcesRead", r.ResourcesRead)
	s := m.key("summary").open(1)
	s.integer("resources", r.Summary.Resources)
	s.integer("results", r.Summary.Results)
	s.integer("pass", r.Summary.Pass)
	s.integer("fail", r.Summary.Fail)
	s.integer("unknown", r.Summary.Unknown)
	s.integer("waived", r.Summary.Waived)
	s.integer("inScope", r.Summary.InScope)
	s.integer("compliant", r.Summary.Compliant)
	s.key("compliancePercent").value(r.Summary.CompliancePercent, 2)
	s.close()
	e.b = append(e.b, ',') // "results" follows
}

// reportTail writes the report's members after "results", the context from
// context when it is not nil; finish closes the document.
func (e *jsonEncoder) reportTail(r *Report, context *ContextStream) {
	m := members{e: e, depth: 0, n: 1}
	m.strsOmit("warnings", r.Warnings)
	m.strsOmit("notes", r.Notes)
	if r.SinceLastScan != nil {
		m.key("sinceLastScan").fallback(r.SinceLastScan, 1)
	}
	if context == nil && r.Context != nil {
		context = r.Context.Stream()
	}
	if context != nil {
		m.key("context")
		e.context(context)
	}
	if r.Framework != nil {
		m.key("framework").fallback(r.Framework, 1)
	}
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
