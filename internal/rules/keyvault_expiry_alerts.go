package rules

import (
	"fmt"
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
			state := s.Props.Str("provisioningstate")
			switch {
			case strings.EqualFold(state, "Failed") || strings.EqualFold(state, "Canceled"):
				notes = append(notes, fmt.Sprintf("event subscription %q is in state %s", s.Name, state))
			case s.EventTypes == nil:
				return Passf(append(ev, "eventSubscription", s.ID, "includedEventTypes", "all"),
					"event subscription %q receives every event of the %s, key expiry included (no includedEventTypes filter)", s.Name, vaultKind(v))
			default:
				if got := expiryEventTypes(s.EventTypes); len(got) > 0 {
					return Passf(append(ev, "eventSubscription", s.ID, "includedEventTypes", s.EventTypes),
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
			return Passf(append(ev, "alertRule", a.ID, "alertType", a.Type, "scope", scope),
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
			return Unknownf(append(ev, "unplacedSubscriptions", orphans), "%s, but the snapshot holds %s for key expiry whose "+
				"system topic is not in it, so which vault they watch is unknown: %s", found,
				countNoun(len(orphans), "event subscription", "event subscriptions"), strings.Join(orphans, ", "))
		}
		if !env.Estate.Known("eventSubscriptions", v.ID) {
			hint := ""
			if env.Estate.GapFor("eventSubscriptions", v.ID) == nil {
				hint = " (they are not in Resource Graph: collect them per system topic and vault)"
			}
			return Unknownf(ev, "%s, but %s%s, so a subscription may exist unseen",
				found, missingData(env, "eventSubscriptions", v.ID, "Event Grid event subscriptions"), hint)
		}
		return Failf(ev, "%s", found)
	},
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
