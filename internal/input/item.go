package input

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// handle classifies one decoded object and hands it to the sink. parent is the
// id of the resource it was nested under ("" at top level).
func (rd *reader) handle(it *item, parent string) {
	if len(it.skims) > 0 && !rd.unshown(it) {
		rd.unskim(it)
	}
	o := it.obj // the members without a slot, which the rest read
	switch {
	case isAudit(it):
		rd.addAudit(it)
	case estate.Scalar(it.get(sID)) != "" || estate.Scalar(it.get(sResourceID)) != "":
		rd.addResource(it, parent)
		return // children handled there, after their parent
	case parent != "" && deriveID(it, parent):
		rd.addResource(it, parent)
		return
	case isHeader(o):
		rd.sink.AddHeader(rd.toHeader(it))
	case o.Obj("error") != nil:
		e := o.Obj("error")
		rd.warn(it.src, "the object is an Azure error response (%s: %s), not a resource; skipped", e.Str("code"), e.Str("message"))
	case strings.Contains(estate.Lower(o.Str("$schema")), "deploymenttemplate") || strings.Contains(estate.Lower(o.Str("$schema")), "deploymentparameters"):
		rd.warn(it.src, "the object is an ARM deployment template or parameter file; templates are not read yet, so it was skipped")
		return // its resources have no ids
	case o.Has("terraform_version") || o.Has("planned_values"):
		rd.warn(it.src, "the object is Terraform JSON; Terraform plans are not read yet, so it was skipped")
		return
	default:
		rd.warn(it.src, "object has no \"id\" and is not a snapshot header or an audit record; skipped")
	}
	for _, c := range it.children {
		rd.handle(c, "")
	}
}

// armMembers are the top-level members of an ARM resource and of a Resource
// Graph row that are not resource properties.
var armMembers = map[string]bool{
	"id": true, "name": true, "type": true, "location": true, "tags": true, "identity": true, "sku": true,
	"kind": true, "managedby": true, "etag": true, "plan": true, "zones": true, "extendedlocation": true,
	"systemdata": true, "tenantid": true, "subscriptionid": true, "resourcegroup": true, "properties": true,
	"resources": true, "resourceid": true, "resourcetype": true, "resourcename": true, "resourcegroupname": true,
	"extensionresourcename": true, "extensionresourcetype": true, "parentresource": true,
	"createdtime": true, "changedtime": true, "apiversion": true,
}

// addResource converts an ARM resource (any casing; ARM, Resource Graph, Azure
// CLI or PowerShell shape) and then its nested children.
func (rd *reader) addResource(it *item, parent string) {
	id := rd.resourceID(it)
	r := estate.Resource{ID: id, Source: it.src}
	given := rd.str(it, sType, sResourceType)
	if pid, _, ok := rd.parseID(id); ok {
		r.Type, r.Name = pid.Type, pid.Name
		if given != "" && !lowerIs(given, pid.Type) {
			given = estate.Lower(given)
			if !namesParent(given, pid) && !strings.HasSuffix(pid.Type, "/"+given) {
				rd.warn(it.pos("type"), "resource %s: type %q differs from the type its id names (%s); the id's type is used", id, given, pid.Type)
			}
		}
	} else {
		given = estate.Lower(given)
		if given == "" {
			rd.warn(it.src, "resource %q: the id is not an ARM resource id and no type is given; skipped", id)
			rd.children(it, "")
			return
		}
		r.Type = given
		rd.warn(it.src, "resource %q: the id is not an ARM resource id; type taken from the \"type\" member", id)
	}
	if r.Name == "" {
		r.Name = rd.str(it, sName, sResourceName)
	}
	if r.Name == "" {
		r.Name = id
	}
	if parent != "" && !estate.Within(id, parent) {
		rd.warn(it.src, "resource %s is nested under %s but its id does not lie below it; it is read by its id", id, parent)
	}
	r.Location = rd.str(it, sLocation)
	r.Kind = rd.str(it, sKind)
	// No rule reads "tenantId" or "managedBy"; they are read for the
	// warnings they may hold, and not kept.
	rd.str(it, sTenantID)
	rd.str(it, sManagedBy)
	relevant := estate.Relevant(r.Type)
	r.Props = rd.properties(it, &r, relevant)
	// No rule reads "sku"; it is decoded for the warnings it may hold, and
	// not kept.
	switch s := it.obj["sku"].(type) {
	case nil, estate.Object:
		// Checked and not kept (see checkedMembers), unless the item is a
		// table row.
		if it.sku != "" && it.sku != "null" && it.sku != "object" {
			rd.warn(it.pos("sku"), "resource %s: \"sku\" is a JSON %s, not an object; ignored", id, it.sku)
		}
	default:
		rd.warn(it.pos("sku"), "resource %s: \"sku\" is a JSON %s, not an object; ignored", id, typeName(s))
	}
	r.Tags = rd.tags(it, id, relevant || !skipUnread)
	switch ident := it.get(sIdentity).(type) {
	case nil:
	case estate.Object:
		r.Identity = rd.newIdentity(rd.identity(it, id, ident), relevant)
	default:
		rd.warn(it.pos("identity"), "resource %s: \"identity\" is a JSON %s, not an object; ignored", id, typeName(ident))
	}
	if res := it.get(sResources); res != nil {
		rd.warn(it.pos("resources"), "resource %s: \"resources\" is a JSON %s, not a list of child resources; ignored", id, typeName(res))
	}
	rd.sink.Add(rd.newResource(r, relevant))
	rd.children(it, id)
}

