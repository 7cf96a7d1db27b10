// Package azuretest is a fake Azure for tests: Resource Graph and the ARM
// reads cmkguard's collector makes, speaking their wire formats (Resource
// Graph's string resultTruncated, $skipToken paging and per-user quota
// headers; ARM's {"value", "nextLink"} lists, error envelopes and remaining-
// reads header), over HTTPS. It fails the test on any request that could
// return a secret value, key material, a key export or backup, or app-setting
// values, and counts what it served so that tests can prove nothing was lost,
// nothing duplicated and no quota overdrawn.
package azuretest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Clock is the time source the fake's quota windows and rate buckets use.
type Clock interface{ Now() time.Time }

// Server is a fake Azure Resource Manager and Resource Graph endpoint.
// Set its fields before the first request.
type Server struct {
	*httptest.Server
	Estate *Estate
	Clock  Clock
	// Token is the bearer token every request must carry; "" accepts any.
	Token string
	// Quota and Window shape Resource Graph's per-user quota (default 15
	// requests per 5 seconds, the documented example).
	Quota  int
	Window time.Duration
	// ARMBurst and ARMRate shape each subscription's ARM read bucket
	// (default 250 and 25 a second).
	ARMBurst, ARMRate float64
	// KeyPageSize is the page size of key lists, small so that nextLink is
	// followed (default 2).
	KeyPageSize int
	// Forbidden subscriptions answer every ARM call under them with 403.
	Forbidden map[string]bool
	// GraphForbidden subscriptions make a Resource Graph query that names
	// them answer 403.
	GraphForbidden map[string]bool
	// Inject returns a status (429 or 503) to answer the nth request (1-based)
	// of a lane ("graph" or "arm") with instead of serving it; 0 serves it.
	Inject func(lane string, n int) int
	// Violation is called for every forbidden request (tests pass t.Errorf).
	Violation func(format string, args ...any)

	mu          sync.Mutex
	stats       Stats
	windowStart time.Time
	windowCount int
	buckets     map[string]*armBucket
	results     map[uint64]queryResult // query and scope → rows, so that paging does not re-run the query
}

type queryResult struct {
	rows    []map[string]any
	columns []string
	encoded []json.RawMessage // each row projected and encoded once
}

type armBucket struct {
	tokens float64
	last   time.Time
}

// Stats is what the fake saw.
type Stats struct {
	GraphRequests  int
	ARMRequests    int
	GraphPages     int            // Resource Graph pages served with 200
	GraphThrottled int            // 429s for an overdrawn quota (not injected)
	ARMThrottled   int            // 429s for an empty ARM bucket (not injected)
	Injected       int            // injected 429s and 503s
	MaxInWindow    int            // most Resource Graph requests in one quota window
	Violations     []string       // forbidden requests
	RowsServed     map[string]int // resources-table row id (lower-case) → times served
	Paths          map[string]int // ARM path kind → requests
}

