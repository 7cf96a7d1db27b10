package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// apiError answers an API request that failed, as {"error": "…"}.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	var u usage
	if errors.As(err, &u) {
		writeJSON(w, r, u.status, map[string]string{"error": u.msg})
		return
	}
	s.fail(w, r, err)
}

// GET /api/v1/scans: every recorded scan, oldest first.
func (s *Server) apiScans(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]scanDoc, 0, len(snap.scans))
	for _, sc := range snap.scans {
		out = append(out, newScanDoc(sc))
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"scans": out})
}

// GET /api/v1/scans/{id}: one scan.
func (s *Server) apiScan(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		s.apiError(w, r, usage{http.StatusBadRequest, "scan " + strconv.Quote(raw) + ": want a scan id"})
		return
	}
	sc := snap.find(id)
	if sc == nil {
		s.apiError(w, r, usage{http.StatusNotFound, "no scan " + raw + " in the history"})
		return
	}
	writeJSON(w, r, http.StatusOK, newScanDoc(*sc))
}

// resultsDoc is a page of filtered results.
type resultsDoc struct {
	Scan    scanDoc       `json:"scan"`
	Filter  filter        `json:"filter"`
	Paging  paging        `json:"paging"`
	Options filterOptions `json:"options"`
	Results []*row        `json:"results"`
}

// GET /api/v1/results?scan=&rule=&severity=&status=&subscription=&classification=&tenant=&q=&page=&per=
func (s *Server) apiResults(w http.ResponseWriter, r *http.Request) {
	_, v, err := s.pick(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	pg, err := parsePaging(r.URL.Query())
	if err != nil {
		s.apiError(w, r, usage{http.StatusBadRequest, err.Error()})
		return
	}
	f := parseFilter(r.URL.Query())
	all := f.apply(v)
	lo, hi := pg.slice(len(all))
	page := all[lo:hi]
	if page == nil {
		page = []*row{}
	}
	writeJSON(w, r, http.StatusOK, resultsDoc{Scan: newScanDoc(v.info), Filter: f, Paging: pg, Options: v.options, Results: page})
}

// GET /api/v1/kpi: the KPIs over the whole history, as `cmkguard kpi --format json`.
func (s *Server) apiKPI(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, snap.kpis)
}

// GET /api/v1/keys[?id=KEY][&scan=]: the keys of a scan, or one key with its
// blast radius.
func (s *Server) apiKeys(w http.ResponseWriter, r *http.Request) {
	_, v, err := s.pick(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	now := s.opt.Now().UTC()
	if id := r.URL.Query().Get("id"); id != "" {
		k := v.Keys[estate.Lower(id)]
		if k == nil {
			s.apiError(w, r, usage{http.StatusNotFound, "scan " + strconv.FormatInt(v.info.ID, 10) + " holds no key " + id})
			return
		}
		writeJSON(w, r, http.StatusOK, s.keyDoc(v, k, now, true))
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"scan": newScanDoc(v.info), "keys": s.keyDocs(v, now)})
}

// resourceSummary is one resource in the resource list.
type resourceSummary struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Type           string         `json:"type"`
	Subscription   string         `json:"subscription"`
	Classification string         `json:"classification,omitempty"`
	Tenant         string         `json:"tenant,omitempty"`
	Results        map[string]int `json:"results"` // by status
}

// GET /api/v1/resources[?id=ID][&scan=]: the resources a scan judged, with
// their results by status; or one resource with its results, evidence
// chains and forecast entries.
func (s *Server) apiResources(w http.ResponseWriter, r *http.Request) {
	snap, v, err := s.pick(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if id := r.URL.Query().Get("id"); id != "" {
		if !v.knows(id) {
			s.apiError(w, r, usage{http.StatusNotFound, "scan " + strconv.FormatInt(v.info.ID, 10) + " judged no resource " + id})
			return
		}
		writeJSON(w, r, http.StatusOK, buildResource(v, snap.kpis, id))
		return
	}
	out := []resourceSummary{}
	seen := map[string]int{}
	for i := range v.results {
		rw := &v.results[i]
		k := estate.Lower(rw.Resource)
		j, ok := seen[k]
		if !ok {
			res := v.resourceOf(rw.Resource)
			j = len(out)
			seen[k] = j
			out = append(out, resourceSummary{ID: rw.Resource, Name: rw.Name, Type: rw.ResourceType, Subscription: rw.Subscription,
				Classification: rw.Classification, Tenant: rw.Tenant, Results: map[string]int{}})
			if res.Type != "" {
				out[j].Type = res.Type
			}
		}
		out[j].Results[string(rw.Status)]++
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"scan": newScanDoc(v.info), "resources": out})
}

// GET /api/v1/calendar[?days=90][&scan=]: key deadlines past and ahead.
func (s *Server) apiCalendar(w http.ResponseWriter, r *http.Request) {
	_, v, err := s.pick(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	days := calendarDays
	if raw := r.URL.Query().Get("days"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 3660 {
			s.apiError(w, r, usage{http.StatusBadRequest, "days " + strconv.Quote(raw) + ": want a whole number from 1 to 3660"})
			return
		}
		days = n
	}
	writeJSON(w, r, http.StatusOK, buildCalendar(v, s.opt.Now().UTC(), days))
}

// GET /api/v1/compare[?from=ID&to=ID]: what changed between two scans.
func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	from, to, err := s.comparePair(r, snap)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	c, err := s.buildComparison(r.Context(), *from, *to)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, c)
}