// newResource returns r on the heap: in the block's slab when it is of a type
// no rule reads and the sink lets go of it (see slab).
func (rd *reader) newResource(r estate.Resource, relevant bool) *estate.Resource {
	if relevant || rd.slab == nil {
		return onHeap(r)
	}
	return inSlab(&rd.slab.resources, r)
}

// newIdentity is newResource for the identity of a resource.
func (rd *reader) newIdentity(ident estate.Identity, relevant bool) *estate.Identity {
	if relevant || rd.slab == nil {
		return onHeap(ident)
	}
	return inSlab(&rd.slab.identities, ident)
}

// onHeap returns a copy of v in an object of its own. Taking the address of
// the caller's parameter instead would move the parameter to the heap on
// every call, those that put v in the slab included.
func onHeap[T any](v T) *T {
	p := new(T)
	*p = v
	return p
}

// inSlab appends v to a slab's list and returns where it is.
func inSlab[T any](list *[]T, v T) *T {
	*list = append(*list, v)
	return &(*list)[len(*list)-1]
}

// lowerIs reports whether estate.Lower(s) == lower without lower-casing
// an ASCII s, which would copy it when it has capitals (most types as ARM
// writes them).
func lowerIs(s, lower string) bool {
	if len(s) != len(lower) {
		return !isASCII(s) && estate.Lower(s) == lower
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return estate.Lower(s) == lower
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return !isASCII(s[i:]) && estate.Lower(s) == lower
		}
	}
	return true
}

// isASCII reports whether s is ASCII text.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (rd *reader) children(it *item, parent string) {
	for _, c := range it.children {
		rd.handle(c, parent)
	}
}

// resourceID picks the resource id: the first of "id" and PowerShell's
// "ResourceId" that is an ARM id (PowerShell writes both, and they can differ),
// else the first that looks like one, else whatever "id" holds.
func (rd *reader) resourceID(it *item) string {
	var slash, first string
	for _, s := range [...]slot{sID, sResourceID} {
		name := slotNames[s]
		switch v := it.get(s).(type) {
		case nil:
		case string:
			s := strings.TrimSpace(v)
			if _, _, ok := rd.parseID(s); ok {
				return s
			}
			if slash == "" && strings.HasPrefix(s, "/") {
				slash = s
			}
			if first == "" {
				first = s
			}
		default:
			rd.warn(it.pos(name), "%q is a JSON %s, not a string", name, typeName(v))
			if first == "" {
				first = estate.Scalar(v)
			}
		}
	}
	if slash != "" {
		return slash
	}
	return first
}

// deriveID gives a nested child without an id the one its parent implies.
func deriveID(it *item, parent string) bool {
	id, ok := childID(it.whole(), parent)
	if ok {
		it.store(sID, "id", id)
	}
	return ok
}

// childID derives the id of a child resource nested without one under parent
// (PowerShell exports and ARM templates nest children by type and name): the
// parent's id, the last segment of the child's type, and its own name.
func childID(o estate.Object, parent string) (string, bool) {
	pid, ok := estate.ParseID(parent)
	typ := strings.Trim(firstStr(o, "type", "resourcetype"), "/")
	name := strings.Trim(firstStr(o, "name", "resourcename"), "/")
	if !ok || typ == "" || name == "" {
		return "", false
	}
	if strings.Contains(typ, "/") {
		// A full type must be the parent's type and one more segment.
		if len(typ) <= len(pid.Type)+1 || estate.Lower(typ[:len(pid.Type)+1]) != pid.Type+"/" || strings.Contains(typ[len(pid.Type)+1:], "/") {
			return "", false
		}
		typ = typ[len(pid.Type)+1:]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:] // template style "server/child"
	}
	id := strings.TrimRight(parent, "/") + "/" + typ + "/" + name
	if cid, ok := estate.ParseID(id); !ok || !strings.EqualFold(cid.Parent, strings.TrimRight(parent, "/")) {
		return "", false
	}
	return id, true
}

