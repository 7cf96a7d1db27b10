package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// encodingJSON is what WriteJSON wrote before it was written by hand: the
// report through an indented encoding/json Encoder, nil results as [].
func encodingJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	c := *r
	if c.Results == nil {
		c.Results = []rules.Result{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkJSON compares WriteJSON and WriteJSONAround with encoding/json.
func checkJSON(t *testing.T, name string, r *Report) {
	t.Helper()
	want := encodingJSON(t, r)
	var got bytes.Buffer
	if err := WriteJSON(&got, r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: WriteJSON differs from encoding/json at byte %d:\n got %q\nwant %q", name, firstDiff(got.Bytes(), want),
			around(got.Bytes(), firstDiff(got.Bytes(), want)), around(want, firstDiff(got.Bytes(), want)))
	}
	var spool []byte
	for i := range r.Results {
		if i > 0 {
			spool = append(spool, JSONResultSeparator...)
		}
		var err error
		if spool, err = AppendJSONResult(spool, &r.Results[i]); err != nil {
			t.Fatal(err)
		}
	}
	results := func(w io.Writer) error {
		_, err := w.Write(spool)
		return err
	}
	got.Reset()
	if err := WriteJSONAround(&got, r, len(r.Results), results, nil); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: WriteJSONAround differs from encoding/json at byte %d", name, firstDiff(got.Bytes(), want))
	}
	if r.Context == nil {
		return
	}
	// The same context handed over as a stream.
	streamed := *r
	streamed.Context = nil
	got.Reset()
	if err := WriteJSONAround(&got, &streamed, len(r.Results), results, r.Context.Stream()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: WriteJSONAround with a streamed context differs from encoding/json at byte %d", name, firstDiff(got.Bytes(), want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(b []byte, i int) string { return string(b[max(0, i-60):min(len(b), i+60)]) }

// fill sets every field reachable from v to a value that is not its zero
// value (strings with characters JSON escapes, two elements in every list and
// map), so that a field the hand encoder forgets shows up as a difference.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("x<&>\"\\\n\u2028é\xff%d", depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		if v.Type() == reflect.TypeFor[rules.Severity]() {
			v.SetInt(int64(rules.High))
			return
		}
		v.SetInt(int64(40 + depth))
	case reflect.Float64:
		v.SetFloat(12.5)
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 20, 30, 400, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"b-key", "a<key>"} {
			e := reflect.New(v.Type().Elem()).Elem()
			if e.Kind() == reflect.Interface {
				e.Set(reflect.ValueOf(k + " value"))
			} else {
				fill(e, depth+1)
			}
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
	}
}

// namedString is a type the hand encoder does not know.
type namedString string

