package estate

import (
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Types the key graph is built from besides the service table. Everything
// else is counted and passed over.
var graphTypes = map[string]bool{
	"microsoft.keyvault/vaults":                           true,
	"microsoft.keyvault/managedhsms":                      true,
	"microsoft.keyvault/vaults/keys":                      true,
	"microsoft.keyvault/managedhsms/keys":                 true,
	"microsoft.sql/servers/encryptionprotector":           true,
	"microsoft.sql/managedinstances/encryptionprotector":  true,
	"microsoft.managedidentity/userassignedidentities":    true,
	"microsoft.authorization/roleassignments":             true,
	"microsoft.authorization/roledefinitions":             true,
	"microsoft.resources/subscriptions":                   true,
	"microsoft.insights/diagnosticsettings":               true,
	"microsoft.eventgrid/systemtopics":                    true,
	"microsoft.eventgrid/systemtopics/eventsubscriptions": true,
	"microsoft.eventgrid/eventsubscriptions":              true,
	"microsoft.insights/metricalerts":                     true,
	"microsoft.insights/scheduledqueryrules":              true,
	"microsoft.insights/activitylogalerts":                true,
	"microsoft.web/sites":                                 true,
	"microsoft.web/sites/slots":                           true,
}

// Relevant reports whether resources of a lower-case type are read by any rule.
// Sources may skip decoding the properties of other resources.
func Relevant(typ string) bool {
	_, ok := typeRows[typ]
	return ok
}

// typeRow is what Add needs to know of a type Relevant accepts.
type typeRow struct {
	graph   bool     // in graphTypes
	service *Service // ServiceFor the type
}

// typeRows are the types Relevant accepts, in one map: it is asked about
// every resource read, most often about a type it does not hold, and Add
// asks it once for all it needs.
var typeRows = func() map[string]*typeRow {
	m := make(map[string]*typeRow, len(graphTypes)+len(serviceByType))
	for t := range graphTypes {
		m[t] = &typeRow{graph: true}
	}
	for t, s := range serviceByType {
		m[t] = &typeRow{graph: graphTypes[t], service: s}
	}
	return m
}()

// Builder collects resources from any number of sources and links them into an
// Estate. Add may be called in any order: references are resolved in Build.
type Builder struct {
	resources  []*Resource
	prepared   chunkList[prepared]          // prepared.at(i) is what Add read off resources[i]
	encs       chunkList[Encryption]        // the workload encryptions prepared holds
	ras        chunkList[RoleAssignment]    // the role assignments prepared holds, and the Estate after
	workloads  int                          // resources added whose type has a service row, an upper bound on the workloads
	assigned   int                          // role assignments added, an upper bound on those kept
	evidence   equalSet[map[string]string]  // see shareEvidence
	probe      childProbe                   // the Lookup of prepare's reads
	strs       map[string]string            // see share
	reads      [readKinds]map[string]string // see read
	lastRead   [readKinds]lastRead          // see read
	appRefs    map[string]Object            // see appProps
	diskSets   map[string][]RefSpec         // see diskRefs
	tags       equalSet[Tags]               // see shareTags
	principals map[string]string            // managed identity object id → resource id, from every resource read
	idSeed     maphash.Seed                 // seeds the hashes of ids in prepared and Build's index
	header     *Header
	audit      []*AuditRecord
	warnings   []Warning
	stats      Stats
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{principals: map[string]string{}, idSeed: maphash.MakeSeed()}
}

// Add adds a resource. Resources of types no rule reads are only counted,
// after their managed identities are noted (a VM's identity holding key
// permissions is still a workload identity). A resource given twice (the same
// id in two inputs) keeps its later copy; Build says how many were replaced.
// Add keeps no pointer to a resource of a type no rule reads, nor to its
// Identity, nor to any of their strings, once it returns: what it keeps of
// them it copies, so readers may reuse their memory (input does).
func (b *Builder) Add(r *Resource) {
	b.stats.Resources++
	r.Type = Lower(r.Type)
	row, ok := typeRows[r.Type]
	notePrincipals(b.principals, r, !ok)
	if !ok {
		b.stats.Skipped++
		return
	}
	r.Tags = b.shareTags(r.Tags)
	p := b.prepare(r, row)
	p.row = row
	// Build indexes the ids, and finds the resources given twice, on a core
	// it has to spare; hashing an id is cheapest here, where it was just
	// read.
	p.idHash = hashID(b.idSeed, r.ID)
	if row.service != nil && !row.service.KeyHolder {
		b.workloads++
	}
	if len(b.resources) == cap(b.resources) {
		// Doubled, the list has allocated about twice its size when the
		// last resource is added; append, which grows a long slice by a
		// quarter, about five times.
		b.resources = slices.Grow(b.resources, len(b.resources))
	}
	b.resources = append(b.resources, r)
	b.prepared.add(p)
}

// prepared is what Add reads off a resource straight away, so that the
// resource's properties need not be kept until Build: in a large estate the
// properties of workloads and role assignments are most of the memory, and
// nothing reads them once their encryption or assignment is known.
type prepared struct {
	row    *typeRow // of the resource's type, so that Build need not look it up
	idHash uint64   // the hash of the resource's id in Build's index
	// item is what was read, by the resource's type: a workload's
	// *Encryption when reading it needs no other resource, a role
	// assignment's *RoleAssignment, a vault's or Managed HSM's *Vault (its
	// keys and settings not yet linked), a key's *keyRead, a diagnostic setting's
	// *DiagnosticSetting (not yet linked to its vault), an alert rule's
	// *AlertRule; else nil. One field for all keeps an entry small: there
	// is one for each resource kept.
	item any
}

// prepare reads what it can of r, whose type's row is row, and then
// releases r.Props. A workload whose service row looks at another resource
// (a SQL server's encryptionProtector child, which may come later in the
// input) keeps its properties for Build. Disk encryption sets keep theirs:
// impact reads them again. Keys are read here, and Build warns about what
// could not be read of them in the order of the estate's lists. Reading a
// large estate uses the most memory just before Build, so what can be read
// here is read here.
func (b *Builder) prepare(r *Resource, row *typeRow) prepared {
	if row.graph {
		switch r.Type {
		case "microsoft.authorization/roleassignments":
			ra := b.newRoleAssignment(r)
			r.Props = released
			b.assigned++
			return prepared{item: ra}
		case "microsoft.web/sites", "microsoft.web/sites/slots":
			r.Props = b.appProps(r.Props)
		case "microsoft.keyvault/vaults", "microsoft.keyvault/managedhsms":
			return prepared{item: newVault(r)}
		case "microsoft.keyvault/vaults/keys", "microsoft.keyvault/managedhsms/keys":
			return prepared{item: newKey(r)}
		case "microsoft.insights/diagnosticsettings":
			return prepared{item: newDiagnostic(r)}
		case "microsoft.insights/metricalerts", "microsoft.insights/scheduledqueryrules", "microsoft.insights/activitylogalerts":
			a := newAlert(r)
			r.Props = released // newAlert read all that rules look at
			return prepared{item: a}
		}
		return prepared{}
	}
	s := row.service
	if s == nil || s.KeyHolder {
		return prepared{}
	}
	b.probe = childProbe{b: b}
	enc := s.Read(r, &b.probe)
	if b.probe.asked {
		return prepared{}
	}
	enc.Evidence = b.shareEvidence(enc.Evidence)
	r.Props = released
	return prepared{item: b.encs.add(enc)}
}

// appProps returns the part of an app's properties that rules read, its
// keyVaultReferenceIdentity, so that the rest (site configuration, host
// names: kilobytes an app) is let go. Apps naming the same string share one
// object; nothing writes to it.
func (b *Builder) appProps(p Object) Object {
	ref := p.Get("keyvaultreferenceidentity")
	if ref == nil {
		return released
	}
	s, ok := ref.(string)
	if !ok {
		return Object{"keyvaultreferenceidentity": ref}
	}
	if o, ok := b.appRefs[s]; ok {
		return o
	}
	o := Object{"keyvaultreferenceidentity": s}
	if b.appRefs == nil {
		b.appRefs = map[string]Object{}
	}
	if len(b.appRefs) < maxShared {
		b.appRefs[s] = o
	}
	return o
}

// diskRefs returns newDiskRefs(des), the one it returned before for an
// equal des when it has.
func (b *Builder) diskRefs(des string) []RefSpec {
	if refs, ok := b.diskSets[des]; ok {
		return refs
	}
	refs := newDiskRefs(des)
	if b.diskSets == nil {
		b.diskSets = map[string][]RefSpec{}
	}
	if len(b.diskSets) < maxShared {
		b.diskSets[des] = refs
	}
	return refs
}

// released is the Props of a resource whose properties prepare has read and
// let go: empty, and shared, so never written to.
var released = Object{}

// childProbe is the Lookup of a read at Add time, when other resources may
// not have been added yet: it finds nothing and remembers being asked. It
// hands out the Builder's evidence (see ev).
type childProbe struct {
	b     *Builder
	asked bool
}

func (p *childProbe) Child(*Resource, string) *Resource {
	p.asked = true
	return nil
}

// equalSet hands out values equal to ones it has seen, so that the
// resources that carry equal values share one copy. Nothing modifies what
// it hands out.
type equalSet[T any] struct {
	seed  maphash.Seed
	first map[uint64]T   // the first value kept of each hash
	more  map[uint64][]T // values kept whose hash a value in first has; almost always empty
	n     int
	last  T    // what share returned last: neighbours in an input often carry equal values
	used  bool // whether last is set
}

// find returns a value kept whose hash is sum and that is accepts.
func (s *equalSet[T]) find(sum uint64, is func(T) bool) (T, bool) {
	if v, ok := s.first[sum]; ok {
		if is(v) {
			return v, true
		}
		for _, v := range s.more[sum] {
			if is(v) {
				return v, true
			}
		}
	}
	var none T
	return none, false
}

// share returns a value seen before that equal finds equal to v, or else v,
// which it keeps while it keeps fewer than limit values. hash hashes v with
// the seed it is given.
func (s *equalSet[T]) share(v T, limit int, hash func(maphash.Seed, T) uint64, equal func(T, T) bool) T {
	if s.used && equal(s.last, v) {
		return s.last
	}
	if s.first == nil {
		s.seed, s.first = maphash.MakeSeed(), map[uint64]T{}
	}
	s.used = true
	sum := hash(s.seed, v)
	if seen, ok := s.find(sum, func(seen T) bool { return equal(seen, v) }); ok {
		s.last = seen
		return seen
	}
	s.last = v
	if s.n < limit {
		if _, taken := s.first[sum]; !taken {
			s.first[sum] = v
		} else {
			if s.more == nil {
				s.more = map[uint64][]T{}
			}
			s.more[sum] = append(s.more[sum], v)
		}
		s.n++
	}
	return v
}

// mixHash combines the hashes of two strings in order.
func mixHash(seed maphash.Seed, a, b string) uint64 {
	return maphash.String(seed, a)*0x9e3779b97f4a7c15 ^ maphash.String(seed, b)
}

// maxTagSets bounds the distinct tags shareTags keeps.
const maxTagSets = 1 << 20

// shareTags returns tags equal to tags, ones it has seen before when it can:
// resources of one resource group or one deployment mostly carry the same
// tags, and a copy each is a large part of a large estate's memory.
func (b *Builder) shareTags(tags Tags) Tags {
	if tags == nil {
		return nil
	}
	return b.tags.share(tags, maxTagSets, hashTags, slices.Equal[Tags])
}

// hashTags hashes tags in their order, telling empty tags from nil ones.
func hashTags(seed maphash.Seed, tags Tags) uint64 {
	sum := uint64(len(tags))
	for _, tag := range tags {
		sum = sum*0x100000001b3 ^ mixHash(seed, tag.Key, tag.Value)
	}
	return sum
}

// maxShared bounds the distinct strings share keeps, and those of each kind
// read keeps.
const maxShared = 1 << 16

// share returns a string equal to s, one it has seen before when it can: the
// scopes, principals and roles of role assignments repeat, and each
// lower-cased copy costs memory.
func (b *Builder) share(s string) string {
	if t, ok := b.strs[s]; ok {
		return t
	}
	if b.strs == nil {
		b.strs = map[string]string{}
	}
	if len(b.strs) < maxShared {
		b.strs[s] = s
	}
	return s
}

// Kinds of strings Builder.read reads.
const (
	readScope = iota
	readRole
	readKinds
)

// read returns share(read(raw)) for a string of a kind as a resource writes
// it, remembering it for raw: role assignments mostly repeat their scopes and
// roles as written, so most are read once, not once a resource, and one
// often repeats the last one's. (Their principals mostly differ: see
// lowerPrincipal.)
func (b *Builder) read(kind int, raw string, read func(string) string) string {
	if last := &b.lastRead[kind]; last.raw == raw && last.read != "" {
		return last.read
	}
	t := b.readOnce(kind, raw, read)
	b.lastRead[kind] = lastRead{raw, t}
	return t
}

// lastRead is the string Builder.read read last of a kind, and what it
// returned.
type lastRead struct{ raw, read string }

// readOnce is read without looking at the last string read.
func (b *Builder) readOnce(kind int, raw string, read func(string) string) string {
	if t, ok := b.reads[kind][raw]; ok {
		return t
	}
	t := b.share(read(raw))
	if b.reads[kind] == nil {
		b.reads[kind] = map[string]string{}
	}
	if len(b.reads[kind]) < maxShared {
		b.reads[kind][raw] = t
	}
	return t
}

// newRoleAssignment reads a role assignment resource.
func (b *Builder) newRoleAssignment(r *Resource) *RoleAssignment {
	p := r.Props
	ra := b.ras.add(RoleAssignment{Resource: r, Scope: b.read(readScope, p.Str("scope"), scopeOf),
		PrincipalID: b.lowerPrincipal(p.Str("principalid")), PrincipalType: p.Str("principaltype"),
		RoleID: b.read(readRole, p.Str("roledefinitionid"), roleGUID)})
	if ra.Scope == "" {
		if id, ok := ParseID(r.ID); ok {
			ra.Scope = b.share(Lower(id.Parent))
		}
	}
	return ra
}

// lowerPrincipal returns Lower(id). Principals are mostly lower-case GUIDs,
// which it returns as they are; one written otherwise is shared, as the
// lower-case copies of an id written in upper case by many assignments
// would each cost memory.
func (b *Builder) lowerPrincipal(id string) string {
	if l := Lower(id); l != id {
		return b.share(l)
	}
	return id
}

// scopeOf reads the scope a role assignment writes.
func scopeOf(s string) string { return Lower(strings.TrimRight(s, "/")) }

// maxEvidence bounds the distinct evidence maps shareEvidence keeps.
const maxEvidence = 1 << 16

// shareEvidence returns a map equal to m that workloads with the same evidence
// share: most say one of a few things ({"keySource": "Microsoft.Storage"}), and
// a map each is a large part of a large estate. Nothing modifies evidence.
func (b *Builder) shareEvidence(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	return b.evidence.share(m, maxEvidence, hashEvidence, maps.Equal[map[string]string])
}

// evidenceOf returns shareEvidence(makeEvidence(kv)) without making the map
// when it has handed out an equal one.
func (b *Builder) evidenceOf(kv []string) map[string]string {
	s := &b.evidence
	if s.used && evidenceIs(s.last, kv) {
		return s.last
	}
	if s.first != nil {
		var sum uint64
		for i := 0; i+1 < len(kv); i += 2 {
			sum += mixHash(s.seed, kv[i], kv[i+1])
		}
		if m, ok := s.find(sum, func(m map[string]string) bool { return evidenceIs(m, kv) }); ok {
			s.last = m
			return m
		}
	}
	return b.shareEvidence(makeEvidence(kv))
}

// evidenceIs reports whether m holds the name, value pairs kv and nothing
// else. Names in kv are distinct.
func evidenceIs(m map[string]string, kv []string) bool {
	if len(m) != len(kv)/2 {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := m[kv[i]]; !ok || v != kv[i+1] {
			return false
		}
	}
	return true
}

// hashEvidence hashes evidence in any order of its members: the sum of the
// hashes of its names with their values.
func hashEvidence(seed maphash.Seed, m map[string]string) uint64 {
	var sum uint64
	for k, v := range m {
		sum += mixHash(seed, k, v)
	}
	return sum
}

// AddHeader records the collection metadata of a snapshot.
func (b *Builder) AddHeader(h *Header) {
	if b.header == nil {
		b.header = h
		return
	}
	// Several snapshots: keep every gap, the latest time.
	b.header.Coverage = append(b.header.Coverage, h.Coverage...)
	b.header.Scopes = append(b.header.Scopes, h.Scopes...)
	if h.CollectedAt.After(b.header.CollectedAt) {
		b.header.CollectedAt = h.CollectedAt
	}
}

// AddAudit adds a Key Vault audit record.
func (b *Builder) AddAudit(a *AuditRecord) { b.audit = append(b.audit, a) }

// Warn records a problem with the input that did not stop reading.
func (b *Builder) Warn(src Source, format string, args ...any) {
	b.warnings = append(b.warnings, Warning{Source: src, Message: fmt.Sprintf(format, args...)})
}

// Build links everything added so far into an Estate. It lets go of the
// properties of the resources it reads (see prepare), keeping what rules read
// of them in the Estate's types, and hands the Builder's lists and indexes to
// the Estate rather than copy them, so a Builder builds once and takes no
// more resources after.
func (b *Builder) Build() *Estate {
	// The ids are indexed on another goroutine while this one sorts the
	// resources by kind, which changes nothing but the Estate it makes, so
	// that it can start again, rarely, when some resource was given twice.
	indexed := make(chan resourceIndex, 1)
	go func() { indexed <- b.index() }()
	e, c := b.classify()
	x := <-indexed
	if len(x.again) > 0 {
		dups := len(x.again)
		first := x.again[0]
		firstDup := b.resources[first.later].ID + " (" + b.resources[first.earlier].Source.String() +
			", again at " + b.resources[first.later].Source.String() + ")"
		b.keepLater(x.again)
		x = b.index()
		e, c = b.classify()
		e.warn(Source{}, "%d resources were given more than once; the later copy of each was used (first: %s)", dups, firstDup)
	}
	e.byID = x.byID
	for _, r := range c.uais {
		if p := Lower(r.Props.Str("principalid")); p != "" {
			e.miPrincipals[p] = r.ID
		}
	}
	for _, r := range c.roleDefs {
		e.addRoleDefinition(r)
	}
	placeholders := e.addPlaceholders(c.protectors)
	for _, r := range c.subs {
		var chain []string
		for _, a := range r.Props.List("managementgroupancestorschain") {
			if o, ok := a.(Object); ok && o.Str("name") != "" {
				chain = append(chain, Lower(o.Str("name")))
			}
		}
		if chain != nil || r.Props.Get("managementgroupancestorschain") != nil {
			id, _ := ParseID(r.ID)
			e.mgAncestors[id.Subscription] = chain
		}
		r.Props = released // read into mgAncestors
	}
	for _, k := range c.keys {
		e.addKey(k)
	}
	for _, d := range c.diags {
		e.addDiagnostic(d)
	}
	e.linkEventSubs(c.topics)
	// Workloads are read last, once vaults, keys and identities are indexed, so
	// that their key references resolve; placeholders come first, as they did.
	if n := b.workloads + len(placeholders); n > 0 {
		e.Workloads = make([]*Workload, 0, n)
	}
	b.addWorkloads(e, placeholders)
	// The children workloads looked at (encryption protectors) are read, and
	// so are the user-assigned identities their references name.
	for _, list := range [][]*Resource{c.protectors, c.uais} {
		for _, r := range list {
			r.Props = released
		}
	}
	// What Add prepared is read; an Estate keeps none of it but the
	// workloads and role assignments, which hold on to their chunks.
	b.prepared, b.encs = chunkList[prepared]{}, chunkList[Encryption]{}
	b.ras = chunkList[RoleAssignment]{}
	e.Collected = Collected{
		Keys:               len(c.keys) > 0 || e.Header != nil,
		DiagnosticSettings: len(c.diags) > 0 || e.Header != nil,
		RoleAssignments:    len(e.RoleAssignments) > 0 || e.Header != nil,
		EventSubscriptions: len(e.EventSubs) > 0 || e.Header != nil,
	}
	return e
}

// kinds are the resources of the types classify sorts out, in the order
// they were added, for Build to read.
type kinds struct {
	subs, topics, protectors, uais, roleDefs []*Resource
	keys                                     []*keyRead
	diags                                    []*DiagnosticSetting
}

// classify makes the Estate of the resources added, listing and indexing
// them by kind. It writes to nothing but what it returns, so that Build may
// run it again.
func (b *Builder) classify() (*Estate, kinds) {
	e := &Estate{
		Header: b.header, Audit: b.audit, Stats: b.stats, Warnings: b.warnings,
		all: b.resources, vaultByName: map[string]*Vault{}, vaultByID: map[string]*Vault{},
		uaiByID: map[string]*Resource{}, uaiByClientID: map[string]*Resource{}, roleDefs: map[string]*RoleDefinition{},
		mgAncestors: map[string][]string{}, assignmentsBy: map[string][]*RoleAssignment{}, miPrincipals: b.principals,
	}
	if b.assigned > 0 {
		e.RoleAssignments = make([]*RoleAssignment, 0, b.assigned)
	}
	var c kinds
	for i, r := range b.resources {
		p := b.prepared.at(i)
		if !p.row.graph {
			continue // a workload or a disk encryption set, for addWorkloads
		}
		if ra, ok := p.item.(*RoleAssignment); ok {
			e.RoleAssignments = append(e.RoleAssignments, ra)
			e.assignmentsBy[ra.PrincipalID] = append(e.assignmentsBy[ra.PrincipalID], ra)
			continue
		}
		switch r.Type {
		case "microsoft.sql/servers/encryptionprotector", "microsoft.sql/managedinstances/encryptionprotector":
			c.protectors = append(c.protectors, r)
		case "microsoft.keyvault/vaults", "microsoft.keyvault/managedhsms":
			v := p.item.(*Vault)
			e.Vaults = append(e.Vaults, v)
			e.vaultByID[r.Key()] = v
			e.vaultByName[vaultKey(v.HSM, Lower(r.Name))] = v
		case "microsoft.keyvault/vaults/keys", "microsoft.keyvault/managedhsms/keys":
			c.keys = append(c.keys, p.item.(*keyRead))
		case "microsoft.managedidentity/userassignedidentities":
			c.uais = append(c.uais, r)
			e.uaiByID[r.Key()] = r
			if id := Lower(r.Props.Str("clientid")); id != "" {
				e.uaiByClientID[id] = r
			}
		case "microsoft.authorization/roledefinitions":
			c.roleDefs = append(c.roleDefs, r)
		case "microsoft.resources/subscriptions":
			c.subs = append(c.subs, r)
		case "microsoft.insights/diagnosticsettings":
			c.diags = append(c.diags, p.item.(*DiagnosticSetting))
		case "microsoft.eventgrid/systemtopics":
			c.topics = append(c.topics, r)
		case "microsoft.eventgrid/systemtopics/eventsubscriptions", "microsoft.eventgrid/eventsubscriptions":
			e.EventSubs = append(e.EventSubs, &EventSubscription{Resource: r})
		case "microsoft.insights/metricalerts", "microsoft.insights/scheduledqueryrules", "microsoft.insights/activitylogalerts":
			e.Alerts = append(e.Alerts, p.item.(*AlertRule))
		case "microsoft.web/sites", "microsoft.web/sites/slots":
			e.Apps = append(e.Apps, r)
		}
	}
	return e, c
}

// resourceIndex is the index of the ids of a list of resources, and the
// pairs of positions that give one id again.
type resourceIndex struct {
	byID  idIndex
	again []again
}

// again says that the resource at later has the id of the one at earlier,
// the first with it.
type again struct{ earlier, later int }

// index indexes the ids of the resources, each at the first position that
// has it.
func (b *Builder) index() resourceIndex {
	x := resourceIndex{byID: idIndex{seed: b.idSeed, first: make(map[uint64]int, len(b.resources))}}
	for i, r := range b.resources {
		if j := x.byID.insertHash(b.resources, r.ID, b.prepared.at(i).idHash, i); j >= 0 {
			x.again = append(x.again, again{earlier: j, later: i})
		}
	}
	return x
}

// keepLater puts the last copy of each resource given more than once, and
// what Add prepared of it, where the first was, and drops the other copies
// from the lists; pairs is in the order of later, as index gives it.
func (b *Builder) keepLater(pairs []again) {
	dropped := make([]bool, len(b.resources))
	for _, p := range pairs {
		b.resources[p.earlier], *b.prepared.at(p.earlier) = b.resources[p.later], *b.prepared.at(p.later)
		dropped[p.later] = true
	}
	n := 0
	for i, r := range b.resources {
		if !dropped[i] {
			b.resources[n], *b.prepared.at(n) = r, *b.prepared.at(i)
			n++
		}
	}
	clear(b.resources[n:])
	b.resources = b.resources[:n]
}

// addWorkloads adds the workloads among the placeholders and then the
// resources to e, and the disk encryption sets among them. The resources
// are read in parts, by as many goroutines as there are processors: a
// workload's references are resolved in an Estate nothing writes to
// meanwhile. What depends on the order of the workloads (a key's users,
// which equal evidence they share) is done after, in that order.
func (b *Builder) addWorkloads(e *Estate, placeholders []*Resource) {
	parts := make([]workloadPart, 1+(len(b.resources)+workloadPartLen-1)/workloadPartLen)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			wr := workloadReader{e: e, through: map[RefSpec][]*KeyRef{}}
			for {
				k := int(next.Add(1)) - 1
				switch {
				case k >= len(parts):
					return
				case k == 0:
					parts[0] = wr.read(placeholders, func(i int) prepared { return prepared{row: typeRows[placeholders[i].Type]} })
				default:
					lo, hi := (k-1)*workloadPartLen, min(k*workloadPartLen, len(b.resources))
					parts[k] = wr.read(b.resources[lo:hi], func(i int) prepared { return *b.prepared.at(lo + i) })
				}
			}
		})
	}
	wg.Wait()
	for _, part := range parts {
		for _, w := range part.read {
			w.Evidence = b.shareEvidence(w.Evidence)
		}
		e.Workloads = append(e.Workloads, part.workloads...)
		e.EncryptionSets = append(e.EncryptionSets, part.sets...)
	}
	for _, w := range e.Workloads {
		for i, ref := range w.KeyRefs {
			// w is among the key's users only if an earlier reference of
			// its own put it there.
			if ref.Key != nil && !slices.ContainsFunc(w.KeyRefs[:i], func(o *KeyRef) bool { return o.Key == ref.Key }) {
				ref.Key.Users = append(ref.Key.Users, w)
			}
		}
	}
}

