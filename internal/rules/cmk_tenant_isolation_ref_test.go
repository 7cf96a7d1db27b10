package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// referenceTenantIsolation is cmk-tenant-isolation as it was before keys were
// tallied: every workload walks every user of each of its keys. The rule must
// give the same outcome on every workload.
func referenceTenantIsolation(env *Env, w *estate.Workload) Outcome {
	var refs []*estate.KeyRef
	for _, ref := range w.KeyRefs {
		if ref.ParseErr == "" && ref.Unresolved == "" && ref.URI.Name != "" {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return NotApplicable
	}
	mine, mineKnown := tenantTag(env, w.Resource)
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
		for _, use := range env.Estate.KeyUsers(ref.URI) {
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
			tenant, known := tenantTag(env, s.Resource)
			if len(sharers) < maxListed {
				sharers = append(sharers, map[string]any{"resource": s.ID, "key": refLabel(use.Ref), "tenant": tenantLabel(env.Policy, &env.messages, s.Resource, known)})
			}
			switch {
			case !known:
				unknown = append(unknown, s.ID)
			case mineKnown && tenant != mine:
				others = append(others, s)
			}
		}
	}
	ev := Ev("service", w.Service.Name, "tenantTag", tagKey, "tenant", tenantLabel(env.Policy, &env.messages, w.Resource, mineKnown),
		"keys", keys, "sharers", nonNilMaps(sharers), "sharerCount", count)
	if count == 0 {
		return env.Passf(ev, "no other resource uses %s", strings.Join(keys, ", "))
	}
	keyText := strings.Join(shared, ", ")
	switch {
	case !mineKnown:
		return env.Unknownf(ev, "%d other resource(s) use %s, but only a child of %s is in the snapshot, so its %s tag cannot be read",
			count, keyText, w.Name, tagKey)
	case len(others) > 0:
		var names []string
		for _, o := range others[:min(len(others), maxNamed)] {
			names = append(names, fmt.Sprintf("%s (%s)", o.ID, tenantLabel(env.Policy, &env.messages, o.Resource, true)))
		}
		return env.Failf(ev, "%s (%s) shares %s with %d resource(s) of another or no tenant: %s%s",
			w.Name, tenantLabel(env.Policy, &env.messages, w.Resource, true), keyText, len(others), strings.Join(names, ", "), more(len(others)))
	case len(unknown) > 0:
		return env.Unknownf(ev, "%s shares %s with %d resource(s) whose tags are not in the snapshot: %s%s",
			w.Name, keyText, len(unknown), strings.Join(unknown[:min(len(unknown), maxNamed)], ", "), more(len(unknown)))
	case mine == "":
		return env.Passf(ev, "%d other resource(s) share %s, and none of them, like %s, is tagged with a %s", count, keyText, w.Name, tagKey)
	}
	return env.Passf(ev, "%d other resource(s) share %s, all tagged %s=%s", count, keyText, tagKey, env.Policy.Tenant(w.Tags))
}

