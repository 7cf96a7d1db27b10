package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
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
		var refs []*estate.KeyRef
		for _, ref := range w.KeyRefs {
			if ref.ParseErr == "" && ref.Unresolved == "" && ref.URI.Name != "" {
				refs = append(refs, ref)
			}
		}
		if len(refs) == 0 {
			return NotApplicable
		}
		mine, mineKnown := env.tenant(w.Resource)
		tagKey := env.Policy.TenantTagKey
		var keys []string
		for _, ref := range refs {
			keys = append(keys, refLabel(ref))
		}
		// Sharers are deduplicated across references; KeyUsers lists a
		// workload's uses of one key next to each other, so with one
		// reference comparing with the previous sharer is enough, and the
		// per-workload map (quadratic in the sharers of a popular key) is only
		// needed with several.
		var seen map[*estate.Workload]bool
		if len(refs) > 1 {
			seen = map[*estate.Workload]bool{w: true}
		}
		// A key behind a disk encryption set can serve thousands of disks:
		// evidence and messages name the first few sharers and count the rest.
		var sharers []map[string]any
		var shared, unknown []string
		var others []*estate.Workload
		count := 0
		for _, ref := range refs {
			label := refLabel(ref)
			var prev *estate.Workload
			for _, use := range env.keyUsers(ref.URI) {
				s := use.Workload
				if s == w || s == prev || seen[s] {
					continue
				}
				prev = s
				if seen != nil {
					seen[s] = true
				}
				if !slices.Contains(shared, label) {
					shared = append(shared, label)
				}
				count++
				tenant, known := env.tenant(s.Resource)
				if len(sharers) < maxListed {
					sharers = append(sharers, map[string]any{"resource": s.ID, "key": refLabel(use.Ref), "tenant": tenantLabel(env, s.Resource, known)})
				}
				switch {
				case !known:
					unknown = append(unknown, s.ID)
				case mineKnown && tenant != mine:
					others = append(others, s)
				}
			}
		}
		ev := Ev("service", w.Service.Name, "tenantTag", tagKey, "tenant", tenantLabel(env, w.Resource, mineKnown),
			"keys", keys, "sharers", nonNilMaps(sharers), "sharerCount", count)
		if count == 0 {
			return Passf(ev, "no other resource uses %s", strings.Join(keys, ", "))
		}
		keyText := strings.Join(shared, ", ")
		switch {
		case !mineKnown:
			return Unknownf(ev, "%d other resource(s) use %s, but only a child of %s is in the snapshot, so its %s tag cannot be read",
				count, keyText, w.Name, tagKey)
		case len(others) > 0:
			var names []string
			for _, o := range others[:min(len(others), maxNamed)] {
				names = append(names, fmt.Sprintf("%s (%s)", o.ID, tenantLabel(env, o.Resource, true)))
			}
			return Failf(ev, "%s (%s) shares %s with %d resource(s) of another or no tenant: %s%s",
				w.Name, tenantLabel(env, w.Resource, true), keyText, len(others), strings.Join(names, ", "), more(len(others)))
		case len(unknown) > 0:
			return Unknownf(ev, "%s shares %s with %d resource(s) whose tags are not in the snapshot: %s%s",
				w.Name, keyText, len(unknown), strings.Join(unknown[:min(len(unknown), maxNamed)], ", "), more(len(unknown)))
		case mine == "":
			return Passf(ev, "%d other resource(s) share %s, and none of them, like %s, is tagged with a %s", count, keyText, w.Name, tagKey)
		}
		return Passf(ev, "%d other resource(s) share %s, all tagged %s=%s", count, keyText, tagKey, env.Policy.Tenant(w.Tags))
	},
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

// tenantLabel renders a resource's tenant tag for messages and evidence.
func tenantLabel(env *Env, r *estate.Resource, known bool) string {
	switch t := env.Policy.Tenant(r.Tags); {
	case !known:
		return "tags not in the snapshot"
	case t == "":
		return "untagged"
	default:
		return env.Policy.TenantTagKey + "=" + t
	}
}

// nonNilMaps makes an empty list render as [] rather than null in JSON evidence.
func nonNilMaps(s []map[string]any) []map[string]any {
	if s == nil {
		return []map[string]any{}
	}
	return s
}