// workloadPartLen is how many resources make a part of addWorkloads: parts
// small enough that its goroutines finish together.
const workloadPartLen = 1 << 12

// workloadPart is what a workloadReader makes of a part of the resources.
type workloadPart struct {
	workloads []*Workload
	sets      []*Resource // disk encryption sets
	read      []*Workload // those whose encryption was read here, not by Add; their evidence is not yet shared
}

// workloadReader reads workloads on one of addWorkloads' goroutines.
type workloadReader struct {
	e       *Estate
	works   chunkList[Workload]   // where the workloads it reads are kept
	through map[RefSpec][]*KeyRef // see newWorkload
}

// read makes the workloads among list, whose types have a service row that
// is not a key holder, linked to their keys but not yet among their users,
// and lists the disk encryption sets; prep(i) is what Add prepared of
// list[i]. It writes to nothing shared but the properties of the workloads
// it reads.
func (wr *workloadReader) read(list []*Resource, prep func(i int) prepared) workloadPart {
	var part workloadPart
	e := wr.e
	for i, r := range list {
		p := prep(i)
		s := p.row.service
		if s == nil {
			continue
		}
		if s.KeyHolder {
			part.sets = append(part.sets, r)
			continue
		}
		pe, prepared := p.item.(*Encryption)
		var enc Encryption
		if prepared {
			enc = *pe
		} else {
			enc = s.Read(r, e)
			if !graphTypes[r.Type] {
				r.Props = released // as prepare does, once its children are linked
			}
		}
		w := e.newWorkload(wr.works.add(Workload{}), r, s, enc, wr.through)
		part.workloads = append(part.workloads, w)
		if !prepared {
			part.read = append(part.read, w)
		}
	}
	return part
}

