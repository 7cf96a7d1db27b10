package rules

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// referenceExpiryAlerts is keyvault-expiry-alerts as it was before alert
// rules were indexed: every vault walks every alert rule and every event
// subscription. The rule must give the same outcome on every vault.
func referenceExpiryAlerts(env *Env, v *estate.Vault) Outcome {
	ev := Ev("kind", vaultKind(v))
	var notes []string
	for _, s := range v.EventSubs {
		state := s.Props.Str("provisioningstate")
		switch {
		case strings.EqualFold(state, "Failed") || strings.EqualFold(state, "Canceled"):
			notes = append(notes, fmt.Sprintf("event subscription %q is in state %s", s.Name, state))
		case s.EventTypes == nil:
			return env.Passf(append(ev, "eventSubscription", s.ID, "includedEventTypes", "all"),
				"event subscription %q receives every event of the %s, key expiry included (no includedEventTypes filter)", s.Name, vaultKind(v))
		default:
			if got := expiryEventTypes(s.EventTypes); len(got) > 0 {
				return env.Passf(append(ev, "eventSubscription", s.ID, "includedEventTypes", s.EventTypes),
					"event subscription %q receives %s", s.Name, strings.Join(got, " and "))
			}
			notes = append(notes, fmt.Sprintf("event subscription %q receives only %s", s.Name, typesText(s.EventTypes)))
		}
	}
	workspaces := auditWorkspaces(v)
	for _, a := range env.Estate.Alerts {
		if !mentionsKeyExpiry(a.Text) {
			continue
		}
		scope := alertScopeCovering(a, v, workspaces)
		if scope == "" {
			continue
		}
		if !a.Enabled {
			notes = append(notes, fmt.Sprintf("alert rule %q watches key expiry but is disabled", a.Name))
			continue
		}
		return env.Passf(append(ev, "alertRule", a.ID, "alertType", a.Type, "scope", scope),
			"alert rule %q watches key expiry with scope %s", a.Name, scope)
	}
	if len(notes) > 0 {
		ev = append(ev, "considered", notes)
	}
	found := "no Event Grid subscription for KeyNearExpiry/KeyExpired and no enabled alert rule on key expiry covers the " + vaultKind(v)
	if len(notes) > 0 {
		found += " (" + strings.Join(notes, "; ") + ")"
	}
	if orphans := unplacedExpirySubscriptions(env); len(orphans) > 0 {
		return env.Unknownf(append(ev, "unplacedSubscriptions", orphans), "%s, but the snapshot holds %s for key expiry whose "+
			"system topic is not in it, so which vault they watch is unknown: %s", found,
			countNoun(len(orphans), "event subscription", "event subscriptions"), strings.Join(orphans, ", "))
	}
	if !env.Estate.Known("eventSubscriptions", v.ID) {
		hint := ""
		if env.Estate.GapFor("eventSubscriptions", v.ID) == nil {
			hint = " (they are not in Resource Graph: collect them per system topic and vault)"
		}
		return env.Unknownf(ev, "%s, but %s%s, so a subscription may exist unseen",
			found, missingData(env, "eventSubscriptions", v.ID, "Event Grid event subscriptions"), hint)
	}
	return env.Failf(ev, "%s", found)
}

