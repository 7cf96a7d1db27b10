package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// workloadRules are the per-workload rules, in catalog order.
var workloadRules = []*Rule{
	cmkRequired,
	cmkClassified,
	cmkOverapplied,
	cmkKeyUsable,
	cmkKeyRecoverable,
	cmkIdentityAccess,
	cmkTenantIsolation,
}

// classificationLabel renders a resource's classification for evidence.
func classificationLabel(value string, classified bool) string {
	if !classified {
		return "unclassified"
	}
	return value
}

// evidenceText renders a workload's encryption evidence as "k=v, k=v" in a stable order.
func evidenceText(m map[string]string) string { return string(appendEvidenceText(nil, m)) }

// appendEvidenceText appends evidenceText(m) to b.
func appendEvidenceText(b []byte, m map[string]string) []byte {
	var room [8]string
	keys := room[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(append(append(b, k...), '='), m[k]...)
	}
	return b
}

// classification is what a workload's tags say about its data.
type classification struct {
	Value     string // the tag value as written, trimmed
	Tag       string // the tag key as written on the resource
	Tagged    bool   // a classification tag with a non-empty value is present
	Empty     bool   // a classification tag is present but its value is empty
	Sensitive bool   // the value is sensitive, or the resource is unclassified and the policy treats that as sensitive
	// TagsKnown is false for resources known only from a child resource (a SQL
	// server whose encryptionProtector is in the snapshot but which is not):
	// their tags cannot be read.
	TagsKnown bool
}

// classify reads a workload's classification under the policy. A tag with an
// empty value classifies nothing: it counts as unclassified.
func classify(env *Env, r *estate.Resource) classification {
	if env.last.r == r {
		return env.last.c
	}
	c := classification{TagsKnown: !r.Placeholder}
	value, classified, sensitive := env.Policy.Classify(r.Tags)
	c.Value, c.Sensitive = value, sensitive
	c.Tag, _ = tagKey(r, env.Policy.Classification.TagKeys...)
	c.Tagged = classified
	c.Empty = !classified && c.Tag != ""
	env.last.r, env.last.c = r, c
	return c
}

// shapeQuestion is everything cmk-classified, cmk-overapplied and
// cmk-required read of a workload when their outcome does not name it: its
// service, encryption, the evidence of its encryption (by identity: the
// builder shares equal ones) and its classification. A few thousand shapes
// serve an estate's hundreds of thousands of workloads.
type shapeQuestion struct {
	service  *estate.Service
	cmk      estate.CMKState
	evidence unsafe.Pointer
	c        classification
}

// shapeOf returns the shape of workload w, whose classification is c.
func shapeOf(w *estate.Workload, c classification) shapeQuestion {
	return shapeQuestion{w.Service, w.CMK, reflect.ValueOf(w.Evidence).UnsafePointer(), c}
}

// shapeRule numbers the rules that byShape remembers the outcomes of.
type shapeRule int

const (
	classifiedRule shapeRule = iota
	overappliedRule
	requiredRule
	shapeRules
)

// shapeVerdicts are the outcomes on the workloads of one shape, by
// shapeRule; a zero Outcome is one not judged yet.
type shapeVerdicts [shapeRules]Outcome

// byShape returns judge's outcome for rule on w, whose classification is
// c, as remembered for the shape of w when a workload of that shape was
// judged before; the caller knows that the outcome reads no more of w than
// its shape. The rules judge a workload in turn, so the shape is looked up
// once for all of them. A count-only Env judges again: a status alone costs
// less than looking it up.
func byShape(env *Env, rule shapeRule, w *estate.Workload, c classification,
	judge func(*Env, *estate.Workload, classification) Outcome) Outcome {
	if env.countOnly {
		return judge(env, w, c)
	}
	if env.shape.w != w {
		q := shapeOf(w, c)
		v, ok := env.shapes.lookup(q)
		if !ok {
			v = env.shapes.remember(q, new(shapeVerdicts))
		}
		env.shape.w, env.shape.v = w, v
	}
	o := &env.shape.v[rule]
	if !o.Applies() {
		*o = judge(env, w, c)
	}
	return *o
}