// sharedKeysEstate writes a snapshot in which n workloads share a few keys:
// storage accounts with one key (versioned or not, in two clouds), Service
// Bus namespaces with two, and SQL servers known only from their
// encryptionProtector, whose tags are unknown. Tenants are drawn from
// tenants and from no tag at all, in two spellings of the tag key.
func sharedKeysEstate(seed uint64, n, keys int, tenants ...string) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	key := func() (host, name string) {
		host = "kv-shared.vault.azure.net"
		if rng.IntN(10) == 0 {
			host = "kv-shared.vault.azure.cn"
		}
		return host, fmt.Sprintf("k%d", rng.IntN(keys))
	}
	tags := func() string {
		switch t := rng.IntN(len(tenants) + 1); {
		case t == len(tenants) || (t == 0 && rng.IntN(2) == 0):
			return `{}`
		case rng.IntN(2) == 0:
			return fmt.Sprintf(`{"tenant": %q}`, tenants[t])
		default:
			return fmt.Sprintf(`{"Tenant ": %q, "dataClassification": "confidential"}`, tenants[t])
		}
	}
	const rg = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
	var b bytes.Buffer
	for i := range n {
		host, name := key()
		switch rng.IntN(8) {
		case 0:
			host2, name2 := key()
			fmt.Fprintf(&b, `{"id": "%sMicrosoft.ServiceBus/namespaces/sb%d", "type": "Microsoft.ServiceBus/namespaces", "tags": %s, `+
				`"sku": {"name": "Premium"}, "properties": {"encryption": {"keySource": "Microsoft.KeyVault", "keyVaultProperties": [`+
				`{"keyName": %q, "keyVaultUri": "https://%s"}, {"keyName": %q, "keyVaultUri": "https://%s"}]}}}`+"\n",
				rg, i, tags(), name, host, name2, host2)
		case 1:
			fmt.Fprintf(&b, `{"id": "%sMicrosoft.Sql/servers/sql%d/encryptionProtector/current", "type": "Microsoft.Sql/servers/encryptionProtector", `+
				`"kind": "azurekeyvault", "properties": {"serverKeyType": "AzureKeyVault", "uri": "https://%s/keys/%s/0123456789abcdef0123456789abcdef"}}`+"\n",
				rg, i, host, name)
		default:
			version := ""
			if rng.IntN(3) == 0 {
				version = fmt.Sprintf(`, "keyversion": "%032x"`, rng.Uint64())
			}
			fmt.Fprintf(&b, `{"id": "%sMicrosoft.Storage/storageAccounts/st%d", "type": "Microsoft.Storage/storageAccounts", "tags": %s, `+
				`"properties": {"encryption": {"keySource": "Microsoft.Keyvault", "keyvaultproperties": {"keyvaulturi": "https://%s/", "keyname": %q%s}}}}`+"\n",
				rg, i, tags(), host, name, version)
		}
	}
	return b.Bytes()
}

// TestCMKTenantIsolationMatchesReference holds the tallied rule to the
// walking one on the example estate, every fixture, a generated estate, and
// estates whose workloads crowd onto a few keys.
func TestCMKTenantIsolationMatchesReference(t *testing.T) {
	type scenario struct {
		name string
		e    *estate.Estate
		p    *policy.Policy
	}
	cases := []scenario{{"example estate", readTestEstate(t, "../../examples/estate"), policy.Default()}}
	for _, d := range []string{"cmk-tenant-isolation", "cmk-identity-access", "cmk-key-usable"} {
		cases = append(cases, scenario{"fixtures " + d, readTestEstate(t, "testdata/"+d), policy.Default()})
	}
	cases = append(cases, scenario{"generated estate", readBytes(t, "estate.ndjson", estategen.Bytes(4000, 3)), policy.Default()})
	many := []string{"", "acme", "ACME ", "globex", "initech", "umbrella"}
	crowded := []struct {
		n, keys int
		tenants []string
	}{{40, 1, many}, {300, 3, many}, {500, 40, many}, {2000, 4, many}, {300, 2, []string{"acme", " Acme"}}, {300, 30, []string{""}}}
	for i, c := range crowded {
		cases = append(cases, scenario{fmt.Sprintf("crowded keys %d", i), readBytes(t, "shared.ndjson", sharedKeysEstate(uint64(i), c.n, c.keys, c.tenants...)), policy.Default()})
	}
	other, err := policy.Parse([]byte("tenantTagKey: customer\n"), PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, scenario{"crowded keys, another tag key", cases[len(cases)-1].e, other})
	for _, c := range cases {
		env, ref := newEnv(c.e, c.p, fixtureNow), newEnv(c.e, c.p, fixtureNow)
		statuses := map[Status]int{}
		for _, w := range c.e.Workloads {
			got, want := cmkTenantIsolation.Workload(env, w), referenceTenantIsolation(ref, w)
			statuses[want.Status]++
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s:\n got %s %q %v\nwant %s %q %v", c.name, w.ID, got.Status, got.Message, got.Evidence,
					want.Status, want.Message, want.Evidence)
			}
		}
		t.Logf("%s: %v", c.name, statuses)
	}
}
