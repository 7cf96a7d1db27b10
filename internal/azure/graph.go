package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// notInGraph are relevant types that Resource Graph's resources table does
// not hold; the collector reads them elsewhere: keys, encryption protectors,
// diagnostic settings and event subscriptions from ARM, role assignments and
// definitions from authorizationresources, subscriptions from resourcecontainers.
var notInGraph = map[string]string{
	"microsoft.keyvault/vaults/keys":                      "ARM, per vault",
	"microsoft.keyvault/managedhsms/keys":                 "ARM, per Managed HSM",
	"microsoft.sql/servers/encryptionprotector":           "ARM, per SQL server",
	"microsoft.sql/managedinstances/encryptionprotector":  "ARM, per managed instance",
	"microsoft.insights/diagnosticsettings":               "ARM, per vault",
	"microsoft.eventgrid/systemtopics/eventsubscriptions": "ARM, per Key Vault system topic",
	"microsoft.eventgrid/eventsubscriptions":              "ARM, per vault",
	"microsoft.authorization/roleassignments":             "authorizationresources",
	"microsoft.authorization/roledefinitions":             "authorizationresources",
	"microsoft.resources/subscriptions":                   "resourcecontainers",
}

// GraphTypes returns the lower-case types the inventory asks Resource Graph's
// resources table for: every type a rule reads (estate.RelevantTypes) that
// the table holds.
func GraphTypes() []string {
	var out []string
	for _, t := range estate.RelevantTypes() {
		if _, ok := notInGraph[t]; !ok {
			out = append(out, t)
		}
	}
	return out
}

// graphQuery is one inventory query.
type graphQuery struct {
	name  string // for logs and progress
	data  string // the coverage kind a failure leaves unread
	query string
	// authorization asks for assignments above the scope too (a role given
	// at a management group applies to the vaults below it).
	authorization bool
	// containers marks the query whose rows are subscriptions.
	containers bool
}

func graphQueries() []graphQuery {
	quoted := make([]string, 0, len(GraphTypes()))
	for _, t := range GraphTypes() {
		quoted = append(quoted, "'"+t+"'")
	}
	// Every query projects id: Resource Graph pages with $skipToken only then.
	return []graphQuery{
		{name: "subscriptions", data: DataResources, containers: true,
			query: "resourcecontainers\n| where type =~ 'microsoft.resources/subscriptions'\n" +
				"| project id, name, type, tenantId, subscriptionId, properties\n| order by id asc"},
		{name: "role assignments", data: DataRoles, authorization: true,
			query: "authorizationresources\n| where type in~ ('microsoft.authorization/roleassignments', 'microsoft.authorization/roledefinitions')\n" +
				"| project id, name, type, tenantId, subscriptionId, resourceGroup, properties\n| order by id asc"},
		{name: "resources", data: DataResources,
			query: "resources\n| where type in~ (" + strings.Join(quoted, ", ") + ")\n" +
				"| project id, name, type, kind, location, tenantId, subscriptionId, resourceGroup, managedBy, sku, plan, identity, zones, tags, properties\n" +
				"| order by id asc"},
	}
}

// graphScope is the scope of one query: some subscriptions, some management
// groups, or (both empty) the tenant.
type graphScope struct {
	subs []string
	mgs  []string
}

// ids are the scope ids a failure of the query is recorded against.
func (s graphScope) ids() []string {
	switch {
	case len(s.subs) > 0:
		out := make([]string, len(s.subs))
		for i, id := range s.subs {
			out[i] = "/subscriptions/" + id
		}
		return out
	case len(s.mgs) > 0:
		return []string{mgID(s.mgs[0])}
	}
	return []string{"/"}
}

