package input

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

const auditVault = "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg-sec/providers/microsoft.keyvault/vaults/kv-cmk"

var (
	unwrapDenied = estate.AuditRecord{Time: time.Date(2026, 3, 4, 10, 15, 2, 123456700, time.UTC), ResourceID: auditVault,
		OperationName: "KeyUnwrap", ResultType: "Success", Signature: "Forbidden", HTTPStatus: 403, CallerIP: "203.0.113.20",
		CorrelationID: "5f0c1e2d-0000-4000-8000-000000000001", Identity: "33333333-3333-3333-3333-333333333333"}
	authChallenge = estate.AuditRecord{Time: time.Date(2026, 3, 4, 10, 15, 1, 0, time.UTC), ResourceID: auditVault,
		OperationName: "Authentication", ResultType: "Success", Signature: "Unauthorized", HTTPStatus: 401, CallerIP: "203.0.113.20",
		CorrelationID: "5f0c1e2d-0000-4000-8000-000000000002"}
	keyGetOldClaims = estate.AuditRecord{Time: time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC), ResourceID: auditVault,
		OperationName: "KeyGet", ResultType: "Success", Signature: "OK", HTTPStatus: 200, CallerIP: "10.0.0.4",
		CorrelationID: "5f0c1e2d-0000-4000-8000-000000000003", Identity: "44444444-4444-4444-4444-444444444444"}
)

func TestAuditShapes(t *testing.T) {
	diagUnwrap := unwrapDenied
	diagUnwrap.Time = time.Date(2026, 3, 4, 10, 15, 2, 123000000, time.UTC)
	diagGet := estate.AuditRecord{Time: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC), ResourceID: auditVault,
		OperationName: "KeyGet", ResultType: "Success", Signature: "OK", HTTPStatus: 200, CallerIP: "10.0.0.4",
		CorrelationID: "5f0c1e2d-0000-4000-8000-000000000004", Identity: "44444444-4444-4444-4444-444444444444"}
	cases := []struct {
		file     string
		want     []estate.AuditRecord
		warnings []string
	}{
		{"storage-export.json", []estate.AuditRecord{unwrapDenied, authChallenge, keyGetOldClaims}, nil},
		{"PT1H.json", []estate.AuditRecord{unwrapDenied, authChallenge, keyGetOldClaims},
			[]string{`time "yesterday" is not an RFC 3339 time; skipped`, "microsoft.storage/storageaccounts/st1, which is not a Key Vault",
				`not a Key Vault audit event (resource provider "", category "Administrative")`}},
		{"azurediagnostics-cli.json", []estate.AuditRecord{diagUnwrap, diagGet},
			[]string{`not a Key Vault audit event (resource provider "MICROSOFT.SQL", category "SQLSecurityAuditEvents")`}},
		{"azkvauditlogs-api.json", []estate.AuditRecord{unwrapDenied, authChallenge}, nil},
		{"azkvauditlogs-cli.json", []estate.AuditRecord{unwrapDenied, authChallenge}, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "audit", c.file)
			rec := &recorder{}
			if err := ReadFile(context.Background(), path, rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.resources) != 0 {
				t.Errorf("%d audit rows were read as resources, e.g. %s", len(rec.resources), rec.resources[0].ID)
			}
			if len(rec.audit) != len(c.want) {
				t.Fatalf("%d records, want %d: %+v", len(rec.audit), len(c.want), rec.audit)
			}
			for i, w := range c.want {
				got := *rec.audit[i]
				if got.Source.File != path || got.Source.Line == 0 {
					t.Errorf("record %d: source %v does not name the file and line", i, got.Source)
				}
				got.Source = estate.Source{}
				if got != w {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
				}
			}
			if len(rec.warnings) != len(c.warnings) {
				t.Fatalf("warnings %v, want %d", rec.warnings, len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(rec.warnings[i].Message, w) {
					t.Errorf("warning %q does not contain %q", rec.warnings[i], w)
				}
			}
		})
	}
}

// TestAuditRecordsReachTheEstate reads an export into a Builder, as scan does.
func TestAuditRecordsReachTheEstate(t *testing.T) {
	e := readEstate(t, filepath.Join("testdata", "audit", "storage-export.json"), filepath.Join("testdata", "shapes", "array.json"))
	if len(e.Audit) != 3 || len(e.Vaults) != 1 {
		t.Fatalf("%d audit records and %d vaults, want 3 and 1", len(e.Audit), len(e.Vaults))
	}
	if v := e.VaultByID(e.Audit[0].ResourceID); v == nil {
		t.Errorf("audit record's vault id %s does not find the vault", e.Audit[0].ResourceID)
	}
}

func TestStatusFromText(t *testing.T) {
	for text, want := range map[string]int{"OK": 200, "Forbidden": 403, "Unauthorized": 401, "TooManyRequests": 429,
		"Too Many Requests": 429, "NotFound": 404, "notfound": 404, "": 0, "Success": 0} {
		if got := statusFromText(text); got != want {
			t.Errorf("statusFromText(%q) = %d, want %d", text, got, want)
		}
	}
}