// NewServer starts a fake over TLS serving e. Use srv.Client() as the
// collector's transport, or trust srv.Certificate().
func NewServer(e *Estate, clock Clock) *Server {
	s := &Server{Estate: e, Clock: clock, Quota: 15, Window: 5 * time.Second, ARMBurst: 250, ARMRate: 25, KeyPageSize: 2,
		buckets: map[string]*armBucket{}, results: map[uint64]queryResult{}}
	s.stats.RowsServed = map[string]int{}
	s.stats.Paths = map[string]int{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Clients that go away mid-handshake when the test ends are not news.
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Server.StartTLS()
	return s
}

// Stats returns a copy of what the fake saw.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Violations = slices.Clone(s.stats.Violations)
	out.RowsServed = make(map[string]int, len(s.stats.RowsServed))
	for k, v := range s.stats.RowsServed {
		out.RowsServed[k] = v
	}
	out.Paths = map[string]int{}
	for k, v := range s.stats.Paths {
		out.Paths[k] = v
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if why := Forbidden(r.Method, r.URL.Path); why != "" {
		s.mu.Lock()
		s.stats.Violations = append(s.stats.Violations, why)
		s.mu.Unlock()
		if s.Violation != nil {
			s.Violation("forbidden request reached the fake Azure: %s", why)
		}
		writeError(w, http.StatusBadRequest, "ForbiddenByTest", why)
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") || (s.Token != "" && auth != "Bearer "+s.Token) || len(auth) <= len("Bearer ") {
		writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
		return
	}
	if r.Method == http.MethodPost {
		s.serveGraph(w, r)
		return
	}
	s.serveARM(w, r)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// hhmmss formats a duration as Resource Graph does (whole seconds, truncated).
func hhmmss(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

// graphRequest is Resource Graph's QueryRequest.
type graphRequest struct {
	Query            string   `json:"query"`
	Subscriptions    []string `json:"subscriptions"`
	ManagementGroups []string `json:"managementGroups"`
	Options          struct {
		Top                      *int   `json:"$top"`
		Skip                     *int   `json:"$skip"`
		SkipToken                string `json:"$skipToken"`
		ResultFormat             string `json:"resultFormat"`
		AuthorizationScopeFilter string `json:"authorizationScopeFilter"`
	} `json:"options"`
}

var (
	reTypeIn  = regexp.MustCompile(`(?i)\btype\s+in~\s*\(([^)]*)\)`)
	reTypeEq  = regexp.MustCompile(`(?i)\btype\s*=~\s*'([^']*)'`)
	reQuoted  = regexp.MustCompile(`'([^']*)'`)
	reProject = regexp.MustCompile(`(?i)\|\s*project\s+([^|]*)`)
)

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.GraphRequests++
	n := s.stats.GraphRequests
	now := s.Clock.Now()
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(s.Window)) {
		s.windowStart, s.windowCount = now, 0
	}
	s.windowCount++
	s.stats.MaxInWindow = max(s.stats.MaxInWindow, s.windowCount)
	remaining := max(s.Quota-s.windowCount, 0)
	resets := s.windowStart.Add(s.Window).Sub(now)
	over := s.windowCount > s.Quota
	if over {
		s.stats.GraphThrottled++
	}
	inject := 0
	if !over && s.Inject != nil {
		inject = s.Inject("graph", n)
		if inject != 0 {
			s.stats.Injected++
		}
	}
	s.mu.Unlock()

	w.Header().Set("x-ms-user-quota-remaining", strconv.Itoa(remaining))
	w.Header().Set("x-ms-user-quota-resets-after", hhmmss(resets))
	switch {
	case over || inject == http.StatusTooManyRequests:
		if inject != 0 {
			// An injected throttle says only when the quota resets, as Resource Graph does.
			w.Header().Set("x-ms-user-quota-remaining", "0")
			w.Header().Set("x-ms-user-quota-resets-after", "00:00:01")
		}
		writeJSONStatus(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{
			"code": "RateLimiting", "message": "Please provide below info when asking for support: timestamp = " + now.UTC().Format(time.RFC3339) + ".",
			"details": []any{map[string]any{"code": "RateLimiting", "message": "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed."}}}})
		return
	case inject != 0:
		w.Header().Set("Retry-After", "1")
		writeError(w, inject, "ServiceUnavailable", "The service is temporarily unavailable.")
		return
	}
	if v := r.URL.Query().Get("api-version"); v != "2024-04-01" {
		writeError(w, http.StatusBadRequest, "InvalidApiVersionParameter", "The api-version '"+v+"' is invalid for Resource Graph in this fake.")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	var q graphRequest
	if err := json.Unmarshal(body, &q); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "request body: "+err.Error())
		return
	}
	top := 1000
	if q.Options.Top != nil {
		top = *q.Options.Top
	}
	if top < 1 || top > 1000 {
		writeError(w, http.StatusBadRequest, "BadRequest", "$top must be between 1 and 1000")
		return
	}
	if q.Options.ResultFormat != "objectArray" {
		writeError(w, http.StatusBadRequest, "BadRequest", "this fake serves resultFormat objectArray only; got "+strconv.Quote(q.Options.ResultFormat))
		return
	}
	for _, sub := range q.Subscriptions {
		if s.GraphForbidden[strings.ToLower(sub)] {
			writeError(w, http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '/subscriptions/"+sub+"'.")
			return
		}
	}
	key := tokenKey(q)
	s.mu.Lock()
	res, cached := s.results[key]
	s.mu.Unlock()
	if !cached {
		rows, columns, err := s.query(q)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		res = queryResult{rows: rows, columns: columns, encoded: make([]json.RawMessage, len(rows))}
		for i, row := range rows {
			if res.encoded[i], err = json.Marshal(project(row, columns)); err != nil {
				writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
				return
			}
		}
		s.mu.Lock()
		s.results[key] = res
		s.mu.Unlock()
	}
	rows, columns := res.rows, res.columns
	pageable := columns == nil || slices.Contains(columns, "id")
	offset := 0
	if q.Options.SkipToken != "" {
		offset, err = parseSkipToken(q.Options.SkipToken, key)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "invalid $skipToken: "+err.Error())
			return
		}
	} else if q.Options.Skip != nil {
		offset = *q.Options.Skip
	}
	offset = min(offset, len(rows))
	end := min(offset+top, len(rows))
	page := rows[offset:end]
	resp := map[string]any{"totalRecords": len(rows), "count": len(page), "resultTruncated": "false", "facets": []any{}}
	if end < len(rows) {
		if pageable {
			resp["$skipToken"] = makeSkipToken(end, key)
		} else {
			resp["resultTruncated"] = "true"
		}
	}
	s.mu.Lock()
	s.stats.GraphPages++
	for _, row := range page {
		if tableOf(q.Query) == "resources" {
			s.stats.RowsServed[strings.ToLower(str(row["id"]))]++
		}
	}
	s.mu.Unlock()
	resp["data"] = res.encoded[offset:end]
	writeJSON(w, resp)
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func tableOf(query string) string {
	f := strings.Fields(query)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[0])
}

