package rules

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

var cmkTenantIsolation = &Rule{
	ID:       "cmk-tenant-isolation",
	Title:    "A customer-managed key serves only one tenant",
	Severity: High,
	Description: "Applies to resources whose key references can be read. Passes when every other resource that uses the same key " +
		"(same vault or Managed HSM and key name, any version, whether or not the key itself is in the snapshot) carries the same " +
		"tenant tag value (policy tenantTagKey, default \"tenant\"; key and value compared case-insensitively), or when no other " +
		"resource uses it. Resources that are all untagged pass together. A mix of tagged and untagged sharers fails: an untagged " +
		"resource cannot be shown to belong to the tagged tenant, and revoking that tenant's key would take it down too. Unknown when " +
		"a sharer's (or the resource's own) tags are not in the snapshot (a SQL server known only from its encryptionProtector).",
	Rationale: "Per-tenant keys are how a multi-tenant service proves isolation and offboards a customer: revoking or crypto-shredding " +
		"one tenant's key must not touch another tenant's data. A shared key couples the tenants' availability and their audit trails.",
	Remediation: "Give each tenant its own key (az keyvault key create --vault-name <vault> --name <tenant>-cmk --kty RSA-HSM) and point " +
		"the resource at it with its service's key setting, granting the resource identity get, wrapKey and unwrapKey first; or, when " +
		"the tag is wrong, correct it (az tag update --resource-id <resource-id> --operation Merge --tags tenant=<tenant>).",
	Frameworks: []string{"MCSB DP-6", "PCI-DSS 3.6.1", "HIPAA 164.312(a)(1)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		var room [2]*estate.KeyRef
		refs := room[:0]
		for _, ref := range w.KeyRefs {
			if sharable(ref) {
				refs = append(refs, ref)
			}
		}
		if len(refs) == 0 {
			return NotApplicable
		}
		mine, mineKnown := tenantTag(env, w.Resource)
		if env.countOnly {
			return Outcome{Status: isolationStatus(env, w, refs, mine, mineKnown)}
		}
		tagKey := env.Policy.TenantTagKey
		keys := env.labels[:0]
		for _, ref := range refs {
			keys = append(keys, env.labelOf(ref))
		}
		env.labels = keys
		var s sharing
		if k := sharersOf(env, refs[0]); len(refs) == 1 && k.answers(mine, mineKnown) {
			s = k.sharing(w, mine, mineKnown, keys)
		} else {
			s = walkSharers(env, w, refs, mine, mineKnown)
		}
		tenant := tenantLabel(env.Policy, &env.messages, w.Resource, mineKnown)
		ev := env.evidence.start().str("service", w.Service.Name).str("tenantTag", tagKey).str("tenant", tenant).
			strsBuf("keys", keys)
		if s.hashed {
			ev.mapsHashed("sharers", s.listed, s.listedHash)
		} else {
			ev.maps("sharers", nonNilMaps(s.listed))
		}
		ev.num("sharerCount", s.count)
		// The messages name w: each is written once, not interned.
		if s.count == 0 {
			msg := append(env.messages.start(), "no other resource uses "...)
			return Outcome{Status: Pass, Message: env.messages.once(appendJoined(msg, keys)), Evidence: ev.done()}
		}
		var named [maxNamed]string
		if mineKnown && s.others > 0 {
			for i, o := range s.named {
				named[i] = tenantLabel(env.Policy, &env.messages, o.Resource, true) // before the message: it uses the messages' buffer
			}
		}
		msg := env.messages.start()
		st := s.status(mineKnown)
		switch {
		case !mineKnown:
			msg = strconv.AppendInt(msg, int64(s.count), 10)
			msg = appendJoined(append(msg, " other resource(s) use "...), s.keys)
			msg = append(append(append(msg, ", but only a child of "...), w.Name...), " is in the snapshot, so its "...)
			msg = append(append(msg, tagKey...), " tag cannot be read"...)
		case s.others > 0:
			msg = append(append(append(append(msg, w.Name...), " ("...), tenant...), ") shares "...)
			msg = strconv.AppendInt(append(appendJoined(msg, s.keys), " with "...), int64(s.others), 10)
			msg = append(msg, " resource(s) of another or no tenant: "...)
			for i, o := range s.named {
				if i > 0 {
					msg = append(msg, ", "...)
				}
				msg = append(append(append(append(msg, o.ID...), " ("...), named[i]...), ')')
			}
			msg = append(msg, more(s.others)...)
		case s.unknown > 0:
			msg = appendJoined(append(append(msg, w.Name...), " shares "...), s.keys)
			msg = strconv.AppendInt(append(msg, " with "...), int64(s.unknown), 10)
			msg = appendJoined(append(msg, " resource(s) whose tags are not in the snapshot: "...), s.unknownIDs)
			msg = append(msg, more(s.unknown)...)
		case mine == "":
			msg = strconv.AppendInt(msg, int64(s.count), 10)
			msg = appendJoined(append(msg, " other resource(s) share "...), s.keys)
			msg = append(append(append(msg, ", and none of them, like "...), w.Name...), ", is tagged with a "...)
			msg = append(msg, tagKey...)
		default:
			msg = strconv.AppendInt(msg, int64(s.count), 10)
			msg = appendJoined(append(msg, " other resource(s) share "...), s.keys)
			msg = append(append(append(append(msg, ", all tagged "...), tagKey...), '='), env.Policy.Tenant(w.Tags)...)
		}
		return Outcome{Status: st, Message: env.messages.once(msg), Evidence: ev.done()}
	},
}