// graphScopes splits the collection scope into queries: subscriptions in
// batches (Resource Graph advises fewer than 300 a query), one query per
// management group, or one for the tenant.
func (c *collector) graphScopes() []graphScope {
	sc := c.opts.Scope
	var out []graphScope
	switch {
	case len(sc.Subscriptions) > 0:
		var subs []string
		seen := map[string]bool{}
		for _, s := range sc.Subscriptions {
			s = strings.ToLower(strings.TrimSpace(s))
			if !seen[s] {
				seen[s] = true
				subs = append(subs, s)
			}
		}
		for len(subs) > 0 {
			n := min(len(subs), c.opts.SubscriptionBatch)
			out = append(out, graphScope{subs: subs[:n:n]})
			subs = subs[n:]
		}
	case len(sc.ManagementGroups) > 0:
		for _, mg := range sc.ManagementGroups {
			out = append(out, graphScope{mgs: []string{strings.TrimSpace(mg)}})
		}
	default:
		out = append(out, graphScope{})
	}
	return out
}

// graphScoped runs a query over a scope. When a query over several
// subscriptions is refused, it is split until the refusing subscriptions are
// found, so that one subscription never costs the others; what still fails is
// recorded as a coverage gap.
func (c *collector) graphScoped(ctx context.Context, q graphQuery, sc graphScope) {
	err := c.runGraph(ctx, q, sc)
	if err == nil || ctx.Err() != nil {
		return
	}
	status := statusOf(err)
	if len(sc.subs) > 1 && status >= 400 && status < 500 && status != http.StatusTooManyRequests {
		half := len(sc.subs) / 2
		c.log.Debug("resource graph refused a batch; splitting it", "query", q.name, "subscriptions", len(sc.subs), "error", describe(err))
		c.graphScoped(ctx, q, graphScope{subs: sc.subs[:half:half]})
		c.graphScoped(ctx, q, graphScope{subs: sc.subs[half:]})
		return
	}
	for _, id := range sc.ids() {
		c.addGap(gapFor(id, q.data, fmt.Errorf("resource graph %s: %w", q.name, err)))
	}
}

// apiResourceGraph is the Resource Graph api-version (armresourcegraph
// v0.10.0 uses the same).
const apiResourceGraph = "2024-04-01"

// runGraph pages through one query with $skipToken and writes every row.
// The request is armresourcegraph's QueryRequest sent through the same azcore
// pipeline as every call (read-only guard, pacer, bearer token, retries); the
// answer is read as a stream, so that each row is written exactly as
// Resource Graph returned it (no float64 round trip of numbers, no reordered
// members) and a large page is never held as a tree of maps.
func (c *collector) runGraph(ctx context.Context, q graphQuery, sc graphScope) error {
	req := armresourcegraph.QueryRequest{Query: to.Ptr(q.query)}
	for _, s := range sc.subs {
		req.Subscriptions = append(req.Subscriptions, to.Ptr(s))
	}
	for _, m := range sc.mgs {
		req.ManagementGroups = append(req.ManagementGroups, to.Ptr(m))
	}
	var skipToken *string
	for {
		req.Options = &armresourcegraph.QueryRequestOptions{
			Top:          to.Ptr(int32(c.opts.PageSize)),
			ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
			SkipToken:    skipToken,
		}
		if q.authorization {
			req.Options.AuthorizationScopeFilter = to.Ptr(armresourcegraph.AuthorizationScopeFilterAtScopeAboveAndBelow)
		}
		page, err := c.graphPage(ctx, req, func(row jsontext.Value) error { return c.addGraphRow(q, row) })
		if err != nil {
			return err
		}
		c.pages.Add(1)
		c.prog.pages.Add(1)
		if page.skipToken == "" {
			if strings.EqualFold(page.truncated, "true") {
				for _, id := range sc.ids() {
					c.addGap(Gap{Scope: id, Data: q.data, Error: "resource graph " + q.name + ": the result was truncated (resultTruncated true, no $skipToken)"})
				}
			}
			return nil
		}
		skipToken = to.Ptr(page.skipToken)
	}
}

// graphAnswer is what runGraph needs of a QueryResponse besides its rows.
type graphAnswer struct {
	skipToken string
	truncated string // resultTruncated: the string "true" or "false"
}

