package input

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// The fuzz targets check more than the absence of panics: every error is a
// PositionError inside the input, every position carries the line a count of
// newlines gives, nothing read is dropped without a word, and the estate
// builds from whatever was read.

// teeSink hands everything to a recorder and a Builder.
type teeSink struct {
	rec *recorder
	b   *estate.Builder
}

func (s teeSink) Add(r *estate.Resource)         { s.rec.Add(r); s.b.Add(r) }
func (s teeSink) AddHeader(h *estate.Header)     { s.rec.AddHeader(h); s.b.AddHeader(h) }
func (s teeSink) AddAudit(a *estate.AuditRecord) { s.rec.AddAudit(a); s.b.AddAudit(a) }
func (s teeSink) Warn(src estate.Source, format string, args ...any) {
	s.rec.Warn(src, format, args...)
	s.b.Warn(src, format, args...)
}

// readChecked reads data as one stream, checks the invariants every shape
// shares, builds the estate and exercises its queries.
func readChecked(t *testing.T, data []byte) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	b := estate.NewBuilder()
	err := Read(context.Background(), "fuzz.json", bytes.NewReader(data), teeSink{rec, b})
	enc, _ := sniffEncoding(bufio.NewReader(bytes.NewReader(data)))
	utf16 := enc == encUTF16LE || enc == encUTF16BE
	if err != nil {
		var perr *PositionError
		if !errors.As(err, &perr) {
			t.Fatalf("error %v (%T) is not a PositionError", err, err)
		}
		if perr.File != "fuzz.json" || perr.Line < 1 || perr.Offset < 0 || (!utf16 && perr.Offset > int64(len(data))) {
			t.Fatalf("error position %s:%d byte %d outside the %d-byte input", perr.File, perr.Line, perr.Offset, len(data))
		}
		if !utf16 {
			if want := bytes.Count(data[:perr.Offset], []byte("\n")) + 1; perr.Line != want {
				t.Fatalf("error at byte %d reports line %d, want %d: %v", perr.Offset, perr.Line, want, err)
			}
		}
	}
	if !utf16 {
		checkPositions(t, data, rec)
	}
	for _, r := range rec.resources {
		if r.Type == "" || r.Type != estate.Lower(r.Type) || r.Props == nil {
			t.Fatalf("resource %q has type %q, properties %v", r.ID, r.Type, r.Props)
		}
	}
	e := b.Build()
	// Grants walks every role assignment per call: keep fuzz runs linear.
	if len(e.Keys)*len(e.RoleAssignments) > 10000 {
		return rec, err
	}
	for _, v := range e.Vaults {
		e.Grants(v, v.ID, "")
		for _, k := range v.Keys {
			e.Grants(v, estate.KeyScope(v, k.Name), "")
			e.KeyUsers(estate.KeyURI{Vault: k.VaultName, HSM: k.HSMKey, Name: k.Name})
		}
	}
	for _, w := range e.Workloads {
		for _, ref := range w.KeyRefs {
			if ref.Key != nil && ref.Vault == nil {
				t.Fatalf("%s: key found without its vault", w.ID)
			}
		}
	}
	return rec, err
}

// addSeeds adds every file matching the patterns below testdata as a seed.
func addSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, p := range patterns {
		files, err := filepath.Glob(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			f.Add(readTestFile(f, file))
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seeds match %v", patterns)
	}
}

// FuzzRead feeds arbitrary bytes through Read into a Builder and Build.
func FuzzRead(f *testing.F) {
	addSeeds(f, "*/*.json", "*/*.ndjson", "shapes/*/*.json")
	f.Add([]byte(`{"data": {"rows": [["/subscriptions/s"]], "columns": ["id"]}}`))
	f.Add([]byte("\xEF\xBB\xBF[{\"id\": \"/subscriptions/s\"}]"))
	f.Add([]byte("[\x00{\x00}\x00]\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readChecked(t, data)
	})
}

