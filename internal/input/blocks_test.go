package input

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
)

// call is one call a reader made on its sink.
type call struct {
	resource *estate.Resource
	header   *estate.Header
	audit    *estate.AuditRecord
	warning  *estate.Warning
}

func (c call) String() string {
	switch {
	case c.resource != nil:
		return fmt.Sprintf("Add(%+v)", *c.resource)
	case c.header != nil:
		return fmt.Sprintf("AddHeader(%+v)", *c.header)
	case c.audit != nil:
		return fmt.Sprintf("AddAudit(%+v)", *c.audit)
	}
	return fmt.Sprintf("Warn(%+v)", *c.warning)
}

// callLog records every call on the sink, in order. It keeps copies of the
// resources it is handed and of their strings, which a reader may reuse (see
// reuseAlways).
type callLog []call

func (l *callLog) Add(r *estate.Resource) {
	c := *r
	c.ID, c.Type, c.Name, c.Location, c.Kind = strings.Clone(r.ID), strings.Clone(r.Type), strings.Clone(r.Name), strings.Clone(r.Location), strings.Clone(r.Kind)
	if r.Identity != nil {
		ident := *r.Identity
		ident.PrincipalID, ident.TenantID, ident.Type = strings.Clone(ident.PrincipalID), strings.Clone(ident.TenantID), strings.Clone(ident.Type)
		ident.UserAssigned = slices.Clone(ident.UserAssigned)
		for i, u := range ident.UserAssigned {
			ident.UserAssigned[i] = estate.UserAssignedIdentity{ResourceID: strings.Clone(u.ResourceID),
				PrincipalID: strings.Clone(u.PrincipalID), ClientID: strings.Clone(u.ClientID)}
		}
		c.Identity = &ident
	}
	*l = append(*l, call{resource: &c})
}

func (l *callLog) AddHeader(h *estate.Header)     { *l = append(*l, call{header: h}) }
func (l *callLog) AddAudit(a *estate.AuditRecord) { *l = append(*l, call{audit: a}) }
func (l *callLog) Warn(src estate.Source, format string, args ...any) {
	*l = append(*l, call{warning: &estate.Warning{Source: src, Message: fmt.Sprintf(format, args...)}})
}

// readBothWays reads data in one pass and in blocks of the given sizes and
// fails unless the sink saw the same calls, with the same values, and the
// same error came back. It returns what the blocks read yielded.
func readBothWays(t testing.TB, data []byte, size, line, flight int) (callLog, error) {
	t.Helper()
	return compareReads(t, data, size, line, flight, true)
}

// compareReads is readBothWays; unless exact is set, an error's message may
// differ in what the decoder quotes from its own reads (see sameMessage).
func compareReads(t testing.TB, data []byte, size, line, flight int, exact bool) (callLog, error) {
	t.Helper()
	var single, blocks callLog
	readInBlocks = false
	errSingle := Read(context.Background(), "in.json", bytes.NewReader(data), &single)
	readInBlocks, reuseAlways = true, true
	restore := setBlocks(size, line, flight)
	errBlocks := Read(context.Background(), "in.json", bytes.NewReader(data), &blocks)
	restore()
	reuseAlways = false
	where := fmt.Sprintf("blocks of %d bytes, lines up to %d, %d in flight", size, line, flight)
	var ps, pb *PositionError
	switch {
	case errors.As(errSingle, &ps) && errors.As(errBlocks, &pb):
		if ps.File != pb.File || ps.Offset != pb.Offset || ps.Line != pb.Line ||
			exact && ps.Err.Error() != pb.Err.Error() || !sameMessage(ps.Err.Error(), pb.Err.Error()) {
			t.Fatalf("%s: error %+v, read in one pass %+v", where, *pb, *ps)
		}
	case fmt.Sprint(errSingle) != fmt.Sprint(errBlocks) || reflect.TypeOf(errSingle) != reflect.TypeOf(errBlocks):
		t.Fatalf("%s: error %v (%T), read in one pass %v (%T)", where, errBlocks, errBlocks, errSingle, errSingle)
	}
	for i := range max(len(single), len(blocks)) {
		switch {
		case i >= len(blocks):
			t.Fatalf("%s: %d calls, read in one pass %d; missing %v", where, len(blocks), len(single), single[i])
		case i >= len(single):
			t.Fatalf("%s: %d calls, read in one pass %d; extra %v", where, len(blocks), len(single), blocks[i])
		case !reflect.DeepEqual(single[i], blocks[i]):
			t.Fatalf("%s: call %d is\n%v\nread in one pass\n%v", where, i, blocks[i], single[i])
		}
	}
	return blocks, errBlocks
}

