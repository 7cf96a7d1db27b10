package report

import "iter"

// The context describes every judged resource (300,000 in a scan of a million
// resources), each key, vault and key chain, and is written on the critical
// path once evaluation is done. Its member names are encoded once, with the
// indentation before them, rather than for each member written.

// field is the start of an object member at a known depth: the newline and
// indentation before it, the quoted name, a colon and a space.
type field struct{ s string }

// fieldAt encodes the start of a member named name of an object at depth.
func fieldAt(depth int, name string) field {
	var e jsonEncoder
	e.newline(depth + 1)
	e.b = appendJSONString(e.b, name)
	return field{string(append(e.b, ':', ' '))}
}

// Members of the objects of the context: its elements are at depth 3, the
// objects in them at depth 4.
var (
	resourceFields = struct{ id, name, typ, service, subscription, resourceGroup, location, tags, source, file, line field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "type"), fieldAt(3, "service"), fieldAt(3, "subscription"),
		fieldAt(3, "resourceGroup"), fieldAt(3, "location"), fieldAt(3, "tags"), fieldAt(3, "source"),
		fieldAt(4, "file"), fieldAt(4, "line"),
	}
	keyFields = struct{ id, name, uri, vault, enabled, expires, kty, usedBy field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "uri"), fieldAt(3, "vault"), fieldAt(3, "enabled"),
		fieldAt(3, "expires"), fieldAt(3, "kty"), fieldAt(3, "usedBy"),
	}
	vaultFields = struct{ id, name, hsm, softDelete, purgeProtection, rbac, publicNetworkAccess, defaultAction field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "hsm"), fieldAt(3, "softDelete"), fieldAt(3, "purgeProtection"),
		fieldAt(3, "rbac"), fieldAt(3, "publicNetworkAccess"), fieldAt(3, "defaultAction"),
	}
	chainFields = struct {
		workload, field, via, identity, keyURI, key, vault, problem            field
		kind, label, resourceID, principalID, identityProblem, identityUnknown field
	}{
		fieldAt(3, "workload"), fieldAt(3, "field"), fieldAt(3, "via"), fieldAt(3, "identity"),
		fieldAt(3, "keyUri"), fieldAt(3, "key"), fieldAt(3, "vault"), fieldAt(3, "problem"),
		fieldAt(4, "kind"), fieldAt(4, "label"), fieldAt(4, "resourceId"), fieldAt(4, "principalId"),
		fieldAt(4, "problem"), fieldAt(4, "unknown"),
	}
)

// context writes the report context at depth 1.
func (e *jsonEncoder) context(c *ContextStream) {
	m := e.open(1)
	contextList(e, &m, "resources", c.Resources, e.contextResource)
	contextList(e, &m, "keys", c.Keys, e.contextKey)
	contextList(e, &m, "vaults", c.Vaults, e.contextVault)
	contextList(e, &m, "chains", c.Chains, e.contextChain)
	m.close()
}

// contextList writes one list of the context, unless it has no elements,
// writing out what is buffered as it grows.
func contextList[T any](e *jsonEncoder, m *members, name string, list iter.Seq[*T], write func(*T)) {
	if list == nil {
		return
	}
	n := 0
	for x := range list {
		if n == 0 {
			m.key(name)
		}
		e.element(n, 2)
		write(x)
		if e.flushIfFull(); e.err != nil {
			return
		}
		n++
	}
	if n > 0 {
		e.closeList(2)
	}
}

// strOmitAt writes member f unless v is empty.
func (m *members) strOmitAt(f field, v string) {
	if v != "" {
		m.at(f).str(v)
	}
}

// element starts element i of a list at depth, opening the list before the
// first.
func (e *jsonEncoder) element(i, depth int) {
	if i == 0 {
		e.b = append(e.b, '[')
	} else {
		e.b = append(e.b, ',')
	}
	e.newline(depth + 1)
}

// closeList closes a list at depth that has elements.
func (e *jsonEncoder) closeList(depth int) {
	e.newline(depth)
	e.b = append(e.b, ']')
}

func (e *jsonEncoder) contextResource(r *Resource) {
	f := &resourceFields
	o := e.open(3)
	o.at(f.id).str(r.ID)
	o.at(f.name).str(r.Name)
	o.at(f.typ).str(r.Type)
	o.strOmitAt(f.service, r.Service)
	o.strOmitAt(f.subscription, r.Subscription)
	o.strOmitAt(f.resourceGroup, r.ResourceGroup)
	o.strOmitAt(f.location, r.Location)
	if len(r.Tags) > 0 {
		o.at(f.tags).strMap(r.Tags, 4)
	}
	if r.Source != nil {
		s := o.at(f.source).open(4)
		s.at(f.file).str(r.Source.File)
		if r.Source.Line != 0 {
			s.at(f.line).integer(r.Source.Line)
		}
		s.close()
	}
	o.close()
}

func (e *jsonEncoder) contextKey(k *Key) {
	f := &keyFields
	o := e.open(3)
	o.at(f.id).str(k.ID)
	o.at(f.name).str(k.Name)
	o.at(f.uri).str(k.URI)
	o.at(f.vault).str(k.Vault)
	o.at(f.enabled).boolean(k.Enabled)
	if k.Expires != nil {
		o.at(f.expires).time(*k.Expires)
	}
	o.strOmitAt(f.kty, k.Kty)
	if len(k.UsedBy) > 0 {
		o.at(f.usedBy).strs(k.UsedBy, 4)
	}
	o.close()
}

func (e *jsonEncoder) contextVault(v *Vault) {
	f := &vaultFields
	o := e.open(3)
	o.at(f.id).str(v.ID)
	o.at(f.name).str(v.Name)
	if v.HSM {
		o.at(f.hsm).boolean(v.HSM)
	}
	o.at(f.softDelete).boolean(v.SoftDelete)
	o.at(f.purgeProtection).boolean(v.PurgeProtection)
	o.at(f.rbac).boolean(v.RBAC)
	o.strOmitAt(f.publicNetworkAccess, v.PublicNetworkAccess)
	o.strOmitAt(f.defaultAction, v.DefaultAction)
	o.close()
}

func (e *jsonEncoder) contextChain(ch *Chain) {
	f := &chainFields
	o := e.open(3)
	o.at(f.workload).str(ch.Workload)
	o.strOmitAt(f.field, ch.Field)
	if len(ch.Via) > 0 {
		o.at(f.via).strs(ch.Via, 4)
	}
	id := o.at(f.identity).open(4)
	id.strOmitAt(f.kind, ch.Identity.Kind)
	id.strOmitAt(f.label, ch.Identity.Label)
	id.strOmitAt(f.resourceID, ch.Identity.ResourceID)
	id.strOmitAt(f.principalID, ch.Identity.PrincipalID)
	id.strOmitAt(f.identityProblem, ch.Identity.Problem)
	id.strOmitAt(f.identityUnknown, ch.Identity.Unknown)
	id.close()
	o.strOmitAt(f.keyURI, ch.KeyURI)
	o.strOmitAt(f.key, ch.Key)
	o.strOmitAt(f.vault, ch.Vault)
	o.strOmitAt(f.problem, ch.Problem)
	o.close()
}
