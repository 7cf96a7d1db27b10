package impact

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// Forecast is what will break, or has already broken, in the next Days days
// from At.
type Forecast struct {
	At   time.Time `json:"at"`
	Days int       `json:"days"`
	// KeyEvents are keys that expire or reach their rotation deadline inside
	// the window (or already have), earliest first.
	KeyEvents []KeyEvent `json:"keyEvents"`
	// LostAccess are workloads whose identity already lacks what it needs on
	// its key, as the cmk-identity-access rule found.
	LostAccess []LostAccess `json:"lostAccess"`
	// Blocked are workloads whose key's vault firewall shuts out the service.
	Blocked []Blocked `json:"blockedByFirewall"`
}

// KeyEvent is one key reaching a deadline.
type KeyEvent struct {
	Key   string `json:"key"` // ARM id
	Name  string `json:"name"`
	Vault string `json:"vault"`
	// Event is "expires" (the key's exp) or "rotation-due" (the rotation
	// deadline key-rotation-due worked out).
	Event    string    `json:"event"`
	When     time.Time `json:"when"`
	DaysLeft int       `json:"daysLeft"` // negative when already past
	Basis    string    `json:"basis,omitempty"`
	Enabled  bool      `json:"enabled"`
	// Dependents are the workloads that use the key.
	Dependents []Ref `json:"dependents"`
}

// Ref names a resource.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LostAccess is a workload whose identity cannot use its key.
type LostAccess struct {
	Workload Ref      `json:"workload"`
	Status   string   `json:"status"` // fail, or waived when a waiver accepts it
	Identity string   `json:"identity"`
	Key      string   `json:"key"`
	Vault    string   `json:"vault,omitempty"`
	Missing  []string `json:"missing,omitempty"`
	Reason   string   `json:"reason"`
}

// Blocked is a workload whose key sits behind a firewall that does not let
// the service through.
type Blocked struct {
	Workload Ref    `json:"workload"`
	Service  string `json:"service"`
	Key      string `json:"key"`
	Vault    Ref    `json:"vault"`
	Reason   string `json:"reason"`
}

// NewForecast looks days ahead of at. Key deadlines come from the snapshot's
// key expiry and from the key-rotation-due results (their rotateBy
// evidence); lost access comes from the cmk-identity-access results; firewall
// blocks from the vaults' network settings. ev must be the evaluation of e at
// the same time.
func NewForecast(e *estate.Estate, ev rules.Evaluation, at time.Time, days int) *Forecast {
	at = at.UTC()
	end := at.AddDate(0, 0, days)
	f := &Forecast{At: at, Days: days, KeyEvents: []KeyEvent{}, LostAccess: []LostAccess{}, Blocked: []Blocked{}}

	byResult := map[string]rules.Result{}
	for _, r := range ev.Results {
		byResult[r.Rule+"|"+strings.ToLower(r.Resource)] = r
	}
	for _, k := range e.Keys {
		base := KeyEvent{Key: k.ID, Name: lastSegment(k.ID), Vault: cmp.Or(vaultID(k), k.VaultName), Enabled: k.Enabled,
			Dependents: refs(k.Users)}
		if !k.Expires.IsZero() && !k.Expires.After(end) {
			ke := base
			ke.Event, ke.When, ke.DaysLeft = "expires", k.Expires.UTC(), daysBetween(at, k.Expires)
			f.KeyEvents = append(f.KeyEvents, ke)
		}
		if r, ok := byResult["key-rotation-due|"+strings.ToLower(k.ID)]; ok && (r.Status == rules.Pass || r.Status == rules.Fail || r.Status == rules.Waived) {
			due, err := time.Parse(time.RFC3339, fmt.Sprint(r.Evidence["rotateBy"]))
			if err == nil && !due.After(end) {
				ke := base
				ke.Event, ke.When, ke.DaysLeft = "rotation-due", due.UTC(), daysBetween(at, due)
				if b, ok := r.Evidence["interval"].(string); ok {
					ke.Basis = b
				}
				f.KeyEvents = append(f.KeyEvents, ke)
			}
		}
	}
	slices.SortStableFunc(f.KeyEvents, func(a, b KeyEvent) int {
		return cmp.Or(a.When.Compare(b.When), strings.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key)), strings.Compare(a.Event, b.Event))
	})

	names := map[string]string{}
	for _, w := range e.Workloads {
		names[w.Key()] = w.Name
	}
	for _, r := range ev.Results {
		if r.Rule != "cmk-identity-access" || (r.Status != rules.Fail && r.Status != rules.Waived) {
			continue
		}
		w := Ref{ID: r.Resource, Name: cmp.Or(names[strings.ToLower(r.Resource)], lastSegment(r.Resource))}
		found := false
		for _, k := range evidenceList(r.Evidence["keys"]) {
			if fmt.Sprint(k["status"]) != string(rules.Fail) {
				continue
			}
			found = true
			f.LostAccess = append(f.LostAccess, LostAccess{Workload: w, Status: string(r.Status), Identity: str(k["identity"]),
				Key: str(k["reference"]), Vault: str(k["vault"]), Missing: strs(k["missing"]), Reason: str(k["reason"])})
		}
		if !found { // evidence in another shape: keep the finding, with its message
			f.LostAccess = append(f.LostAccess, LostAccess{Workload: w, Status: string(r.Status), Reason: r.Message})
		}
	}

	for _, w := range e.Workloads {
		for _, ref := range w.KeyRefs {
			if ref.Vault == nil {
				continue
			}
			if why := firewallBlocks(ref.Vault); why != "" {
				f.Blocked = append(f.Blocked, Blocked{Workload: Ref{w.ID, w.Name}, Service: w.Service.Name,
					Key: ref.URI.String(), Vault: Ref{ref.Vault.ID, ref.Vault.Name}, Reason: why})
			}
		}
	}
	return f
}

