package history

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// RotationRule is the rule whose pass rate is the rotation-adherence KPI.
const RotationRule = "key-rotation-due"

// KPIs is the document `cmkguard kpi --format json` prints (CONTRACT §8). The
// first five fields are the contract's; the rest are extras that break the
// same numbers down.
type KPIs struct {
	Scans []ScanPoint `json:"scans"`
	// CompliancePercent is the latest scan's: of the workloads whose
	// classification requires CMK, the share with no failing or unknown
	// per-workload cmk-* result. Null when there is no scan.
	CompliancePercent *float64 `json:"compliancePercent"`
	// RotationAdherencePercent is the share of keys passing key-rotation-due at
	// the latest scan. Null when the latest scan judged no key.
	RotationAdherencePercent *float64         `json:"rotationAdherencePercent"`
	TimeToRemediate          TimeToRemediate  `json:"timeToRemediate"`
	BlockedAttempts          []MonthCount     `json:"blockedAttempts"`
	Window                   *WindowDoc       `json:"window,omitempty"`
	LatestScanAt             *time.Time       `json:"latestScanAt"`
	RotationAdherence        []RotationPoint  `json:"rotationAdherence"`
	Remediation              []EpisodePoint   `json:"remediation"`
	OpenEpisodes             []OpenEpisode    `json:"openEpisodes"`
	BlockedAttemptsTotal     int              `json:"blockedAttemptsTotal"`
	BlockedAttemptsByVault   []VaultBlocked   `json:"blockedAttemptsByVault"`
	ComplianceByRule         []RuleCompliance `json:"complianceByRule"`
	ComplianceBySubscription []SubCompliance  `json:"complianceBySubscription"`
}

// ScanPoint is one scan's compliance.
type ScanPoint struct {
	At                time.Time `json:"at"`
	CompliancePercent float64   `json:"compliancePercent"`
	InScope           int       `json:"inScope"`
	Compliant         int       `json:"compliant"`
}

// TimeToRemediate summarises failure episodes. An episode of a (rule,
// resource) opens at the first scan that fails it and closes at the first
// later scan that passes it; its length is the days between those scans'
// times. Waived, unknown and absent results neither open nor close an episode,
// so a resource that disappears closes nothing and a waived failure is no
// episode. The day figures are over closed episodes and null when none closed.
type TimeToRemediate struct {
	Closed     int      `json:"closed"`
	Open       int      `json:"open"`
	MedianDays *float64 `json:"medianDays"`
	MeanDays   *float64 `json:"meanDays"`
	MaxDays    *float64 `json:"maxDays"`
}

// MonthCount is the number of blocked attempts in a calendar month (UTC).
type MonthCount struct {
	Month string `json:"month"` // 2006-01
	Count int    `json:"count"`
}

// WindowDoc echoes --since and --until.
type WindowDoc struct {
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
}

// RotationPoint is one scan's rotation adherence.
type RotationPoint struct {
	At      time.Time `json:"at"`
	Keys    int       `json:"keys"`
	Passing int       `json:"passing"`
	// Percent is null when the scan judged no key.
	Percent *float64 `json:"percent"`
}

// EpisodePoint counts episodes as they stood after one scan.
type EpisodePoint struct {
	At     time.Time `json:"at"`
	Open   int       `json:"open"`
	Closed int       `json:"closed"` // closed so far
	// MedianDays is the median time to remediate of the episodes closed so
	// far; null before the first closes.
	MedianDays *float64 `json:"medianDays"`
}

// OpenEpisode is a failure not yet remediated at the latest scan.
type OpenEpisode struct {
	Rule     string    `json:"rule"`
	Resource string    `json:"resource"`
	OpenedAt time.Time `json:"openedAt"`
	AgeDays  float64   `json:"ageDays"` // from OpenedAt to the latest scan
	// LastStatus and LastSeenAt are the (rule, resource)'s status at the last
	// scan that judged it; Present says whether that is the latest scan (false:
	// the resource disappeared while failing).
	LastStatus rules.Status `json:"lastStatus"`
	LastSeenAt time.Time    `json:"lastSeenAt"`
	Present    bool         `json:"present"`
}

