package web

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// The documents below are what both a page and its API endpoint show; the
// API encodes them as JSON, the pages render them.

// scanDoc describes one recorded scan.
type scanDoc struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Tool          string    `json:"tool"`
	Inputs        []string  `json:"inputs"`
	ResourcesRead int       `json:"resourcesRead"`
	Summary       any       `json:"summary"`
}

func newScanDoc(s history.ScanInfo) scanDoc {
	inputs := s.Inputs
	if inputs == nil {
		inputs = []string{}
	}
	return scanDoc{ID: s.ID, At: s.At, Tool: s.Tool, Inputs: inputs, ResourcesRead: s.ResourcesRead, Summary: s.Summary}
}

// keyDoc is a key as the latest (or chosen) scan saw it.
type keyDoc struct {
	report.Key
	VaultName string `json:"vaultName"`
	// SecondsToExpiry is from the dashboard's clock; negative once expired.
	SecondsToExpiry *int64 `json:"secondsToExpiry,omitempty"`
	// Results counts the key's own results by status (key-* rules).
	Results map[string]int `json:"results"`
	// Deadlines are the key's expiry and rotation deadlines, from the clock.
	Deadlines []calendarEvent `json:"deadlines"`
	// BlastRadius is what depends on the key and what disabling, deleting
	// or purging it would do; only on the single-key endpoint and page.
	BlastRadius *impact.Impact `json:"blastRadius,omitempty"`
	Vault       *report.Vault  `json:"vaultState,omitempty"`
	KeyResults  []row          `json:"keyResults,omitempty"`
}

func (s *Server) keyDocs(v *scanView, now time.Time) []keyDoc {
	var out []keyDoc
	if v.detail.Context == nil {
		return []keyDoc{}
	}
	for _, k := range v.detail.Context.Keys {
		out = append(out, s.keyDoc(v, &k, now, false))
	}
	slices.SortFunc(out, func(a, b keyDoc) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.VaultName), strings.ToLower(b.VaultName)), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	return out
}

func (s *Server) keyDoc(v *scanView, k *report.Key, now time.Time, full bool) keyDoc {
	d := keyDoc{Key: *k, VaultName: lastSegment(k.Vault), Results: map[string]int{}, Deadlines: []calendarEvent{}}
	if d.UsedBy == nil {
		d.UsedBy = []string{}
	}
	if k.Expires != nil {
		secs := int64(math.Floor(k.Expires.Sub(now).Seconds()))
		d.SecondsToExpiry = &secs
	}
	for _, r := range v.resultsOf(k.ID) {
		d.Results[string(r.Status)]++
		if full {
			d.KeyResults = append(d.KeyResults, r)
		}
	}
	if f := v.detail.Forecast; f != nil {
		for _, e := range f.KeyEvents {
			if strings.EqualFold(e.Key, k.ID) {
				d.Deadlines = append(d.Deadlines, newEvent(e, now))
			}
		}
	}
	if full {
		d.BlastRadius = v.impacts[estate.Lower(k.ID)]
		d.Vault = v.Vaults[estate.Lower(k.Vault)]
		if d.KeyResults == nil {
			d.KeyResults = []row{}
		}
	}
	return d
}

// calendarEvent is one key deadline, its days counted from the dashboard's clock.
type calendarEvent struct {
	Key        string       `json:"key"`
	Name       string       `json:"name"`
	Vault      string       `json:"vault"`
	Event      string       `json:"event"` // expires or rotation-due
	When       time.Time    `json:"when"`
	DaysLeft   int          `json:"daysLeft"` // negative when past
	Basis      string       `json:"basis,omitempty"`
	Enabled    bool         `json:"enabled"`
	Dependents []impact.Ref `json:"dependents"`
}

func newEvent(e impact.KeyEvent, now time.Time) calendarEvent {
	deps := e.Dependents
	if deps == nil {
		deps = []impact.Ref{}
	}
	return calendarEvent{Key: e.Key, Name: e.Name, Vault: e.Vault, Event: e.Event, When: e.When,
		DaysLeft: int(math.Floor(e.When.Sub(now).Hours() / 24)), Basis: e.Basis, Enabled: e.Enabled, Dependents: deps}
}

// calendarDoc is the key calendar: deadlines already past, and those in the
// next Days days from From (the dashboard's clock).
type calendarDoc struct {
	Scan     int64           `json:"scan"`
	ScanAt   time.Time       `json:"scanAt"`
	From     time.Time       `json:"from"`
	Until    time.Time       `json:"until"`
	Days     int             `json:"days"`
	Overdue  []calendarEvent `json:"overdue"`
	Upcoming []calendarEvent `json:"upcoming"`
	// Recorded is false for a scan recorded before the history kept key
	// deadlines: the calendar then knows none.
	Recorded bool `json:"recorded"`
}

