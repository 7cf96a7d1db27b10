package history

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmkguard/cmkguard/internal/report"
)

// WriteJSON writes the KPIs as one indented JSON document.
func WriteJSON(w io.Writer, k *KPIs) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(k); err != nil {
		return fmt.Errorf("write KPIs: %w", err)
	}
	return nil
}

// WriteCSV writes the KPIs in long form, one value a row, for spreadsheets:
// metric, subject (a rule, subscription, vault or resource, or empty), when
// (a scan time, a month, or empty for the latest scan) and value. An
// undefined value (no key judged, no episode closed) is an empty cell.
func WriteCSV(w io.Writer, k *KPIs) error {
	cw := csv.NewWriter(w)
	row := func(metric, subject, when, value string) {
		_ = cw.Write([]string{metric, csvSafe(subject), when, value})
	}
	row("metric", "subject", "when", "value")
	for _, s := range k.Scans {
		at := s.At.Format(time.RFC3339)
		row("compliancePercent", "", at, num(s.CompliancePercent))
		row("inScope", "", at, strconv.Itoa(s.InScope))
		row("compliant", "", at, strconv.Itoa(s.Compliant))
	}
	for _, r := range k.RotationAdherence {
		row("rotationAdherencePercent", "", r.At.Format(time.RFC3339), optNum(r.Percent))
	}
	for _, e := range k.Remediation {
		at := e.At.Format(time.RFC3339)
		row("openEpisodes", "", at, strconv.Itoa(e.Open))
		row("closedEpisodes", "", at, strconv.Itoa(e.Closed))
	}
	t := k.TimeToRemediate
	row("timeToRemediate.closed", "", "", strconv.Itoa(t.Closed))
	row("timeToRemediate.open", "", "", strconv.Itoa(t.Open))
	row("timeToRemediate.medianDays", "", "", optNum(t.MedianDays))
	row("timeToRemediate.meanDays", "", "", optNum(t.MeanDays))
	row("timeToRemediate.maxDays", "", "", optNum(t.MaxDays))
	for _, m := range k.BlockedAttempts {
		row("blockedAttempts", "", m.Month, strconv.Itoa(m.Count))
	}
	for _, v := range k.BlockedAttemptsByVault {
		for _, m := range v.Months {
			row("blockedAttempts", v.Vault, m.Month, strconv.Itoa(m.Count))
		}
	}
	for _, r := range k.ComplianceByRule {
		row("ruleCompliancePercent", r.Rule, "", optNum(r.CompliancePercent))
	}
	for _, s := range k.ComplianceBySubscription {
		row("subscriptionCompliancePercent", s.Subscription, "", num(s.CompliancePercent))
	}
	for _, e := range k.OpenEpisodes {
		row("openEpisodeAgeDays", e.Rule+" "+e.Resource, e.OpenedAt.Format(time.RFC3339), num(e.AgeDays))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write KPIs: %w", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

// sparkMax is the number of most recent points a sparkline shows.
const sparkMax = 40

var sparkBars = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values as a row of block characters scaled between lo and
// hi; a NaN is a gap. Only the last sparkMax values are drawn.
func Sparkline(values []float64, lo, hi float64) string {
	if len(values) > sparkMax {
		values = values[len(values)-sparkMax:]
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case math.IsNaN(v):
			b.WriteRune(' ')
		case hi <= lo:
			b.WriteRune(sparkBars[len(sparkBars)-1])
		default:
			i := int((v - lo) / (hi - lo) * float64(len(sparkBars)-1))
			b.WriteRune(sparkBars[max(0, min(i, len(sparkBars)-1))])
		}
	}
	return b.String()
}

// WriteTable writes the KPIs for a terminal: each KPI with its latest value
// and its trend as a sparkline, then the breakdowns.
func WriteTable(w io.Writer, k *KPIs) error {
	var b strings.Builder
	if len(k.Scans) == 0 {
		b.WriteString("No scans recorded in the window. Run cmkguard scan to record one.\n")
	} else {
		first, last := k.Scans[0].At, k.Scans[len(k.Scans)-1].At
		fmt.Fprintf(&b, "cmkguard KPIs over %d scans, %s to %s\n\n", len(k.Scans), first.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	kpiLine(&b, k, "KPI", "latest", "trend", "")

	var comp []float64
	for _, s := range k.Scans {
		comp = append(comp, s.CompliancePercent)
	}
	var detail string
	if n := len(k.Scans); n > 0 {
		detail = fmt.Sprintf("%d of %d workloads that require CMK", k.Scans[n-1].Compliant, k.Scans[n-1].InScope)
	}
	kpiLine(&b, k, "CMK compliance", pct(k.CompliancePercent), Sparkline(comp, 0, 100), detail)

	var rot []float64
	for _, r := range k.RotationAdherence {
		rot = append(rot, orNaN(r.Percent))
	}
	detail = ""
	if n := len(k.RotationAdherence); n > 0 {
		detail = fmt.Sprintf("%d of %d keys within their rotation interval", k.RotationAdherence[n-1].Passing, k.RotationAdherence[n-1].Keys)
	}
	kpiLine(&b, k, "Rotation adherence", pct(k.RotationAdherencePercent), Sparkline(rot, 0, 100), detail)

	var open []float64
	hi := 0.0
	for _, e := range k.Remediation {
		open = append(open, float64(e.Open))
		hi = max(hi, float64(e.Open))
	}
	t := k.TimeToRemediate
	kpiLine(&b, k, "Open failure episodes", strconv.Itoa(t.Open), Sparkline(open, 0, hi), "")
	ttr := "—"
	if t.MedianDays != nil {
		ttr = fmt.Sprintf("%sd", num(*t.MedianDays))
	}
	detail = "no episode closed yet"
	if t.Closed > 0 {
		detail = fmt.Sprintf("median; mean %sd, max %sd over %d closed episodes", num(*t.MeanDays), num(*t.MaxDays), t.Closed)
	}
	var ttrTrend []float64
	hi = 0
	for _, e := range k.Remediation {
		ttrTrend = append(ttrTrend, orNaN(e.MedianDays))
		if e.MedianDays != nil {
			hi = max(hi, *e.MedianDays)
		}
	}
	kpiLine(&b, k, "Time to remediate", ttr, Sparkline(ttrTrend, 0, hi), detail)

	var blocked []float64
	hi = 0
	for _, m := range k.BlockedAttempts {
		blocked = append(blocked, float64(m.Count))
		hi = max(hi, float64(m.Count))
	}
	latest, detail := "—", "no audit records"
	if n := len(k.BlockedAttempts); n > 0 {
		latest = strconv.Itoa(k.BlockedAttempts[n-1].Count)
		detail = fmt.Sprintf("in %s; %d over %d months", k.BlockedAttempts[n-1].Month, k.BlockedAttemptsTotal, n)
	}
	kpiLine(&b, k, "Blocked attempts", latest, Sparkline(blocked, 0, hi), detail)

	if len(k.BlockedAttemptsByVault) > 0 {
		b.WriteString("\nBlocked attempts by vault\n")
		for _, v := range k.BlockedAttemptsByVault {
			fmt.Fprintf(&b, "  %6d  %s\n", v.Count, report.Clean(v.Vault))
		}
	}
	if len(k.ComplianceBySubscription) > 0 {
		b.WriteString("\nCompliance by subscription (latest scan)\n")
		for _, s := range k.ComplianceBySubscription {
			fmt.Fprintf(&b, "  %6s  %d of %d  %s\n", pct(&s.CompliancePercent), s.Compliant, s.InScope, report.Clean(s.Subscription))
		}
	}
	if len(k.ComplianceByRule) > 0 {
		b.WriteString("\nCompliance by rule (latest scan: pass or waived, of all results)\n")
		for _, r := range k.ComplianceByRule {
			fmt.Fprintf(&b, "  %6s  %-26s %d pass, %d fail, %d unknown, %d waived\n", pct(r.CompliancePercent), report.Clean(r.Rule), r.Pass, r.Fail, r.Unknown, r.Waived)
		}
	}
	if len(k.OpenEpisodes) > 0 {
		b.WriteString("\nOpen failure episodes (oldest first)\n")
		for _, e := range k.OpenEpisodes {
			note := ""
			if !e.Present {
				note = fmt.Sprintf(" — not in the latest scan; last seen %s", e.LastSeenAt.Format(time.RFC3339))
			} else if e.LastStatus != "fail" {
				note = " — now " + string(e.LastStatus)
			}
			fmt.Fprintf(&b, "  %6sd  %-26s %s%s\n", num(e.AgeDays), report.Clean(e.Rule), report.Clean(e.Resource), note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sparkWidth(k *KPIs) int {
	return max(5, min(sparkMax, max(len(k.Scans), len(k.BlockedAttempts))))
}

func kpiLine(b *strings.Builder, k *KPIs, name, latest, spark, detail string) {
	line := pad(name, 23) + " " + pad(latest, 8) + " " + pad(spark, sparkWidth(k)) + "  " + detail
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

// pad pads s with spaces to width characters (fmt pads by bytes, and block
// characters and dashes are several bytes each).
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64) + "%"
}

func orNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
