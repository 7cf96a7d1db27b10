package input

import (
	"bytes"
	"io"
)

// lineCounter sits between the input and the JSON decoder and remembers where
// the newlines are, so that every position the reader reports (resources,
// warnings, errors) carries a line number without a second pass over the
// input and without holding it: stdin works too.
//
// Positions are asked for in increasing order while decoding (the decoder only
// moves forward), so newlines before the last position asked for are folded
// into a count and forgotten; what is kept is the newlines of the decoder's
// read-ahead, a few kilobytes.
//
// A block of text decoded from memory (see readBlocks) has its newlines
// counted on demand instead, between the last position asked for and the
// next.
type lineCounter struct {
	r    io.Reader
	text []byte  // the whole text, when it is decoded from memory
	next int64   // in text, the offset of the first newline at or after last
	read int64   // bytes handed to the decoder so far
	nl   []int64 // offsets of newlines at or after last, in order
	head int     // nl[:head] are already counted in pass
	pass int     // newlines before the last position asked for
	last int64   // the last position asked for
}

// reset makes c count the lines of text, which starts after lines newlines.
func (c *lineCounter) reset(text []byte, lines int) {
	*c = lineCounter{text: text, read: int64(len(text)), nl: c.nl[:0], pass: lines}
	c.next = c.newlineFrom(0)
}

// newlineFrom returns the offset of the first newline of text at or after
// off, or the length of text.
func (c *lineCounter) newlineFrom(off int64) int64 {
	if i := bytes.IndexByte(c.text[off:], '\n'); i >= 0 {
		return off + int64(i)
	}
	return int64(len(c.text))
}

var newline = []byte{'\n'}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	b := p[:n]
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			break
		}
		c.nl = append(c.nl, c.read+int64(off+i))
		off += i + 1
	}
	c.read += int64(n)
	return n, err
}

// line returns the 1-based line of the byte at off, or 0 when off lies before
// a position already asked for (the counter has forgotten those newlines).
func (c *lineCounter) line(off int64) int {
	if off < c.last {
		return 0
	}
	if c.text != nil {
		// Positions are asked for many times a line: most lie before the
		// next newline.
		for c.next < off {
			c.pass++
			c.next = c.newlineFrom(c.next + 1)
		}
		c.last = off
		return c.pass + 1
	}
	c.last = off
	for c.head < len(c.nl) && c.nl[c.head] < off {
		c.head++
		c.pass++
	}
	// Drop the counted prefix once it dominates, so the slice stays small.
	if c.head > 512 && c.head*2 > len(c.nl) {
		n := copy(c.nl, c.nl[c.head:])
		c.nl = c.nl[:n]
		c.head = 0
	}
	return c.pass + 1
}