// namesParent reports whether a given type is the type of the resource an
// extension or child resource belongs to: Azure PowerShell writes the parent's
// type in Type and ResourceType of diagnostic settings and other extensions.
// (A type that is the tail of the id's type, as templates write nested
// children, is accepted by the caller.)
func namesParent(given string, id estate.ID) bool {
	p, ok := estate.ParseID(id.Parent)
	return ok && p.Type == given
}

// str returns the first of the members in the slots named that holds a
// string. Numbers and booleans are formatted; other types are warned about.
func (rd *reader) str(it *item, slots ...slot) string {
	for _, s := range slots {
		n := slotNames[s]
		switch v := it.get(s).(type) {
		case nil:
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case float64, bool:
			return estate.Scalar(v)
		default:
			rd.warn(it.pos(n), "%q is a JSON %s, not a string; ignored", n, typeName(v))
		}
	}
	return ""
}

// noProperties are the properties of a resource whose properties were passed
// over: empty, and shared, so never written to.
var noProperties = estate.Object{}

// properties returns the resource's properties. Azure CLI "show" commands
// flatten them into the top level (az storage account show): when there is no
// "properties" member, the members that are not ARM envelope members are
// the properties.
func (rd *reader) properties(it *item, r *estate.Resource, relevant bool) estate.Object {
	v, present := it.lookup(sProperties)
	switch p := v.(type) {
	case estate.Object:
		return p
	case nil:
		if it.skipped {
			return noProperties
		}
		if !present {
			flat := estate.Object{}
			for k, v := range it.obj {
				if !armMembers[k] {
					flat[k] = v
				}
			}
			if len(flat) > 0 {
				return flat
			}
		}
		if relevant {
			rd.warn(it.pos("properties"), "resource %s has no properties (a PowerShell export without -ExpandProperties, or a Resource Graph query that did not project them): it is read with platform defaults", r.ID)
		}
	case string:
		if strings.HasPrefix(strings.TrimSpace(p), "@{") {
			rd.warn(it.pos("properties"), "resource %s: \"properties\" is a PowerShell string, not an object (export with ConvertTo-Json -Depth 100); ignored", r.ID)
		} else {
			rd.warn(it.pos("properties"), "resource %s: \"properties\" is a JSON string, not an object; ignored", r.ID)
		}
	default:
		rd.warn(it.pos("properties"), "resource %s: \"properties\" is a JSON %s, not an object; ignored", r.ID, typeName(p))
	}
	return estate.Object{}
}

// tags reads the tags object (decoded by readTags, or an estate.Object from
// a table row); tag keys keep their case. Unless keep is set (the estate
// drops the tags of resources of types no rule reads), they are only checked.
func (rd *reader) tags(it *item, id string, keep bool) estate.Tags {
	switch t := it.get(sTags).(type) {
	case nil:
		return nil
	case readTagsMark:
		if len(it.badTags) > 0 {
			for _, k := range slices.Sorted(maps.Keys(it.badTags)) {
				rd.warn(it.pos("tags"), "resource %s: tag %q is a JSON %s, not a string; ignored", id, k, it.badTags[k])
			}
		}
		switch {
		case !keep:
			return nil
		case len(it.tags) == 0:
			return estate.Tags{}
		}
		return estate.SortTags(slices.Clone(it.tags)) // the item's are reused once it is released
	case estate.Object:
		var out estate.Tags
		if keep {
			out = make(estate.Tags, 0, len(t))
		}
		var bad []string
		for k, v := range t {
			switch v.(type) {
			case nil, string, float64, bool:
				if keep {
					out = append(out, estate.Tag{Key: k, Value: estate.Scalar(v)})
				}
			default:
				bad = append(bad, k)
			}
		}
		slices.Sort(bad) // in a stable order, not the map's
		for _, k := range bad {
			rd.warn(it.pos("tags"), "resource %s: tag %q is a JSON %s, not a string; ignored", id, k, typeName(t[k]))
		}
		return estate.SortTags(out)
	default:
		rd.warn(it.pos("tags"), "resource %s: \"tags\" is a JSON %s, not an object; ignored", id, typeName(t))
		return nil
	}
}

// present reports whether a value is there, as estate.Object.Has does: not
// null, "" or an empty object.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case estate.Object:
		return len(x) > 0
	}
	return true
}

