package input

import (
	"os"
	"slices"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

func readTestFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkPositions checks that every position the reader reported lies in the
// input and carries the line a plain count of newlines gives, and that items
// start where their JSON object does. data must be UTF-8 without a BOM.
func checkPositions(t testing.TB, data []byte, rec *recorder) {
	t.Helper()
	// newlines[i] is the offset of the i-th newline: the line of an offset is
	// one more than the number of newlines before it.
	var newlines []int64
	for i, c := range data {
		if c == '\n' {
			newlines = append(newlines, int64(i))
		}
	}
	check := func(what string, src estate.Source, object bool) {
		t.Helper()
		if src.Offset < 0 || src.Offset > int64(len(data)) {
			t.Fatalf("%s: offset %d outside the input (%d bytes)", what, src.Offset, len(data))
		}
		if want, _ := slices.BinarySearch(newlines, src.Offset); src.Line != want+1 {
			t.Fatalf("%s: line %d at byte %d, want %d", what, src.Line, src.Offset, want+1)
		}
		if object && (src.Offset >= int64(len(data)) || data[src.Offset] != '{' && data[src.Offset] != '[') {
			t.Fatalf("%s: byte %d does not start an object", what, src.Offset)
		}
	}
	for _, r := range rec.resources {
		check("resource "+r.ID, r.Source, true)
	}
	for _, a := range rec.audit {
		check("audit record", a.Source, true)
	}
	for _, h := range rec.headers {
		check("header", h.Source, true)
	}
	for _, w := range rec.warnings {
		if w.Source.File != "" {
			check("warning "+w.Message, w.Source, false)
		}
	}
}

// setBlocks sets the sizes of reading in blocks and returns a function that
// restores them.
func setBlocks(size, line, flight int) (restore func()) {
	s, l, f := blockSize, maxLine, inFlight
	blockSize, maxLine, inFlight = size, line, flight
	return func() { blockSize, maxLine, inFlight = s, l, f }
}
