package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// filter is what the findings table and /api/v1/results select: each field
// empty or one value, compared case-insensitively.
type filter struct {
	Rule           string `json:"rule,omitempty"`
	Severity       string `json:"severity,omitempty"`
	Status         string `json:"status,omitempty"`
	Subscription   string `json:"subscription,omitempty"`
	Classification string `json:"classification,omitempty"`
	Tenant         string `json:"tenant,omitempty"`
	// Resource keeps the results whose resource id contains it.
	Resource string `json:"resource,omitempty"`
}

func parseFilter(q url.Values) filter {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return filter{Rule: get("rule"), Severity: get("severity"), Status: get("status"), Subscription: get("subscription"),
		Classification: get("classification"), Tenant: get("tenant"), Resource: get("q")}
}

// values are the filter's query parameters.
func (f filter) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"rule": f.Rule, "severity": f.Severity, "status": f.Status, "subscription": f.Subscription,
		"classification": f.Classification, "tenant": f.Tenant, "q": f.Resource} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func (f filter) keep(r *row) bool {
	match := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	return match(f.Rule, r.Rule) && match(f.Severity, r.Severity.String()) && match(f.Status, string(r.Status)) &&
		match(f.Subscription, r.Subscription) && match(f.Classification, r.Classification) && match(f.Tenant, r.Tenant) &&
		(f.Resource == "" || strings.Contains(strings.ToLower(r.Resource), strings.ToLower(f.Resource)))
}

// apply returns the scan's results the filter keeps, in the order recorded,
// failures first.
func (f filter) apply(v *scanView) []*row {
	var out []*row
	for _, status := range []string{"fail", "unknown", "waived", "pass"} {
		for i := range v.results {
			r := &v.results[i]
			if string(r.Status) == status && f.keep(r) {
				out = append(out, r)
			}
		}
	}
	// Statuses the schema does not know yet still show, last.
	for i := range v.results {
		r := &v.results[i]
		switch r.Status {
		case "fail", "unknown", "waived", "pass":
		default:
			if f.keep(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// paging is one page of a list.
type paging struct {
	Page    int `json:"page"`    // 1-based
	PerPage int `json:"perPage"` // rows a page
	Total   int `json:"total"`   // rows in the whole list
	Pages   int `json:"pages"`
}

const (
	defaultPerPage = 50
	maxPerPage     = 500
)

// parsePaging reads page and per; bad values are a usage error.
func parsePaging(q url.Values) (paging, error) {
	p := paging{Page: 1, PerPage: defaultPerPage}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("page %q: want a whole number from 1", v)
		}
		p.Page = n
	}
	if v := q.Get("per"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, fmt.Errorf("per %q: want a whole number from 1 to %d", v, maxPerPage)
		}
		p.PerPage = n
	}
	return p, nil
}

// slice returns the part of a list of n rows this page shows, as bounds.
func (p *paging) slice(n int) (lo, hi int) {
	p.Total = n
	p.Pages = max(1, (n+p.PerPage-1)/p.PerPage)
	lo = min(n, (p.Page-1)*p.PerPage)
	hi = min(n, lo+p.PerPage)
	return lo, hi
}