// addPlaceholders creates the SQL servers and managed instances that are known
// only from their encryptionProtector child (list holds the protectors), so
// that the finding lands on the server as the contract requires. It returns
// them for Build to read as workloads once the key graph is linked.
func (e *Estate) addPlaceholders(list []*Resource) []*Resource {
	var out []*Resource
	for _, r := range list {
		var parentType string
		switch r.Type {
		case "microsoft.sql/servers/encryptionprotector":
			parentType = "microsoft.sql/servers"
		case "microsoft.sql/managedinstances/encryptionprotector":
			parentType = "microsoft.sql/managedinstances"
		default:
			continue
		}
		id, ok := ParseID(r.ID)
		if !ok || id.Parent == "" || e.lookup(id.Parent) != nil {
			continue
		}
		pid, _ := ParseID(id.Parent)
		p := &Resource{ID: id.Parent, Type: parentType, Name: pid.Name, Props: Object{}, Source: r.Source, Placeholder: true}
		e.byID.add(p.ID, len(e.all))
		e.all = append(e.all, p)
		out = append(out, p)
	}
	return out
}

// Child implements Lookup: the first resource of type typ whose parent is parent.
func (e *Estate) Child(parent *Resource, typ string) *Resource {
	// The only children the table asks for are singletons named "current".
	return e.lookup(parent.ID + "/" + typ[strings.LastIndexByte(typ, '/')+1:] + "/current")
}