// quotedCharacter is the character a syntax error quotes.
var quotedCharacter = regexp.MustCompile(`invalid character '(?:[^'\\]|\\.)*'`)

// sameMessage reports whether two syntax errors say the same but for what
// the decoder quotes from its own reads: the member the error is in and the
// character at it, which it shows by its first byte when a read ended inside
// it. Where reads end differs when reading on from a block other than the
// first (see onePass).
func sameMessage(a, b string) bool {
	strip := func(s string) string {
		if i := strings.Index(s, ": "); strings.HasPrefix(s, "in /") && i >= 0 {
			s = s[i+2:]
		}
		return quotedCharacter.ReplaceAllString(s, "invalid character ?")
	}
	return strip(a) == strip(b)
}

// blockSizes are the block sizes, longest lines and blocks in flight the
// comparisons run with: blocks smaller than a line (which grow), lines longer
// than a block may grow (read on in one pass), one block and several in
// flight.
var blockSizes = [][3]int{{16, 1 << 20, 1}, {64, 256, 3}, {300, 1 << 20, 2}, {4096, 1 << 20, 5}, {64 << 10, 1 << 20, 3}}

// TestBlocksReadAsOnePass reads every test input, the example estate, the
// conformance corpus and the shared corpus (when present) in blocks of many
// sizes and in one pass, and requires the same calls on the sink.
func TestBlocksReadAsOnePass(t *testing.T) {
	dirs := []string{"testdata", filepath.Join("..", "..", "examples", "estate"), filepath.Join("..", "conformance", "testdata", "corpus")}
	if _, err := os.Stat("/work/shared/corpus"); err == nil {
		dirs = append(dirs, "/work/shared/corpus")
	}
	n := 0
	for _, dir := range dirs {
		files, err := listInputs(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data := readTestFile(t, f)
			t.Run(f, func(t *testing.T) {
				for _, s := range blockSizes {
					readBothWays(t, data, s[0], s[1], s[2])
				}
			})
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d inputs found", n)
	}
}

// TestBlocksReadGeneratedEstates reads generated estates in blocks whose ends
// fall on a different line each time.
func TestBlocksReadGeneratedEstates(t *testing.T) {
	for seed := range uint64(3) {
		data := estategen.Bytes(2000, seed+1)
		for _, size := range []int{997, 4099, 10007, 65537} {
			calls, err := readBothWays(t, data, size, 1<<20, 1+int(seed)+size%3)
			if err != nil || len(calls) < 2000 {
				t.Fatalf("seed %d: %d calls, error %v", seed, len(calls), err)
			}
		}
	}
}

// TestBlocksReadAwkwardInputs reads inputs made to break the cutting into
// blocks: documents that span lines, errors and truncation, line ends and
// byte-order marks.
func TestBlocksReadAwkwardInputs(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(string(estategen.Bytes(1500, 7)), "\n"), "\n")
	join := func(l []string) []byte { return []byte(strings.Join(l, "\n") + "\n") }
	with := func(i int, s string) []byte {
		l := append([]string(nil), lines...)
		l[i] = s
		return join(l)
	}
	indent := func(s string) string {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	whole := join(lines)
	cases := map[string][]byte{
		"pretty-printed array":       []byte(indent("[" + strings.Join(lines[1:], ",") + "]")),
		"array one element a line":   []byte("[\n" + strings.Join(lines[1:], ",\n") + "\n]\n"),
		"line 1000 pretty-printed":   with(999, indent(lines[999])),
		"error at line 700":          with(699, `{"id": "/subscriptions/s", "name": ,}`),
		"number at line 700":         with(699, `42`),
		"truncated last line":        whole[:len(whole)-40],
		"truncated line 900":         with(899, lines[899][:len(lines[899])/2]),
		"last line without newline":  whole[:len(whole)-1],
		"CRLF":                       bytes.ReplaceAll(whole, []byte("\n"), []byte("\r\n")),
		"BOM":                        append([]byte("\xEF\xBB\xBF"), whole...),
		"BOM and error":              append([]byte("\xEF\xBB\xBF"), with(10, `{"a": tru}`)...),
		"UTF-16":                     toUTF16(whole[:20000], false, true),
		"blank lines":                bytes.ReplaceAll(whole, []byte("\n"), []byte("\n\n \t\n")),
		"only blank lines":           bytes.Repeat([]byte(" \n\n"), 5000),
		"list at line 400":           with(399, `[1, `+lines[399]+`, "x", [`+lines[400]+`]]`),
		"duplicates and big numbers": with(500, `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d", "ID": "/subscriptions/s", "tags": {"a": 1e999, "a": {"b": 1}}, "properties": {"encryption": {"type": 1e400}}}`),
		"concatenated documents":     with(300, `{"value": [`+lines[300]+`, `+lines[301]+`]}{"data": [`+lines[302]+`]}`),
		"line longer than maxLine":   with(20, `{"id": "/subscriptions/s", "pad": "`+strings.Repeat("x", 70000)+`"}`),
		"header in the middle":       with(800, lines[0]),
		"garbage after last line":    append(append([]byte(nil), whole...), "}\n"...),
		"comment":                    with(100, `// a comment`),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			for _, s := range blockSizes {
				readBothWays(t, data, s[0], min(s[1], 65536), s[2])
			}
		})
	}
}

