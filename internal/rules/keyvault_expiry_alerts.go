package rules

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// keyExpiryEvents are the Event Grid event types a vault raises for key expiry.
var keyExpiryEvents = []string{"Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.KeyExpired"}

var keyvaultExpiryAlerts = &Rule{
	ID:       "keyvault-expiry-alerts",
	Title:    "Key expiry in the vault raises an alert",
	Severity: Medium,
	Description: "Passes when an Event Grid subscription on the vault (on a system topic whose source is the vault, or scoped to " +
		"the vault) receives Microsoft.KeyVault.KeyNearExpiry or KeyExpired, or every event type (no includedEventTypes filter); " +
		"or when an enabled metric, log-search or activity-log alert rule whose scope covers the vault (the vault, a parent scope, " +
		"or a Log Analytics workspace the vault sends its audit log to) watches key expiry. Unknown when neither is found and the " +
		"snapshot carries no event subscriptions (they are not in Resource Graph).",
	Rationale: "An expired customer-managed key takes the services that use it offline (SQL, PostgreSQL, MySQL and storage lose " +
		"access to their data); a near-expiry notification is the last chance to rotate before the outage.",
	Remediation: "az eventgrid system-topic create --name <vault>-events --resource-group <rg> --source <vault id> " +
		"--topic-type Microsoft.KeyVault.vaults --location <region>; then az eventgrid system-topic event-subscription create " +
		"--name key-expiry --system-topic-name <vault>-events --resource-group <rg> --endpoint-type <type> --endpoint <endpoint> " +
		"--included-event-types Microsoft.KeyVault.KeyNearExpiry Microsoft.KeyVault.KeyExpired. Or a log-search alert " +
		"(az monitor scheduled-query create) over the workspace that receives the vault's audit log.",
	Frameworks: []string{"MCSB DP-6", "MCSB LT-3", "PCI-DSS 3.7.4", "PCI-DSS 3.7.5", "PCI-DSS 10.7.2", "HIPAA 164.308(a)(7)(ii)(B)"},
	Vault: func(env *Env, v *estate.Vault) Outcome {
		ev := Ev("kind", vaultKind(v))
		var notes []string
		for _, s := range v.EventSubs {
			state := s.ProvisioningState
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
		alerts := expiryAlertsOf(env)
		for a := range alerts.near(v, workspaces) {
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
		if orphans := alerts.unplaced; len(orphans) > 0 {
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
	},
}

// expiryAlerts is what keyvault-expiry-alerts looks up for every vault,
// gathered once per evaluation: an estate has thousands of vaults and alert
// rules.
type expiryAlerts struct {
	alerts []*estate.AlertRule // the alert rules that watch key expiry
	// byScope maps a scope, as AlertRule.Scopes holds it, to the positions in
	// alerts of those that name it; anywhere lists those with a scope beyond
	// ASCII, which every vault checks (lower-casing such scopes may not keep
	// their length, so they cannot be found by prefix).
	byScope  map[string][]int
	anywhere []int
	// unplaced are the ids of the snapshot's event subscriptions for key
	// expiry whose vault is unknown.
	unplaced []string
}

// expiryAlertsOf returns the evaluation's expiryAlerts.
func expiryAlertsOf(env *Env) *expiryAlerts {
	ix := env.ix()
	ix.alertsOnce.Do(func() {
		x := &ix.alerts
		x.byScope = map[string][]int{}
		for _, a := range env.Estate.Alerts {
			if !mentionsKeyExpiry(a.Text) {
				continue
			}
			n := len(x.alerts)
			x.alerts = append(x.alerts, a)
			for _, s := range a.Scopes {
				switch {
				case s == "":
				case !asciiOnly(s):
					x.anywhere = append(x.anywhere, n)
				default:
					x.byScope[s] = append(x.byScope[s], n)
				}
			}
		}
		x.unplaced = unplacedExpirySubscriptions(env)
	})
	return &ix.alerts
}

// near yields, in the snapshot's order, the alert rules on key expiry that
// may cover the vault: those scoped to the vault, to one of its parent scopes
// or to one of the workspaces, and those that must be checked everywhere. Of
// the rest none covers it. It merges the index's lists as it goes, so that a
// caller that stops at the first rule it takes reads no further.
func (x *expiryAlerts) near(v *estate.Vault, workspaces []string) iter.Seq[*estate.AlertRule] {
	return func(yield func(*estate.AlertRule) bool) {
		lists := [][]int{x.anywhere}
		// Within(v.ID, s) holds for an ASCII scope s exactly when s is the
		// lower-cased id, or the part of it before a slash.
		id := estate.Lower(strings.TrimRight(v.ID, "/"))
		for i := 1; i <= len(id); i++ {
			if i == len(id) || id[i] == '/' {
				lists = append(lists, x.byScope[id[:i]])
			}
		}
		for _, w := range workspaces {
			lists = append(lists, x.byScope[w])
		}
		last := -1
		for {
			next := -1
			for i, l := range lists {
				if len(l) > 0 && (next < 0 || l[0] < lists[next][0]) {
					next = i
				}
			}
			if next < 0 {
				return
			}
			n := lists[next][0]
			lists[next] = lists[next][1:]
			if n == last {
				continue // named by several of the lists
			}
			last = n
			if !yield(x.alerts[n]) {
				return
			}
		}
	}
}

// asciiOnly reports whether s holds no byte beyond ASCII.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// unplacedExpirySubscriptions returns the ids of event subscriptions that would
// report key expiry but whose source the snapshot cannot tell (their system
// topic is missing), so they may belong to any vault.
func unplacedExpirySubscriptions(env *Env) []string {
	var out []string
	for _, s := range env.Estate.EventSubs {
		if s.Source == "" && (s.EventTypes == nil || len(expiryEventTypes(s.EventTypes)) > 0) {
			out = append(out, s.ID)
		}
	}
	return out
}

// expiryEventTypes returns the key-expiry event types among an event
// subscription's included event types, compared case-insensitively.
func expiryEventTypes(types []string) []string {
	var out []string
	for _, t := range types {
		for _, want := range keyExpiryEvents {
			if strings.EqualFold(strings.TrimSpace(t), want) && !slices.Contains(out, want) {
				out = append(out, want)
			}
		}
	}
	return out
}

func typesText(types []string) string {
	if len(types) == 0 {
		return "an empty includedEventTypes list"
	}
	return strings.Join(types, ", ")
}

// mentionsKeyExpiry reports whether lower-case alert criteria text watches key
// expiry: KeyNearExpiry, KeyExpired, or a NearExpiry not limited to
// certificates or secrets (e.g. an operation-name filter on "NearExpiry").
func mentionsKeyExpiry(text string) bool {
	if strings.Contains(text, "keyexpired") {
		return true
	}
	for rest := text; ; {
		i := strings.Index(rest, "nearexpiry")
		if i < 0 {
			return false
		}
		before := rest[:i]
		if !strings.HasSuffix(before, "certificate") && !strings.HasSuffix(before, "secret") {
			return true
		}
		rest = rest[i+len("nearexpiry"):]
	}
}

// auditWorkspaces returns the Log Analytics workspaces (lower-case ids) that the
// vault's diagnostic settings send its audit log to: a log-search alert over
// one of them sees the vault's key events.
func auditWorkspaces(v *estate.Vault) []string {
	var out []string
	for _, d := range v.Diagnostics {
		if c, _ := auditCategory(d); c == "" {
			continue
		}
		for _, dest := range d.Destinations {
			id, ok := estate.ParseID(dest)
			if ok && id.Type == "microsoft.operationalinsights/workspaces" {
				out = append(out, estate.Lower(strings.TrimRight(dest, "/")))
			}
		}
	}
	return out
}

// alertScopeCovering returns the alert rule scope that covers the vault — the
// vault itself, a parent scope, or a workspace receiving its audit log — or "".
func alertScopeCovering(a *estate.AlertRule, v *estate.Vault, workspaces []string) string {
	for _, s := range a.Scopes {
		if s != "" && (estate.Within(v.ID, s) || slices.Contains(workspaces, s)) {
			return s
		}
	}
	return ""
}
