package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// armURL builds the URL of an ARM path (a resource id plus a suffix), each
// segment escaped, with its api-version.
func (c *collector) armURL(id, suffix, apiVersion string) string {
	seg := strings.Split(strings.Trim(id+suffix, "/"), "/")
	for i, s := range seg {
		seg[i] = url.PathEscape(s)
	}
	return c.endpoint + "/" + strings.Join(seg, "/") + "?api-version=" + url.QueryEscape(apiVersion)
}

// get sends one GET through the pipeline and returns the body of a 200.
func (c *collector) get(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, rawURL)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.arm.Pipeline().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newCallError(resp)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	return body, nil
}

// list follows an ARM list ({"value": [...], "nextLink": ...}) to its end and
// hands each item over. nextLink is followed verbatim, but only to the
// endpoint's own host: the bearer token goes nowhere else.
func (c *collector) list(ctx context.Context, rawURL string, each func(json.RawMessage) error) error {
	base, err := url.Parse(c.endpoint)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	for rawURL != "" {
		body, err := c.get(ctx, rawURL)
		if err != nil {
			return err
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("decode list answer: %w", err)
		}
		for _, item := range page.Value {
			if err := each(item); err != nil {
				return err
			}
		}
		rawURL = page.NextLink
		if rawURL != "" {
			next, err := url.Parse(rawURL)
			if err != nil || !strings.EqualFold(next.Host, base.Host) || next.Scheme != base.Scheme {
				return fmt.Errorf("nextLink %q leaves %s; not followed", truncate(rawURL, 120), base.Host)
			}
		}
	}
	return nil
}

// armItem is what the collector reads of an ARM object.
type armItem struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// write adds an ARM object to the snapshot.
func (c *collector) write(raw json.RawMessage) (armItem, error) {
	var it armItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return it, fmt.Errorf("decode ARM object: %w", err)
	}
	if it.ID == "" {
		return it, fmt.Errorf("ARM object without id")
	}
	_, err := c.out.add(it.ID, raw, false)
	return it, err
}

// queueVault queues the reads of a Key Vault or Managed HSM: its keys, its
// diagnostic settings, and (Key Vault only) the Event Grid subscriptions on it.
func (c *collector) queueVault(id string, hsm bool) {
	c.prog.vaultsTotal.Add(1)
	c.queue.add(func(ctx context.Context) {
		defer c.prog.vaultsDone.Add(1)
		c.keys(ctx, id)
	})
	c.queue.add(func(ctx context.Context) { c.diagnostics(ctx, id) })
	if !hsm {
		c.queue.add(func(ctx context.Context) { c.vaultEventSubs(ctx, id) })
	}
}

// keys lists a vault's keys, then GETs each: the list rows carry only
// attributes and keyUri, the GET adds kty, size, curve and rotation policy.
// Nothing here reads key material: ARM never returns it.
func (c *collector) keys(ctx context.Context, vaultID string) {
	var rows []json.RawMessage
	err := c.list(ctx, c.armURL(vaultID, "/keys", apiKeyVault), func(item json.RawMessage) error {
		rows = append(rows, item)
		return nil
	})
	if err != nil {
		c.addGap(gapFor(vaultID, DataKeys, fmt.Errorf("list keys: %w", err)))
		return
	}
	for _, row := range rows {
		var it armItem
		if err := json.Unmarshal(row, &it); err != nil || it.ID == "" {
			c.addGap(gapFor(vaultID, DataKeys, fmt.Errorf("list keys: an item without id")))
			continue
		}
		name := it.Name
		if name == "" {
			name = it.ID[strings.LastIndexByte(it.ID, '/')+1:]
		}
		full, err := c.get(ctx, c.armURL(vaultID, "/keys/"+name, apiKeyVault))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// Keep the list row: the key exists, only its details are unknown.
			c.addGap(gapFor(it.ID, DataKeys, fmt.Errorf("get key: %w", err)))
			full = row
		}
		if _, err := c.write(full); err != nil {
			c.addGap(gapFor(it.ID, DataKeys, err))
		}
	}
}

// diagnostics reads the diagnostic settings of a vault (not paged).
func (c *collector) diagnostics(ctx context.Context, vaultID string) {
	c.listInto(ctx, vaultID, DataDiagnostics, c.armURL(vaultID, "/providers/Microsoft.Insights/diagnosticSettings", apiInsights))
}

// vaultEventSubs reads the Event Grid subscriptions scoped to a vault.
func (c *collector) vaultEventSubs(ctx context.Context, vaultID string) {
	c.listInto(ctx, vaultID, DataEventSubs, c.armURL(vaultID, "/providers/Microsoft.EventGrid/eventSubscriptions", apiEventGrid))
}

// topicEventSubs reads the event subscriptions of a Key Vault system topic.
func (c *collector) topicEventSubs(ctx context.Context, topicID string) {
	c.listInto(ctx, topicID, DataEventSubs, c.armURL(topicID, "/eventSubscriptions", apiEventGrid))
}

// appSettingRefs reads the Key Vault reference status of a web app's app
// settings: reference, status, vault and secret names — never the values.
func (c *collector) appSettingRefs(ctx context.Context, siteID string) {
	c.listInto(ctx, siteID, DataAppSettingRefs, c.armURL(siteID, "/config/configreferences/appsettings", apiWeb))
}

// protector reads the TDE encryption protector of a SQL server or managed instance.
func (c *collector) protector(ctx context.Context, serverID string) {
	body, err := c.get(ctx, c.armURL(serverID, "/encryptionProtector/current", apiSQL))
	if err == nil {
		_, err = c.write(body)
	}
	if err != nil && ctx.Err() == nil {
		c.addGap(gapFor(serverID, DataProtector, fmt.Errorf("get encryption protector: %w", err)))
	}
}

// listInto writes every item of an ARM list, recording a gap when it fails.
func (c *collector) listInto(ctx context.Context, scope, data, rawURL string) {
	err := c.list(ctx, rawURL, func(item json.RawMessage) error {
		_, err := c.write(item)
		return err
	})
	if err != nil && ctx.Err() == nil {
		c.addGap(gapFor(scope, data, err))
	}
}
