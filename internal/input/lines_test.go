package input

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func TestCutRune(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 0},
		{"aق", 0},
		{"a\xd9", 1},
		{"a\xe2\x82", 2},
		{"a\xf0\x9f\x98", 3},
		{"a\xf0\x9f\x98\x80", 0},
		{"a\xff", 0},     // not UTF-8: nothing to wait for
		{"a\xe0\x80", 0}, // cannot start a character
		{"\x80\x80\x80\x80", 0},
	}
	for _, c := range cases {
		if got := cutRune([]byte(c.in)); got != c.want {
			t.Errorf("cutRune(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestLineCounterKeepsCharactersWhole reads through readers that return a
// byte or half of what is asked at a time: no read may end inside a
// character, and nothing may be lost.
func TestLineCounterKeepsCharactersWhole(t *testing.T) {
	for _, in := range []string{" ق", "{\"a\": \"€\"}\n€😀", "\xd9", "a\xff\xd9", strings.Repeat("ق", 100)} {
		for name, wrap := range map[string]func(io.Reader) io.Reader{"one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
			c := &lineCounter{r: wrap(strings.NewReader(in))}
			var all []byte
			p := make([]byte, 7)
			for {
				n, err := c.Read(p)
				if n > 0 && len(all)+n < len(in) && cutRune(p[:n]) > 0 {
					t.Fatalf("%s %q: a read ends inside a character: %q", name, in, p[:n])
				}
				all = append(all, p[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if string(all) != in || c.read != int64(len(in)) {
				t.Fatalf("%s %q: read %q (%d bytes counted)", name, in, all, c.read)
			}
		}
	}
}

// TestErrorsDoNotDependOnReads reads malformed input whose error is at a
// character of several bytes through readers that cut it: the message quotes
// the character whole, as when the input is read at once.
func TestErrorsDoNotDependOnReads(t *testing.T) {
	for _, in := range []string{"ق", "   ق", `{"id": ق}`, `[{"id": "x"} ق]`, "{\"a\": 1}\n€", "\xef\xbb\xbfق"} {
		want := fmt.Sprint(Read(context.Background(), "in.json", strings.NewReader(in), &callLog{}))
		if !utf8.ValidString(strings.TrimPrefix(in, "\xef\xbb\xbf")) || !strings.Contains(want, "invalid character") {
			t.Fatalf("%q: error %s, want one about an invalid character", in, want)
		}
		for name, wrap := range map[string]func(io.Reader) io.Reader{"one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
			readInBlocks = false
			got := fmt.Sprint(Read(context.Background(), "in.json", wrap(bytes.NewReader([]byte(in))), &callLog{}))
			readInBlocks = true
			if got != want {
				t.Errorf("%s %q: error %s, want %s", name, in, got, want)
			}
		}
	}
}