// Resource returns the resource with that id, or nil.
func (e *Estate) Resource(id string) *Resource { return e.lookup(strings.TrimRight(id, "/")) }

// lookup returns the resource whose id is id as SameID compares, or nil.
func (e *Estate) lookup(id string) *Resource {
	if i := e.byID.find(e.all, id); i >= 0 {
		return e.all[i]
	}
	return nil
}

// VaultByID returns the vault or HSM with that ARM id, or nil.
func (e *Estate) VaultByID(id string) *Vault { return e.vaultByID[Lower(strings.TrimRight(id, "/"))] }

// FindVault returns the vault or HSM a key reference points at, or nil.
func (e *Estate) FindVault(u KeyURI) *Vault {
	v := e.vaultByName[vaultKey(u.HSM, u.Vault)]
	if v != nil && v.Host != "" && u.Host != "" && v.Host != u.Host {
		return nil // same name in another cloud
	}
	return v
}

// FindKey returns the key a reference points at, or nil.
func (e *Estate) FindKey(u KeyURI) *Key {
	if v := e.FindVault(u); v != nil {
		for _, k := range v.Keys {
			if k.Name == u.Name {
				return k
			}
		}
	}
	return nil
}

// KeysListed reports whether the snapshot holds the complete key list of v,
// so that a missing key really is missing.
func (e *Estate) KeysListed(v *Vault) bool {
	if len(v.Keys) > 0 {
		return true
	}
	return e.Header != nil && !e.Gapped("keys", v.ID)
}

