package input

import (
	"fmt"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// handle classifies one decoded object and hands it to the sink.
func (rd *reader) handle(obj estate.Object, off int64) {
	src := rd.src(off)
	switch {
	case isAudit(obj):
		if a := toAudit(obj, src); a != nil {
			rd.sink.AddAudit(a)
		} else {
			rd.sink.Warn(src, "audit record without a time; skipped")
		}
	case obj.Str("id") != "" || obj.Str("resourceid") != "":
		rd.addResource(obj, src)
	case obj.Has("collectedat") || obj.Has("cmkguard"):
		rd.sink.AddHeader(toHeader(obj, src))
	default:
		rd.sink.Warn(src, "object has no \"id\" and is not a snapshot header or audit record; skipped")
	}
}

// addResource converts an ARM resource (any casing, PowerShell or ARM shape) and
// its nested children.
func (rd *reader) addResource(obj estate.Object, src estate.Source) {
	id := strings.TrimSpace(obj.Str("id"))
	if !strings.HasPrefix(id, "/") {
		if rid := strings.TrimSpace(obj.Str("resourceid")); rid != "" {
			id = rid
		}
	}
	r := &estate.Resource{ID: id, Source: src}
	if pid, ok := estate.ParseID(id); ok {
		r.Type, r.Name = pid.Type, pid.Name
	} else {
		r.Type = estate.Lower(firstStr(obj, "type", "resourcetype"))
		r.Name = firstStr(obj, "name", "resourcename")
		if r.Type == "" {
			rd.sink.Warn(src, "resource %q: the id is not an ARM id and no type is given; skipped", id)
			return
		}
		rd.sink.Warn(src, "resource %q: the id is not an ARM resource id; type taken from the \"type\" field", id)
	}
	if n := firstStr(obj, "name", "resourcename"); n != "" && r.Name == "" {
		r.Name = n
	}
	r.Location = obj.Str("location")
	r.Kind = obj.Str("kind")
	r.TenantID = obj.Str("tenantid")
	r.ManagedBy = obj.Str("managedby")
	switch p := obj.Get("properties").(type) {
	case estate.Object:
		r.Props = p
	case nil:
		r.Props = estate.Object{}
	default:
		rd.sink.Warn(src, "resource %s: \"properties\" is not an object; ignored", id)
		r.Props = estate.Object{}
	}
	r.SKU = obj.Obj("sku")
	if tags := obj.Obj("tags"); tags != nil {
		r.Tags = make(map[string]string, len(tags))
		for k, v := range tags {
			r.Tags[k] = fmt.Sprint(v)
			if s, ok := v.(string); ok {
				r.Tags[k] = s
			}
		}
	}
	if ident := obj.Obj("identity"); ident != nil {
		r.Identity = toIdentity(ident)
	}
	rd.sink.Add(r)
	for _, c := range obj.List("resources") {
		if child, ok := c.(estate.Object); ok {
			rd.handle(child, src.Offset)
		}
	}
}

func toIdentity(o estate.Object) *estate.Identity {
	id := &estate.Identity{Type: estate.NormaliseIdentityType(o.Str("type")),
		PrincipalID: estate.Lower(o.Str("principalid")), TenantID: o.Str("tenantid")}
	for rid, v := range o.Obj("userassignedidentities") {
		u := estate.UserAssignedIdentity{ResourceID: rid}
		if m, ok := v.(estate.Object); ok {
			u.PrincipalID, u.ClientID = estate.Lower(m.Str("principalid")), estate.Lower(m.Str("clientid"))
		}
		id.UserAssigned = append(id.UserAssigned, u)
	}
	return id
}

func firstStr(o estate.Object, names ...string) string {
	for _, n := range names {
		if s := strings.TrimSpace(o.Str(n)); s != "" {
			return s
		}
	}
	return ""
}

// isAudit recognises Key Vault audit records: the storage-export shape
// (category AuditEvent) and Log Analytics rows (AzureDiagnostics, AZKVAuditLogs).
func isAudit(o estate.Object) bool {
	if strings.EqualFold(o.Str("category"), "AuditEvent") {
		return true
	}
	return o.Has("operationname") && (o.Has("timegenerated") || o.Has("time")) && !o.Has("type") && !o.Has("properties.provisioningstate")
}

func toAudit(o estate.Object, src estate.Source) *estate.AuditRecord {
	a := &estate.AuditRecord{Source: src,
		ResourceID:    estate.Lower(firstStr(o, "resourceid", "_resourceid")),
		OperationName: o.Str("operationname"),
		ResultType:    o.Str("resulttype"),
		Signature:     firstStr(o, "resultsignature"),
		CallerIP:      firstStr(o, "calleripaddress", "calleripaddress_s"),
		CorrelationID: firstStr(o, "correlationid", "correlationid_g"),
		Identity:      firstStr(o, "identity.claim.oid", "identity.claim.http://schemas.microsoft.com/identity/claims/objectidentifier", "identity_claim_oid_g", "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g"),
	}
	for _, f := range []string{"properties.httpstatuscode", "httpstatuscode", "httpstatuscode_d", "resultsignature"} {
		if n, ok := o.Num(f); ok {
			a.HTTPStatus = int(n)
			break
		}
	}
	ts := firstStr(o, "time", "timegenerated")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil
	}
	a.Time = t.UTC()
	return a
}

// toHeader reads the collection header of an NDJSON snapshot.
func toHeader(o estate.Object, src estate.Source) *estate.Header {
	h := &estate.Header{Source: src, Scopes: o.Strs("scopes"), Tool: o.Str("tool.name"), Version: o.Str("tool.version")}
	if t, err := time.Parse(time.RFC3339Nano, o.Str("collectedat")); err == nil {
		h.CollectedAt = t.UTC()
	}
	for _, c := range o.List("coverage") {
		if g, ok := c.(estate.Object); ok {
			h.Coverage = append(h.Coverage, estate.Gap{Scope: g.Str("scope"), Data: g.Str("data"),
				Error: g.Str("error"), Permission: g.Str("permission")})
		}
	}
	return h
}