func buildCalendar(v *scanView, now time.Time, days int) *calendarDoc {
	c := &calendarDoc{Scan: v.info.ID, ScanAt: v.info.At, From: now, Until: now.AddDate(0, 0, days), Days: days,
		Overdue: []calendarEvent{}, Upcoming: []calendarEvent{}, Recorded: v.detail.Forecast != nil}
	if v.detail.Forecast == nil {
		return c
	}
	for _, e := range v.detail.Forecast.KeyEvents {
		switch {
		case e.When.Before(now):
			c.Overdue = append(c.Overdue, newEvent(e, now))
		case !e.When.After(c.Until):
			c.Upcoming = append(c.Upcoming, newEvent(e, now))
		}
	}
	return c
}

// resourceDoc is everything the history knows about one resource at a scan.
type resourceDoc struct {
	Scan     int64            `json:"scan"`
	Resource *report.Resource `json:"resource"`
	Label    *history.Label   `json:"label,omitempty"`
	Results  []row            `json:"results"`
	// Chains are the workload's evidence chains: workload → key holders →
	// identity → key → vault.
	Chains     []*report.Chain     `json:"chains"`
	LostAccess []impact.LostAccess `json:"lostAccess"`
	Blocked    []impact.Blocked    `json:"blockedByFirewall"`
	// OpenEpisodes are the resource's failures not yet remediated at the
	// latest scan, with the scan that first failed them.
	OpenEpisodes []history.OpenEpisode `json:"openEpisodes"`
	// IsKey and IsVault say whether the key or vault pages describe it.
	IsKey   bool `json:"isKey"`
	IsVault bool `json:"isVault"`
}

func buildResource(v *scanView, k *history.KPIs, id string) *resourceDoc {
	d := &resourceDoc{Scan: v.info.ID, Resource: v.resourceOf(id), Results: byStatus(v.resultsOf(id)), Chains: v.Chains[estate.Lower(id)],
		LostAccess: []impact.LostAccess{}, Blocked: []impact.Blocked{}, OpenEpisodes: []history.OpenEpisode{}}
	if l, ok := v.label(id); ok {
		d.Label = &l
	}
	if d.Results == nil {
		d.Results = []row{}
	}
	if d.Chains == nil {
		d.Chains = []*report.Chain{}
	}
	if f := v.detail.Forecast; f != nil {
		for _, l := range f.LostAccess {
			if strings.EqualFold(l.Workload.ID, id) {
				d.LostAccess = append(d.LostAccess, l)
			}
		}
		for _, b := range f.Blocked {
			if strings.EqualFold(b.Workload.ID, id) {
				d.Blocked = append(d.Blocked, b)
			}
		}
	}
	if k != nil {
		for _, e := range k.OpenEpisodes {
			if strings.EqualFold(e.Resource, id) {
				d.OpenEpisodes = append(d.OpenEpisodes, e)
			}
		}
	}
	_, d.IsKey = v.Keys[estate.Lower(id)]
	_, d.IsVault = v.Vaults[estate.Lower(id)]
	return d
}

// statusOrder puts what needs attention first.
var statusOrder = map[rules.Status]int{rules.Fail: 0, rules.Unknown: 1, rules.Waived: 2, rules.Pass: 3}

// byStatus orders results failures first, then by rule.
func byStatus(rs []row) []row {
	slices.SortStableFunc(rs, func(a, b row) int {
		oa, okA := statusOrder[a.Status]
		ob, okB := statusOrder[b.Status]
		if !okA {
			oa = len(statusOrder)
		}
		if !okB {
			ob = len(statusOrder)
		}
		return cmp.Or(cmp.Compare(oa, ob), cmp.Compare(a.Rule, b.Rule))
	})
	return rs
}

// comparisonDoc is what changed between two recorded scans.
type comparisonDoc struct {
	From             scanDoc           `json:"from"`
	To               scanDoc           `json:"to"`
	NewlyFailing     []history.Finding `json:"newlyFailing"`
	Fixed            []history.Finding `json:"fixed"`
	NewResources     []string          `json:"newResources"`
	RemovedResources []string          `json:"removedResources"`
	ComplianceDelta  float64           `json:"complianceDelta"` // percentage points, to minus from
	FailDelta        int               `json:"failDelta"`
}

func (s *Server) buildComparison(ctx context.Context, from, to history.ScanInfo) (*comparisonDoc, error) {
	v, err := s.data.view(ctx, to)
	if err != nil {
		return nil, err
	}
	results := make([]rules.Result, len(v.results))
	for i := range v.results {
		results[i] = v.results[i].Result
	}
	ch, err := history.Compare(ctx, s.opt.Store, &from, results)
	if err != nil {
		return nil, err
	}
	nn := func(f []history.Finding) []history.Finding {
		if f == nil {
			return []history.Finding{}
		}
		return f
	}
	ns := func(f []string) []string {
		if f == nil {
			return []string{}
		}
		return f
	}
	return &comparisonDoc{From: newScanDoc(from), To: newScanDoc(to), NewlyFailing: nn(ch.NewlyFailing), Fixed: nn(ch.Fixed),
		NewResources: ns(ch.NewResources), RemovedResources: ns(ch.RemovedResources),
		ComplianceDelta: math.Round((to.Summary.CompliancePercent-from.Summary.CompliancePercent)*10) / 10,
		FailDelta:       to.Summary.Fail - from.Summary.Fail}, nil
}

// lastSegment is the last name of an ARM id (or of anything with slashes).
func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}
