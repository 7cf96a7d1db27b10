package input

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// textEncoding is how an input file's text is encoded. Windows PowerShell 5.1
// writes `ConvertTo-Json | Out-File` as UTF-16 with a byte-order mark, and
// several Windows tools prefix UTF-8 with one; JSON itself is UTF-8.
type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF8BOM
	encUTF16LE
	encUTF16BE
)

// sniffEncoding looks at the first bytes of br and consumes a byte-order
// mark if there is one. Without a mark, UTF-16 is recognised by the zero byte
// beside the first character, which in JSON is ASCII ('[', '{' or whitespace).
func sniffEncoding(br *bufio.Reader) (textEncoding, error) {
	b, _ := br.Peek(4)
	switch {
	case len(b) >= 4 && (b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF || b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0):
		return encUTF8, errors.New("the input is UTF-32 text; save it as UTF-8")
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		_, _ = br.Discard(3)
		return encUTF8BOM, nil
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		_, _ = br.Discard(2)
		return encUTF16LE, nil
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		_, _ = br.Discard(2)
		return encUTF16BE, nil
	case len(b) >= 2 && b[0] != 0 && b[0] < utf8.RuneSelf && b[1] == 0:
		return encUTF16LE, nil
	case len(b) >= 2 && b[0] == 0 && b[1] != 0 && b[1] < utf8.RuneSelf:
		return encUTF16BE, nil
	}
	return encUTF8, nil
}

// utf16Reader converts UTF-16 text to UTF-8 as it is read. Unpaired
// surrogates and a dangling odd byte become U+FFFD, as in any lenient decoder.
type utf16Reader struct {
	r         io.Reader
	bigEndian bool
	in        []byte // undecoded input; at most one odd byte carries over
	buf       []byte // UTF-8 of the last decoded chunk
	out       []byte // the part of buf not yet returned
	high      rune   // a high surrogate waiting for its pair, or 0
	err       error  // from r, returned once out is drained
}

func newUTF16Reader(r io.Reader, bigEndian bool) *utf16Reader {
	return &utf16Reader{r: r, bigEndian: bigEndian, in: make([]byte, 0, 32<<10)}
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			if u.high != 0 || len(u.in) > 0 {
				u.high, u.in = 0, u.in[:0]
				u.buf = utf8.AppendRune(u.buf[:0], utf8.RuneError)
				u.out = u.buf
				continue
			}
			return 0, u.err
		}
		n, err := u.r.Read(u.in[len(u.in):cap(u.in)])
		u.in = u.in[:len(u.in)+n]
		u.err = err
		u.decode()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// decode turns the complete code units of u.in into UTF-8 in u.out.
func (u *utf16Reader) decode() {
	out := u.buf[:0]
	i := 0
	for ; i+1 < len(u.in); i += 2 {
		var c rune
		if u.bigEndian {
			c = rune(u.in[i])<<8 | rune(u.in[i+1])
		} else {
			c = rune(u.in[i+1])<<8 | rune(u.in[i])
		}
		switch {
		case u.high != 0 && utf16.IsSurrogate(c) && c >= 0xDC00:
			out = utf8.AppendRune(out, utf16.DecodeRune(u.high, c))
			u.high = 0
			continue
		case u.high != 0:
			out = utf8.AppendRune(out, utf8.RuneError)
			u.high = 0
		}
		switch {
		case c >= 0xD800 && c < 0xDC00:
			u.high = c
		case utf16.IsSurrogate(c):
			out = utf8.AppendRune(out, utf8.RuneError)
		default:
			out = utf8.AppendRune(out, c)
		}
	}
	n := copy(u.in, u.in[i:])
	u.in = u.in[:n]
	u.buf, u.out = out, out
}