// Known reports whether the snapshot carries data of a kind (see Gap.Data) for
// the resource at id: the kind was collected and no gap covers id.
func (e *Estate) Known(data, id string) bool {
	var collected bool
	switch data {
	case "keys":
		collected = e.Collected.Keys
	case "diagnosticSettings":
		collected = e.Collected.DiagnosticSettings
	case "roleAssignments":
		collected = e.Collected.RoleAssignments
	case "eventSubscriptions":
		collected = e.Collected.EventSubscriptions
	default:
		collected = true
	}
	return collected && !e.Gapped(data, id)
}

// Gapped reports whether the collection header says data of that kind could
// not be read for id, and returns nothing otherwise.
func (e *Estate) Gapped(data, id string) bool {
	return e.GapFor(data, id) != nil
}

// GapFor returns the coverage gap that covers data for id, or nil.
func (e *Estate) GapFor(data, id string) *Gap {
	if e.Header == nil {
		return nil
	}
	for i := range e.Header.Coverage {
		g := &e.Header.Coverage[i]
		if (g.Data == "" || g.Data == data || g.Data == "resources") && Within(id, g.Scope) {
			return g
		}
	}
	return nil
}

func vaultKey(hsm bool, name string) string {
	if hsm {
		return "hsm:" + name
	}
	return "kv:" + name
}