// tagKey returns the key, as written, of the first tag of r that matches one
// of keys case-insensitively.
func tagKey(r *estate.Resource, keys ...string) (string, bool) {
	for _, k := range keys {
		for _, t := range r.Tags {
			if strings.EqualFold(strings.TrimSpace(t.Key), k) {
				return t.Key, true
			}
		}
	}
	return "", false
}

// tenantTag reads the tenant a workload is tagged with: the value, lower-cased
// ("" when untagged), and whether the resource's tags are known at all.
func tenantTag(env *Env, r *estate.Resource) (tenant string, known bool) {
	return strings.ToLower(env.Policy.Tenant(r.Tags)), !r.Placeholder
}

// refLabel names a key reference in messages and evidence: its data-plane URI
// when it was parsed from one, else the reference as written (an ARM key id, or
// the disk encryption set that could not be followed).
func refLabel(ref *estate.KeyRef) string {
	if ref.ParseErr == "" && ref.Unresolved == "" && ref.URI.Host != "" {
		return ref.URI.String()
	}
	return ref.Raw
}

// labelOf returns refLabel(ref), remembering the last one.
func (env *Env) labelOf(ref *estate.KeyRef) string {
	if env.label.ref != ref {
		env.label.ref, env.label.s = ref, refLabel(ref)
	}
	return env.label.s
}

// refAbsent reports whether the service names no key at all: the reference
// field is empty, as opposed to present but malformed.
func refAbsent(ref *estate.KeyRef) bool {
	if ref.ParseErr == "" || ref.Unresolved != "" {
		return false
	}
	return strings.Trim(strings.TrimSpace(strings.Replace(ref.Raw, "/keys/", "", 1)), "/") == ""
}

// followRef reports whether ref leads to a vault or Managed HSM in the snapshot.
// When it does not, it gives the status a key rule should report and why: a
// present but malformed reference is a failure (the service points at no valid
// key); an empty field, a key holder that is not in the snapshot, or a vault
// that is not in it leave the answer unknown.
func followRef(ref *estate.KeyRef) (ok bool, st Status, reason string) {
	switch {
	case refAbsent(ref):
		return false, Unknown, fmt.Sprintf("the service says it uses a customer-managed key but %s names no key", ref.Field)
	case ref.Unresolved != "":
		return false, Unknown, ref.Unresolved
	case ref.ParseErr != "":
		return false, Fail, fmt.Sprintf("%s does not name a valid key: %s", ref.Field, ref.ParseErr)
	case ref.Vault == nil:
		kind := "vault"
		if ref.URI.HSM {
			kind = "Managed HSM"
		}
		return false, Unknown, fmt.Sprintf("%s %s, which holds key %s, is not in the snapshot", kind, vaultLabel(ref.URI), ref.URI.Name)
	}
	return true, "", ""
}

// vaultLabel names the vault of a key reference: its host when known, else its name.
func vaultLabel(u estate.KeyURI) string {
	if u.Host != "" {
		return u.Host
	}
	return u.Vault
}

// kmsRef reports whether ref is an AKS cluster's KMS etcd-encryption key. KMS
// uses the key to encrypt and decrypt, not to wrap and unwrap (catalog §1.2 AKS).
func kmsRef(w *estate.Workload, ref *estate.KeyRef) bool {
	return w.Type == "microsoft.containerservice/managedclusters" &&
		strings.Contains(strings.ToLower(ref.Field), "azurekeyvaultkms")
}

// refVerdict is a key rule's judgement of one key reference of a workload.
type refVerdict struct {
	Status   Status
	Reason   string
	Evidence []any // extra key, value pairs about this reference
}

// statusRank orders statuses for combining per-key verdicts: the worst wins.
func statusRank(s Status) int {
	switch s {
	case Fail:
		return 2
	case Unknown:
		return 1
	}
	return 0
}

