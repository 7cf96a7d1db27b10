package input

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSnapshotHeaderAndCoverage(t *testing.T) {
	e := readEstate(t, filepath.Join("testdata", "header", "collected.ndjson"))
	if len(e.Warnings) != 0 {
		t.Errorf("warnings: %v", e.Warnings)
	}
	h := e.Header
	if h == nil {
		t.Fatal("no header read")
	}
	if !h.CollectedAt.Equal(time.Date(2026, 11, 30, 8, 0, 0, 500000000, time.UTC)) || h.Tool != "cmkguard" || h.Version != "0.4.0" ||
		len(h.Scopes) != 2 || h.Source.Line != 1 {
		t.Errorf("header %+v", h)
	}
	if len(h.Coverage) != 3 || h.Coverage[0].Data != "keys" || h.Coverage[1].Data != "" || h.Coverage[2].Data != "roleAssignments" ||
		!strings.Contains(h.Coverage[0].Permission, "Key Vault Reader") {
		t.Fatalf("coverage %+v", h.Coverage)
	}
	if len(e.Vaults) != 2 {
		t.Fatalf("%d vaults, want 2", len(e.Vaults))
	}
	locked, open := e.Vaults[0], e.Vaults[1]
	if e.KeysListed(locked) || !e.KeysListed(open) {
		t.Errorf("keys listed: locked %v open %v; want false, true", e.KeysListed(locked), e.KeysListed(open))
	}
	if e.Known("roleAssignments", open.ID) {
		t.Errorf("role assignments are gapped for the whole subscription")
	}
	other := "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
	if g := e.GapFor("diagnosticSettings", other); g == nil || g.Permission != "Reader" {
		t.Errorf("a gap with no data kind covers every kind: %+v", g)
	}
}

func TestMalformedHeaderWarns(t *testing.T) {
	path := filepath.Join("testdata", "header", "bad-header.ndjson")
	rec := &recorder{}
	if err := ReadFile(context.Background(), path, rec); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line int
		msg  string
	}{
		{1, `collectedAt "last tuesday" is not an RFC 3339 time`},
		{1, "a scope is a JSON number"},
		{1, "tool is a JSON array"},
		{1, `coverage names data "secrets"`},
		{1, "a coverage entry is a JSON string"},
		{2, "collectedAt is a JSON number"},
		{2, "coverage is a JSON object, not a list"},
	}
	if len(rec.warnings) != len(want) {
		t.Fatalf("warnings %v, want %d", rec.warnings, len(want))
	}
	for i, w := range want {
		if got := rec.warnings[i]; got.Source.Line != w.line || !strings.Contains(got.Message, w.msg) {
			t.Errorf("warning %d = %s, want line %d: …%s…", i, got, w.line, w.msg)
		}
	}
	if len(rec.headers) != 2 || len(rec.headers[0].Scopes) != 1 || len(rec.headers[0].Coverage) != 1 || rec.headers[0].Coverage[0].Data != "secrets" {
		t.Errorf("headers %+v: what is well-formed must still be kept", rec.headers)
	}
}