// notePrincipals records the object ids of a resource's managed identities,
// copies of the strings when the resource is not kept (see Add).
func notePrincipals(m map[string]string, r *Resource, copied bool) {
	if r.Identity == nil {
		return
	}
	note := func(principal, id string) {
		if copied {
			principal, id = strings.Clone(principal), strings.Clone(id)
		}
		m[principal] = id
	}
	if r.Identity.PrincipalID != "" {
		note(r.Identity.PrincipalID, r.ID)
	}
	for _, u := range r.Identity.UserAssigned {
		if u.PrincipalID != "" {
			note(u.PrincipalID, u.ResourceID)
		}
	}
}

func newVault(r *Resource) *Vault {
	p := r.Props
	v := &Vault{Resource: r, HSM: r.Type == "microsoft.keyvault/managedhsms", SoftDelete: true}
	uri := p.Str("vaulturi")
	if v.HSM {
		uri = p.Str("hsmuri")
	}
	if u, err := url.Parse(strings.TrimSpace(uri)); err == nil && u.Hostname() != "" {
		v.Host = Lower(u.Hostname())
	}
	if b, ok := p.Bool("enablesoftdelete"); ok {
		v.SoftDelete = b
	}
	v.PurgeProtection, _ = p.Bool("enablepurgeprotection")
	if v.HSM {
		v.RBAC = true
	} else {
		v.RBAC, _ = p.Bool("enablerbacauthorization")
	}
	v.PublicNetworkAccess = p.Str("publicnetworkaccess")
	v.DefaultAction = p.Str("networkacls.defaultaction")
	v.Bypass = p.Str("networkacls.bypass")
	for _, a := range p.List("accesspolicies") {
		o, ok := a.(Object)
		if !ok {
			continue
		}
		v.AccessPolicies = append(v.AccessPolicies, AccessPolicy{TenantID: Lower(o.Str("tenantid")),
			ObjectID: Lower(o.Str("objectid")), ApplicationID: Lower(o.Str("applicationid")), Keys: o.Strs("permissions.keys")})
	}
	v.Written = vaultSettings(p)
	r.Props = released // rules and impact read the vault only through v
	return v
}

// vaultSettings reads the settings a vault keeps as written.
func vaultSettings(p Object) VaultSettings {
	w := VaultSettings{Properties: len(p) > 0,
		EnableSoftDelete: p.Get("enablesoftdelete"), SoftDeleteRetentionInDays: p.Get("softdeleteretentionindays"),
		EnablePurgeProtection: p.Get("enablepurgeprotection"), EnableRBACAuthorization: p.Get("enablerbacauthorization"),
		PublicNetworkAccess: p.Get("publicnetworkaccess"), DefaultAction: p.Get("networkacls.defaultaction"),
		Bypass: p.Get("networkacls.bypass"), NetworkACLs: p.Get("networkacls") != nil,
		IPRules: len(p.List("networkacls.iprules")), VirtualNetworkRules: len(p.List("networkacls.virtualnetworkrules")),
		InitialAdmins: p.Strs("initialadminobjectids")}
	for _, c := range p.List("privateendpointconnections") {
		o, ok := c.(Object)
		if !ok {
			continue
		}
		status := o.Str("properties.privatelinkserviceconnectionstate.status")
		if status == "" {
			status = o.Str("privatelinkserviceconnectionstate.status")
		}
		switch {
		case status == "":
			w.UnstatedEndpoints++
		case strings.EqualFold(status, "Approved"):
			w.ApprovedEndpoints++
		}
	}
	return w
}

// keyRead is a key as prepare reads it, not yet linked to its vault.
type keyRead struct {
	Key
	vaultID  string    // the lower-case id of its vault, until Build links it
	warnings []Warning // about what could not be read of it, for Build to give
}

// newKey reads a key, and lets go of its properties.
func newKey(r *Resource) *keyRead {
	id, _ := ParseID(r.ID)
	parent, _ := ParseID(id.Parent)
	kr := &keyRead{Key: Key{Resource: r, VaultName: Lower(parent.Name), HSMKey: r.Type == "microsoft.keyvault/managedhsms/keys",
		Name: Lower(id.Name), Enabled: true}, vaultID: Lower(id.Parent)}
	k := &kr.Key
	p := r.Props
	attr := p.Obj("attributes")
	if b, ok := attr.Bool("enabled"); ok {
		k.Enabled = b
	}
	k.Expires = kr.keyTime(r, attr, "exp", "expires", "expireson")
	k.NotBefore = kr.keyTime(r, attr, "nbf", "notbefore")
	k.Created = kr.keyTime(r, attr, "created", "createdon")
	k.Updated = kr.keyTime(r, attr, "updated", "updatedon")
	k.Kty = p.Str("kty")
	if n, ok := p.Num("keysize"); ok {
		k.Size = int(n)
	}
	k.Curve = p.Str("curvename")
	k.KeyOps = p.Strs("keyops")
	if rp := p.Obj("rotationpolicy"); rp != nil {
		k.Rotation = kr.rotationPolicy(r, rp)
	}
	k.Attributes = attr != nil
	k.Detailed = p.Has("keyops") || p.Has("keysize") || p.Has("curvename")
	if u, err := ParseKeyURI(p.Str("keyuriwithversion")); err == nil {
		k.Version = strings.Clone(u.Version)
	}
	if k.Expires.IsZero() || k.Created.IsZero() {
		k.Written = &KeyTimes{Exp: firstWritten(attr, "exp", "expires", "expireson"),
			Created: firstWritten(attr, "created", "createdon"), NotBefore: firstWritten(attr, "nbf", "notbefore"),
			MisplacedExp: p.Get("exp")}
	}
	r.Props = released // rules read the key only through k
	return kr
}

// addKey adds a key that prepare read, linking it to its vault, and gives
// the warnings about it.
func (e *Estate) addKey(kr *keyRead) {
	e.Warnings = append(e.Warnings, kr.warnings...)
	k := &kr.Key
	if v := e.vaultByID[kr.vaultID]; v != nil {
		k.Vault = v
		v.Keys = append(v.Keys, k)
	}
	kr.vaultID, kr.warnings = "", nil // the Estate keeps kr as long as k
	e.Keys = append(e.Keys, k)
}

