package input

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Reading UTF-8 text in blocks, on every core.
//
// A large input is an NDJSON snapshot: one value a line. readBlocks cuts the
// text into blocks that end after a newline, decodes each block on its own
// (a worker goroutine per core, each with its own caches) and hands what the
// blocks yield to the sink from the calling goroutine, block after block, so
// the sink sees the calls a single pass would make, in the same order.
//
// Why a block decoded on its own yields what a single pass would: the first
// block starts at the start of the text, between values. A block that decodes
// without error ends between values too, so the block after it starts where a
// single pass would start its next value; by induction every block up to the
// first one that fails is read exactly as a single pass reads it. A block
// fails when a value runs past its end (a pretty-printed document, or a value
// that spans lines) or when the text is malformed: its output and everything
// after it are dropped and the rest of the text, from the failed block's
// start, is read in one pass (readStream), which reports errors where a single
// pass does.

// Sizes of the blocks; tests make them small so that block ends fall
// everywhere.
var (
	blockSize = 4 << 20  // bytes read at a time; a block ends at the last newline
	maxLine   = 16 << 20 // a block without a newline grows to this, then the rest is read in one pass
	inFlight  = 0        // blocks read ahead of the sink, at most; 0 means one per worker and one
)

// chunk is one block of text and what decoding it yielded.
type chunk struct {
	buf    []byte // the buffer text lies in
	text   []byte // the block: whole lines, or the rest of the input
	start  int64  // offset of text[0] in the decoded text
	lines  int    // newlines before start
	stop   bool   // not to be decoded on its own: the text is read in one pass from here
	done   chan struct{}
	events events
	slab   slab  // what events point to, when the sink lets go of it
	values int   // top-level values decoded
	err    error // from decoding
}

// blockPool keeps block buffers between reads: a folder of small files should
// not allocate a block per file.
var blockPool sync.Pool

// splitter cuts text read from r into chunks that end after a newline.
type splitter struct {
	r       io.Reader
	carry   []byte // read after the last cut
	offset  int64  // offset of carry[0] in the text
	lines   int    // newlines before offset
	err     error  // what ended reading r: io.EOF or a read error
	stopped bool   // a chunk was too long, or reading failed: no more chunks
}

// next fills c with the next block, or returns false at the end of the text.
func (s *splitter) next(c *chunk) bool {
	if s.stopped || s.err != nil && len(s.carry) == 0 {
		return false
	}
	buf := c.buf[:0]
	if cap(buf) != blockSize {
		// A block that grew for a long line is not kept.
		if p, ok := blockPool.Get().(*[]byte); ok && cap(*p) == blockSize {
			buf = (*p)[:0]
		} else {
			buf = make([]byte, 0, blockSize)
		}
	}
	buf = append(buf, s.carry...)
	s.carry = s.carry[:0]
	cut, scanned := -1, 0
	for s.err == nil {
		if len(buf) == cap(buf) {
			if i := bytes.LastIndexByte(buf[scanned:], '\n'); i >= 0 {
				cut = scanned + i + 1
				break
			}
			if len(buf) >= maxLine {
				break
			}
			scanned = len(buf)
			buf = slices.Grow(buf, blockSize)
		}
		n, err := s.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		s.err = err
	}
	*c = chunk{buf: buf, text: buf, start: s.offset, lines: s.lines, done: make(chan struct{}), events: c.events[:0], slab: c.slab.reset()}
	switch {
	case cut >= 0:
		c.text = buf[:cut]
		s.carry = append(s.carry, buf[cut:]...)
	case s.err != io.EOF:
		// A line longer than maxLine, or a read error: read on in one pass.
		c.stop, s.stopped = true, true
		close(c.done)
	}
	s.offset += int64(len(c.text))
	s.lines += bytes.Count(c.text, newline)
	return true
}