// TestJSONMatchesEncodingJSON holds the hand-written JSON encoder to the bytes
// encoding/json writes: for a report with every field set, an empty one,
// evidence of every shape rules use and some they do not, and the report of a
// generated estate.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	full := &Report{}
	fill(reflect.ValueOf(full).Elem(), 0)
	checkJSON(t, "every field set", full)
	checkJSON(t, "empty report", &Report{})
	checkJSON(t, "empty lists", &Report{Inputs: []string{}, Warnings: []string{}, Results: []rules.Result{}, Context: &Context{}})

	evidence := map[string]any{
		"string": "a<b>&c \u2029 \x01 \t", "int": 3, "int64": int64(-7), "bool": false, "nil": nil,
		"floats": []any{0.0, math.Copysign(0, -1), 0.1, 1e20, 1e21, 1.5e-7, 1e-6, -2.5e300, 123456789.125, float64(1 << 53)},
		"strs":   []string{"a", ""}, "noStrs": []string(nil), "emptyStrs": []string{},
		"strMap": map[string]string{"z": "1", "a": "2"}, "nilStrMap": map[string]string(nil),
		"maps": []map[string]any{{"k": []string{"v"}, "n": map[string]any{}}, nil}, "noMaps": []map[string]any(nil),
		"strMaps": []map[string]string{{"b": "1", "a": "2"}, {}},
		"nested":  map[string]any{"deeper": map[string]any{"deepest": []any{map[string]any{"x": 1}, []any{}, nil}}},
		"named":   namedString("fallback <&>"), "struct": struct{ A, B int }{1, 2}, "time": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		"duration": estate.Duration{}, "raw": json.RawMessage(`{"b": [1, 2],   "a": {}}`),
	}
	checkJSON(t, "evidence shapes", &Report{Results: []rules.Result{
		{Rule: "r", Resource: "/x", Status: rules.Fail, Severity: rules.Critical, Message: "m", Evidence: evidence},
		{Rule: "r2", Resource: "/y", Status: rules.Waived, Severity: rules.Info, Evidence: map[string]any{}, Frameworks: []string{},
			WaiverReason: "why", WaiverExpires: "2027-01-01T00:00:00Z"},
	}})

	deep := map[string]any{"leaf": []string{"x"}}
	for range 40 { // deeper than the indentation the encoder keeps at hand
		deep = map[string]any{"d": []any{deep}, "s": "v"}
	}
	checkJSON(t, "deep evidence", &Report{Results: []rules.Result{{Rule: "r", Evidence: deep}}})
	checkJSON(t, "generated estate", generatedReport(t))
}

// generatedReport is the report of a generated estate of 3,000 resources.
func generatedReport(t *testing.T) *Report {
	t.Helper()
	bld := estate.NewBuilder()
	if err := input.Read(context.Background(), "estate.ndjson", bytes.NewReader(estategen.Bytes(3000, 3)), bld); err != nil {
		t.Fatal(err)
	}
	e := bld.Build()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ev := rules.Evaluate(e, policy.Default(), now, rules.Catalog())
	return &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "cmkguard", Version: "test"}, ScannedAt: now,
		Inputs: []string{"estate.ndjson"}, ResourcesRead: e.Stats.Resources, Summary: ev.Summary, Results: ev.Results, Notes: ev.Notes}
}