// query runs the small subset of KQL the collector sends: a table, a type
// filter (type in~ (...) or type =~ '...'), a projection, order by id.
func (s *Server) query(q graphRequest) ([]map[string]any, []string, error) {
	var table []map[string]any
	switch tableOf(q.Query) {
	case "resources":
		table = s.Estate.Resources
	case "resourcecontainers":
		table = s.Estate.Containers
	case "authorizationresources":
		table = s.Estate.Authorization
	default:
		return nil, nil, fmt.Errorf("this fake does not know the table of %q", q.Query)
	}
	types := map[string]bool{}
	if m := reTypeIn.FindStringSubmatch(q.Query); m != nil {
		for _, t := range reQuoted.FindAllStringSubmatch(m[1], -1) {
			types[strings.ToLower(t[1])] = true
		}
	} else if m := reTypeEq.FindStringSubmatch(q.Query); m != nil {
		types[strings.ToLower(m[1])] = true
	} else {
		return nil, nil, fmt.Errorf("this fake needs a type filter in %q", q.Query)
	}
	var columns []string
	if m := reProject.FindStringSubmatch(q.Query); m != nil {
		for _, c := range strings.Split(m[1], ",") {
			columns = append(columns, strings.TrimSpace(c))
		}
	}
	subs := map[string]bool{}
	for _, sub := range q.Subscriptions {
		subs[strings.ToLower(sub)] = true
	}
	for _, mg := range q.ManagementGroups {
		members, ok := s.Estate.ManagementGroups[strings.ToLower(mg)]
		if !ok {
			return nil, nil, fmt.Errorf("management group %q not found", mg)
		}
		for _, sub := range members {
			subs[strings.ToLower(sub)] = true
		}
	}
	scoped := len(q.Subscriptions) > 0 || len(q.ManagementGroups) > 0
	above := strings.EqualFold(q.Options.AuthorizationScopeFilter, "AtScopeAboveAndBelow") || strings.EqualFold(q.Options.AuthorizationScopeFilter, "AtScopeAndAbove")
	var out []map[string]any
	for _, row := range table {
		if !types[strings.ToLower(str(row["type"]))] {
			continue
		}
		if scoped {
			sub := strings.ToLower(str(row["subscriptionId"]))
			if !(subs[sub] || (sub == "" && above)) {
				continue
			}
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(str(a["id"]), str(b["id"])) })
	return out, columns, nil
}