// rest returns the text not yet cut into chunks.
func (s *splitter) rest() io.Reader {
	switch {
	case s.err == io.EOF:
		return bytes.NewReader(s.carry)
	case s.err != nil:
		return io.MultiReader(bytes.NewReader(s.carry), errReader{s.err})
	}
	return io.MultiReader(bytes.NewReader(s.carry), s.r)
}

// onePass returns the rest of the input, r, which starts at byte at of the
// input, as a single pass reads it: through a buffer of bufferSize filled in
// the input's own pieces of that size. The decoder quotes what it has read in
// its messages (the character at a syntax error, the member it is in), so
// where its reads end can show in an error. Reading on from the first block
// this way reads exactly as a single pass; from a later block the decoder's
// own reads may still end elsewhere.
func onePass(r io.Reader, at int64) io.Reader {
	return bufio.NewReaderSize(&fullReader{r: r, first: bufferSize - int(at%bufferSize)}, bufferSize)
}

// fullReader fills every read, as a file does, except that the first read
// stops after first bytes.
type fullReader struct {
	r     io.Reader
	first int
}

// Read fills p, or reads up to the end of the input.
func (f *fullReader) Read(p []byte) (int, error) {
	if f.first > 0 {
		p = p[:min(len(p), f.first)]
		f.first = 0
	}
	n, err := io.ReadFull(f.r, p)
	if err == io.ErrUnexpectedEOF {
		err = nil // the end comes with the next read
	}
	return n, err
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// readBlocks reads UTF-8 text from r in blocks decoded on every core. Readers
// for the blocks and for reading on in one pass are made like proto.
func readBlocks(proto *reader, r io.Reader) error {
	ctx, sink := proto.ctx, proto.sink
	_, reuse := sink.(*estate.Builder)
	reuse = reuse || reuseAlways
	workers := runtime.GOMAXPROCS(0)
	// A block in flight holds what it decoded until the sink takes it, and
	// reading is at its largest just before Build: one block ahead per
	// worker keeps every core busy (two were measured no faster, and 40–60
	// MiB larger at the peak of a scan of a million resources).
	limit := inFlight
	if limit <= 0 {
		limit = workers + 1
	}
	// Workers stop early when the blocks they decode are no longer wanted.
	wctx, cancel := context.WithCancel(ctx)
	jobs := make(chan *chunk, limit)
	var wg sync.WaitGroup
	started := false
	var queue, free []*chunk
	defer func() {
		cancel()
		close(jobs)
		wg.Wait()
		for _, c := range append(queue, free...) {
			if buf := c.buf; cap(buf) == blockSize {
				blockPool.Put(&buf)
			}
		}
	}()
	newReader := func(ctx context.Context) *reader {
		return &reader{ctx: ctx, name: proto.name, sink: sink, base: proto.base, reuse: reuse}
	}

	sp := &splitter{r: r}
	values := 0
	for {
		for len(queue) < limit {
			if err := ctx.Err(); err != nil {
				return err
			}
			var c *chunk
			if n := len(free); n > 0 {
				c, free = free[n-1], free[:n-1]
			} else {
				c = &chunk{}
			}
			if !sp.next(c) {
				break
			}
			queue = append(queue, c)
			switch {
			case c.stop:
			case !started && sp.err == io.EOF && len(sp.carry) == 0:
				// The whole text is one block: nothing to share out.
				newReader(ctx).decode(c)
			default:
				if !started {
					started = true
					for range workers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							rd := newReader(wctx)
							for c := range jobs {
								rd.decode(c)
							}
						}()
					}
				}
				jobs <- c
			}
		}
		if len(queue) == 0 {
			return newReader(ctx).readStream(sp.rest(), sp.offset, sp.lines, values)
		}
		c := queue[0]
		<-c.done
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.stop || c.err != nil {
			cancel()
			rest := make([]io.Reader, 0, len(queue)+1)
			for _, q := range queue {
				rest = append(rest, bytes.NewReader(q.text))
			}
			text := onePass(io.MultiReader(append(rest, sp.rest())...), proto.base+c.start)
			return newReader(ctx).readStream(text, c.start, c.lines, values)
		}
		queue = queue[1:]
		values += c.values
		c.events.replay(sink)
		free = append(free, c)
	}
}

