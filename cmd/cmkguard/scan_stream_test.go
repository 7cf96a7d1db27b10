package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

// TestStreamedScanMatchesCollected: a scan that writes only JSON and records
// no history streams its results (keeping them from one pass, or evaluating
// twice when keepResults is small); its report, warnings and exit code must
// be those of the scan that collects them (a first scan into an empty
// history, which has nothing to compare with).
func TestStreamedScanMatchesCollected(t *testing.T) {
	for _, keep := range []int{keepResults, 0, 100 << 10} {
		defer func(k int) { keepResults = k }(keepResults)
		keepResults = keep
		t.Run(fmt.Sprintf("keep %d bytes", keep), testStreamedScan)
	}
}

func testStreamedScan(t *testing.T) {
	dir := t.TempDir()
	generated := filepath.Join(dir, "estate.ndjson")
	if err := os.WriteFile(generated, estategen.Bytes(3000, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "odd.json")
	if err := os.WriteFile(odd, []byte(`[{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stodd",
  "tags": "not an object", "identity": 3, "properties": {"encryption": {"keySource": "Microsoft.Keyvault"}}}, {"name": "no id"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
	}{
		{"example estate with its policy", []string{"examples/estate", "--policy", "../../examples/policy.yaml", "--fail-on", "none"}},
		{"example estate failing", []string{"../../examples/estate", "--fail-on", "high"}},
		{"warnings", []string{"testdata/estate.json", odd, "--fail-on", "critical"}},
		{"generated estate", []string{generated, "--fail-on", "medium"}},
	}
	for i, c := range cases {
		if c.args[0] == "examples/estate" {
			c.args[0] = "../../examples/estate"
		}
		if _, err := os.Stat(c.args[0]); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		args := append([]string{"scan", "--now", "2026-12-01T00:00:00Z", "--format", "json"}, c.args...)
		streamedFile := filepath.Join(dir, "streamed.json")
		code, out, stderr := run(t, "", append(args, "--no-history", "-o", "json="+streamedFile)...)
		history := filepath.Join(dir, "history"+string(rune('a'+i))+".db")
		wantCode, wantOut, wantStderr := run(t, "", append(args, "--db", history)...)
		streamed, err := os.ReadFile(streamedFile)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case code != wantCode:
			t.Errorf("%s: exit %d, collected scan exits %d (%s)", c.name, code, wantCode, wantStderr)
		case out != wantOut || string(streamed) != wantOut:
			t.Errorf("%s: streamed reports differ from the collected one (stdout %d bytes, file %d, want %d)",
				c.name, len(out), len(streamed), len(wantOut))
		case stderr != wantStderr:
			t.Errorf("%s: stderr %q, want %q", c.name, stderr, wantStderr)
		case len(wantOut) < 1000:
			t.Errorf("%s: a report of %d bytes: %s", c.name, len(wantOut), wantStderr)
		}
	}
}

// TestStreamedScanWriteError: when the report cannot be written, a streamed
// scan stops with the error (and exit code 2) instead of waiting forever.
func TestStreamedScanWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	defer func(k int) { keepResults = k }(keepResults)
	for _, keep := range []int{keepResults, 0} {
		keepResults = keep
		code, _, stderr := run(t, "", "scan", "../../examples/estate", "--format", "json", "--no-history", "-o", "/dev/full")
		if code != exitUsage || !strings.Contains(stderr, "no space left on device") {
			t.Fatalf("keeping %d bytes: exit %d, stderr %q; want exit %d and the write error", keep, code, stderr, exitUsage)
		}
	}
}
