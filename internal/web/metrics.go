package web

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric descriptions. Every value comes from the history as the dashboard
// shows it: the KPIs of history.Compute and the latest scan's results and
// detail. Nothing is counted in the server itself.
var (
	descScans = prometheus.NewDesc("cmkguard_scans", "Scans recorded in the history.", nil, nil)
	descLast  = prometheus.NewDesc("cmkguard_last_scan_timestamp_seconds",
		"Time of the latest recorded scan (its --now), Unix seconds.", nil, nil)
	descCompliance = prometheus.NewDesc("cmkguard_compliance_percent",
		"CMK compliance at the latest scan: of the workloads whose classification requires CMK, the share with no failing or unknown per-workload cmk-* result.", nil, nil)
	descInScope    = prometheus.NewDesc("cmkguard_compliance_in_scope_workloads", "Workloads whose classification requires CMK, at the latest scan.", nil, nil)
	descCompliant  = prometheus.NewDesc("cmkguard_compliance_compliant_workloads", "In-scope workloads that are compliant, at the latest scan.", nil, nil)
	descSubCompl   = prometheus.NewDesc("cmkguard_subscription_compliance_percent", "CMK compliance per subscription at the latest scan.", []string{"subscription"}, nil)
	descRotation   = prometheus.NewDesc("cmkguard_rotation_adherence_percent", "Share of keys passing key-rotation-due at the latest scan (absent when it judged no key).", nil, nil)
	descResults    = prometheus.NewDesc("cmkguard_results", "Results of the latest scan by rule, severity and status.", []string{"rule", "severity", "status"}, nil)
	descExpiry     = prometheus.NewDesc("cmkguard_key_expiry_timestamp_seconds", "Expiry time of each key with one, at the latest scan, Unix seconds.", []string{"key", "name", "vault"}, nil)
	descToExpiry   = prometheus.NewDesc("cmkguard_key_seconds_to_expiry", "Seconds from the dashboard's clock to each key's expiry; negative once expired.", []string{"key", "name", "vault"}, nil)
	descBlocked    = prometheus.NewDesc("cmkguard_blocked_attempts_total", "Key Vault requests the vault refused (HTTP 403, and 401 other than the Authentication challenge), from the stored audit records, per vault.", []string{"vault"}, nil)
	descOpen       = prometheus.NewDesc("cmkguard_open_failure_episodes", "Failure episodes of a (rule, resource) not remediated at the latest scan.", nil, nil)
	descTTRMedian  = prometheus.NewDesc("cmkguard_time_to_remediate_median_days", "Median days to remediate over closed failure episodes (absent before the first closes).", nil, nil)
	metricsTimeout = 30 * time.Second
)

// historyCollector exposes one snapshot of the history. The /metrics handler
// makes one for each scrape, after reading the history with the request's
// context, so that Collect does no I/O.
type historyCollector struct {
	snap *snapshot
	view *scanView // the latest scan, nil without scans
	now  time.Time
}

// Describe sends every metric's description.
func (c historyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descScans, descLast, descCompliance, descInScope, descCompliant, descSubCompl,
		descRotation, descResults, descExpiry, descToExpiry, descBlocked, descOpen, descTTRMedian} {
		ch <- d
	}
}

// Collect sends the snapshot's values.
func (c historyCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	k := c.snap.kpis
	gauge(descScans, float64(len(c.snap.scans)))
	latest := c.snap.latest()
	if latest != nil {
		gauge(descLast, float64(latest.At.Unix()))
		gauge(descCompliance, latest.Summary.CompliancePercent)
		gauge(descInScope, float64(latest.Summary.InScope))
		gauge(descCompliant, float64(latest.Summary.Compliant))
	}
	for _, sc := range k.ComplianceBySubscription {
		gauge(descSubCompl, sc.CompliancePercent, sc.Subscription)
	}
	if k.RotationAdherencePercent != nil {
		gauge(descRotation, *k.RotationAdherencePercent)
	}
	gauge(descOpen, float64(k.TimeToRemediate.Open))
	if k.TimeToRemediate.MedianDays != nil {
		gauge(descTTRMedian, *k.TimeToRemediate.MedianDays)
	}
	for _, v := range k.BlockedAttemptsByVault {
		ch <- prometheus.MustNewConstMetric(descBlocked, prometheus.CounterValue, float64(v.Count), v.Vault)
	}
	if c.view == nil {
		return
	}
	type rsKey struct{ rule, severity, status string }
	counts := map[rsKey]int{}
	for i := range c.view.results {
		r := &c.view.results[i]
		counts[rsKey{r.Rule, r.Severity.String(), string(r.Status)}]++
	}
	keys := make([]rsKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rsKey) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.severity, b.severity), cmp.Compare(a.status, b.status))
	})
	for _, k := range keys {
		gauge(descResults, float64(counts[k]), k.rule, k.severity, k.status)
	}
	if ctx := c.view.detail.Context; ctx != nil {
		seen := map[string]bool{}
		for _, key := range ctx.Keys {
			if key.Expires == nil || seen[key.ID] {
				continue
			}
			seen[key.ID] = true
			vault := lastSegment(key.Vault)
			gauge(descExpiry, float64(key.Expires.Unix()), key.ID, key.Name, vault)
			gauge(descToExpiry, key.Expires.Sub(c.now).Seconds(), key.ID, key.Name, vault)
		}
	}
}

// metrics serves /metrics in the Prometheus text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	snap, err := s.data.snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := historyCollector{snap: snap, now: s.opt.Now().UTC()}
	if l := snap.latest(); l != nil {
		if c.view, err = s.data.view(r.Context(), *l); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		s.fail(w, r, err)
		return
	}
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError, Timeout: metricsTimeout}).ServeHTTP(w, r)
}
