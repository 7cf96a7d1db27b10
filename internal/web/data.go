package web

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// cache keeps what the pages read from the history. A recorded scan never
// changes, so a scan's view is kept as long as there is room; the list of
// scans and the KPIs are worked out again only when a scan has been added
// (another scan process may record while the dashboard runs).
type cache struct {
	st history.Store

	mu      sync.Mutex // held while the snapshot is brought up to date
	current *snapshot

	viewsMu sync.Mutex
	views   map[int64]*viewEntry
	order   []int64 // least recently used first
}

// maxViews is how many scans' decoded results and details the cache keeps.
const maxViews = 8

type viewEntry struct {
	once sync.Once
	view *scanView
	err  error
}

// snapshot is the history as of one check: its scans and their KPIs.
type snapshot struct {
	gen   generation
	scans []history.ScanInfo
	kpis  *history.KPIs
}

// generation identifies a state of the history: scans are only ever added.
type generation struct {
	count int
	maxID int64
}

func newCache(st history.Store) *cache {
	return &cache{st: st, views: map[int64]*viewEntry{}}
}

// snapshot returns the history's scans and KPIs, computing the KPIs with
// history.Compute when scans were added since the last call.
func (c *cache) snapshot(ctx context.Context) (*snapshot, error) {
	scans, err := c.st.Scans(ctx, history.Window{})
	if err != nil {
		return nil, fmt.Errorf("read the scan history: %w", err)
	}
	gen := generation{count: len(scans)}
	for _, s := range scans {
		gen.maxID = max(gen.maxID, s.ID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil && c.current.gen == gen {
		return c.current, nil
	}
	k, err := history.Compute(ctx, c.st, history.Window{})
	if err != nil {
		return nil, fmt.Errorf("compute the KPIs: %w", err)
	}
	// Compute read the scans again; keep the list that goes with its numbers.
	if scans, err = c.st.Scans(ctx, history.Window{}); err != nil {
		return nil, fmt.Errorf("read the scan history: %w", err)
	}
	gen = generation{count: len(scans)}
	for _, s := range scans {
		gen.maxID = max(gen.maxID, s.ID)
	}
	c.current = &snapshot{gen: gen, scans: scans, kpis: k}
	return c.current, nil
}

// latest is the snapshot's most recent scan, or nil.
func (s *snapshot) latest() *history.ScanInfo {
	if len(s.scans) == 0 {
		return nil
	}
	return &s.scans[len(s.scans)-1]
}

// find returns the scan with the id, or nil.
func (s *snapshot) find(id int64) *history.ScanInfo {
	for i := range s.scans {
		if s.scans[i].ID == id {
			return &s.scans[i]
		}
	}
	return nil
}

// previous returns the scan recorded before the one with the id, or nil.
func (s *snapshot) previous(id int64) *history.ScanInfo {
	for i := range s.scans {
		if s.scans[i].ID == id && i > 0 {
			return &s.scans[i-1]
		}
	}
	return nil
}

// view returns the decoded results and detail of a scan.
func (c *cache) view(ctx context.Context, info history.ScanInfo) (*scanView, error) {
	c.viewsMu.Lock()
	e := c.views[info.ID]
	if e == nil {
		e = &viewEntry{}
		c.views[info.ID] = e
		if len(c.order) >= maxViews {
			delete(c.views, c.order[0])
			c.order = c.order[1:]
		}
	} else {
		c.order = slices.DeleteFunc(c.order, func(id int64) bool { return id == info.ID })
	}
	c.order = append(c.order, info.ID)
	c.viewsMu.Unlock()

	e.once.Do(func() { e.view, e.err = c.load(ctx, info) })
	if e.err != nil {
		// Do not keep a failure (a cancelled request, a busy database).
		c.viewsMu.Lock()
		if c.views[info.ID] == e {
			delete(c.views, info.ID)
			c.order = slices.DeleteFunc(c.order, func(id int64) bool { return id == info.ID })
		}
		c.viewsMu.Unlock()
	}
	return e.view, e.err
}

func (c *cache) load(ctx context.Context, info history.ScanInfo) (*scanView, error) {
	results, err := c.st.Results(ctx, info.ID)
	if err != nil {
		return nil, fmt.Errorf("read scan %d: %w", info.ID, err)
	}
	d, err := c.st.Detail(ctx, info.ID)
	if err != nil {
		return nil, fmt.Errorf("read scan %d: %w", info.ID, err)
	}
	return newScanView(info, results, d), nil
}

// scanView is one scan's results and detail, indexed for the pages.
type scanView struct {
	info    history.ScanInfo
	results []row
	// hasDetail is false for scans recorded before the history kept details.
	hasDetail bool
	detail    *history.Detail

	*report.Index                           // the scan's context by lower-case id
	impacts       map[string]*impact.Impact // by lower-case key id
	byRes         map[string][]int          // indexes into results, by resource
	// referenced are the resources the scan's chains and blast radii name
	// (identities, key holders) whether or not a rule judged them.
	referenced map[string]bool
	options    filterOptions
}

// row is one result with what the filters need to know about its resource.
type row struct {
	rules.Result
	Name           string `json:"name"`
	Subscription   string `json:"subscription"`
	Classification string `json:"classification"` // the tag value, or "unclassified"
	Tenant         string `json:"tenant,omitempty"`
}

// filterOptions are the values each filter can take in a scan.
type filterOptions struct {
	Rules, Severities, Statuses, Subscriptions, Classifications, Tenants []string
}

// unclassified is the classification filter value of a resource without a
// classification tag.
const unclassified = "unclassified"

func newScanView(info history.ScanInfo, results []rules.Result, d *history.Detail) *scanView {
	v := &scanView{info: info, hasDetail: d != nil, detail: d,
		impacts: map[string]*impact.Impact{}, byRes: map[string][]int{}, referenced: map[string]bool{}}
	if d == nil {
		v.detail = &history.Detail{}
	}
	v.Index = report.NewIndex(v.detail.Context)
	for _, chains := range v.Chains {
		for _, ch := range chains {
			for _, id := range append([]string{ch.Workload, ch.Identity.ResourceID, ch.Key, ch.Vault}, ch.Via...) {
				if id != "" {
					v.referenced[estate.Lower(id)] = true
				}
			}
		}
	}
	for i := range v.detail.Keys {
		im := &v.detail.Keys[i]
		v.impacts[estate.Lower(cmp.Or(im.KeyID, im.Query))] = im
		for _, h := range im.DiskEncryptionSets {
			v.referenced[estate.Lower(h.ID)] = true
		}
		for _, id := range im.Identities {
			if id.ResourceID != "" {
				v.referenced[estate.Lower(id.ResourceID)] = true
			}
		}
	}
	labels := map[string]history.Label{}
	for _, l := range v.detail.Labels {
		labels[estate.Lower(l.Resource)] = l
	}
	seen := map[string]map[string]bool{"rule": {}, "severity": {}, "status": {}, "sub": {}, "class": {}, "tenant": {}}
	add := func(kind, value string) {
		if value != "" {
			seen[kind][value] = true
		}
	}
	v.results = make([]row, len(results))
	for i, r := range results {
		k := estate.Lower(r.Resource)
		name, sub, _ := splitID(r.Resource)
		if res := v.Resources[k]; res != nil {
			name = cmp.Or(res.Name, name)
			sub = cmp.Or(res.Subscription, sub)
		}
		rw := row{Result: r, Name: name, Subscription: sub}
		if l, ok := labels[k]; ok {
			rw.Classification = cmp.Or(strings.ToLower(l.Classification), unclassified)
			rw.Tenant = strings.ToLower(l.Tenant)
		}
		v.results[i] = rw
		v.byRes[k] = append(v.byRes[k], i)
		add("rule", r.Rule)
		add("severity", r.Severity.String())
		add("status", string(r.Status))
		add("sub", sub)
		add("class", rw.Classification)
		add("tenant", rw.Tenant)
	}
	sorted := func(kind string) []string { return slices.Sorted(maps.Keys(seen[kind])) }
	v.options = filterOptions{Rules: sorted("rule"), Subscriptions: sorted("sub"), Classifications: sorted("class"), Tenants: sorted("tenant")}
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		if seen["severity"][s] {
			v.options.Severities = append(v.options.Severities, s)
		}
	}
	for _, s := range []rules.Status{rules.Fail, rules.Unknown, rules.Waived, rules.Pass} {
		if seen["status"][string(s)] {
			v.options.Statuses = append(v.options.Statuses, string(s))
		}
	}
	return v
}

// resourceOf describes a resource of the scan: from the recorded context, or
// read off its id when the context does not name it.
func (v *scanView) resourceOf(id string) *report.Resource {
	if r := v.Resources[estate.Lower(id)]; r != nil {
		return r
	}
	r := &report.Resource{ID: id}
	r.Name, r.Subscription, r.ResourceGroup = splitID(id)
	if idx := v.byRes[estate.Lower(id)]; len(idx) > 0 {
		r.Type = v.results[idx[0]].ResourceType
	}
	return r
}

// knows reports whether the scan judged or names the resource.
func (v *scanView) knows(id string) bool {
	k := estate.Lower(id)
	return len(v.byRes[k]) > 0 || v.Resources[k] != nil || v.Vaults[k] != nil || v.Keys[k] != nil || v.referenced[k]
}

// label returns the classification and tenant of a resource, if recorded.
func (v *scanView) label(id string) (history.Label, bool) {
	for _, l := range v.detail.Labels {
		if strings.EqualFold(l.Resource, id) {
			return l, true
		}
	}
	return history.Label{}, false
}

// resultsOf returns the results of one resource.
func (v *scanView) resultsOf(id string) []row {
	var out []row
	for _, i := range v.byRes[estate.Lower(id)] {
		out = append(out, v.results[i])
	}
	return out
}

// splitID reads the last name, the subscription and the resource group off
// an ARM id, as written; an id that does not parse gives its last segment.
func splitID(id string) (name, subscription, group string) {
	if p, ok := estate.ParseID(id); ok {
		return p.Name, p.Subscription, p.ResourceGroup
	}
	s := strings.TrimRight(id, "/")
	return s[strings.LastIndexByte(s, '/')+1:], "", ""
}