// FuzzReadBlocks reads arbitrary bytes in one pass and in blocks of a fuzzed
// size: the sink must see the same calls and the same error come back (its
// message but for what the decoder quotes from its own reads).
func FuzzReadBlocks(f *testing.F) {
	addSeeds(f, "*/*.json", "*/*.ndjson", "shapes/*/*.json")
	f.Add([]byte("{\"id\": \"/subscriptions/s\"}\n[1,\n2]\n{\"id\": \"/subscriptions/t\"}"))
	f.Add([]byte("\xEF\xBB\xBF{}\r\n{\"collectedAt\": 1}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		// The first byte chooses the sizes.
		size := 1 + int(data[0]&63)
		compareReads(t, data[1:], size, size*(1+int(data[0]>>6)), 1+int(data[0]>>6), false)
	})
}

// cancelSink cancels reading once it has been handed n resources, and notes
// how much of the input had been read then.
type cancelSink struct {
	callLog
	n      int
	cancel context.CancelFunc
	in     *progressReader
	readAt int64
}

func (s *cancelSink) Add(r *estate.Resource) {
	s.callLog.Add(r)
	if len(s.callLog) == s.n {
		s.cancel()
		s.readAt = s.in.read
	}
}

// TestBlocksStopWhenCancelled cancels reading in blocks midway: the error is
// the context's, and little is read or handed over after.
func TestBlocksStopWhenCancelled(t *testing.T) {
	defer setBlocks(4096, 1<<20, 3)()
	data := estategen.Bytes(3000, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := &progressReader{r: bytes.NewReader(data)}
	sink := &cancelSink{n: 100, cancel: cancel, in: in}
	if err := Read(ctx, "in.ndjson", in, sink); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// What was in flight may be handed over; nothing read after.
	if limit := int64(inFlight*blockSize + 64<<10); in.read-sink.readAt > limit {
		t.Errorf("%d bytes read after cancelling, more than the %d in flight", in.read-sink.readAt, limit)
	}
	if len(sink.callLog) > sink.n+inFlight*blockSize/100 {
		t.Errorf("%d calls after cancelling", len(sink.callLog)-sink.n)
	}
}
