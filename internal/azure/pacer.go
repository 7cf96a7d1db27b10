package azure

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Header names the pacer reads.
const (
	hdrQuotaRemaining = "x-ms-user-quota-remaining"    // Resource Graph: queries left in the window
	hdrQuotaResets    = "x-ms-user-quota-resets-after" // Resource Graph: hh:mm:ss until the window resets
	hdrSubReads       = "x-ms-ratelimit-remaining-subscription-reads"
	hdrTenantReads    = "x-ms-ratelimit-remaining-tenant-reads"
	hdrTenantLimitHit = "x-ms-tenant-subscription-limit-hit"
)

// PacerOptions tunes a Pacer. Zero values take the defaults.
type PacerOptions struct {
	Clock  Clock        // default RealClock
	Logger *slog.Logger // default slog.Default()
	// MaxRetries bounds the retries of one request answered 429 or 503
	// (default 8).
	MaxRetries int
	// MaxDelay is the longest server hint the pacer waits for; a longer one
	// ends the retries (default 5 minutes).
	MaxDelay time.Duration
	// ARMBurst and ARMRate shape the token bucket of each subscription's ARM
	// reads (default 250 and 25 a second, ARM's documented bucket).
	ARMBurst float64
	ARMRate  float64
}

// Pacer is an azcore pipeline policy (install it per call) that paces Resource
// Graph and ARM requests separately so that a steady collection stays inside
// their limits, and retries requests answered 429 or 503 after the server's
// hint. Resource Graph is paced by its per-user quota headers; ARM by a token
// bucket per subscription, corrected by the remaining-reads header.
type Pacer struct {
	clock      Clock
	log        *slog.Logger
	maxRetries int
	maxDelay   time.Duration
	graph      graphQuota
	arm        armBuckets
	stats      pacerCounters
}

// PacerStats counts what a Pacer saw.
type PacerStats struct {
	GraphRequests int64 // Resource Graph requests sent (retries included)
	ARMRequests   int64 // ARM requests sent (retries included)
	Throttled     int64 // answers with status 429
	Unavailable   int64 // answers with status 503
	Retries       int64
	Waited        time.Duration // time spent pacing and backing off
	// TenantLimitHit is set when Resource Graph said it used only the first
	// subscriptions of a tenant or management group (x-ms-tenant-subscription-limit-hit).
	TenantLimitHit bool
}

type pacerCounters struct {
	graph, arm, throttled, unavailable, retries, waited atomic.Int64
	limitHit                                            atomic.Bool
}

// NewPacer returns a Pacer.
func NewPacer(o PacerOptions) *Pacer {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 8
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 5 * time.Minute
	}
	if o.ARMBurst <= 0 {
		o.ARMBurst = 250
	}
	if o.ARMRate <= 0 {
		o.ARMRate = 25
	}
	return &Pacer{clock: o.Clock, log: o.Logger, maxRetries: o.MaxRetries, maxDelay: o.MaxDelay,
		graph: graphQuota{remaining: -1},
		arm:   armBuckets{burst: o.ARMBurst, rate: o.ARMRate, m: map[string]*bucket{}}}
}

// Stats returns the counts so far.
func (p *Pacer) Stats() PacerStats {
	return PacerStats{GraphRequests: p.stats.graph.Load(), ARMRequests: p.stats.arm.Load(),
		Throttled: p.stats.throttled.Load(), Unavailable: p.stats.unavailable.Load(),
		Retries: p.stats.retries.Load(), Waited: time.Duration(p.stats.waited.Load()),
		TenantLimitHit: p.stats.limitHit.Load()}
}

// Do implements policy.Policy.
func (p *Pacer) Do(req *policy.Request) (*http.Response, error) {
	ctx := req.Raw().Context()
	graph := isGraphPath(req.Raw().URL.Path)
	key := bucketKey(req.Raw().URL.Path)
	for attempt := 0; ; attempt++ {
		start := p.clock.Now()
		var err error
		if graph {
			err = p.graph.acquire(ctx, p.clock)
			p.stats.graph.Add(1)
		} else {
			err = p.arm.acquire(ctx, p.clock, key)
			p.stats.arm.Add(1)
		}
		if err != nil {
			return nil, err
		}
		p.stats.waited.Add(int64(p.clock.Now().Sub(start)))
		resp, err := req.Clone(ctx).Next()
		now := p.clock.Now()
		if graph {
			p.graph.observe(now, resp)
		} else {
			p.arm.observe(now, key, resp)
		}
		if err != nil || resp == nil {
			return resp, err
		}
		if strings.EqualFold(resp.Header.Get(hdrTenantLimitHit), "true") {
			p.stats.limitHit.Store(true)
		}
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			p.stats.throttled.Add(1)
		case http.StatusServiceUnavailable:
			p.stats.unavailable.Add(1)
		default:
			return resp, nil
		}
		delay := retryDelay(resp, graph, attempt)
		if attempt >= p.maxRetries || delay > p.maxDelay {
			p.log.Warn("giving up after throttling", "status", resp.StatusCode, "path", req.Raw().URL.Path, "attempts", attempt+1, "hint", delay)
			return resp, nil
		}
		p.log.Debug("throttled; retrying", "status", resp.StatusCode, "path", req.Raw().URL.Path, "attempt", attempt+1, "delay", delay)
		drain(resp)
		p.stats.retries.Add(1)
		wait := p.clock.Now()
		if err := p.clock.SleepUntil(ctx, now.Add(delay)); err != nil {
			return nil, err
		}
		p.stats.waited.Add(int64(p.clock.Now().Sub(wait)))
	}
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}