// TestResultEncodersConcurrent runs ResultEncoders on several goroutines at
// once, each over the results from its own starting point, as a scan's evaluation
// goroutines do, and holds each result to AppendJSONResult (run with -race).
func TestResultEncodersConcurrent(t *testing.T) {
	results := generatedReport(t).Results
	want := make([][]byte, len(results))
	for i := range results {
		var err error
		if want[i], err = AppendJSONResult(nil, &results[i]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var (
				enc ResultEncoder
				buf []byte
				err error
			)
			for k := range results {
				i := (k + g*len(results)/4) % len(results)
				if buf, err = enc.Append(buf[:0], &results[i]); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(buf, want[i]) {
					t.Errorf("goroutine %d, result %d: got\n%s\nwant\n%s", g, i, buf, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestJSONEncodingErrors reports values encoding/json refuses, as it did.
func TestJSONEncodingErrors(t *testing.T) {
	r := &Report{Results: []rules.Result{{Rule: "r", Evidence: map[string]any{"nan": math.NaN()}}}}
	err := WriteJSON(&bytes.Buffer{}, r)
	if err == nil || !strings.Contains(err.Error(), "unsupported value: NaN") {
		t.Fatalf("got %v, want encoding/json's unsupported value error", err)
	}
}

// FuzzAppendJSONString holds appendJSONString to the bytes encoding/json
// writes for any string: escapes, HTML characters, U+2028 and U+2029,
// invalid UTF-8, and the runs of plain bytes copied between them.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{
		"", "plain", `"quoted" \ back`, "<a href='x'>&amp;</a>", "\x00\x01\x1f\x7f\b\f\n\r\t",
		"é…\u2028\u2029\ufffd", "\xff\xfe", "ab\xe2\x80", "\xe2\x80\xa8x", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"/subscriptions/1aeaa4f9-9296-a99b-20a5-8985fabe9751/resourceGroups/rg-7/providers/Microsoft.Storage/storageAccounts/st1",
		"0123456789abcdef<0123456789abcdef>0123456789abcdef&", "12345678\"1234567\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got := appendJSONString([]byte("prefix"), s)
		if string(got) != "prefix"+string(want) {
			t.Fatalf("appendJSONString(%q) = %q, want %q", s, got[len("prefix"):], want)
		}
		// Through plainStrings, the string met a first and a second time,
		// and another of its length and ending met after it.
		var p plainStrings
		other := strings.Repeat("<", len(s)/2) + s[len(s)/2:]
		for _, x := range []string{s, s, other, s} {
			want, _ := json.Marshal(x)
			if got := p.append([]byte("prefix"), x); string(got) != "prefix"+string(want) {
				t.Fatalf("plainStrings.append(%q) = %q, want %q", x, got[len("prefix"):], want)
			}
		}
	})
}

// TestPlainStrings holds plainStrings to encoding/json for strings met again,
// and for strings that share a slot with one met before (same length and
// last eight bytes) but not its characters.
func TestPlainStrings(t *testing.T) {
	id := "/subscriptions/1aeaa4f9-9296-a99b-20a5-8985fabe9751/resourceGroups/rg-7"
	strs := []string{
		id, id, "<" + id[1:], id, `\` + id[1:], "\u2028" + id[3:], "\xff" + id[1:], id[:plainMin], id[:plainMin-1],
		"é" + id[2:], id, `"` + id[1:], "<" + id[1:],
	}
	var p plainStrings
	for _, s := range strs {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.append(nil, s); !bytes.Equal(got, want) {
			t.Errorf("append(%q) = %s, want %s", s, got, want)
		}
	}
	var none *plainStrings
	if got := none.append(nil, "a<b"); string(got) != `"a\u003cb"` {
		t.Errorf("nil plainStrings: %s", got)
	}
}

// TestResultEncoderReuse holds a ResultEncoder that has encoded other results
// of a rule to the bytes encoding/json writes for each result: the parts it
// keeps per rule must follow a remediation or frameworks that change between
// results, or a frameworks slice changed in place after it was encoded.
func TestResultEncoderReuse(t *testing.T) {
	frameworks := []string{"MCSB DP-5", "HIPAA <164>"}
	results := []rules.Result{
		{Rule: "r<1>", Resource: "/a", Status: rules.Fail, Severity: rules.High, Message: "m", Remediation: "fix <it>", Frameworks: frameworks},
		{Rule: "r<1>", Resource: "/b", Status: rules.Pass, Severity: rules.High, Message: "m", Remediation: "fix <it>", Frameworks: frameworks},
		{Rule: "r<1>", Resource: "/c", Status: rules.Pass, Severity: rules.Low, Remediation: "fix it otherwise", Frameworks: frameworks},
		{Rule: "r<1>", Resource: "/d", Status: rules.Fail, Remediation: "fix it otherwise"},
		{Rule: "r<1>", Resource: "/e", Status: rules.Fail, Frameworks: []string{}},
		{Rule: "r<1>", Resource: "/f", Status: rules.Fail, Frameworks: frameworks},
		{Rule: "r2", Resource: "/f", Status: rules.Waived, Severity: rules.Severity(42), Remediation: "fix <it>", Frameworks: frameworks,
			WaiverReason: "accepted", WaiverExpires: "2027-01-01", Evidence: map[string]any{"k": "v"}},
		{Rule: "r<1>", Resource: "/g", Status: rules.Fail, Frameworks: frameworks},
		{Rule: "", Resource: "/h", Status: rules.Unknown},
	}
	var (
		enc ResultEncoder
		buf []byte
	)
	for i := range results {
		r := &results[i]
		if r.Resource == "/g" {
			frameworks[1] = "changed in place"
		}
		var err error
		if buf, err = enc.Append(buf[:0], r); err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(r, "    ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, want) {
			t.Errorf("result %d: got\n%s\nwant\n%s", i, buf, want)
		}
	}
}

// TestWriteJSONAroundFails reports a results function that fails as a
// failed write of the report, and never calls it when there are no results.
func TestWriteJSONAroundFails(t *testing.T) {
	r := &Report{Results: []rules.Result{{Rule: "a", Resource: "/x", Status: rules.Pass}}}
	failed := errors.New("evaluation failed")
	err := WriteJSONAround(io.Discard, r, 1, func(w io.Writer) error {
		w.Write([]byte("{"))
		return failed
	}, nil)
	if !errors.Is(err, failed) || err.Error() != "write JSON report: evaluation failed" {
		t.Errorf("got %v, want write JSON report: evaluation failed", err)
	}
	var got, want bytes.Buffer
	if err := WriteJSONAround(&got, &Report{}, 0, func(io.Writer) error { return failed }, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&want, &Report{}); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("no results: %q, want %q (%v)", got.String(), want.String(), err)
	}
}

// FuzzResultEncoder holds a ResultEncoder to encoding/json for results whose
// strings, evidence names and values are arbitrary, for a second result of
// the same rule whose remediation and frameworks may differ from the
// first's, and for a third that shares the first's evidence map, all encoded
// twice so that the encoder writes them from what it keeps as well.
func FuzzResultEncoder(f *testing.F) {
	f.Add("cmk-required", "/subscriptions/s/resourceGroups/g", "fail <now>", "fix & retry", "MCSB DP-5", "tagKeys", "a\u2028b", "fix & retry", 3)
	f.Add("", "", "", "", "", "", "", "other", 0)
	f.Add("r\xff", "\x00", "é\ufffd", "\\\"", "<>", "\t", "\xe2\x80", "", -1)
	f.Fuzz(func(t *testing.T, rule, resource, message, remediation, framework, name, value, remediation2 string, n int) {
		evidence := map[string]any{
			name: value, name + "s": []string{value, name}, "n": n,
			"m": map[string]string{value: name, name: value}, "l": []map[string]any{{name: n}, nil},
		}
		results := []rules.Result{
			{Rule: rule, Resource: resource, ResourceType: value, Status: rules.Fail, Severity: rules.Severity(n & 7),
				Message: message, Evidence: evidence, Remediation: remediation, Frameworks: []string{framework, value}},
			{Rule: rule, Resource: value, Status: rules.Status(name), Message: message, Remediation: remediation2,
				Frameworks: []string{framework}[:n&1], WaiverReason: value, WaiverExpires: name},
			{Rule: rule, Resource: resource, Message: remediation2, Evidence: evidence},
		}
		var enc ResultEncoder
		for k := range 2 * len(results) {
			i := k % len(results)
			got, err := enc.Append(nil, &results[i])
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.MarshalIndent(&results[i], "    ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("result %d: got\n%s\nwant\n%s", i, got, want)
			}
		}
	})
}

// TestEvidenceCache holds a ResultEncoder that has encoded an evidence map
// before to the bytes encoding/json writes: for the same map seen a first,
// second and third time with the same message or another, a fresh map equal
// to it, a map that cannot be encoded, and one too large to keep; and for
// resources and types that repeat the last or not.
func TestEvidenceCache(t *testing.T) {
	shared := map[string]any{"service": "Storage <account>", "tagKeys": []string{"a", "b"}, "n": 3,
		"keys": []map[string]any{{"key": "k1", "enabled": true}}}
	equal := map[string]any{"service": "Storage <account>", "tagKeys": []string{"a", "b"}, "n": 3,
		"keys": []map[string]any{{"key": "k1", "enabled": true}}}
	large := map[string]any{"big": strings.Repeat("x", evidenceBytes)}
	nan := map[string]any{"nan": math.NaN()}
	results := []rules.Result{
		{Rule: "r", Resource: "/a", Message: "m <1>", Evidence: shared},
		{Rule: "r", Resource: "/a", Message: "m <1>", Evidence: shared},
		{Rule: "q", Resource: "/c", ResourceType: "t", Message: "m <1>", Evidence: shared},
		{Rule: "q", Resource: "/c", ResourceType: "t", Message: "m <2>", Evidence: shared},
		{Rule: "q", Resource: "/c", Message: "", Evidence: shared},
		{Rule: "q", Resource: "", Message: "", Evidence: shared},
		{Rule: "r", Resource: "/d", Message: "m <2>", Evidence: equal},
		{Rule: "r", Resource: "/d", Message: "m <2>", Evidence: shared},
		{Rule: "r", Resource: "/e", Message: strings.Repeat("m", evidenceBytes), Evidence: large},
		{Rule: "r", Resource: "/f", Evidence: large},
		{Rule: "r", Resource: "/g", Evidence: large},
		{Rule: "r", Resource: "/h", Evidence: nan},
		{Rule: "r", Resource: "/i", Evidence: nan},
		{Rule: "r", Resource: "/j", Evidence: nan},
		{Rule: "r", Resource: "/k", Message: "m <2>", Evidence: shared},
		{Rule: "r", Resource: "/k", Message: "m <1>"},
	}
	var enc ResultEncoder
	for i := range results {
		r := &results[i]
		got, err := enc.Append([]byte("prefix"), r)
		want, wantErr := json.MarshalIndent(r, "    ", "  ")
		if wantErr != nil {
			if err == nil {
				t.Errorf("result %d: no error, want %v", i, wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("result %d: got\n%s\nwant prefix\n%s", i, got, want)
		}
	}
	if c := enc.e.evidenceCache; c.bytes > evidenceBytes {
		t.Errorf("cache holds %d bytes, more than %d", c.bytes, evidenceBytes)
	}
}

// TestEvidenceCacheNested holds a ResultEncoder to AppendJSONResult for
// evidence maps p and q that share a map c in their lists, which holds a
// map g in its own, where g hashes to the slot of p: once c is kept, then
// made to lose its slot, encoding p for keeping looks up g, which takes p's
// slot over while p is encoded. g in another map then is g, not p.
func TestEvidenceCacheNested(t *testing.T) {
	var enc ResultEncoder
	c := &enc.e.evidenceCache
	*c = &evidenceCache{}
	// like returns a new map that hashes at depth to the slot of m at
	// mDepth; one in 8192 or so does.
	like := func(depth int, m map[string]any, mDepth int) map[string]any {
		for i := 0; ; i++ {
			x := map[string]any{"key": fmt.Sprintf("/k/%d", i), "enabled": true}
			if (*c).slot(mapAddress(x), depth) == (*c).slot(mapAddress(m), mDepth) {
				return x
			}
		}
	}
	p := map[string]any{"service": "p"}
	g := like(7, p, 3)
	cm := map[string]any{"gs": []map[string]any{g}}
	p["cs"] = []map[string]any{cm}
	q := map[string]any{"cs": []map[string]any{cm}}
	evict := like(3, cm, 5)
	other := map[string]any{"cs": []map[string]any{{"gs": []map[string]any{g}}}}
	for i, ev := range []map[string]any{q, q, p, evict, p, other, other} {
		r := rules.Result{Rule: "r", Resource: "/x", Message: "m", Evidence: ev}
		got, err := enc.Append(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := AppendJSONResult(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("result %d: got\n%s\nwant\n%s", i, got, want)
		}
	}
}

// TestEvidenceCacheBounded encodes many maps, each twice, as large as the
// cache keeps: the cache holds no more than its budget of bytes, and counts
// them right.
func TestEvidenceCacheBounded(t *testing.T) {
	var enc ResultEncoder
	value := strings.Repeat("v", 32<<10)
	for i := range 1000 {
		r := rules.Result{Rule: "r", Resource: "/x", Evidence: map[string]any{"i": i, "v": value}}
		for range 2 {
			if _, err := enc.Append(nil, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := enc.e.evidenceCache
	held, encoded := 0, 0
	for i := range c.slots {
		held += cap(c.slots[i].evidence) + cap(c.slots[i].messageEnc)
		if c.slots[i].encoded {
			encoded++
		}
	}
	if held != c.bytes || held > evidenceBytes || encoded == 0 {
		t.Errorf("cache counts %d bytes and holds %d in %d encodings; want them equal, at most %d, and some", c.bytes, held, encoded, evidenceBytes)
	}
}

// TestEvidenceCacheReclaims fills the cache with maps seen twice, shows it
// many maps once, which take the slots of those, then other maps twice each:
// the buffers the first maps left make room for these.
func TestEvidenceCacheReclaims(t *testing.T) {
	var enc ResultEncoder
	c := &enc.e.evidenceCache
	show := func(first, n, times int, value string) (kept int) {
		for i := first; i < first+n; i++ {
			r := rules.Result{Rule: "r", Resource: "/x", Evidence: map[string]any{"i": i, "v": value}}
			for range times {
				if _, err := enc.Append(nil, &r); err != nil {
					t.Fatal(err)
				}
			}
			if (*c).slot(mapAddress(r.Evidence), 3).encoded {
				kept++
			}
		}
		return kept
	}
	value := strings.Repeat("v", 2<<10)
	show(0, 6000, 2, value)
	if (*c).bytes < evidenceBytes-64<<10 {
		t.Fatalf("cache holds %d bytes after the first maps, want it full (%d)", (*c).bytes, evidenceBytes)
	}
	show(6000, 40000, 1, "")
	if kept := show(46000, 100, 2, value); kept != 100 {
		t.Errorf("%d of 100 maps seen twice kept, want all", kept)
	}
	if (*c).bytes > evidenceBytes {
		t.Errorf("cache holds %d bytes, more than %d", (*c).bytes, evidenceBytes)
	}
}

// TestContextInBlocks writes contexts of several blocks a list, on several
// workers, and holds them to encoding/json: lists collected in a Context,
// and streamed lists whose sources give no element, one or several, where the
// first elements of a list come blocks after its first source, and where no
// source gives any.
func TestContextInBlocks(t *testing.T) {
	c := &Context{}
	for i := range 3*contextBlockSources + 5 {
		c.Resources = append(c.Resources, Resource{ID: fmt.Sprintf("/r/%d", i), Name: "<n>", Tags: map[string]string{"k": "v"}})
		if i%2 == 0 {
			c.Keys = append(c.Keys, Key{ID: fmt.Sprintf("/k/%d", i), UsedBy: []string{"/r/1"}})
		}
	}
	c.Vaults = []Vault{{ID: "/v"}}
	r := &Report{Context: c}
	checkJSON(t, "collected", r)

	// Source i of the chains gives i%3 copies of chain i, none before
	// source 2500; no source of the vaults gives one.
	var chains []Chain
	for i := range 4 * contextBlockSources {
		for range i % 3 {
			if i >= 2500 {
				chains = append(chains, Chain{Workload: fmt.Sprintf("/w/%d", i), Via: []string{"/d"}})
			}
		}
	}
	s := c.Stream()
	s.Vaults = ContextList[Vault]{N: 2 * contextBlockSources, Range: func(lo, hi int) iter.Seq[*Vault] {
		return func(func(*Vault) bool) {}
	}}
	s.Chains = ContextList[Chain]{N: 4 * contextBlockSources, Range: func(lo, hi int) iter.Seq[*Chain] {
		return func(yield func(*Chain) bool) {
			for i := lo; i < hi; i++ {
				for range i % 3 {
					ch := Chain{Workload: fmt.Sprintf("/w/%d", i), Via: []string{"/d"}}
					if i >= 2500 && !yield(&ch) {
						return
					}
				}
			}
		}
	}}
	want := encodingJSON(t, &Report{Context: &Context{Resources: c.Resources, Keys: c.Keys, Chains: chains}})
	var got bytes.Buffer
	if err := WriteJSONAround(&got, &Report{}, 0, nil, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		i := firstDiff(got.Bytes(), want)
		t.Errorf("streamed: differs from encoding/json at byte %d:\n got %q\nwant %q", i, around(got.Bytes(), i), around(want, i))
	}
}

// TestSortedTags holds a resource's SortedTags, written in place of its
// empty Tags, to the bytes encoding/json writes for the map the tags make:
// keys in order or not, repeated (the last wins), escaped, or alike but for
// their last bytes.
func TestSortedTags(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags estate.Tags
	}{
		{"none", estate.Tags{}},
		{"one", estate.Tags{{Key: "env", Value: "prod"}}},
		{"sorted", estate.Tags{{Key: "", Value: "empty"}, {Key: "Env", Value: "a"}, {Key: "env", Value: "b"}, {Key: "envx", Value: "c"}}},
		{"escaped", estate.Tags{{Key: "a<b>", Value: "x&y"}, {Key: "a\\u", Value: "\u2028\xff"}, {Key: "é", Value: "\n"}}},
		{"unsorted", estate.Tags{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}, {Key: "ab", Value: "3"}}},
		{"repeated", estate.Tags{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "b", Value: "3"}, {Key: "a", Value: "4"}}},
	} {
		sorted := &Context{Resources: []Resource{{ID: "/r", SortedTags: tc.tags}}}
		var got bytes.Buffer
		if err := WriteJSON(&got, &Report{Context: sorted}); err != nil {
			t.Fatal(err)
		}
		want := encodingJSON(t, &Report{Context: &Context{Resources: []Resource{{ID: "/r", Tags: tc.tags.Map()}}}})
		if !bytes.Equal(got.Bytes(), want) {
			i := firstDiff(got.Bytes(), want)
			t.Errorf("%s: differs from encoding/json of the map at byte %d:\n got %q\nwant %q", tc.name, i, around(got.Bytes(), i), around(want, i))
		}
	}
}

// TestContextWriteFails stops writing a context at the first failed write
// and reports it.
func TestContextWriteFails(t *testing.T) {
	c := &Context{}
	for i := range 10 * contextBlockSources {
		c.Resources = append(c.Resources, Resource{ID: fmt.Sprintf("/r/%d", i), Name: strings.Repeat("n", 1000)})
	}
	w := &failingWriter{after: 2}
	err := WriteJSON(w, &Report{Context: c})
	if !errors.Is(err, errWrite) {
		t.Errorf("got %v, want %v", err, errWrite)
	}
	if w.writes != 3 {
		t.Errorf("%d writes, want 3: none after the one that failed", w.writes)
	}
}

// errWrite is the error of a failingWriter.
var errWrite = errors.New("disk full")

// failingWriter fails every write after the first few.
type failingWriter struct{ after, writes int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes > w.after {
		return 0, errWrite
	}
	return len(p), nil
}

// TestResultEncoderAllocs holds ResultEncoder to its caches: once it has
// met a result, appending it again allocates nothing.
func TestResultEncoderAllocs(t *testing.T) {
	r := &rules.Result{Rule: "r", Resource: "/subscriptions/s/resourceGroups/rg/providers/a.b/c/d", ResourceType: "a.b/c",
		Status: rules.Fail, Severity: rules.High, Message: "m", Remediation: "fix", Frameworks: []string{"F 1"},
		Evidence: map[string]any{"keys": []map[string]any{{"id": "/k"}}, "n": 1}}
	var enc ResultEncoder
	buf := make([]byte, 0, 4096)
	for range 3 {
		if _, err := enc.Append(buf, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { enc.Append(buf, r) }); n != 0 {
		t.Errorf("Append allocates %v times per result met before, want 0", n)
	}
}