// firstWritten returns the value of the first of names attr holds, nil when
// it holds none.
func firstWritten(attr Object, names ...string) any {
	for _, n := range names {
		if v := attr.Get(n); v != nil {
			return v
		}
	}
	return nil
}

// keyTime reads a key attribute: Unix seconds as ARM returns them, or an
// ISO-8601 string as the data plane does.
func (kr *keyRead) keyTime(r *Resource, attr Object, names ...string) time.Time {
	for _, n := range names {
		switch v := attr.Get(n).(type) {
		case nil:
			continue
		case float64:
			return time.Unix(int64(v), 0).UTC()
		case string:
			if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(secs, 0).UTC()
			}
			if t, err := time.Parse(time.RFC3339, strings.TrimSpace(v)); err == nil {
				return t.UTC()
			}
			kr.warn(r.Source, "%s: attributes.%s %q is neither Unix seconds nor an RFC 3339 time; ignored", r.ID, n, v)
		default:
			kr.warn(r.Source, "%s: attributes.%s has an unexpected type; ignored", r.ID, n)
		}
	}
	return time.Time{}
}

func (kr *keyRead) rotationPolicy(r *Resource, rp Object) *RotationPolicy {
	out := &RotationPolicy{}
	dur := func(path string, o Object) Duration {
		s := o.Str(path)
		if s == "" {
			return Duration{}
		}
		d, err := ParseDuration(s)
		if err != nil {
			kr.warn(r.Source, "%s: rotationPolicy: %v", r.ID, err)
		}
		return d
	}
	out.ExpiryTime = dur("attributes.expirytime", rp)
	for _, a := range rp.List("lifetimeactions") {
		o, ok := a.(Object)
		if !ok {
			continue
		}
		switch Lower(o.Str("action.type")) {
		case "rotate":
			out.Rotate = true
			out.RotateAfterCreate = dur("trigger.timeaftercreate", o)
			out.RotateBeforeExpiry = dur("trigger.timebeforeexpiry", o)
			for _, t := range []string{"trigger.timeaftercreate", "trigger.timebeforeexpiry"} {
				if s := strings.TrimSpace(o.Str(t)); s != "" {
					out.RotateTriggers = append(out.RotateTriggers, s)
				}
			}
		case "notify":
			out.Notify = true
		}
	}
	return out
}

func (e *Estate) warn(src Source, format string, args ...any) {
	e.Warnings = append(e.Warnings, Warning{Source: src, Message: fmt.Sprintf(format, args...)})
}

func (kr *keyRead) warn(src Source, format string, args ...any) {
	kr.warnings = append(kr.warnings, Warning{Source: src, Message: fmt.Sprintf(format, args...)})
}

func (e *Estate) addRoleDefinition(r *Resource) {
	p := r.Props
	d := &RoleDefinition{ID: roleGUID(r.ID), Name: p.Str("rolename")}
	for _, perm := range p.List("permissions") {
		o, ok := perm.(Object)
		if !ok {
			continue
		}
		d.Actions = append(d.Actions, o.Strs("actions")...)
		d.NotActions = append(d.NotActions, o.Strs("notactions")...)
		d.DataActions = append(d.DataActions, o.Strs("dataactions")...)
		d.NotDataActions = append(d.NotDataActions, o.Strs("notdataactions")...)
	}
	e.roleDefs[d.ID] = d
	r.Props = released // rules read the definition only through d
}

// addDiagnostic adds a diagnostic setting that prepare read, linking it to
// the vault it watches.
func (e *Estate) addDiagnostic(d *DiagnosticSetting) {
	e.Diagnostics = append(e.Diagnostics, d)
	if v := e.vaultByID[d.Target]; v != nil {
		v.Diagnostics = append(v.Diagnostics, d)
	}
}

// newDiagnostic reads a diagnostic setting, and lets go of its properties.
func newDiagnostic(r *Resource) *DiagnosticSetting {
	id, _ := ParseID(r.ID)
	d := &DiagnosticSetting{Resource: r, Target: Lower(id.Parent)}
	p := r.Props
	for _, l := range p.List("logs") {
		o, ok := l.(Object)
		if !ok {
			continue
		}
		en, _ := o.Bool("enabled")
		d.Logs = append(d.Logs, LogSetting{Category: o.Str("category"), CategoryGroup: o.Str("categorygroup"), Enabled: en})
	}
	for _, f := range []string{"workspaceid", "storageaccountid", "eventhubauthorizationruleid", "marketplacepartnerid", "servicebusruleid"} {
		if s := strings.TrimSpace(p.Str(f)); s != "" {
			d.Destinations = append(d.Destinations, s)
		}
	}
	d.Metrics = len(p.List("metrics")) > 0
	r.Props = released // rules read the setting only through d
	return d
}

func (e *Estate) linkEventSubs(topics []*Resource) {
	source := map[string]string{}
	for _, t := range topics {
		source[t.Key()] = Lower(t.Props.Str("source"))
		t.Props = released // its source is all a topic is read for
	}
	for _, s := range e.EventSubs {
		id, _ := ParseID(s.ID)
		parent := Lower(id.Parent)
		if s.Type == "microsoft.eventgrid/systemtopics/eventsubscriptions" {
			s.Source = source[parent]
		} else {
			s.Source = parent
		}
		if s.Source == "" {
			if t := Lower(s.Props.Str("topic")); t != "" {
				s.Source = source[t]
			}
		}
		if f := s.Props.Get("filter.includedeventtypes"); f != nil {
			s.EventTypes = s.Props.Strs("filter.includedeventtypes")
			if s.EventTypes == nil {
				s.EventTypes = []string{}
			}
		}
		s.ProvisioningState = s.Props.Str("provisioningstate")
		s.Props = released // rules read the subscription only through s
		if v := e.vaultByID[s.Source]; v != nil {
			v.EventSubs = append(v.EventSubs, s)
		}
	}
}

func newAlert(r *Resource) *AlertRule {
	a := &AlertRule{Resource: r, Enabled: true}
	if b, ok := r.Props.Bool("enabled"); ok {
		a.Enabled = b
	}
	for _, s := range r.Props.Strs("scopes") {
		a.Scopes = append(a.Scopes, Lower(strings.TrimRight(s, "/")))
	}
	var b strings.Builder
	flatten(&b, r.Props.Get("criteria"))
	flatten(&b, r.Props.Get("condition"))
	a.Text = Lower(b.String())
	return a
}

// flatten writes every string of a JSON value, for matching alert criteria text.
func flatten(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
		b.WriteByte(' ')
	case []any:
		for _, y := range x {
			flatten(b, y)
		}
	case Object:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			flatten(b, x[k])
		}
	}
}