// VaultBlocked is one vault's blocked attempts.
type VaultBlocked struct {
	Vault  string       `json:"vault"`
	Count  int          `json:"count"`
	Months []MonthCount `json:"months"`
}

// RuleCompliance counts one rule's results at the latest scan. Its
// CompliancePercent is the share that pass or are waived (a waiver accepts the
// finding, as in the compliance KPI); null when the rule has no result.
type RuleCompliance struct {
	Rule              string   `json:"rule"`
	Results           int      `json:"results"`
	Pass              int      `json:"pass"`
	Fail              int      `json:"fail"`
	Unknown           int      `json:"unknown"`
	Waived            int      `json:"waived"`
	CompliancePercent *float64 `json:"compliancePercent"`
}

// SubCompliance is the compliance KPI of one subscription at the latest scan.
type SubCompliance struct {
	Subscription      string  `json:"subscription"`
	InScope           int     `json:"inScope"`
	Compliant         int     `json:"compliant"`
	CompliancePercent float64 `json:"compliancePercent"`
}

type episode struct {
	openedAt   time.Time
	lastStatus rules.Status
	lastSeen   int // index of the last scan that judged the pair
}

// episodeKey is a (rule, resource) pair: a rule by its index in Compute's
// list of rule names, a resource by its store handle.
type episodeKey struct {
	rule     int
	resource int64
}

// Compute reads the history in the window and computes the KPIs. Scans and
// audit records outside the window are not seen at all.
func Compute(ctx context.Context, st Store, w Window) (*KPIs, error) {
	scans, err := st.Scans(ctx, w)
	if err != nil {
		return nil, err
	}
	k := &KPIs{Scans: []ScanPoint{}, BlockedAttempts: []MonthCount{}, RotationAdherence: []RotationPoint{},
		Remediation: []EpisodePoint{}, OpenEpisodes: []OpenEpisode{}, BlockedAttemptsByVault: []VaultBlocked{},
		ComplianceByRule: []RuleCompliance{}, ComplianceBySubscription: []SubCompliance{}}
	if !w.Since.IsZero() || !w.Until.IsZero() {
		k.Window = &WindowDoc{Since: timePtr(w.Since), Until: timePtr(w.Until)}
	}

	var ruleNames []string
	ruleIndex := map[string]int{}
	open := map[episodeKey]*episode{}
	var closed []float64
	byRule := map[string]*RuleCompliance{}
	for i, sc := range scans {
		k.Scans = append(k.Scans, ScanPoint{At: sc.At, CompliancePercent: sc.Summary.CompliancePercent,
			InScope: sc.Summary.InScope, Compliant: sc.Summary.Compliant})
		o, err := st.Outcomes(ctx, sc.ID)
		if err != nil {
			return nil, err
		}
		global := make([]int, len(o.Rules)) // this scan's rule index → Compute's
		rotation := -1
		for j, name := range o.Rules {
			g, ok := ruleIndex[name]
			if !ok {
				g = len(ruleNames)
				ruleIndex[name] = g
				ruleNames = append(ruleNames, name)
			}
			global[j] = g
			if name == RotationRule {
				rotation = j
			}
		}
		rot := RotationPoint{At: sc.At}
		latest := i == len(scans)-1
		fresh := []float64{} // days of the episodes this scan closes
		for _, it := range o.Items {
			if it.Rule == rotation {
				rot.Keys++
				if it.Status == rules.Pass {
					rot.Passing++
				}
			}
			if latest {
				countRule(byRule, o.Rules[it.Rule], it.Status)
			}
			if it.Status != rules.Fail && len(open) == 0 {
				continue
			}
			key := episodeKey{global[it.Rule], it.Resource}
			ep := open[key]
			switch {
			case ep == nil && it.Status == rules.Fail:
				open[key] = &episode{openedAt: sc.At, lastStatus: it.Status, lastSeen: i}
			case ep != nil && it.Status == rules.Pass:
				fresh = append(fresh, days(sc.At.Sub(ep.openedAt)))
				delete(open, key)
			case ep != nil:
				ep.lastStatus, ep.lastSeen = it.Status, i
			}
		}
		closed = mergeSorted(closed, fresh)
		rot.Percent = percent(rot.Passing, rot.Keys)
		k.RotationAdherence = append(k.RotationAdherence, rot)
		k.Remediation = append(k.Remediation, EpisodePoint{At: sc.At, Open: len(open), Closed: len(closed),
			MedianDays: remediation(closed, 0).MedianDays})
	}

	if n := len(scans); n > 0 {
		last := scans[n-1]
		k.LatestScanAt = &last.At
		k.CompliancePercent = &last.Summary.CompliancePercent
		k.RotationAdherencePercent = k.RotationAdherence[n-1].Percent
		if k.OpenEpisodes, err = openEpisodes(ctx, st, open, ruleNames, scans); err != nil {
			return nil, err
		}
		for _, rc := range byRule {
			rc.CompliancePercent = percent(rc.Pass+rc.Waived, rc.Results)
			k.ComplianceByRule = append(k.ComplianceByRule, *rc)
		}
		slices.SortFunc(k.ComplianceByRule, func(a, b RuleCompliance) int { return cmp.Compare(a.Rule, b.Rule) })
		if k.ComplianceBySubscription, err = bySubscription(ctx, st, last.ID); err != nil {
			return nil, err
		}
	}
	k.TimeToRemediate = remediation(closed, len(open))
	if err := blocked(ctx, st, w, k); err != nil {
		return nil, err
	}
	return k, nil
}

