package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
)

// errNoScans is shown when the history holds no scan yet.
var errNoScans = errors.New("the history holds no scan yet: record one with cmkguard scan --db … and reload")

// usage is a mistake in the request (a bad parameter, an unknown scan).
type usage struct {
	status int
	msg    string
}

func (u usage) Error() string { return u.msg }

// pick returns the history snapshot and the scan the request names with
// ?scan=ID (the latest when absent).
func (s *Server) pick(r *http.Request) (*snapshot, *scanView, error) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		return nil, nil, err
	}
	info := snap.latest()
	if raw := r.URL.Query().Get("scan"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, nil, usage{http.StatusBadRequest, "scan " + strconv.Quote(raw) + ": want a scan id"}
		}
		if info = snap.find(id); info == nil {
			return nil, nil, usage{http.StatusNotFound, "no scan " + raw + " in the history"}
		}
	}
	if info == nil {
		return snap, nil, usage{http.StatusNotFound, errNoScans.Error()}
	}
	v, err := s.data.view(r.Context(), *info)
	if err != nil {
		return nil, nil, err
	}
	return snap, v, nil
}

// pageError answers a page request that failed: a usage mistake as a page
// with its message, anything else as an internal error.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	var u usage
	if errors.As(err, &u) {
		s.render(w, r, "error", u.status, page{Title: http.StatusText(u.status), Data: u.msg})
		return
	}
	s.fail(w, r, err)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, r, http.StatusNotFound, map[string]string{"error": "no such endpoint"})
		return
	}
	s.render(w, r, "error", http.StatusNotFound, page{Title: "Not found", Data: "There is no page at this address."})
}

func latestAt(snap *snapshot) *page {
	p := &page{}
	if l := snap.latest(); l != nil {
		at := l.At
		p.Latest = &at
	}
	return p
}

// overviewData is the overview page.
type overviewData struct {
	Scan     *history.ScanInfo
	KPIs     *history.KPIs
	Charts   []chart
	Failing  []history.RuleCompliance // rules with failures at the latest scan, most first
	Calendar *calendarDoc
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	k := snap.kpis
	d := overviewData{Scan: snap.latest(), KPIs: k}
	var comp, rot, open, ttr []point
	for _, p := range k.Scans {
		comp = append(comp, point{p.At, p.CompliancePercent})
	}
	for _, p := range k.RotationAdherence {
		rot = append(rot, point{p.At, orNaN(p.Percent)})
	}
	for _, p := range k.Remediation {
		open = append(open, point{p.At, float64(p.Open)})
		ttr = append(ttr, point{p.At, orNaN(p.MedianDays)})
	}
	var months []string
	var blocked []float64
	for _, m := range k.BlockedAttempts {
		months = append(months, m.Month)
		blocked = append(blocked, float64(m.Count))
	}
	d.Charts = []chart{
		lineChart("CMK compliance", "compliance percent per scan", comp, 0, 100, "%"),
		lineChart("Rotation adherence", "rotation adherence percent per scan", rot, 0, 100, "%"),
		lineChart("Open failure episodes", "open failure episodes per scan", open, 0, 1, ""),
		lineChart("Time to remediate (median days)", "median days to remediate per scan", ttr, 0, 1, "d"),
		barChart("Blocked attempts by month", "blocked Key Vault requests per month", months, blocked),
	}
	for _, rc := range k.ComplianceByRule {
		if rc.Fail > 0 {
			d.Failing = append(d.Failing, rc)
		}
	}
	sortByFail(d.Failing)
	if d.Scan != nil {
		v, err := s.data.view(r.Context(), *d.Scan)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		d.Calendar = buildCalendar(v, s.opt.Now().UTC(), calendarDays)
	}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Overview", "overview", d
	s.render(w, r, "overview", http.StatusOK, *p)
}

func sortByFail(rs []history.RuleCompliance) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && (rs[j].Fail > rs[j-1].Fail || (rs[j].Fail == rs[j-1].Fail && rs[j].Rule < rs[j-1].Rule)); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

func orNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// findingsData is the findings page.
type findingsData struct {
	Scan    history.ScanInfo
	Scans   []history.ScanInfo
	Latest  bool
	Filter  filter
	Options filterOptions
	Rows    []*row
	Paging  paging
	Prev    string // links to the neighbouring pages, "" at the ends
	Next    string
	Reset   string
	// ScanLinkID is the scan parameter for links (0 for the latest scan).
	ScanLinkID int64
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	q := r.URL.Query()
	pg, err := parsePaging(q)
	if err != nil {
		s.pageError(w, r, usage{http.StatusBadRequest, err.Error()})
		return
	}
	f := parseFilter(q)
	all := f.apply(v)
	lo, hi := pg.slice(len(all))
	d := findingsData{Scan: v.info, Scans: snap.scans, Latest: v.info.ID == snap.latest().ID, Filter: f, Options: v.options,
		Rows: all[lo:hi], Paging: pg}
	pageLink := func(n int) string {
		qv := f.values()
		if !d.Latest {
			qv.Set("scan", strconv.FormatInt(v.info.ID, 10))
		}
		if n > 1 {
			qv.Set("page", strconv.Itoa(n))
		}
		if pg.PerPage != defaultPerPage {
			qv.Set("per", strconv.Itoa(pg.PerPage))
		}
		if len(qv) == 0 {
			return "/findings"
		}
		return "/findings?" + qv.Encode()
	}
	if pg.Page > 1 {
		d.Prev = pageLink(min(pg.Page-1, pg.Pages))
	}
	if pg.Page < pg.Pages {
		d.Next = pageLink(pg.Page + 1)
	}
	d.ScanLinkID = s.scanLink(snap, v)
	d.Reset = link("/findings", "scan", map[bool]string{true: "", false: strconv.FormatInt(v.info.ID, 10)}[d.Latest])
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Findings", "findings", d
	s.render(w, r, "findings", http.StatusOK, *p)
}

