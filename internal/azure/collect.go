package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Scope says what to collect: subscriptions, management groups, or the whole
// tenant (exactly one of them).
type Scope struct {
	Subscriptions    []string // subscription ids (GUIDs)
	ManagementGroups []string // management group names (not display names)
	Tenant           bool
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate reports a scope that names none or more than one kind, or a
// subscription that is not a GUID.
func (s Scope) Validate() error {
	kinds := 0
	if len(s.Subscriptions) > 0 {
		kinds++
	}
	if len(s.ManagementGroups) > 0 {
		kinds++
	}
	if s.Tenant {
		kinds++
	}
	if kinds != 1 {
		return errors.New("give exactly one scope: --subscription ID..., --management-group NAME..., or --tenant")
	}
	for _, id := range s.Subscriptions {
		if !guidPattern.MatchString(strings.TrimSpace(id)) {
			return fmt.Errorf("subscription %q is not a subscription id (a GUID)", id)
		}
	}
	for _, mg := range s.ManagementGroups {
		if strings.TrimSpace(mg) == "" || strings.Contains(mg, "/") {
			return fmt.Errorf("management group %q: give its name (the last segment of its id)", mg)
		}
	}
	return nil
}

// IDs returns the ARM ids of the scope, as the snapshot header lists them:
// /subscriptions/ID, /providers/Microsoft.Management/managementGroups/NAME, or
// "/" for the tenant.
func (s Scope) IDs() []string {
	var out []string
	for _, id := range s.Subscriptions {
		out = append(out, "/subscriptions/"+strings.ToLower(strings.TrimSpace(id)))
	}
	for _, mg := range s.ManagementGroups {
		out = append(out, mgID(strings.TrimSpace(mg)))
	}
	if s.Tenant {
		out = append(out, "/")
	}
	return out
}

func mgID(name string) string { return "/providers/Microsoft.Management/managementGroups/" + name }

// Options configures a collection. Scope and Credential are required.
type Options struct {
	Scope       Scope
	Credential  azcore.TokenCredential
	Cloud       string // AzureCloud (default), AzureUSGovernment, AzureChinaCloud
	ARMEndpoint string // replaces the cloud's Resource Manager (and Resource Graph) endpoint
	// Transport sends the requests; nil uses azcore's default client, whose
	// TLS trust is the system store (which honours SSL_CERT_FILE).
	Transport   policy.Transporter
	Clock       Clock // default RealClock
	Concurrency int   // ARM requests in flight (default 8)
	PageSize    int   // Resource Graph $top (default and maximum 1000)
	// SubscriptionBatch is the most subscriptions one Resource Graph query
	// names (default 300).
	SubscriptionBatch int
	Pacer             PacerOptions // Clock and Logger are taken from here when unset
	Logger            *slog.Logger // default slog.Default()
	// Progress receives a one-line progress display (pages, subscriptions,
	// vaults, request rate); nil keeps collection quiet.
	Progress    io.Writer
	ToolVersion string
}

// API versions of the ARM calls. Key Vault uses 2026-02-01: every earlier
// control-plane version retires on 27 February 2027.
const (
	apiKeyVault   = "2026-02-01"
	apiInsights   = "2021-05-01-preview"
	apiEventGrid  = "2025-02-15"
	apiSQL        = "2023-08-01"
	apiWeb        = "2024-11-01"
	sdkModuleName = "cmkguard"
	sdkModuleVer  = "v1.0.0"
)

// collector is one running collection.
type collector struct {
	opts     Options
	log      *slog.Logger
	clock    Clock
	arm      *arm.Client
	endpoint string
	pacer    *Pacer
	out      *spool
	queue    *workQueue
	prog     *progress

	mu    sync.Mutex
	gaps  []Gap
	subs  map[string]bool
	pages atomic.Int64
}

// Collect reads the estate in opts.Scope and returns the snapshot. Calls that
// fail are recorded in the header's coverage and the rest goes on; Collect
// itself fails only when it cannot start (bad options, no token) or ctx ends.
// The caller must Close the snapshot.
func Collect(ctx context.Context, opts Options) (*Snapshot, error) {
	if err := opts.Scope.Validate(); err != nil {
		return nil, err
	}
	if opts.Credential == nil {
		return nil, errors.New("collect: no credential")
	}
	cfg, err := CloudConfig(opts.Cloud, opts.ARMEndpoint)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = opts.Pacer.Clock
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Pacer.Clock, opts.Pacer.Logger = opts.Clock, opts.Logger
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PageSize <= 0 || opts.PageSize > 1000 {
		opts.PageSize = 1000
	}
	if opts.SubscriptionBatch <= 0 {
		opts.SubscriptionBatch = 300
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = "dev"
	}
	rm := cfg.Services[cloud.ResourceManager]
	// Fail early, and once, when no token can be had: every call would fail.
	if _, err := opts.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{strings.TrimRight(rm.Audience, "/") + "/.default"}}); err != nil {
		return nil, fmt.Errorf("authenticate to Azure: %w", err)
	}

	c := &collector{opts: opts, log: opts.Logger, clock: opts.Clock, endpoint: rm.Endpoint, subs: map[string]bool{}}
	c.pacer = NewPacer(opts.Pacer)
	clientOpts := &arm.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cfg,
			Transport: opts.Transport,
			// 429 and 503 are the Pacer's (it honours Resource Graph's quota
			// headers and the injectable clock); azcore retries the rest.
			Retry:           policy.RetryOptions{StatusCodes: []int{408, 500, 502, 504}},
			PerCallPolicies: []policy.Policy{readOnlyPolicy{}, c.pacer},
			Telemetry:       policy.TelemetryOptions{ApplicationID: "cmkguard/" + truncate(opts.ToolVersion, 20)},
		},
		DisableRPRegistration: true, // never register providers: that is a write
	}
	if c.arm, err = arm.NewClient(sdkModuleName, sdkModuleVer, opts.Credential, clientOpts); err != nil {
		return nil, fmt.Errorf("resource manager client: %w", err)
	}
	if c.out, err = newSpool(); err != nil {
		return nil, err
	}
	c.prog = newProgress(opts.Progress, c.pacer)
	start := c.clock.Now()
	c.log.Info("collecting", "scopes", opts.Scope.IDs(), "cloud", opts.Cloud, "endpoint", c.endpoint)

	c.queue = newWorkQueue(ctx, opts.Concurrency)
	var wg sync.WaitGroup
	for _, q := range graphQueries() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, sc := range c.graphScopes() {
				c.graphScoped(ctx, q, sc)
			}
		}()
	}
	wg.Wait()
	c.queue.finish()
	c.prog.finish()

	if err := ctx.Err(); err != nil {
		c.out.discard()
		return nil, err
	}
	f, err := c.out.finish()
	if err != nil {
		c.out.discard()
		return nil, err
	}
	ps := c.pacer.Stats()
	if ps.TenantLimitHit {
		c.addGap(Gap{Scope: "/", Data: DataResources, Error: "Resource Graph used only the first subscriptions the caller can see (x-ms-tenant-subscription-limit-hit)",
			Permission: "collect by --subscription or --management-group in smaller scopes"})
	}
	h := Header{CollectedAt: start.UTC().Truncate(time.Second), Scopes: opts.Scope.IDs(),
		Tool: Tool{Name: "cmkguard", Version: opts.ToolVersion}, Cloud: cloudName(opts.Cloud), Coverage: c.sortedGaps(),
		Stats: Stats{Resources: c.out.n, Duplicates: c.out.dups, Subscriptions: len(c.subs), Vaults: int(c.prog.vaultsDone.Load()),
			GraphPages: c.pages.Load(), GraphRequests: ps.GraphRequests, ARMRequests: ps.ARMRequests,
			Throttled: ps.Throttled, Unavailable: ps.Unavailable, Retries: ps.Retries,
			DurationSeconds: c.clock.Now().Sub(start).Seconds()}}
	c.log.Info("collected", "resources", h.Stats.Resources, "gaps", len(h.Coverage), "graphRequests", ps.GraphRequests,
		"armRequests", ps.ARMRequests, "throttled", ps.Throttled, "retries", ps.Retries)
	return &Snapshot{Header: h, spool: f}, nil
}

