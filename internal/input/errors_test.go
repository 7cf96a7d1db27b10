package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// recorder is a Sink that keeps everything, for tests.
type recorder struct {
	resources []*estate.Resource
	headers   []*estate.Header
	audit     []*estate.AuditRecord
	warnings  []estate.Warning
}

func (r *recorder) Add(x *estate.Resource)         { r.resources = append(r.resources, x) }
func (r *recorder) AddHeader(h *estate.Header)     { r.headers = append(r.headers, h) }
func (r *recorder) AddAudit(a *estate.AuditRecord) { r.audit = append(r.audit, a) }
func (r *recorder) Warn(src estate.Source, format string, args ...any) {
	r.warnings = append(r.warnings, estate.Warning{Source: src, Message: fmt.Sprintf(format, args...)})
}

func TestMalformedInputErrors(t *testing.T) {
	cases := []struct {
		file   string
		offset int64
		line   int
		msg    string
		before int // resources read before the error
	}{
		{"missing-comma.json", 181, 3, "after array element", 1},
		{"truncated.ndjson", 571, 3, "truncated", 2},
		{"not-json.json", 0, 1, "not JSON", 0},
		{"empty.json", 0, 1, "empty", 0},
		{"blank.ndjson", 6, 4, "empty", 0},
		{"template-with-comments.json", 100, 3, "JSON has no comments", 0},
		{"scalar.json", 1, 2, "JSON string, not an object", 0},
		{"bad-value.json", 50, 2, "in /value/0/properties/a", 0},
		{"trailing-garbage.ndjson", 398, 2, "invalid character ','", 2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "errors", c.file)
			rec := &recorder{}
			err := ReadFile(context.Background(), path, rec)
			var perr *PositionError
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T), want a *PositionError", err, err)
			}
			if perr.File != path || perr.Offset != c.offset || perr.Line != c.line {
				t.Errorf("position %s:%d byte %d, want %s:%d byte %d", perr.File, perr.Line, perr.Offset, path, c.line, c.offset)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err, c.msg)
			}
			wantPrefix := fmt.Sprintf("%s:%d (byte %d): ", path, c.line, c.offset)
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("message %q does not start with %q", err, wantPrefix)
			}
			if len(rec.resources) != c.before {
				t.Errorf("%d resources read before the error, want %d", len(rec.resources), c.before)
			}
		})
	}
}

func TestStreamErrors(t *testing.T) {
	vault := `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "properties": {}}`
	cases := []struct {
		name   string
		input  string
		offset int64
		line   int
		msg    string
	}{
		{"stdin truncated", "[\n" + vault + ",\n" + vault[:40], 2 + int64(len(vault)) + 2 + 40, 3, "truncated"},
		{"UTF-8 BOM counts in the offset", "\xEF\xBB\xBF[\n  {\"id\": }\n]", 3 + 11, 2, "in /0/id: missing value"},
		{"UTF-32 is refused", "\x00\x00\xFE\xFF\x00\x00\x00[", 0, 1, "UTF-32"},
		{"deep object in a resource", `{"id": "/subscriptions/s", "properties": ` + strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 301),
			41 + 5*254 + 4, 1, "nested deeper than 256"},
		{"CRLF lines", "[\r\n{},\r\n{}\r\n{}]", 12, 4, "after array element"},
		{"top-level number", "  42", 2, 1, "JSON number, not an object"},
		{"NaN is not JSON", `{"id": NaN}`, 7, 1, "invalid character 'N'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Read(context.Background(), "-", strings.NewReader(c.input), &recorder{})
			var perr *PositionError
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T), want a *PositionError", err, err)
			}
			if perr.File != "-" || perr.Offset != c.offset || perr.Line != c.line {
				t.Errorf("position %s:%d byte %d, want -:%d byte %d (%v)", perr.File, perr.Line, perr.Offset, c.line, c.offset, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err, c.msg)
			}
		})
	}
}

func TestNestedListsAreBounded(t *testing.T) {
	rec := &recorder{}
	input := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	if err := Read(context.Background(), "-", strings.NewReader(input), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.warnings) != 1 || rec.warnings[0].Source.Offset != int64(maxListDepth) ||
		!strings.Contains(rec.warnings[0].Message, "JSON array, not an object") {
		t.Fatalf("warnings %v, want one about the list nested %d deep", rec.warnings, maxListDepth)
	}
}

func TestUTF16ErrorLine(t *testing.T) {
	text := "[\r\n  {\"id\": \"/subscriptions/s\"},\r\n  {\"id\" \"x\"}\r\n]"
	err := Read(context.Background(), "ps.json", bytes.NewReader(toUTF16([]byte(text), false, true)), &recorder{})
	var perr *PositionError
	if !errors.As(err, &perr) || perr.Line != 3 || !strings.Contains(err.Error(), "UTF-16") {
		t.Fatalf("error %v, want one at line 3 that says the offset counts the UTF-8 conversion", err)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Read(ctx, "-", strings.NewReader("[{}]"), &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestMissingPath(t *testing.T) {
	err := ReadPaths(context.Background(), []string{filepath.Join("testdata", "no-such-file.json")}, nil, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "no-such-file.json") {
		t.Fatalf("error %v, want one naming the missing file", err)
	}
}