// alertedEstate writes a snapshot of n vaults, some sending their audit log to
// one of a few workspaces, and alert rules scoped to vaults (in other
// spellings, with trailing slashes), resource groups, subscriptions,
// workspaces and scopes that cover nothing, some disabled, some on other
// things than key expiry.
func alertedEstate(seed uint64, vaults, alerts int) []byte {
	rng := rand.New(rand.NewPCG(seed, 11))
	sub := func() string { return fmt.Sprintf("/subscriptions/%08d-1111-1111-1111-111111111111", rng.IntN(2)) }
	groups := []string{"rg-keys", "RG-Keys", "rg-keys-dr", "rg-ümlaut", "rg-pay"}
	workspace := func() string {
		return fmt.Sprintf("%s/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law-%d", sub(), rng.IntN(3))
	}
	ids := make([]string, vaults)
	var b bytes.Buffer
	for i := range ids {
		ids[i] = fmt.Sprintf("%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kv-%d", sub(), groups[rng.IntN(len(groups))], i%7+i/7*10)
		fmt.Fprintf(&b, `{"id": %q, "type": "Microsoft.KeyVault/vaults", "properties": {"vaultUri": "https://kv-%d.vault.azure.net/"}}`+"\n", ids[i], i)
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&b, `{"id": "%s/providers/microsoft.insights/diagnosticSettings/audit", "type": "Microsoft.Insights/diagnosticSettings", `+
				`"properties": {"workspaceId": %q, "logs": [{"categoryGroup": "audit", "enabled": true}]}}`+"\n", ids[i], workspace())
		}
	}
	texts := []string{"KeyNearExpiry", "KeyExpired", "CertificateNearExpiry", "Percentage CPU", "OperationName has 'NearExpiry'"}
	for i := range alerts {
		var scopes []string
		for range 1 + rng.IntN(2) {
			id := ids[rng.IntN(len(ids))]
			switch rng.IntN(8) {
			case 0:
				scopes = append(scopes, strings.ToUpper(id))
			case 1:
				scopes = append(scopes, id+"/")
			case 2:
				scopes = append(scopes, id[:strings.Index(id, "/providers/")])
			case 3:
				scopes = append(scopes, id[:strings.Index(id, "/resourceGroups/")])
			case 4:
				scopes = append(scopes, workspace())
			case 5:
				scopes = append(scopes, id[:len(id)-1]) // kv-12 for kv-123: covers nothing
			case 6:
				scopes = append(scopes, "/providers/Microsoft.Management/managementGroups/root")
			default:
				scopes = append(scopes, id)
			}
		}
		fmt.Fprintf(&b, `{"id": "/subscriptions/00000000-1111-1111-1111-111111111111/resourceGroups/rg-mon/providers/Microsoft.Insights/scheduledQueryRules/a%d", `+
			`"type": "Microsoft.Insights/scheduledQueryRules", "properties": {"enabled": %t, "scopes": ["%s"], "criteria": {"allOf": [{"query": %q}]}}}`+"\n",
			i, rng.IntN(3) > 0, strings.Join(scopes, `", "`), texts[rng.IntN(len(texts))])
	}
	return b.Bytes()
}

// TestExpiryAlertsMatchReference holds the indexed rule to the walking one on
// the example estate, its fixtures, a generated estate, and estates with many
// alert rules of every scope.
func TestExpiryAlertsMatchReference(t *testing.T) {
	read := func(name string, data []byte) *estate.Estate {
		b := estate.NewBuilder()
		if err := input.Read(context.Background(), name, bytes.NewReader(data), b); err != nil {
			t.Fatal(err)
		}
		return b.Build()
	}
	cases := map[string]*estate.Estate{
		"example estate":   readTestEstate(t, "../../examples/estate"),
		"fixtures":         readTestEstate(t, "testdata/keyvault-expiry-alerts"),
		"generated estate": read("estate.ndjson", estategen.Bytes(4000, 5)),
		"alerts 0":         read("alerts.ndjson", alertedEstate(0, 50, 400)),
		"alerts 1":         read("alerts.ndjson", alertedEstate(1, 300, 60)),
		"alerts 2":         read("alerts.ndjson", alertedEstate(2, 100, 150)),
	}
	for name, e := range cases {
		env, ref := newEnv(e, policy.Default(), fixtureNow), newEnv(e, policy.Default(), fixtureNow)
		statuses := map[string]int{}
		for _, v := range e.Vaults {
			got, want := keyvaultExpiryAlerts.Vault(env, v), referenceExpiryAlerts(ref, v)
			statuses[fmt.Sprintf("%s alert=%t considered=%t", want.Status, want.Evidence["alertRule"] != nil, want.Evidence["considered"] != nil)]++
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s:\n got %s %q %v\nwant %s %q %v", name, v.ID, got.Status, got.Message, got.Evidence,
					want.Status, want.Message, want.Evidence)
			}
		}
		t.Logf("%s: %v", name, statuses)
	}
}