// decode decodes one block and records what it yields.
func (rd *reader) decode(c *chunk) {
	defer close(c.done)
	rd.sink = &c.events
	rd.start = c.start
	rd.block = true
	if rd.reuse {
		rd.slab = &c.slab
	}
	// The id parsed last may lie in the slab of a block replayed since.
	rd.last.raw, rd.last.id = "", estate.ID{}
	if rd.lines == nil {
		rd.lines = &lineCounter{}
	}
	rd.lines.reset(c.text, c.lines)
	if rd.dec == nil {
		rd.dec = jsontext.NewDecoder(bytes.NewBuffer(c.text), decodeOptions...)
	} else {
		rd.dec.Reset(bytes.NewBuffer(c.text), decodeOptions...)
	}
	c.values, c.err = rd.readValues()
}

// reuseAlways lets tests reuse the resources of blocks handed to their own
// sinks, which copy what they keep, to check that reusing them changes
// nothing.
var reuseAlways = false

// slab holds the resources of types no rule reads (see estate.Relevant) that
// a block yields, their identities and their ids, when the sink lets go of
// them and their strings once Add returns, as an estate.Builder does: most
// resources of a large estate are of such types, and need not be an object
// and a string on the heap each. It is reused once the block's events are
// replayed.
type slab struct {
	resources  []estate.Resource
	identities []estate.Identity
	text       []byte // the bytes of the strings str made
}

// reset empties the slab for the next block, keeping its arrays.
func (s *slab) reset() slab {
	clear(s.resources)
	clear(s.identities)
	return slab{resources: s.resources[:0], identities: s.identities[:0], text: s.text[:0]}
}

// minText is the size of the first array of a slab's text.
const minText = 64 << 10

// str returns a non-empty b as a string held in the slab's text, which the
// next block overwrites once this one's events are replayed. A full text
// moves on to a larger array and leaves the strings in the last one to the
// collector.
func (s *slab) str(b []byte) string {
	if len(s.text)+len(b) > cap(s.text) {
		s.text = make([]byte, 0, max(2*cap(s.text), len(b), minText))
	}
	start := len(s.text)
	s.text = append(s.text, b...)
	return unsafe.String(&s.text[start], len(b))
}

// unstr takes back the string str made last, of n bytes, which no one holds.
func (s *slab) unstr(n int) { s.text = s.text[:len(s.text)-n] }

// events records what a block hands to the sink, for handing over once the
// blocks before it have been.
type events []event

type event struct {
	resource *estate.Resource
	header   *estate.Header
	audit    *estate.AuditRecord
	warning  estate.Warning // when the others are nil
}

// Add, AddHeader, AddAudit and Warn record the calls (events is the Sink of
// a block's reader).
func (e *events) Add(r *estate.Resource)         { *e = append(*e, event{resource: r}) }
func (e *events) AddHeader(h *estate.Header)     { *e = append(*e, event{header: h}) }
func (e *events) AddAudit(a *estate.AuditRecord) { *e = append(*e, event{audit: a}) }
func (e *events) Warn(src estate.Source, format string, args ...any) {
	*e = append(*e, event{warning: estate.Warning{Source: src, Message: fmt.Sprintf(format, args...)}})
}

// replay hands the recorded calls to sink and forgets them.
func (e *events) replay(sink Sink) {
	for _, ev := range *e {
		switch {
		case ev.resource != nil:
			sink.Add(ev.resource)
		case ev.header != nil:
			sink.AddHeader(ev.header)
		case ev.audit != nil:
			sink.AddAudit(ev.audit)
		default:
			sink.Warn(ev.warning.Source, "%s", ev.warning.Message)
		}
	}
	clear(*e)
	*e = (*e)[:0]
}
