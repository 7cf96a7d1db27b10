package input

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// progressReader counts the bytes the reader has taken from the input.
type progressReader struct {
	r    io.Reader
	read int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	return n, err
}

// lagSink records, for each item, how far ahead of the item's start the
// input had been read when the item arrived.
type lagSink struct {
	recorder
	in     *progressReader
	maxLag int64
	items  int
}

func (s *lagSink) note(src estate.Source) {
	s.items++
	if lag := s.in.read - src.Offset; lag > s.maxLag {
		s.maxLag = lag
	}
}
func (s *lagSink) Add(r *estate.Resource)         { s.note(r.Source) }
func (s *lagSink) AddAudit(a *estate.AuditRecord) { s.note(a.Source) }

// TestEnvelopesStream checks that every shape hands items over while the
// input is being read: an item arrives before the input much beyond it has
// been read, so a large file is never held whole. Small blocks make the
// input span many (see readBlocks).
func TestEnvelopesStream(t *testing.T) {
	defer setBlocks(8<<10, 32<<10, 4)()
	const items = 400
	pad := strings.Repeat("x", 2000)
	resource := func(i int) string {
		return fmt.Sprintf(`{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%d", "properties": {"note": %q}}`, i, pad)
	}
	record := func(i int) string {
		return fmt.Sprintf(`{"time": "2026-03-04T10:15:02Z", "category": "AuditEvent", "operationName": "KeyGet", "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "resultDescription": %q, "n": %d}`, pad, i)
	}
	list := func(f func(int) string, sep string) string {
		var b strings.Builder
		for i := range items {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(f(i))
		}
		return b.String()
	}
	row := func(i int) string {
		return fmt.Sprintf(`["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%d", {"note": %q}]`, i, pad)
	}
	cases := map[string]string{
		"NDJSON":               list(resource, "\n"),
		"array":                "[" + list(resource, ",\n") + "]",
		"ARM list":             `{"value": [` + list(resource, ",") + `], "nextLink": null}`,
		"Resource Graph":       `{"totalRecords": 400, "count": 400, "facets": [], "data": [` + list(resource, ",") + `]}`,
		"Resource Graph table": `{"data": {"columns": [{"name": "id"}, {"name": "properties"}], "rows": [` + list(row, ",") + `]}}`,
		"audit records":        `{"records": [` + list(record, ",") + `]}`,
		"audit lines":          list(record, "\n"),
		"Log Analytics tables": `{"tables": [{"name": "PrimaryResult", "columns": [{"name": "id", "type": "string"}, {"name": "properties", "type": "dynamic"}], "rows": [` + list(row, ",") + `]}]}`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			in := &progressReader{r: bytes.NewReader([]byte(text))}
			sink := &lagSink{in: in}
			if err := Read(context.Background(), "big", in, sink); err != nil {
				t.Fatal(err)
			}
			if sink.items != items {
				t.Fatalf("%d items, want %d (warnings %v)", sink.items, items, sink.warnings)
			}
			// The whole input is about 800 KiB. Ahead of an item are the
			// blocks in flight, or a line as long as a block may grow, and
			// the 64 KiB input buffer.
			if limit := int64(max(inFlight*blockSize, maxLine) + 64<<10 + 4<<10); sink.maxLag > limit {
				t.Errorf("an item arrived only after %d bytes beyond its start had been read (limit %d): the shape is not streamed", sink.maxLag, limit)
			}
		})
	}
}
