package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

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

// runGraph pages through one query with $skipToken and writes every row.
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
		resp, err := c.graph.Resources(ctx, req, nil)
		if err != nil {
			return err
		}
		c.pages.Add(1)
		c.prog.pages.Add(1)
		rows, ok := resp.Data.([]any)
		if !ok && resp.Data != nil {
			return errors.New("resource graph answered in table format although objectArray was asked for")
		}
		for _, r := range rows {
			row, ok := r.(map[string]any)
			if !ok {
				continue
			}
			if err := c.addGraphRow(q, row); err != nil {
				return err
			}
		}
		next := resp.SkipToken
		if next == nil || *next == "" {
			if resp.ResultTruncated != nil && *resp.ResultTruncated == armresourcegraph.ResultTruncatedTrue {
				for _, id := range sc.ids() {
					c.addGap(Gap{Scope: id, Data: q.data, Error: "resource graph " + q.name + ": the result was truncated (resultTruncated true, no $skipToken)"})
				}
			}
			return nil
		}
		skipToken = next
	}
}

// addGraphRow writes a row and queues the ARM reads it calls for.
func (c *collector) addGraphRow(q graphQuery, row map[string]any) error {
	id, _ := row["id"].(string)
	if id == "" {
		return nil
	}
	raw, err := json.Marshal(row) // compact: one line
	if err != nil {
		return fmt.Errorf("encode resource graph row %s: %w", id, err)
	}
	isNew, err := c.out.add(id, raw, true)
	if err != nil || !isNew {
		return err
	}
	c.prog.rows.Add(1)
	if q.containers {
		c.noteSubscription(id)
		return nil
	}
	typ := strings.ToLower(str(row["type"]))
	switch typ {
	case "microsoft.keyvault/vaults":
		c.queueVault(id, false)
	case "microsoft.keyvault/managedhsms":
		c.queueVault(id, true)
	case "microsoft.eventgrid/systemtopics":
		props, _ := row["properties"].(map[string]any)
		if strings.EqualFold(field(props, "topicType"), "Microsoft.KeyVault.vaults") {
			c.queue.add(func(ctx context.Context) { c.topicEventSubs(ctx, id) })
		}
	case "microsoft.sql/servers", "microsoft.sql/managedinstances":
		c.queue.add(func(ctx context.Context) { c.protector(ctx, id) })
	case "microsoft.web/sites", "microsoft.web/sites/slots":
		c.queue.add(func(ctx context.Context) { c.appSettingRefs(ctx, id) })
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// field returns a string member of a JSON object, its name matched
// case-insensitively as ARM matches property names.
func field(m map[string]any, name string) string {
	if v, ok := m[name]; ok {
		return str(v)
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return str(v)
		}
	}
	return ""
}
