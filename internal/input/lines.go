package input

import (
	"bytes"
	"io"
	"unicode/utf8"
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
	// held is the start of a character cut by the last read, for the next.
	held  [utf8.UTFMax]byte
	nheld int
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

// cutRune returns the length of the incomplete UTF-8 sequence b ends with, or
// 0 when b ends with a whole character (or with bytes that are no UTF-8).
func cutRune(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return 0
			}
			return len(b) - i
		}
	}
	return 0
}

// Read reads from the input, never ending inside a UTF-8 sequence unless the
// input ends there: the decoder quotes the character at a syntax error from
// what it has read, and a character cut by a read would be quoted by its
// first byte alone, so an error's message would depend on where reads ended
// (and differ between reading in one pass and in blocks, which see whole
// lines).
func (c *lineCounter) Read(p []byte) (int, error) {
	n := copy(p, c.held[:c.nheld])
	c.nheld = copy(c.held[:], c.held[n:c.nheld])
	var err error
	for c.nheld == 0 && n < len(p) {
		var m int
		m, err = c.r.Read(p[n:])
		n += m
		if err != nil {
			break
		}
		if k := cutRune(p[:n]); k > 0 && k < n {
			c.nheld = copy(c.held[:], p[n-k:n])
			n -= k
			break
		} else if k == 0 && n > 0 {
			break
		}
		// Nothing read yet, or only the start of one character: read on.
	}
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
