package input

import (
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Key Vault audit records come in three shapes (azure-api-facts.md §4):
//   - the diagnostic-settings export to storage: {"records": [...]} or one
//     record a line, with time, resourceId, operationName, resultSignature,
//     category AuditEvent, identity.claim.*, properties.httpStatusCode;
//   - Log Analytics AzureDiagnostics rows: TimeGenerated, ResourceId,
//     ResourceProvider, Category, httpStatusCode_d, identity_claim_*_g;
//   - Log Analytics AZKVAuditLogs rows: TimeGenerated, _ResourceId,
//     HttpStatusCode, Identity (dynamic).
// Member names are lower-cased at decode, so one reader serves all three.

// isAudit recognises a Key Vault audit record, or a Log Analytics row that
// claims to be one.
func isAudit(it *item) bool {
	o := it.obj
	// Every item is asked, so members are looked up directly, not by path.
	if strings.EqualFold(strings.TrimSpace(estate.Scalar(o["category"])), "AuditEvent") {
		return true
	}
	// A resource type holds a slash, which no lower-casing takes away: only
	// a type without one is lower-cased (copied, when it has capitals).
	typ := estate.Scalar(it.get(sType))
	if strings.Contains(typ, "/") {
		return false
	}
	switch estate.Lower(typ) {
	case "azurediagnostics", "azkvauditlogs":
		return true
	}
	return present(o["operationname"]) && (present(o["time"]) || present(o["timegenerated"]))
}

// addAudit converts an audit record and hands it to the sink, or says why not.
func (rd *reader) addAudit(it *item) {
	o := it.whole()
	diagnostics := o.EqualFold("type", "AzureDiagnostics") || o.Has("resourceprovider")
	if diagnostics && !o.EqualFold("resourceprovider", "MICROSOFT.KEYVAULT") || o.Has("category") && !o.EqualFold("category", "AuditEvent") {
		// Other services' diagnostics, or the activity log (category
		// Administrative, Policy, …), which records control-plane calls.
		rd.warn(it.src, "log record is not a Key Vault audit event (resource provider %q, category %q); skipped",
			o.Str("resourceprovider"), o.Str("category"))
		return
	}
	a := &estate.AuditRecord{Source: it.src,
		ResourceID:    estate.Lower(strings.TrimRight(firstStr(o, "resourceid", "_resourceid"), "/")),
		OperationName: firstStr(o, "operationname"),
		ResultType:    firstStr(o, "resulttype"),
		Signature:     firstStr(o, "resultsignature"),
		CallerIP:      firstStr(o, "calleripaddress"),
		CorrelationID: firstStr(o, "correlationid"),
		Identity:      rd.caller(it),
	}
	for _, f := range []string{"properties.httpstatuscode", "httpstatuscode", "httpstatuscode_d"} {
		if n, ok := o.Num(f); ok && n >= 100 && n < 600 {
			a.HTTPStatus = int(n)
			break
		}
	}
	if a.HTTPStatus == 0 {
		a.HTTPStatus = statusFromText(a.Signature)
	}
	ts := firstStr(o, "time", "timegenerated")
	t, ok := parseLogTime(ts)
	if !ok {
		rd.warn(it.src, "audit record: time %q is not an RFC 3339 time; skipped", ts)
		return
	}
	a.Time = t
	if id, ok := estate.ParseID(a.ResourceID); !ok {
		rd.warn(it.src, "audit record at %s has no vault resource id; it is counted without a vault", ts)
	} else if id.Type != "microsoft.keyvault/vaults" && id.Type != "microsoft.keyvault/managedhsms" {
		rd.warn(it.src, "audit record of %s, which is not a Key Vault or Managed HSM; skipped", a.ResourceID)
		return
	}
	rd.sink.AddAudit(a)
}

// Claim names of the caller's object id and user name, short (current logs)
// and as claim URIs (older logs).
var (
	oidClaims = []string{"oid", "http://schemas.microsoft.com/identity/claims/objectidentifier"}
	upnClaims = []string{"upn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "unique_name",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"}
	flatClaims = []string{"identity_claim_oid_g", "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
		"identity_claim_upn_s", "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s",
		"identity_claim_unique_name_s"}
)

// caller returns the caller's object id, else its user name.
func (rd *reader) caller(it *item) string {
	ident := it.obj["identity"]
	if s, ok := ident.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "{") {
		// AZKVAuditLogs exported from the portal keeps dynamic columns as text.
		if v, err := rd.parseDynamic(strings.TrimSpace(s), false); err == nil {
			ident = v
		}
	}
	if o, ok := ident.(estate.Object); ok {
		claim := o.Obj("claim")
		for _, names := range [][]string{oidClaims, upnClaims} {
			for _, n := range names {
				if s, ok := claim[n].(string); ok && strings.TrimSpace(s) != "" {
					return strings.TrimSpace(s)
				}
			}
		}
	}
	return firstStr(it.obj, flatClaims...)
}

// statusByText maps HTTP status text as resultSignature writes it ("OK",
// "Forbidden", "TooManyRequests", "Not Found") to the status code. Key Vault
// answers with few statuses; a small table keeps this package free of net/http.
var statusByText = map[string]int{
	"ok": 200, "created": 201, "accepted": 202, "nocontent": 204,
	"badrequest": 400, "unauthorized": 401, "forbidden": 403, "notfound": 404, "methodnotallowed": 405,
	"conflict": 409, "gone": 410, "preconditionfailed": 412, "requestentitytoolarge": 413, "toomanyrequests": 429,
	"internalservererror": 500, "notimplemented": 501, "badgateway": 502, "serviceunavailable": 503, "gatewaytimeout": 504,
}

func statusFromText(s string) int {
	return statusByText[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))]
}

// parseLogTime reads a log timestamp: RFC 3339 with up to nine fractional
// digits, or the same without a zone (UTC, as Log Analytics exports write it).
func parseLogTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func firstStr(o estate.Object, names ...string) string {
	for _, n := range names {
		if s := strings.TrimSpace(o.Str(n)); s != "" {
			return s
		}
	}
	return ""
}