// maxThrough bounds the key holders whose references newWorkload remembers.
const maxThrough = 4096

// newWorkload makes w the workload whose encryption enc was read off r,
// linked to its keys (but not among their users), and returns it. The references of workloads that reach their keys through one key holder (the
// disks of one disk encryption set) are the same, so they share them: through
// remembers them by the holder's RefSpec. Nothing modifies a KeyRef once made.
func (e *Estate) newWorkload(w *Workload, r *Resource, s *Service, enc Encryption, through map[RefSpec][]*KeyRef) *Workload {
	*w = Workload{Resource: r, Service: s, CMK: enc.State, Evidence: enc.Evidence}
	for _, spec := range enc.Refs {
		var refs []*KeyRef
		if spec.Through == "" {
			refs = e.resolve(spec, nil)
		} else if refs = through[spec]; refs == nil {
			if len(through) >= maxThrough {
				clear(through)
			}
			refs = slices.Clip(e.resolve(spec, nil))
			through[spec] = refs
		}
		if len(enc.Refs) == 1 {
			w.KeyRefs = refs
		} else {
			w.KeyRefs = append(w.KeyRefs, refs...)
		}
	}
	return w
}

// resolve turns a RefSpec into key references, following key holders.
func (e *Estate) resolve(spec RefSpec, via []string) []*KeyRef {
	if spec.Through != "" {
		via = append(slices.Clone(via), spec.Through)
		holder := e.Resource(spec.Through)
		if holder == nil {
			return []*KeyRef{{Raw: spec.Through, Field: spec.Field, Via: via,
				Unresolved: "disk encryption set " + spec.Through + " is not in the snapshot"}}
		}
		s := ServiceFor(holder.Type)
		if s == nil || !s.KeyHolder || len(via) > 4 {
			return []*KeyRef{{Raw: spec.Through, Field: spec.Field, Via: via,
				Unresolved: spec.Through + " is not a disk encryption set"}}
		}
		enc := s.Read(holder, e)
		if len(enc.Refs) == 0 {
			return []*KeyRef{{Raw: spec.Through, Field: spec.Field, Via: via,
				Unresolved: "disk encryption set " + spec.Through + " names no active key"}}
		}
		var out []*KeyRef
		for _, sub := range enc.Refs {
			out = append(out, e.resolve(sub, via)...)
		}
		return out
	}
	ref := &KeyRef{Field: spec.Field, Via: via, Identity: spec.Identity}
	var err error
	switch {
	case spec.URI != "":
		ref.Raw = spec.URI
		ref.URI, err = ParseKeyURI(spec.URI)
	case spec.VaultID != "":
		ref.Raw = strings.TrimRight(spec.VaultID, "/") + "/keys/" + spec.KeyName
		vid, ok := ParseID(spec.VaultID)
		switch {
		case !ok || (vid.Type != "microsoft.keyvault/vaults" && vid.Type != "microsoft.keyvault/managedhsms"):
			err = fmt.Errorf("%q is not the ARM id of a vault", spec.VaultID)
		case strings.TrimSpace(spec.KeyName) == "":
			err = fmt.Errorf("no key name beside vault %q", spec.VaultID)
		default:
			ref.URI = KeyURI{Vault: Lower(vid.Name), HSM: vid.Type == "microsoft.keyvault/managedhsms",
				Name: Lower(strings.TrimSpace(spec.KeyName)), Version: strings.TrimSpace(spec.Version)}
		}
	default:
		ref.Raw = strings.TrimRight(spec.VaultURI, "/") + "/keys/" + spec.KeyName
		ref.URI, err = KeyURIFromParts(spec.VaultURI, spec.KeyName, spec.Version)
	}
	switch {
	case errors.Is(err, ErrUnknownHost):
		ref.Unresolved = err.Error()
	case err != nil:
		ref.ParseErr = err.Error()
	default:
		ref.Vault = e.FindVault(ref.URI)
		ref.Key = e.FindKey(ref.URI)
	}
	e.resolveIdentity(&ref.Identity)
	return []*KeyRef{ref}
}

// resolveIdentity finds the principal (object) id of the identity a workload
// uses for its key, or says why it cannot work or cannot be known.
func (e *Estate) resolveIdentity(id *IdentityRef) {
	if id.PrincipalID != "" || id.Problem != "" || id.Unknown != "" {
		return
	}
	holder := e.Resource(id.Holder)
	switch {
	case id.Kind == IdentityFirstParty:
		id.Unknown = "the service reaches the key with Microsoft's first-party identity, whose principal is not in the snapshot"
		return
	case holder == nil || holder.Placeholder:
		id.Unknown = "the resource holding the identity (" + id.Holder + ") is not in the snapshot"
		return
	}
	ident := holder.Identity
	switch {
	case id.Kind == IdentitySystem:
		if !ident.SystemAssigned() {
			id.Problem = "the service uses the system-assigned identity, but " + holder.Name + " has none"
			return
		}
		if id.PrincipalID = ident.PrincipalID; id.PrincipalID == "" {
			id.Unknown = "the system-assigned identity's principalId is not in the snapshot"
		}
	case id.ResourceID != "":
		u, ok := ident.UserAssignedByID(id.ResourceID)
		if !ok {
			id.Problem = "user-assigned identity " + id.ResourceID + " is not attached to " + holder.Name
			return
		}
		id.PrincipalID = u.PrincipalID
		if uai := e.uaiByID[Lower(id.ResourceID)]; id.PrincipalID == "" && uai != nil {
			id.PrincipalID = Lower(uai.Props.Str("principalid"))
		}
		if id.PrincipalID == "" {
			id.Unknown = "the principalId of " + id.ResourceID + " is not in the snapshot"
		}
	case id.ClientID != "":
		if u, ok := ident.UserAssignedByClientID(id.ClientID); ok {
			id.ResourceID, id.PrincipalID = u.ResourceID, u.PrincipalID
		} else if uai := e.uaiByClientID[id.ClientID]; uai != nil {
			if _, attached := ident.UserAssignedByID(uai.ID); !attached {
				id.Problem = "the identity with client id " + id.ClientID + " (" + uai.ID + ") is not attached to " + holder.Name
				return
			}
			id.ResourceID, id.PrincipalID = uai.ID, Lower(uai.Props.Str("principalid"))
		} else {
			id.Unknown = "no identity with client id " + id.ClientID + " is in the snapshot"
			return
		}
		if id.PrincipalID == "" {
			id.Unknown = "the principalId of the identity with client id " + id.ClientID + " is not in the snapshot"
		}
	default:
		id.Unknown = "the resource does not say which identity reaches its key"
	}
}