func project(row map[string]any, columns []string) map[string]any {
	if columns == nil {
		return row
	}
	out := make(map[string]any, len(columns))
	for _, c := range columns {
		out[c] = row[c] // a column the row lacks is projected as null, as Resource Graph does
	}
	return out
}

func tokenKey(q graphRequest) uint64 {
	h := fnv.New64a()
	h.Write([]byte(q.Query))
	for _, s := range q.Subscriptions {
		h.Write([]byte("|s" + strings.ToLower(s)))
	}
	for _, m := range q.ManagementGroups {
		h.Write([]byte("|m" + strings.ToLower(m)))
	}
	return h.Sum64()
}

func makeSkipToken(offset int, key uint64) string {
	b, _ := json.Marshal(map[string]any{"$skip": offset, "$queryHash": strconv.FormatUint(key, 16)})
	return base64.StdEncoding.EncodeToString(b)
}

func parseSkipToken(tok string, key uint64) (int, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	var t struct {
		Skip int    `json:"$skip"`
		Hash string `json:"$queryHash"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, err
	}
	if t.Hash != strconv.FormatUint(key, 16) {
		return 0, fmt.Errorf("the token belongs to another query or scope")
	}
	return t.Skip, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// ARM routes: each with the api-version it requires.
var armRoutes = []struct {
	kind, api string
	re        *regexp.Regexp
}{
	{"keys", "2026-02-01", regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.keyvault/(?:vaults|managedhsms)/[^/]+)/keys$`)},
	{"key", "2026-02-01", regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.keyvault/(?:vaults|managedhsms)/[^/]+)/keys/([^/]+)$`)},
	{"diagnosticSettings", "2021-05-01-preview", regexp.MustCompile(`^(/subscriptions/.+)/providers/microsoft\.insights/diagnosticsettings$`)},
	{"resourceEventSubscriptions", "2025-02-15", regexp.MustCompile(`^(/subscriptions/.+)/providers/microsoft\.eventgrid/eventsubscriptions$`)},
	{"topicEventSubscriptions", "2025-02-15", regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.eventgrid/systemtopics/[^/]+)/eventsubscriptions$`)},
	{"encryptionProtector", "2023-08-01", regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.sql/(?:servers|managedinstances)/[^/]+)/encryptionprotector/current$`)},
	{"appSettingsReferences", "2024-11-01", regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.web/sites/[^/]+(?:/slots/[^/]+)?)/config/configreferences/appsettings$`)},
}

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	path := strings.ToLower(strings.TrimRight(r.URL.Path, "/"))
	sub := ""
	if seg := strings.Split(strings.Trim(path, "/"), "/"); len(seg) > 1 && seg[0] == "subscriptions" {
		sub = seg[1]
	}
	s.mu.Lock()
	s.stats.ARMRequests++
	n := s.stats.ARMRequests
	now := s.Clock.Now()
	b := s.buckets[sub]
	if b == nil {
		b = &armBucket{tokens: s.ARMBurst, last: now}
		s.buckets[sub] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(s.ARMBurst, b.tokens+el*s.ARMRate)
		b.last = now
	}
	throttled := b.tokens < 1
	if throttled {
		s.stats.ARMThrottled++
	} else {
		b.tokens--
	}
	remaining := int(b.tokens)
	inject := 0
	if !throttled && s.Inject != nil {
		if inject = s.Inject("arm", n); inject != 0 {
			s.stats.Injected++
		}
	}
	s.mu.Unlock()

	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(remaining))
	switch {
	case throttled:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(1/s.ARMRate))))
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read.")
		return
	case inject == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "2")
		writeError(w, inject, "TooManyRequests", "The request is being throttled.")
		return
	case inject != 0:
		w.Header().Set("Retry-After", "1")
		writeError(w, inject, "ServiceUnavailable", "The service is temporarily unavailable.")
		return
	}
	if s.Forbidden[sub] {
		writeError(w, http.StatusForbidden, "AuthorizationFailed",
			"The client '00000000-0000-0000-0000-00000000c0de' does not have authorization to perform action over scope '"+r.URL.Path+"' or the scope is invalid.")
		return
	}
	for _, rt := range armRoutes {
		m := rt.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		s.mu.Lock()
		s.stats.Paths[rt.kind]++
		s.mu.Unlock()
		if v := r.URL.Query().Get("api-version"); v != rt.api {
			writeError(w, http.StatusBadRequest, "InvalidApiVersionParameter", "The api-version '"+v+"' is invalid. This fake serves "+rt.kind+" at "+rt.api+".")
			return
		}
		s.route(w, r, rt.kind, m)
		return
	}
	writeError(w, http.StatusNotFound, "ResourceNotFound", "The fake has no route for "+r.URL.Path)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, kind string, m []string) {
	e := s.Estate
	parent := m[1]
	if !e.has(parent) {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The Resource '"+parent+"' was not found.")
		return
	}
	switch kind {
	case "keys":
		keys := e.Keys[parent]
		size := max(s.KeyPageSize, 1)
		skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
		skip = min(max(skip, 0), len(keys))
		end := min(skip+size, len(keys))
		value := make([]any, 0, end-skip)
		for _, k := range keys[skip:end] {
			value = append(value, listRow(k))
		}
		resp := map[string]any{"value": value}
		if end < len(keys) {
			q := r.URL.Query()
			q.Set("$skiptoken", strconv.Itoa(end))
			resp["nextLink"] = s.URL + r.URL.Path + "?" + q.Encode()
		}
		writeJSON(w, resp)
	case "key":
		for _, k := range e.Keys[parent] {
			if strings.EqualFold(str(k["name"]), m[2]) {
				writeJSON(w, k)
				return
			}
		}
		writeError(w, http.StatusNotFound, "KeyNotFound", "A key with (name/id) "+m[2]+" was not found in this key vault.")
	case "diagnosticSettings":
		writeJSON(w, map[string]any{"value": orEmpty(e.Diagnostics[parent])})
	case "resourceEventSubscriptions":
		writeJSON(w, map[string]any{"value": orEmpty(e.ResourceEvents[parent])})
	case "topicEventSubscriptions":
		writeJSON(w, map[string]any{"value": orEmpty(e.TopicEventSubs[parent]), "nextLink": nil})
	case "encryptionProtector":
		if p, ok := e.Protectors[parent]; ok {
			writeJSON(w, p)
			return
		}
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The encryption protector of "+parent+" was not found.")
	case "appSettingsReferences":
		writeJSON(w, map[string]any{"value": orEmpty(e.AppSettingRefs[parent])})
	}
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

// listRow is a key as ARM's list returns it: attributes and keyUri only.
func listRow(k map[string]any) map[string]any {
	props, _ := k["properties"].(map[string]any)
	return map[string]any{"id": k["id"], "name": k["name"], "type": k["type"], "location": k["location"], "tags": map[string]any{},
		"properties": map[string]any{"attributes": props["attributes"], "keyUri": props["keyUri"]}}
}
