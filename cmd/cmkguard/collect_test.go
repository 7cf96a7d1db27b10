package main

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/azure"
	"github.com/cmkguard/cmkguard/internal/azure/azuretest"
)

// TestCollectThenScanAgreesWithLiveScan runs the CLI against a fake Azure
// over HTTPS, trusted through SSL_CERT_FILE and reached with --arm-endpoint
// and CMKGUARD_ARM_TOKEN, as a pipeline would: the snapshot collect writes,
// scanned offline, gives the same results as scan --live. One subscription
// refuses ARM reads, so the comparison covers unknown results too.
func TestCollectThenScanAgreesWithLiveScan(t *testing.T) {
	est := azuretest.Generate(azuretest.GenOptions{Subscriptions: 2, Resources: 40})
	srv := azuretest.NewServer(est, azure.RealClock{})
	defer srv.Close()
	srv.Token = "cli-test-token"
	srv.Violation = t.Errorf
	bad := azuretest.SubscriptionID(1)
	srv.Forbidden = map[string]bool{bad: true}

	dir := t.TempDir()
	certFile := filepath.Join(dir, "fake-azure.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", certFile)
	t.Setenv(azure.TokenEnv, srv.Token)
	snapshot := filepath.Join(dir, "estate.ndjson")

	code, _, stderr := run(t, "", "collect", "--tenant", "--arm-endpoint", srv.URL, "-o", snapshot)
	if code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: could not read keys of /subscriptions/"+bad) {
		t.Errorf("collect does not warn about the refused subscription: %s", stderr)
	}
	header := firstLine(t, snapshot)
	if len(header.Coverage) == 0 || header.Tool.Name != "cmkguard" || header.Scopes[0] != "/" {
		t.Errorf("snapshot header %+v", header)
	}

	args := []string{"--now", "2026-12-01T00:00:00Z", "--format", "json", "--fail-on", "none", "--no-history"}
	code, offline, stderr := run(t, "", append([]string{"scan", snapshot}, args...)...)
	if code != 0 {
		t.Fatalf("scan of the snapshot: exit %d: %s", code, stderr)
	}
	code, live, stderr := run(t, "", append([]string{"scan", "--live", "--tenant", "--arm-endpoint", srv.URL}, args...)...)
	if code != 0 {
		t.Fatalf("scan --live: exit %d: %s", code, stderr)
	}
	var a, b struct {
		Summary map[string]any   `json:"summary"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(offline), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(live), &b); err != nil {
		t.Fatal(err)
	}
	if len(a.Results) == 0 {
		t.Fatal("no results")
	}
	if !reflect.DeepEqual(a.Summary, b.Summary) {
		t.Errorf("summaries differ:\noffline %v\nlive    %v", a.Summary, b.Summary)
	}
	if !reflect.DeepEqual(a.Results, b.Results) {
		for i := range min(len(a.Results), len(b.Results)) {
			if !reflect.DeepEqual(a.Results[i], b.Results[i]) {
				t.Errorf("first difference at result %d:\noffline %v\nlive    %v", i, a.Results[i], b.Results[i])
				break
			}
		}
		t.Errorf("results differ (%d offline, %d live)", len(a.Results), len(b.Results))
	}
	if a.Summary["unknown"] == 0.0 || a.Summary["pass"] == 0.0 {
		t.Errorf("summary %v: want unknown results (the refused subscription) and decided ones", a.Summary)
	}
}

func firstLine(t *testing.T, path string) azure.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		t.Fatal("empty snapshot")
	}
	var h azure.Header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCollectUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"collect"}, "exactly one scope"},
		{[]string{"collect", "--subscription", "prod"}, "not a subscription id"},
		{[]string{"collect", "--tenant", "--cloud", "Mars"}, "unknown cloud"},
		{[]string{"collect", "--tenant", "--arm-endpoint", "http://127.0.0.1:1"}, "https"},
		{[]string{"scan", "--tenant", "testdata/estate.json"}, "need --live"},
		{[]string{"scan", "--live"}, "exactly one scope"},
	} {
		code, _, stderr := run(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.stderr)
		}
	}
}