// appendJoined appends the items separated by commas, as strings.Join(items,
// ", ") would write them.
func appendJoined(b []byte, items []string) []byte {
	for i, s := range items {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return b
}

// sharable reports whether a reference names a key whose users can be found:
// the references Estate.KeyUsers lists.
func sharable(ref *estate.KeyRef) bool {
	return ref.ParseErr == "" && ref.Unresolved == "" && ref.URI.Name != ""
}

// sharing is what cmk-tenant-isolation reports about the other workloads that
// use one of a workload's keys.
type sharing struct {
	count  int              // how many there are
	listed []map[string]any // evidence on the first maxListed of them
	keys   []string         // labels of the workload's references they share, in reference order
	// listedHash is hashMaps(listed) when hashed is set, as it is when
	// listed is a key's head, which many results share.
	listedHash uint64
	hashed     bool
	// others counts those tagged with a tenant other than the workload's
	// (untagged counts as a tenant), when the workload's tags are known;
	// named are the first maxNamed of them.
	others int
	named  []*estate.Workload
	// unknown counts those whose tags are not in the snapshot; unknownIDs
	// are the ids of the first maxNamed of them.
	unknown    int
	unknownIDs []string
}

// walkSharers finds the sharers of a workload by walking every user of each
// of its keys, skipping users already met through an earlier reference. It
// is linear in the users of the keys, so it is kept for what is rare: a
// workload with several key references (Service Bus, a PostgreSQL server
// with a geo-backup key), which must not count a sharer of two of its keys
// twice, and a workload whose tenant the tally of its key does not know,
// which takes two tenant tags on one resource that differ only in case or
// spacing (policy.Tenant then picks one of them at random).
func walkSharers(env *Env, w *estate.Workload, refs []*estate.KeyRef, mine string, mineKnown bool) sharing {
	var s sharing
	seen := map[*estate.Workload]bool{w: true}
	for _, ref := range refs {
		label := refLabel(ref)
		k := sharersOf(env, ref)
		for _, u := range k.users {
			if seen[u.w] {
				continue
			}
			seen[u.w] = true
			if !slices.Contains(s.keys, label) {
				s.keys = append(s.keys, label)
			}
			s.count++
			if len(s.listed) < maxListed && !env.countOnly {
				s.listed = append(s.listed, sharerEvidence(env.Policy, &env.messages, u))
			}
			switch {
			case u.tenant < 0:
				s.unknown++
				if len(s.unknownIDs) < maxNamed {
					s.unknownIDs = append(s.unknownIDs, u.w.ID)
				}
			case mineKnown && k.names[u.tenant] != mine:
				s.others++
				if len(s.named) < maxNamed {
					s.named = append(s.named, u.w)
				}
			}
		}
	}
	return s
}

// keyQuery is what Estate.KeyUsers looks a key's users up by: the vault or
// Managed HSM and key name, and the host the reference names (a reference
// with a host sees the users that name the same host or none).
type keyQuery struct {
	hsm               bool
	vault, name, host string
}

// keySharers tallies the users of one key once per evaluation, so that each
// of them learns its sharers, their tenants and the few it must name without
// walking the others: a key behind a disk encryption set can serve thousands
// of disks.
type keySharers struct {
	users []keyUser // distinct workloads, in KeyUsers order
	// listed is the evidence on users[:maxListed+1], when there is more than
	// one user; head is its first maxListed entries, which every user not
	// among them lists. Results share them and never change them.
	listed, head []map[string]any
	// listedHashes are the hashMap of each of listed, from which the hash
	// of head (hashMaps(head)) and of listed without one user are summed.
	listedHashes []uint64
	headHash     uint64
	// Tenants by number: the lower-case tag value, its number, and how many
	// users carry it.
	names     []string
	tenants   map[string]int32
	perTenant []int
	known     int // users whose tags are known
	// unknown holds the positions of the first maxNamed+1 users whose tags
	// are not known; unknownCount counts them all.
	unknown      []int32
	unknownCount int
	// next[i] is the position of the first user after i whose tags are known
	// and whose tenant differs from users[i]'s (every known tenant differs
	// from an unknown one), len(users) when there is none; nil when the known
	// users carry one tenant or none.
	next []int32
}

// keyUser is one user of a key.
type keyUser struct {
	w      *estate.Workload
	ref    *estate.KeyRef // its first reference to the key
	tenant int32          // number of its tenant; -1 when its tags are not known
}

// sharersOf returns the tally of the users of the key ref names.
func sharersOf(env *Env, ref *estate.KeyRef) *keySharers {
	ix := env.ix()
	ix.sharersOnce.Do(func() { ix.sharers = tallySharers(env) })
	return ix.sharers[keyQuery{ref.URI.HSM, ref.URI.Vault, ref.URI.Name, ref.URI.Host}]
}

// tallySharers tallies the users of every key a workload references.
func tallySharers(env *Env) map[keyQuery]*keySharers {
	out := map[keyQuery]*keySharers{}
	// The tally interns the tenant labels of its evidence itself: the Env
	// that makes it may be count-only, and the tally serves every Env.
	var labels messages
	for _, w := range env.Estate.Workloads {
		for _, ref := range w.KeyRefs {
			q := keyQuery{ref.URI.HSM, ref.URI.Vault, ref.URI.Name, ref.URI.Host}
			if _, done := out[q]; !done && sharable(ref) {
				out[q] = tallyKey(env, &labels, env.Estate.KeyUsers(ref.URI))
			}
		}
	}
	return out
}

// tallyKey tallies the users of one key from its KeyUsers list, which gives a
// workload's references to one key next to each other.
func tallyKey(env *Env, labels *messages, uses []estate.KeyUse) *keySharers {
	k := &keySharers{users: make([]keyUser, 0, len(uses)), tenants: map[string]int32{}}
	var prev *estate.Workload
	for _, use := range uses {
		if use.Workload == prev {
			continue
		}
		prev = use.Workload
		u := keyUser{w: use.Workload, ref: use.Ref, tenant: -1}
		if t, known := tenantTag(env, u.w.Resource); known {
			n, ok := k.tenants[t]
			if !ok {
				n = int32(len(k.names))
				k.tenants[t] = n
				k.names = append(k.names, t)
				k.perTenant = append(k.perTenant, 0)
			}
			u.tenant = n
			k.perTenant[n]++
			k.known++
		} else {
			if len(k.unknown) <= maxNamed {
				k.unknown = append(k.unknown, int32(len(k.users)))
			}
			k.unknownCount++
		}
		k.users = append(k.users, u)
	}
	if len(k.users) > 1 {
		for _, u := range k.users[:min(len(k.users), maxListed+1)] {
			m := sharerEvidence(env.Policy, labels, u)
			h, _ := hashMap(m) // its values are strings, which hash
			k.listed = append(k.listed, m)
			k.listedHashes = append(k.listedHashes, h)
		}
		k.head = k.listed[:min(len(k.listed), maxListed):min(len(k.listed), maxListed)]
		k.headHash = listHashStart
		for _, h := range k.listedHashes[:len(k.head)] {
			k.headHash = listHash(k.headHash, h)
		}
	}
	if len(k.names) > 1 {
		n := int32(len(k.users))
		k.next = make([]int32, n)
		known := n // the first user after i whose tags are known
		for i := n - 1; i >= 0; i-- {
			switch t := k.users[i].tenant; {
			case known == n:
				k.next[i] = n
			case t < 0 || k.users[known].tenant != t:
				k.next[i] = known
			default:
				k.next[i] = k.next[known]
			}
			if k.users[i].tenant >= 0 {
				known = i
			}
		}
	}
	return k
}

// sharerEvidence describes one sharer in evidence, interning its tenant
// label in labels.
func sharerEvidence(p *policy.Policy, labels *messages, u keyUser) map[string]any {
	return map[string]any{"resource": u.w.ID, "key": refLabel(u.ref), "tenant": tenantLabel(p, labels, u.w.Resource, u.tenant >= 0)}
}

// answers reports whether the tally can answer for a user of the key whose
// tenant reads mine: it can when the tally met that tenant, as it did when
// it read the user's tags, unless they name the tenant twice (see
// walkSharers).
func (k *keySharers) answers(mine string, mineKnown bool) bool {
	if !mineKnown {
		return true
	}
	_, ok := k.tenants[mine]
	return ok
}

// sharing tells user w of the key, whose tenant is mine, about the other
// users, as walkSharers would with w's one reference, labelled keys[0]
// (s.keys holds keys[:1]).
func (k *keySharers) sharing(w *estate.Workload, mine string, mineKnown bool, keys []string) sharing {
	s := k.counts(mine, mineKnown)
	if s.count == 0 {
		return s
	}
	s.keys = keys[:1:1]
	s.listed, s.listedHash, s.hashed = k.head, k.headHash, true
	for i := range k.listed {
		if k.users[i].w == w {
			s.listed = append(append(make([]map[string]any, 0, len(k.listed)-1), k.listed[:i]...), k.listed[i+1:]...)
			s.listedHash = listHashStart
			for j, h := range k.listedHashes {
				if j != i {
					s.listedHash = listHash(s.listedHash, h)
				}
			}
			break
		}
	}
	for _, i := range k.unknown {
		if u := k.users[i]; u.w != w && len(s.unknownIDs) < maxNamed {
			s.unknownIDs = append(s.unknownIDs, u.w.ID)
		}
	}
	if mineKnown {
		t := k.tenants[mine]
		// The first maxNamed users with a known tenant other than t: next
		// jumps over users of tenant t and users without known tags, so
		// each one named costs at most a few steps.
		for i := 0; i < len(k.users) && len(s.named) < maxNamed && s.others > 0; {
			if u := k.users[i]; u.tenant >= 0 && u.tenant != t {
				s.named = append(s.named, u.w)
				i++
				continue
			}
			i = int(k.next[i])
		}
	}
	return s
}

// counts tells a user of the key, whose tenant is mine, how many others
// there are, of another tenant and with unknown tags, as sharing does,
// listing and naming none of them: all the rule's status needs.
func (k *keySharers) counts(mine string, mineKnown bool) sharing {
	s := sharing{count: len(k.users) - 1} // the workload is one of the users
	if s.count == 0 {
		return s
	}
	s.unknown = k.unknownCount
	if !mineKnown {
		s.unknown--
	}
	if mineKnown {
		s.others = k.known - k.perTenant[k.tenants[mine]]
	}
	return s
}

// status is the rule's status for a workload whose sharers are s.
func (s *sharing) status(mineKnown bool) Status {
	switch {
	case s.count == 0:
		return Pass
	case !mineKnown:
		return Unknown
	case s.others > 0:
		return Fail
	case s.unknown > 0:
		return Unknown
	}
	return Pass
}

// isolationStatus is the rule's status for workload w with the sharable
// references refs and tenant mine, worked out as the rule does but without
// the evidence and names a count-only outcome leaves out.
func isolationStatus(env *Env, w *estate.Workload, refs []*estate.KeyRef, mine string, mineKnown bool) Status {
	if k := sharersOf(env, refs[0]); len(refs) == 1 && k.answers(mine, mineKnown) {
		s := k.counts(mine, mineKnown)
		return s.status(mineKnown)
	}
	s := walkSharers(env, w, refs, mine, mineKnown)
	return s.status(mineKnown)
}

// maxListed and maxNamed bound the sharers a result lists in its evidence and
// names in its message; the count is always complete.
const (
	maxListed = 20
	maxNamed  = 5
)

// more says how many names a message left out.
func more(n int) string {
	if n <= maxNamed {
		return ""
	}
	return fmt.Sprintf(" and %d more", n-maxNamed)
}

// tenantLabel renders a resource's tenant tag for messages and evidence. It
// interns the label through labels, so no message may be being written there.
func tenantLabel(p *policy.Policy, labels *messages, r *estate.Resource, known bool) string {
	switch t := p.Tenant(r.Tags); {
	case !known:
		return "tags not in the snapshot"
	case t == "":
		return "untagged"
	default:
		label := append(append(labels.start(), p.TenantTagKey...), '=')
		return labels.intern(append(label, t...))
	}
}

// nonNilMaps makes an empty list render as [] rather than null in JSON evidence.
func nonNilMaps(s []map[string]any) []map[string]any {
	if s == nil {
		return []map[string]any{}
	}
	return s
}