func cloudName(name string) string {
	for _, n := range CloudNames() {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return CloudPublic
}

// InventoryFailed reports whether the inventory of every scope failed, so
// that the snapshot holds nothing of the estate.
func (h Header) InventoryFailed() bool {
	for _, s := range h.Scopes {
		failed := false
		for _, g := range h.Coverage {
			if g.Data == DataResources && strings.EqualFold(g.Scope, s) {
				failed = true
				break
			}
		}
		if !failed {
			return false
		}
	}
	return len(h.Scopes) > 0
}

// addGap records something that could not be read, once per scope and kind.
func (c *collector) addGap(g Gap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, old := range c.gaps {
		if strings.EqualFold(old.Scope, g.Scope) && old.Data == g.Data {
			return
		}
	}
	c.log.Warn("could not read", "scope", g.Scope, "data", g.Data, "error", g.Error)
	c.gaps = append(c.gaps, g)
}

func (c *collector) sortedGaps() []Gap {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.gaps)
	slices.SortFunc(out, func(a, b Gap) int {
		if n := strings.Compare(strings.ToLower(a.Scope), strings.ToLower(b.Scope)); n != 0 {
			return n
		}
		return strings.Compare(a.Data, b.Data)
	})
	if out == nil {
		out = []Gap{}
	}
	return out
}

func (c *collector) noteSubscription(id string) {
	c.mu.Lock()
	c.subs[strings.ToLower(id)] = true
	n := len(c.subs)
	c.mu.Unlock()
	c.prog.subs.Store(int64(n))
}