// refsQuestion is everything judgeRefs reads of a workload with one key
// reference: the service and encryption its evidence names, and the
// reference (which the disks behind one disk encryption set share) and
// whether AKS KMS uses it, which decide the verdict.
type refsQuestion struct {
	service *estate.Service
	cmk     estate.CMKState
	ref     *estate.KeyRef
	kms     bool
}

// judgeRefs applies judge to every key reference of a workload and combines the
// verdicts into one outcome: the worst status wins (fail over unknown over
// pass), the message gives the reasons of the references that have it, and the
// evidence lists every reference with its own verdict. A workload that names no
// key is not applicable, unless it says it uses a customer-managed key: then
// the key cannot be judged and the outcome is unknown. A count-only Env gets
// the worst status alone, and judge may leave the verdicts' reasons and
// evidence out. The outcome on a workload with one reference, reached
// through another resource, is remembered in seen by the refsQuestion it
// answers.
func judgeRefs(env *Env, w *estate.Workload, seen *verdicts[refsQuestion, Outcome], judge func(*estate.KeyRef) refVerdict) Outcome {
	if len(w.KeyRefs) != 1 || len(w.KeyRefs[0].Via) == 0 {
		// A reference the workload names itself is its own: only those
		// reached through another resource (the disk encryption set of
		// many disks) are shared.
		return combineRefs(env, w, judge)
	}
	q := refsQuestion{w.Service, w.CMK, w.KeyRefs[0], kmsRef(w, w.KeyRefs[0])}
	if o, ok := seen.lookup(q); ok {
		return o
	}
	return seen.remember(q, combineRefs(env, w, judge))
}

// combineRefs is judgeRefs without remembering.
func combineRefs(env *Env, w *estate.Workload, judge func(*estate.KeyRef) refVerdict) Outcome {
	if len(w.KeyRefs) == 0 {
		if w.CMK == estate.CMKCustomer {
			return env.Unknownf(Ev("service", w.Service.Name, "encryption", w.CMK.String()),
				"%s uses a customer-managed key, but the snapshot names no key reference to follow (%s)", w.Name, evidenceText(w.Evidence))
		}
		return NotApplicable
	}
	worst := Pass
	if env.countOnly {
		for _, ref := range w.KeyRefs {
			if v := judge(ref); statusRank(v.Status) > statusRank(worst) {
				worst = v.Status
			}
		}
		return Outcome{Status: worst}
	}
	var room [2]refVerdict
	verdicts := room[:0]
	keys := env.refMaps[:0]
	keysHash, hashed := listHashStart, true
	for _, ref := range w.KeyRefs {
		v := judge(ref)
		verdicts = append(verdicts, v)
		if statusRank(v.Status) > statusRank(worst) {
			worst = v.Status
		}
		k := env.evidence.start().str("reference", env.labelOf(ref)).str("field", ref.Field).
			str("status", string(v.Status)).str("reason", v.Reason)
		if len(ref.Via) > 0 {
			k.strs("via", ref.Via)
		}
		m, h, ok := k.kv(v.Evidence).doneHashed()
		keys = append(keys, m)
		keysHash, hashed = listHash(keysHash, h), hashed && ok
	}
	ev := env.evidence.start().str("service", w.Service.Name).str("encryption", w.CMK.String()).
		mapsBufHashed("keys", keys, keysHash, hashed).done()
	clear(keys)
	env.refMaps = keys[:0]
	if len(verdicts) == 1 {
		return Outcome{Status: worst, Message: verdicts[0].Reason, Evidence: ev}
	}
	var reasons []string
	for _, v := range verdicts {
		if v.Status == worst && !slices.Contains(reasons, v.Reason) {
			reasons = append(reasons, v.Reason)
		}
	}
	count := 0
	for _, v := range verdicts {
		if v.Status == worst {
			count++
		}
	}
	msg := fmt.Sprintf("%d of %d key references: %s", count, len(verdicts), strings.Join(reasons, "; "))
	return Outcome{Status: worst, Message: msg, Evidence: ev}
}