// firewallBlocks says why the vault's network settings shut out an Azure
// service that reaches the key for customer-managed-key encryption, or "".
// Such services come in as trusted Microsoft services: they pass when public
// access is open (no firewall, or default Allow), or when the firewall lets
// trusted services bypass it (networkAcls.bypass AzureServices, which is also
// ARM's default when bypass is absent — publicNetworkAccess Disabled honours
// it too). Otherwise only a private endpoint is left, and a vault with none
// blocks the service.
func firewallBlocks(v *estate.Vault) string {
	pna, action := strings.TrimSpace(v.PublicNetworkAccess), strings.TrimSpace(v.DefaultAction)
	closed := strings.EqualFold(pna, "Disabled")
	deny := strings.EqualFold(action, "Deny")
	if !closed && !deny {
		return ""
	}
	bypass := strings.TrimSpace(v.Bypass)
	if bypass == "" || strings.Contains(strings.ToLower(bypass), "azureservices") {
		return ""
	}
	if privateEndpoints(v) > 0 {
		return ""
	}
	var what string
	switch {
	case closed && deny:
		what = "public network access is Disabled and the firewall denies by default"
	case closed:
		what = "public network access is Disabled"
	default:
		what = "the firewall denies by default (networkAcls.defaultAction Deny)"
	}
	return fmt.Sprintf("%s, trusted Azure services may not bypass it (networkAcls.bypass %s), and the vault has no approved private endpoint", what, bypass)
}

// privateEndpoints counts the vault's approved private endpoint connections
// (a connection without a status counts: the snapshot does not say otherwise).
func privateEndpoints(v *estate.Vault) int {
	return v.Written.ApprovedEndpoints + v.Written.UnstatedEndpoints
}

// evidenceList reads a list of evidence objects, whether built in memory
// ([]map[string]any) or decoded from JSON ([]any of map[string]any).
func evidenceList(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func strs(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func refs(ws []*estate.Workload) []Ref {
	out := make([]Ref, 0, len(ws))
	for _, w := range ws {
		out = append(out, Ref{w.ID, w.Name})
	}
	return out
}

func vaultID(k *estate.Key) string {
	if k.Vault != nil {
		return k.Vault.ID
	}
	return ""
}

// lastSegment is the last name of an ARM id, as written.
func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}

// daysBetween returns the whole days from a to b, rounded down.
func daysBetween(a, b time.Time) int {
	return int(math.Floor(b.Sub(a).Hours() / 24))
}
