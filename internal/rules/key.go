package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// keyRules are the per-key rules, in catalog order. Every key in the snapshot
// is judged, vault keys and Managed HSM keys alike, enabled or not: a disabled
// key is one set-attributes call away from serving data again, and a result for
// every key keeps the KPIs' denominators steady when keys are switched off and
// on. Messages say when a key is disabled.
var keyRules = []*Rule{
	keyExpirySet,
	keyNearExpiry,
	keyRotationPolicy,
	keyRotationDue,
	keyStrength,
	keyHSM,
}

// keyEvidence starts the evidence every key rule reports.
func keyEvidence(k *estate.Key) []any {
	holder := "vault"
	if k.HSMKey {
		holder = "managedHSM"
	}
	return Ev(holder, k.VaultName, "key", k.Name, "enabled", k.Enabled)
}

// disabledNote is appended to messages about disabled keys.
func disabledNote(k *estate.Key) string {
	if k.Enabled {
		return ""
	}
	return " (the key is disabled; it is judged all the same, since re-enabling it puts it back in service)"
}

// writtenTimes returns the key's time values as written. estate keeps them
// only for a key whose expiry or creation time could not be read, the only
// keys rules ask about; for others it returns none.
func writtenTimes(k *estate.Key) estate.KeyTimes {
	if k.Written == nil {
		return estate.KeyTimes{}
	}
	return *k.Written
}

// rawTimeText renders a raw key time attribute for evidence: Unix seconds with
// the time they stand for, anything else as written.
func rawTimeText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64) + " (" + timeText(time.Unix(int64(f), 0)) + ")"
	}
	return fmt.Sprint(v)
}

// expiryUnreadable says why the key's expiry cannot be told from the snapshot,
// or "" when it can (set, or truly absent).
func expiryUnreadable(k *estate.Key) string {
	switch {
	case !k.Expires.IsZero():
		return ""
	case writtenTimes(k).Exp != nil:
		return "attributes.exp is neither Unix seconds nor an RFC 3339 time, so the expiry cannot be read"
	case !k.Attributes:
		return "the key object carries no properties.attributes, so whether it has an expiry cannot be told"
	}
	return ""
}

// fullKeyObject reports whether the snapshot holds the key as a per-key ARM GET
// (or the data plane) returns it. ARM list responses carry only attributes and
// keyUri per key — no kty, keyOps or rotationPolicy — so the absence of those
// means nothing in a list row.
func fullKeyObject(k *estate.Key) bool {
	return strings.TrimSpace(k.Kty) != "" || k.Detailed
}

// keyDataGap returns the collection gap that covers the key's data, or nil.
func keyDataGap(env *Env, k *estate.Key) *estate.Gap {
	return env.Estate.GapFor("keys", k.ID)
}

// rotationUnreadable says why the snapshot cannot show whether the key has a
// rotation policy, or "" when it can: the policy is there, or the key is a full
// ARM key object, which omits rotationPolicy only when the key has none.
func rotationUnreadable(env *Env, k *estate.Key) string {
	if k.Rotation != nil {
		return ""
	}
	if g := keyDataGap(env, k); g != nil {
		return "the collection could not read the keys of " + g.Scope + " (" + g.Error + ")"
	}
	if !fullKeyObject(k) {
		return "the key object is a list row (attributes and keyUri only, no kty): ARM list responses omit rotationPolicy, " +
			"so whether the key has one needs a per-key GET or the data plane's rotation policy"
	}
	return ""
}

// rotateTriggerText describes the rotate action's trigger, "" when it has none.
func rotateTriggerText(rp *estate.RotationPolicy) string {
	switch {
	case !rp.RotateAfterCreate.IsZero():
		return "timeAfterCreate " + rp.RotateAfterCreate.String()
	case !rp.RotateBeforeExpiry.IsZero():
		return "timeBeforeExpiry " + rp.RotateBeforeExpiry.String()
	}
	return ""
}

// userIDs lists the ids of the workloads that use the key.
func userIDs(ws []*estate.Workload) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return out
}

// usersText says which workloads depend on the key, for messages.
func usersText(k *estate.Key) string {
	switch len(k.Users) {
	case 0:
		return "no workload in the snapshot uses it"
	case 1:
		return "used by " + k.Users[0].Name
	}
	return "used by " + k.Users[0].Name + " and " + strconv.Itoa(len(k.Users)-1) + " more workload(s)"
}

// listText joins up to limit items for a message and counts the rest.
func listText(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:limit], ", ") + " and " + strconv.Itoa(len(items)-limit) + " more"
}

// sensitiveUsers returns the workloads using the key whose classification the
// policy calls sensitive (unclassified ones included when the policy says so),
// with their classification labels (none for a count-only Env, whose
// messages name nobody).
func sensitiveUsers(env *Env, k *estate.Key) (ws []*estate.Workload, labels []string) {
	for _, w := range k.Users {
		value, classified, sensitive := env.Policy.Classify(w.Tags)
		if sensitive {
			ws = append(ws, w)
			if !env.countOnly {
				labels = append(labels, w.Name+" ("+classificationLabel(value, classified)+")")
			}
		}
	}
	return ws, labels
}

// daysFrom returns the whole days from a to b, rounded down (negative when b is
// before a).
func daysFrom(a, b time.Time) int {
	return int(math.Floor(b.Sub(a).Hours() / 24))
}

// timeText renders a key time for messages and evidence.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// dateText renders a key time as a date when it falls on midnight UTC.
func dateText(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// keyFamily returns "rsa", "ec" or "oct" for a kty, with or without the -HSM
// suffix, in any case; "" for anything else.
func keyFamily(kty string) string {
	base := strings.ToLower(strings.TrimSpace(kty))
	base = strings.TrimSuffix(base, "-hsm")
	switch base {
	case "rsa", "ec", "oct":
		return base
	}
	return ""
}

// hsmKty reports whether a kty names an HSM-protected key type.
func hsmKty(kty string) bool {
	return keyFamily(kty) != "" && strings.HasSuffix(strings.ToLower(strings.TrimSpace(kty)), "-hsm")
}