// FuzzNDJSON joins fuzzed lines into an NDJSON snapshot. Whenever the stream
// reads without error, every line holding an object must have produced a
// resource, a header, an audit record or a warning at that line: nothing is
// passed over in silence.
func FuzzNDJSON(f *testing.F) {
	lines := func(path string) []string {
		return strings.Split(strings.TrimSpace(string(readTestFile(f, filepath.Join("testdata", path)))), "\n")
	}
	snap := lines("shapes/snapshot.ndjson")
	f.Add(snap[0], snap[1], snap[4])
	audit := lines("audit/PT1H.json")
	f.Add(audit[0], audit[3], audit[4])
	hdr := lines("header/bad-header.ndjson")
	f.Add(hdr[0], hdr[1], `{"value": []}`)
	f.Add(`{"id": 7}`, `{}`, `{"$schema": "deploymentTemplate"}`)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := []string{a, b, c}
		for i := range in {
			in[i] = strings.NewReplacer("\n", " ", "\r", " ").Replace(in[i])
		}
		data := []byte(strings.Join(in, "\n"))
		rec, err := readChecked(t, data)
		if err != nil || !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
			return
		}
		seen := map[int]bool{}
		for _, r := range rec.resources {
			seen[r.Source.Line] = true
		}
		for _, h := range rec.headers {
			seen[h.Source.Line] = true
		}
		for _, a := range rec.audit {
			seen[a.Source.Line] = true
		}
		for _, w := range rec.warnings {
			seen[w.Source.Line] = true
		}
		for i, line := range in {
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(line), &obj) != nil || isEnvelope(obj) {
				continue
			}
			if !seen[i+1] {
				t.Fatalf("line %d (%q) was read without a resource, record, header or warning", i+1, line)
			}
		}
	})
}

// isEnvelope reports whether an object carries a list of items (which may be
// empty, and then yields nothing).
func isEnvelope(obj map[string]json.RawMessage) bool {
	for k, v := range obj {
		switch strings.ToLower(k) {
		case "value", "data", "records", "tables":
			if t := bytes.TrimSpace(v); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
				return true
			}
		}
	}
	return false
}

// FuzzPowerShell reads fuzzed PowerShell-style exports twice, as UTF-8 and as
// the UTF-16 Windows PowerShell writes: conversion must change nothing read,
// not even a position.
func FuzzPowerShell(f *testing.F) {
	addSeeds(f, "shapes/powershell.json", "children/*.json", "warnings/*.json", "shapes/mixedcase.json")
	f.Add([]byte(`[{"ResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "Properties": "@{enableSoftDelete=True}", "Identity": {"Type": 0}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec8, err8 := readChecked(t, data)
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || len(data) > 0 && data[0] >= 0xEF {
			return
		}
		rec16, err16 := readChecked(t, toUTF16(data, false, true))
		if (err8 == nil) != (err16 == nil) {
			t.Fatalf("UTF-8 read: %v; UTF-16 read: %v", err8, err16)
		}
		var p8, p16 *PositionError
		if errors.As(err8, &p8) && errors.As(err16, &p16) && (p8.Offset != p16.Offset || p8.Line != p16.Line) {
			t.Fatalf("error positions differ: %v / %v", err8, err16)
		}
		if len(rec8.resources) != len(rec16.resources) || len(rec8.warnings) != len(rec16.warnings) ||
			len(rec8.audit) != len(rec16.audit) || len(rec8.headers) != len(rec16.headers) {
			t.Fatalf("UTF-8 and UTF-16 reads differ: %d/%d resources, %d/%d warnings", len(rec8.resources), len(rec16.resources),
				len(rec8.warnings), len(rec16.warnings))
		}
		for i, r := range rec8.resources {
			if s := rec16.resources[i]; s.ID != r.ID || s.Type != r.Type || s.Source != r.Source || len(s.Props) != len(r.Props) || len(s.Tags) != len(r.Tags) {
				t.Fatalf("resource %d differs: %+v / %+v", i, r, s)
			}
		}
		for i, w := range rec8.warnings {
			if s := rec16.warnings[i]; s != w {
				t.Fatalf("warning %d differs: %s / %s", i, w, s)
			}
		}
	})
}

// FuzzAudit reads fuzzed audit-log exports: every record handed over has a
// time, a lower-case vault id (or none) and a plausible HTTP status.
func FuzzAudit(f *testing.F) {
	addSeeds(f, "audit/*.json")
	f.Add([]byte(`{"time": "2026-03-04T10:15:02Z", "category": "AuditEvent", "resultSignature": "Forbidden", "identity": "{\"claim\": {\"oid\": \"x\"}}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, _ := readChecked(t, data)
		for _, a := range rec.audit {
			if a.Time.IsZero() || a.Time.Location() != time.UTC {
				t.Fatalf("record time %v", a.Time)
			}
			if a.ResourceID != estate.Lower(a.ResourceID) || strings.HasSuffix(a.ResourceID, "/") {
				t.Fatalf("record vault id %q is not normalised", a.ResourceID)
			}
			if id, ok := estate.ParseID(a.ResourceID); a.ResourceID != "" && ok &&
				id.Type != "microsoft.keyvault/vaults" && id.Type != "microsoft.keyvault/managedhsms" {
				t.Fatalf("record of %s, which is not a vault", a.ResourceID)
			}
			if a.HTTPStatus != 0 && (a.HTTPStatus < 100 || a.HTTPStatus > 599) {
				t.Fatalf("HTTP status %d", a.HTTPStatus)
			}
		}
	})
}