// identity reads the managed-identity block (identity.type, principalId,
// userAssignedIdentities keyed by identity resource id).
func (rd *reader) identity(it *item, id string, o estate.Object) estate.Identity {
	src := it.pos("identity")
	ident := estate.Identity{PrincipalID: estate.Lower(o.Str("principalid")), TenantID: o.Str("tenantid")}
	switch u := o["userassignedidentities"].(type) {
	case nil:
	case estate.Object:
		// In a stable order, not the map's.
		for _, rid := range slices.Sorted(maps.Keys(u)) {
			v := u[rid]
			uai := estate.UserAssignedIdentity{ResourceID: strings.TrimSpace(rid)}
			switch m := v.(type) {
			case nil:
			case estate.Object:
				uai.PrincipalID, uai.ClientID = estate.Lower(m.Str("principalid")), estate.Lower(m.Str("clientid"))
			default:
				rd.warn(src, "resource %s: identity.userAssignedIdentities[%q] is a JSON %s, not an object; its ids are unknown", id, rid, typeName(m))
			}
			ident.UserAssigned = append(ident.UserAssigned, uai)
		}
	default:
		rd.warn(src, "resource %s: identity.userAssignedIdentities is a JSON %s, not an object; ignored", id, typeName(u))
	}
	switch t := o["type"].(type) {
	case nil:
	case string:
		ident.Type = estate.NormaliseIdentityType(t)
	case float64:
		// Windows PowerShell writes enums as numbers; say so rather than guess
		// the numbering, and read the kind off what the block holds.
		var kinds []string
		if ident.PrincipalID != "" {
			kinds = append(kinds, "systemassigned")
		}
		if len(ident.UserAssigned) > 0 {
			kinds = append(kinds, "userassigned")
		}
		ident.Type = strings.Join(kinds, ",")
		rd.warn(src, "resource %s: identity.type is the number %v (a PowerShell enum; export with ConvertTo-Json -EnumsAsStrings); the identity kind is taken from its principalId and userAssignedIdentities", id, t)
	default:
		rd.warn(src, "resource %s: identity.type is a JSON %s, not a string; ignored", id, typeName(t))
	}
	return ident
}

// isHeader recognises the collection header of an NDJSON snapshot: a line
// without "id" that carries collection metadata.
func isHeader(o estate.Object) bool {
	return o.Has("collectedat") || o.Has("coverage") || o.Has("cmkguard") || (o.Has("tool") && o.Has("scopes"))
}

// gapKinds are the kinds of data a coverage gap names, in the spelling the
// estate compares (Gap.Data).
var gapKinds = map[string]string{
	"resources": "resources", "keys": "keys", "diagnosticsettings": "diagnosticSettings",
	"roleassignments": "roleAssignments", "eventsubscriptions": "eventSubscriptions",
	"encryptionprotector": "encryptionProtector", "": "",
}

// toHeader reads the collection header of an NDJSON snapshot.
func (rd *reader) toHeader(it *item) *estate.Header {
	o := it.obj
	h := &estate.Header{Source: it.src}
	if s, ok := o["collectedat"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			rd.warn(it.pos("collectedat"), "snapshot header: collectedAt %q is not an RFC 3339 time; ignored", s)
		}
		h.CollectedAt = t.UTC()
	} else if v := o["collectedat"]; v != nil {
		rd.warn(it.pos("collectedat"), "snapshot header: collectedAt is a JSON %s, not a string; ignored", typeName(v))
	}
	switch s := o["scopes"].(type) {
	case nil:
	case []any:
		for _, v := range s {
			if str, ok := v.(string); ok {
				h.Scopes = append(h.Scopes, str)
			} else {
				rd.warn(it.pos("scopes"), "snapshot header: a scope is a JSON %s, not a string; ignored", typeName(v))
			}
		}
	case string:
		h.Scopes = []string{s}
	default:
		rd.warn(it.pos("scopes"), "snapshot header: scopes is a JSON %s, not a list; ignored", typeName(s))
	}
	switch t := o["tool"].(type) {
	case nil:
	case estate.Object:
		h.Tool, h.Version = t.Str("name"), t.Str("version")
	case string:
		h.Tool = t
	default:
		rd.warn(it.pos("tool"), "snapshot header: tool is a JSON %s, not an object; ignored", typeName(t))
	}
	switch c := o["coverage"].(type) {
	case nil:
	case []any:
		for _, v := range c {
			g, ok := v.(estate.Object)
			if !ok {
				rd.warn(it.pos("coverage"), "snapshot header: a coverage entry is a JSON %s, not an object; ignored", typeName(v))
				continue
			}
			gap := estate.Gap{Scope: strings.TrimSpace(g.Str("scope")), Data: strings.TrimSpace(g.Str("data")),
				Error: g.Str("error"), Permission: g.Str("permission")}
			if kind, known := gapKinds[estate.Lower(gap.Data)]; known {
				gap.Data = kind
			} else {
				rd.warn(it.pos("coverage"), "snapshot header: coverage names data %q, which no rule knows; kept as written", gap.Data)
			}
			h.Coverage = append(h.Coverage, gap)
		}
	default:
		rd.warn(it.pos("coverage"), "snapshot header: coverage is a JSON %s, not a list; ignored", typeName(c))
	}
	return h
}
