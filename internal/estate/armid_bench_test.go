package estate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// benchIDCount is how many ids BenchmarkParseID parses per loop.
const benchIDCount = 20000

// benchIDs returns the ids of the first benchIDCount resources of the file
// CMKGUARD_BENCH_FILE names, else of a generated estate.
func benchIDs(b *testing.B) []string {
	var r io.Reader
	if name := os.Getenv("CMKGUARD_BENCH_FILE"); name != "" {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		r = f
	} else {
		r = bytes.NewReader(estategen.Bytes(benchIDCount+100, 1))
	}
	var ids []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for len(ids) < benchIDCount && sc.Scan() {
		var res struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			b.Fatalf("reading ids: %v", err)
		}
		if res.ID != "" {
			ids = append(ids, res.ID)
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("reading ids: %v", err)
	}
	return ids
}

// BenchmarkParseID parses the ids of an estate as readers (ParseIDType) and
// the estate and rules (ParseID) do; ns/id is the time of one id.
//
//	CMKGUARD_BENCH_FILE=/tmp/est/bench/estate-100000.ndjson go test -run '^$' -bench ParseID ./internal/estate
func BenchmarkParseID(b *testing.B) {
	ids := benchIDs(b)
	for _, c := range []struct {
		name  string
		parse func(string) (ID, bool)
	}{
		{"ParseID", ParseID},
		{"ParseIDType", ParseIDType},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, id := range ids {
					if _, ok := c.parse(id); !ok {
						b.Fatalf("%q does not parse", id)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/id")
		})
	}
}