// graphPage sends one query and hands each row of its data array over.
func (c *collector) graphPage(ctx context.Context, body armresourcegraph.QueryRequest, each func(jsontext.Value) error) (graphAnswer, error) {
	var ans graphAnswer
	req, err := runtime.NewRequest(ctx, http.MethodPost, runtime.JoinPaths(c.endpoint, "/providers/Microsoft.ResourceGraph/resources"))
	if err != nil {
		return ans, fmt.Errorf("build request: %w", err)
	}
	qp := req.Raw().URL.Query()
	qp.Set("api-version", apiResourceGraph)
	req.Raw().URL.RawQuery = qp.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	if err := runtime.MarshalAsJSON(req, body); err != nil {
		return ans, fmt.Errorf("encode query: %w", err)
	}
	resp, err := c.arm.Pipeline().Do(req)
	if err != nil {
		return ans, err
	}
	if resp.StatusCode != http.StatusOK {
		return ans, newCallError(resp)
	}
	payload, err := runtime.Payload(resp)
	if err != nil {
		return ans, fmt.Errorf("read answer: %w", err)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(payload))
	bad := func(err error) (graphAnswer, error) {
		return ans, fmt.Errorf("resource graph answer at byte %d: %w", dec.InputOffset(), err)
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return bad(errors.Join(errors.New("not a JSON object"), err))
	}
	sawData := false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return bad(err)
		}
		name := tok.String() // the token is valid only until the next read
		switch name {
		case "data":
			if dec.PeekKind() != '[' {
				return bad(errors.New("data is not an array (resultFormat objectArray was asked for)"))
			}
			sawData = true
			if _, err := dec.ReadToken(); err != nil {
				return bad(err)
			}
			for dec.PeekKind() != ']' {
				row, err := dec.ReadValue()
				if err != nil {
					return bad(err)
				}
				if row.Kind() != '{' {
					continue
				}
				if err := each(row); err != nil {
					return ans, err
				}
			}
			if _, err := dec.ReadToken(); err != nil {
				return bad(err)
			}
		case "$skipToken", "resultTruncated":
			v, err := dec.ReadToken()
			if err != nil {
				return bad(err)
			}
			if v.Kind() == '"' {
				if name == "$skipToken" {
					ans.skipToken = v.String()
				} else {
					ans.truncated = v.String()
				}
			}
		default:
			if err := dec.SkipValue(); err != nil {
				return bad(err)
			}
		}
	}
	if !sawData {
		return bad(errors.New("no data array"))
	}
	return ans, nil
}

// graphRow is what the collector reads of a row.
type graphRow struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Properties struct {
		TopicType string `json:"topicType"`
	} `json:"properties"`
}

// addGraphRow writes a row and queues the ARM reads it calls for.
func (c *collector) addGraphRow(q graphQuery, raw jsontext.Value) error {
	var row graphRow
	if err := jsonv2.Unmarshal(raw, &row, jsonv2.MatchCaseInsensitiveNames(true), jsonv2.RejectUnknownMembers(false)); err != nil {
		return fmt.Errorf("resource graph row: %w", err)
	}
	if row.ID == "" {
		return nil
	}
	isNew, err := c.out.add(row.ID, raw, false)
	if err != nil || !isNew {
		return err
	}
	c.prog.rows.Add(1)
	id := row.ID
	if q.containers {
		c.noteSubscription(id)
		return nil
	}
	switch strings.ToLower(row.Type) {
	case "microsoft.keyvault/vaults":
		c.queueVault(id, false)
	case "microsoft.keyvault/managedhsms":
		c.queueVault(id, true)
	case "microsoft.eventgrid/systemtopics":
		if strings.EqualFold(row.Properties.TopicType, "Microsoft.KeyVault.vaults") {
			c.queue.add(func(ctx context.Context) { c.topicEventSubs(ctx, id) })
		}
	case "microsoft.sql/servers", "microsoft.sql/managedinstances":
		c.queue.add(func(ctx context.Context) { c.protector(ctx, id) })
	case "microsoft.web/sites", "microsoft.web/sites/slots":
		c.queue.add(func(ctx context.Context) { c.appSettingRefs(ctx, id) })
	}
	return nil
}