// isGraphPath reports whether a request goes to Resource Graph.
func isGraphPath(path string) bool {
	return strings.Contains(strings.ToLower(path), "/providers/microsoft.resourcegraph/")
}

// bucketKey names the ARM rate bucket of a path: its subscription, or the tenant.
func bucketKey(path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(seg); i++ {
		if strings.EqualFold(seg[i], "subscriptions") {
			return strings.ToLower(seg[i+1])
		}
	}
	return "tenant"
}

// retryDelay is how long to wait before retrying a 429 or 503: the server's
// hint (retry-after-ms, x-ms-retry-after-ms, Retry-After, and for Resource
// Graph x-ms-user-quota-resets-after), else an exponential backoff.
func retryDelay(resp *http.Response, graph bool, attempt int) time.Duration {
	h := resp.Header
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64); err == nil && ms >= 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
			return 0
		}
	}
	if graph {
		if d, ok := parseResetsAfter(h.Get(hdrQuotaResets)); ok {
			return d
		}
	}
	d := time.Second << min(attempt, 6)
	return min(d, time.Minute)
}

// parseResetsAfter parses x-ms-user-quota-resets-after ("hh:mm:ss", with an
// optional fraction of a second, as .NET formats a TimeSpan). Whole-second
// values may have been truncated, so they are padded by a second: waiting a
// little longer never overdraws the quota.
func parseResetsAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	days := 0
	if i := strings.IndexByte(v, '.'); i >= 0 && i < strings.IndexByte(v, ':') {
		d, err := strconv.Atoi(v[:i])
		if err != nil {
			return 0, false
		}
		days, v = d, v[i+1:]
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	secs := parts[2]
	pad := time.Second
	if strings.Contains(secs, ".") {
		pad = 0
	}
	s, err3 := strconv.ParseFloat(secs, 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || m < 0 || s < 0 {
		return 0, false
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s*float64(time.Second))
	return d + pad, true
}

// graphQuota tracks Resource Graph's per-user quota window from the headers
// of its answers and holds requests back when the window's quota is spent.
type graphQuota struct {
	mu        sync.Mutex
	remaining int       // requests that may still be sent in this window; -1 unknown
	limit     int       // largest quota seen, restored when a window ends
	resetAt   time.Time // when the window ends; zero when not yet told
	inflight  int
}

func (q *graphQuota) acquire(ctx context.Context, clock Clock) error {
	for {
		q.mu.Lock()
		now := clock.Now()
		if !q.resetAt.IsZero() && !now.Before(q.resetAt) {
			q.remaining, q.resetAt = q.limit, time.Time{}
			if q.limit == 0 {
				q.remaining = -1
			}
		}
		if q.remaining != 0 {
			if q.remaining > 0 {
				q.remaining--
			}
			q.inflight++
			q.mu.Unlock()
			return nil
		}
		until := q.resetAt
		if until.IsZero() {
			until = now.Add(100 * time.Millisecond) // spent, and no answer has said when it resets yet
		}
		q.mu.Unlock()
		if err := clock.SleepUntil(ctx, until); err != nil {
			return err
		}
	}
}

func (q *graphQuota) observe(now time.Time, resp *http.Response) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inflight--
	if resp == nil {
		return
	}
	rem, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get(hdrQuotaRemaining)))
	reset, ok := parseResetsAfter(resp.Header.Get(hdrQuotaResets))
	if err == nil && ok && rem >= 0 {
		q.limit = max(q.limit, rem+1)
		// Requests still in flight may not have been counted by the server yet.
		q.remaining = max(rem-q.inflight, 0)
		q.resetAt = now.Add(reset)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		q.remaining = 0
		if t := now.Add(retryDelay(resp, true, 0)); t.After(q.resetAt) {
			q.resetAt = t
		}
	}
}

// armBuckets holds a token bucket per subscription (and one for tenant-level
// calls), shaped like ARM's own read throttling.
type armBuckets struct {
	mu          sync.Mutex
	burst, rate float64
	m           map[string]*bucket
}

type bucket struct {
	tokens    float64
	last      time.Time
	holdUntil time.Time
}

func (a *armBuckets) get(key string, now time.Time) *bucket {
	b := a.m[key]
	if b == nil {
		b = &bucket{tokens: a.burst, last: now}
		a.m[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(a.burst, b.tokens+el*a.rate)
		b.last = now
	}
	return b
}

func (a *armBuckets) acquire(ctx context.Context, clock Clock, key string) error {
	for {
		a.mu.Lock()
		now := clock.Now()
		b := a.get(key, now)
		if !now.Before(b.holdUntil) && b.tokens >= 1 {
			b.tokens--
			a.mu.Unlock()
			return nil
		}
		until := now.Add(time.Duration((1 - b.tokens) / a.rate * float64(time.Second)))
		if b.holdUntil.After(until) {
			until = b.holdUntil
		}
		a.mu.Unlock()
		if err := clock.SleepUntil(ctx, until); err != nil {
			return err
		}
	}
}

func (a *armBuckets) observe(now time.Time, key string, resp *http.Response) {
	if resp == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.get(key, now)
	for _, h := range []string{hdrSubReads, hdrTenantReads} {
		if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get(h))); err == nil && n >= 0 {
			b.tokens = min(b.tokens, float64(n))
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		b.tokens = 0
		if t := now.Add(retryDelay(resp, false, 0)); t.After(b.holdUntil) {
			b.holdUntil = t
		}
	}
}