// resourcePage is the resource page.
type resourcePage struct {
	*resourceDoc
	ScanInfo history.ScanInfo
	// ScanLink is the scan parameter for links (0 for the latest scan).
	ScanLink int64
}

func (s *Server) resource(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		s.pageError(w, r, usage{http.StatusBadRequest, "which resource? give its ARM id as ?id="})
		return
	}
	if !v.knows(id) {
		s.pageError(w, r, usage{http.StatusNotFound, "scan " + strconv.FormatInt(v.info.ID, 10) + " judged no resource " + id})
		return
	}
	d := resourcePage{resourceDoc: buildResource(v, snap.kpis, id), ScanInfo: v.info, ScanLink: s.scanLink(snap, v)}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = d.Resource.Name, "findings", d
	s.render(w, r, "resource", http.StatusOK, *p)
}

// scanLink is the scan parameter links on a page keep: none for the latest.
func (s *Server) scanLink(snap *snapshot, v *scanView) int64 {
	if l := snap.latest(); l != nil && l.ID == v.info.ID {
		return 0
	}
	return v.info.ID
}

// keysData is the keys page.
type keysData struct {
	Scan     history.ScanInfo
	ScanLink int64
	Keys     []keyDoc
	Recorded bool
}

func (s *Server) keys(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := keysData{Scan: v.info, ScanLink: s.scanLink(snap, v), Keys: s.keyDocs(v, s.opt.Now().UTC()), Recorded: v.hasDetail}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Keys", "keys", d
	s.render(w, r, "keys", http.StatusOK, *p)
}

// keyPage is the key page.
type keyPage struct {
	keyDoc
	Scan     history.ScanInfo
	ScanLink int64
	Graph    *graph
}

func (s *Server) key(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id := r.URL.Query().Get("id")
	k := v.Keys[estate.Lower(id)]
	if k == nil {
		s.pageError(w, r, usage{http.StatusNotFound, "scan " + strconv.FormatInt(v.info.ID, 10) + " holds no key " + id})
		return
	}
	link := s.scanLink(snap, v)
	d := keyPage{keyDoc: s.keyDoc(v, k, s.opt.Now().UTC(), true), Scan: v.info, ScanLink: link}
	d.Graph = newGraph(d.BlastRadius, link)
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Key "+k.Name, "keys", d
	s.render(w, r, "key", http.StatusOK, *p)
}

// calendarDays is how far ahead the key calendar looks.
const calendarDays = 90

type calendarPage struct {
	*calendarDoc
	ScanLink int64
	Timeline timeline
}

func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c := buildCalendar(v, s.opt.Now().UTC(), calendarDays)
	link := s.scanLink(snap, v)
	d := calendarPage{calendarDoc: c, ScanLink: link, Timeline: newTimeline(c, link)}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Key calendar", "calendar", d
	s.render(w, r, "calendar", http.StatusOK, *p)
}

type scansData struct {
	Scans    []history.ScanInfo // newest first
	From, To int64              // the default comparison
}

func (s *Server) scans(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := scansData{}
	for i := len(snap.scans) - 1; i >= 0; i-- {
		d.Scans = append(d.Scans, snap.scans[i])
	}
	if n := len(snap.scans); n > 0 {
		d.To = snap.scans[n-1].ID
		d.From = d.To
		if n > 1 {
			d.From = snap.scans[n-2].ID
		}
	}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Scans", "scans", d
	s.render(w, r, "scans", http.StatusOK, *p)
}

type comparePage struct {
	*comparisonDoc
	Scans []history.ScanInfo // newest first, for the form
	Names map[string]string  // resource names by id
}

// comparePair reads ?from= and ?to=; by default the latest scan against the
// one before it.
func (s *Server) comparePair(r *http.Request, snap *snapshot) (from, to *history.ScanInfo, err error) {
	to = snap.latest()
	if to == nil {
		return nil, nil, usage{http.StatusNotFound, errNoScans.Error()}
	}
	q := r.URL.Query()
	get := func(name string, def *history.ScanInfo) (*history.ScanInfo, error) {
		raw := q.Get(name)
		if raw == "" {
			return def, nil
		}
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, usage{http.StatusBadRequest, name + " " + strconv.Quote(raw) + ": want a scan id"}
		}
		sc := snap.find(id)
		if sc == nil {
			return nil, usage{http.StatusNotFound, "no scan " + raw + " in the history"}
		}
		return sc, nil
	}
	if to, err = get("to", to); err != nil {
		return nil, nil, err
	}
	def := snap.previous(to.ID)
	if def == nil {
		def = to
	}
	if from, err = get("from", def); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	from, to, err := s.comparePair(r, snap)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := s.buildComparison(r.Context(), *from, *to)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := comparePage{comparisonDoc: c, Names: map[string]string{}}
	for i := len(snap.scans) - 1; i >= 0; i-- {
		d.Scans = append(d.Scans, snap.scans[i])
	}
	p := latestAt(snap)
	p.Title, p.Nav, p.Data = "Compare scans", "scans", d
	s.render(w, r, "compare", http.StatusOK, *p)
}
