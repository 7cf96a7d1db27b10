package history

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// AuditRecord is a Key Vault audit-log entry as the history keeps it.
type AuditRecord struct {
	// Key identifies the record across exports: the same record given twice
	// has the same key and is stored once. See NewAuditRecord.
	Key           string
	Time          time.Time // UTC, microsecond precision
	Vault         string    // lower-case vault or HSM id
	Operation     string
	HTTPStatus    int // 0 when the record carries none
	Signature     string
	ResultType    string
	CallerIP      string
	CorrelationID string
	Identity      string
}

// NewAuditRecord converts a record read from an export and gives it its key:
// a SHA-256 over the time, vault, operation, correlation id, caller (identity
// and address) and outcome (HTTP status, signature, result type). Those fields
// are what one request's record carries wherever it was exported — to a
// storage account, AzureDiagnostics or AZKVAuditLogs — so the same record read
// from two exports, or from one export twice, gets the same key.
func NewAuditRecord(a *estate.AuditRecord) AuditRecord {
	r := AuditRecord{
		Time:          a.Time.UTC().Truncate(time.Microsecond),
		Vault:         estate.Lower(strings.TrimRight(strings.TrimSpace(a.ResourceID), "/")),
		Operation:     strings.TrimSpace(a.OperationName),
		HTTPStatus:    a.HTTPStatus,
		Signature:     strings.TrimSpace(a.Signature),
		ResultType:    strings.TrimSpace(a.ResultType),
		CallerIP:      strings.TrimSpace(a.CallerIP),
		CorrelationID: estate.Lower(strings.TrimSpace(a.CorrelationID)),
		Identity:      estate.Lower(strings.TrimSpace(a.Identity)),
	}
	h := sha256.New()
	for _, f := range []string{r.Time.Format(time.RFC3339Nano), r.Vault, estate.Lower(r.Operation), r.CorrelationID,
		r.Identity, r.CallerIP, strconv.Itoa(r.Status()), estate.Lower(r.Signature), estate.Lower(r.ResultType)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	r.Key = hex.EncodeToString(h.Sum(nil))
	return r
}

// Status is the record's HTTP status: httpStatusCode when present, otherwise
// read from resultSignature (Forbidden is 403, Unauthorized 401), otherwise 0.
func (r AuditRecord) Status() int {
	if r.HTTPStatus != 0 {
		return r.HTTPStatus
	}
	switch estate.Lower(strings.ReplaceAll(r.Signature, " ", "")) {
	case "forbidden":
		return 403
	case "unauthorized":
		return 401
	}
	if n, err := strconv.Atoi(r.Signature); err == nil {
		return n
	}
	return 0
}

// Blocked reports whether the vault refused the request (CONTRACT §8): HTTP
// 403, or 401 on any operation other than the unauthenticated Authentication
// challenge every SDK client sends before its first call.
func (r AuditRecord) Blocked() bool {
	switch r.Status() {
	case 403:
		return true
	case 401:
		return !strings.EqualFold(r.Operation, "Authentication")
	}
	return false
}

// Month is the calendar month of the record in UTC, as "2006-01".
func (r AuditRecord) Month() string { return r.Time.UTC().Format("2006-01") }