// openEpisodes lists the episodes open at the latest scan, oldest first.
func openEpisodes(ctx context.Context, st Store, open map[episodeKey]*episode, ruleNames []string, scans []ScanInfo) ([]OpenEpisode, error) {
	handles := make([]int64, 0, len(open))
	for key := range open {
		handles = append(handles, key.resource)
	}
	ids, err := st.ResourceIDs(ctx, handles)
	if err != nil {
		return nil, err
	}
	last := scans[len(scans)-1]
	out := make([]OpenEpisode, 0, len(open))
	for key, ep := range open {
		out = append(out, OpenEpisode{Rule: ruleNames[key.rule], Resource: ids[key.resource], OpenedAt: ep.openedAt,
			AgeDays: round1(days(last.At.Sub(ep.openedAt))), LastStatus: ep.lastStatus,
			LastSeenAt: scans[ep.lastSeen].At, Present: ep.lastSeen == len(scans)-1})
	}
	slices.SortFunc(out, func(a, b OpenEpisode) int {
		return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), cmp.Compare(estate.Lower(a.Resource), estate.Lower(b.Resource)), cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}

func countRule(byRule map[string]*RuleCompliance, rule string, status rules.Status) {
	rc := byRule[rule]
	if rc == nil {
		rc = &RuleCompliance{Rule: rule}
		byRule[rule] = rc
	}
	rc.Results++
	switch status {
	case rules.Pass:
		rc.Pass++
	case rules.Fail:
		rc.Fail++
	case rules.Unknown:
		rc.Unknown++
	case rules.Waived:
		rc.Waived++
	}
}

// mergeSorted adds the values of fresh to the sorted slice closed.
func mergeSorted(closed, fresh []float64) []float64 {
	if len(fresh) == 0 {
		return closed
	}
	slices.Sort(fresh)
	out := make([]float64, 0, len(closed)+len(fresh))
	i, j := 0, 0
	for i < len(closed) && j < len(fresh) {
		if closed[i] <= fresh[j] {
			out = append(out, closed[i])
			i++
		} else {
			out = append(out, fresh[j])
			j++
		}
	}
	return append(append(out, closed[i:]...), fresh[j:]...)
}

// remediation summarises the days of closed episodes, sorted ascending.
func remediation(closed []float64, open int) TimeToRemediate {
	t := TimeToRemediate{Closed: len(closed), Open: open}
	if len(closed) == 0 {
		return t
	}
	n := len(closed)
	median := closed[n/2]
	if n%2 == 0 {
		median = (closed[n/2-1] + closed[n/2]) / 2
	}
	var sum float64
	for _, d := range closed {
		sum += d
	}
	t.MedianDays = ptr(round1(median))
	t.MeanDays = ptr(round1(sum / float64(n)))
	t.MaxDays = ptr(round1(closed[n-1]))
	return t
}

func bySubscription(ctx context.Context, st Store, scanID int64) ([]SubCompliance, error) {
	ws, err := st.Workloads(ctx, scanID)
	if err != nil {
		return nil, err
	}
	subs := map[string]*SubCompliance{}
	for _, w := range ws {
		id, _ := estate.ParseID(w.ID)
		sc := subs[id.Subscription]
		if sc == nil {
			sc = &SubCompliance{Subscription: id.Subscription}
			subs[id.Subscription] = sc
		}
		sc.InScope++
		if w.Compliant {
			sc.Compliant++
		}
	}
	out := []SubCompliance{}
	for _, sc := range subs {
		sc.CompliancePercent = *percent(sc.Compliant, sc.InScope)
		out = append(out, *sc)
	}
	slices.SortFunc(out, func(a, b SubCompliance) int { return cmp.Compare(a.Subscription, b.Subscription) })
	return out, nil
}

// blocked counts blocked attempts by month, over every month that has at
// least one stored audit record (so a month whose logs show no refusal counts
// 0, and a month without logs is absent), and per vault over the vaults and
// months with at least one.
func blocked(ctx context.Context, st Store, w Window, k *KPIs) error {
	months := map[string]int{}
	vaults := map[string]map[string]int{}
	err := st.Audit(ctx, w, func(a AuditRecord) error {
		m := a.Month()
		months[m] += 0
		if !a.Blocked() {
			return nil
		}
		months[m]++
		k.BlockedAttemptsTotal++
		if vaults[a.Vault] == nil {
			vaults[a.Vault] = map[string]int{}
		}
		vaults[a.Vault][m]++
		return nil
	})
	if err != nil {
		return err
	}
	k.BlockedAttempts = monthList(months)
	for v, ms := range vaults {
		vb := VaultBlocked{Vault: v, Months: monthList(ms)}
		for _, c := range ms {
			vb.Count += c
		}
		k.BlockedAttemptsByVault = append(k.BlockedAttemptsByVault, vb)
	}
	slices.SortFunc(k.BlockedAttemptsByVault, func(a, b VaultBlocked) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Vault, b.Vault))
	})
	return nil
}

func monthList(m map[string]int) []MonthCount {
	out := make([]MonthCount, 0, len(m))
	for month, c := range m {
		out = append(out, MonthCount{Month: month, Count: c})
	}
	slices.SortFunc(out, func(a, b MonthCount) int { return cmp.Compare(a.Month, b.Month) })
	return out
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// round1 rounds to one decimal, halves away from zero, as rules.Summary does.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// percent is part of whole in percent, to one decimal; nil when whole is 0.
func percent(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	return ptr(round1(float64(part) / float64(whole) * 100))
}

func ptr[T any](v T) *T { return &v }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// String describes the window for people.
func (w Window) String() string {
	switch {
	case w.Since.IsZero() && w.Until.IsZero():
		return "all scans"
	case w.Until.IsZero():
		return fmt.Sprintf("since %s", w.Since.Format(time.RFC3339))
	case w.Since.IsZero():
		return fmt.Sprintf("until %s", w.Until.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s to %s", w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339))
}
