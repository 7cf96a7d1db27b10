package report

import (
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFiles embed.FS

var (
	htmlTemplate = template.Must(template.ParseFS(htmlFiles, "html/report.html.tmpl"))
	htmlStyle    = mustRead("html/report.css")
	htmlScript   = mustRead("html/report.js")
)

func mustRead(name string) string {
	b, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// HTMLPolicy is the Content-Security-Policy of the HTML report: nothing may be
// loaded or sent — no network, no frames, no forms — and only the report's
// own style sheet and script, pinned by their hashes, may run. Images are
// allowed only as data: URIs (the charts are inline SVG and need none).
func HTMLPolicy() string {
	return "default-src 'none'; script-src '" + cspHash(htmlScript) + "'; style-src '" + cspHash(htmlStyle) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// WriteHTML writes the report as one self-contained HTML file: a summary,
// inline-SVG charts of results by service, severity and subscription, a
// key-expiry timeline, the framework view when there is one, and every result
// with its evidence chain (workload → identity → key → vault), with filters by
// rule, severity, status and subscription that work offline. It loads
// nothing: style and script are inline, pinned by the Content-Security-Policy.
// html/template escapes every name, tag, id and message for its context.
func WriteHTML(w io.Writer, r *Report, opt Options) error {
	page := buildHTMLPage(r, opt)
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

type htmlPage struct {
	CSP       string
	Style     template.CSS
	Script    template.JS
	Scanned   string
	Tool      string
	Inputs    []string
	Summary   rules.Summary
	Charts    []htmlChart
	Timeline  htmlTimeline
	Framework *FrameworkView
	Filters   []htmlFilter
	Findings  []htmlFinding
	Notes     []string
	Warnings  []string
}

type htmlFilter struct {
	Name, Label string
	Options     []htmlOption
}

type htmlOption struct{ Value, Label string }

type htmlFinding struct {
	Status, Severity, Rule, RuleTitle, Subscription string
	Name, ID, Service                               string
	Message, Remediation, Waiver, Evidence          string
	Frameworks                                      []string
	Tags                                            []htmlTag
	Chains                                          [][]htmlHop
}

type htmlTag struct{ Key, Value string }

// htmlHop is one step of an evidence chain. State is ok, bad, unknown or "".
type htmlHop struct {
	Kind, Name, State string
	Details           []string
}

func buildHTMLPage(r *Report, opt Options) htmlPage {
	ix := NewIndex(r.Context)
	_, byID := ruleIndex(r, opt)
	p := htmlPage{
		CSP: HTMLPolicy(), Style: template.CSS(htmlStyle), Script: template.JS(htmlScript),
		Scanned: r.ScannedAt.UTC().Format(time.RFC3339), Tool: strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Inputs: r.Inputs, Summary: r.Summary, Framework: r.Framework, Notes: r.Notes, Warnings: r.Warnings,
	}
	byService := map[string]*htmlChartRow{}
	bySeverity := map[string]*htmlChartRow{}
	bySub := map[string]*htmlChartRow{}
	var services, subs []string
	ruleSet, subSet := map[string]bool{}, map[string]bool{}
	var ruleIDs, subIDs []string
	for _, res := range sortedResults(r.Results) {
		rsc := ix.resource(res.Resource, res.ResourceType)
		svc := cmp.Or(rsc.Service, res.ResourceType)
		sub := strings.ToLower(rsc.Subscription)
		count(byService, &services, svc, res.Status)
		count(bySeverity, nil, res.Severity.String(), res.Status)
		count(bySub, &subs, cmp.Or(sub, "(none)"), res.Status)
		if !ruleSet[res.Rule] {
			ruleSet[res.Rule] = true
			ruleIDs = append(ruleIDs, res.Rule)
		}
		if sub != "" && !subSet[sub] {
			subSet[sub] = true
			subIDs = append(subIDs, sub)
		}
		f := htmlFinding{Status: string(res.Status), Severity: res.Severity.String(), Rule: res.Rule, Subscription: sub,
			Name: rsc.Name, ID: res.Resource, Service: rsc.Service, Message: res.Message, Remediation: res.Remediation,
			Frameworks: res.Frameworks, Chains: evidenceChains(res, ix, r.ScannedAt)}
		if ru := byID[res.Rule]; ru != nil && ru.Title != res.Rule {
			f.RuleTitle = ru.Title
		}
		if res.Status == rules.Waived {
			f.Waiver = "Waived until " + res.WaiverExpires + ": " + res.WaiverReason
		}
		if len(res.Evidence) > 0 {
			if b, err := json.MarshalIndent(res.Evidence, "", "  "); err == nil {
				f.Evidence = string(b)
			}
		}
		for _, k := range sortedKeys(rsc.Tags) {
			f.Tags = append(f.Tags, htmlTag{k, rsc.Tags[k]})
		}
		p.Findings = append(p.Findings, f)
	}
	slices.Sort(services)
	slices.Sort(subs)
	var sevRows []string
	for _, s := range severityOrder {
		if bySeverity[s.String()] != nil {
			sevRows = append(sevRows, s.String())
		}
	}
	p.Charts = []htmlChart{
		layoutChart("service", "Results by service", services, byService),
		layoutChart("severity", "Results by severity", sevRows, bySeverity),
		layoutChart("subscription", "Results by subscription", subs, bySub),
	}
	p.Timeline = layoutTimeline(r)

	slices.Sort(ruleIDs)
	slices.Sort(subIDs)
	ruleOpts := make([]htmlOption, len(ruleIDs))
	for i, id := range ruleIDs {
		ruleOpts[i] = htmlOption{id, id}
	}
	var sevOpts, statusOpts, subOpts []htmlOption
	for _, s := range sevRows {
		sevOpts = append(sevOpts, htmlOption{s, s})
	}
	for _, st := range statusOrder {
		statusOpts = append(statusOpts, htmlOption{string(st), string(st)})
	}
	for _, s := range subIDs {
		subOpts = append(subOpts, htmlOption{s, s})
	}
	p.Filters = []htmlFilter{{"rule", "Rule", ruleOpts}, {"severity", "Severity", sevOpts},
		{"status", "Status", statusOpts}, {"subscription", "Subscription", subOpts}}
	return p
}

// evidenceChains draws the path from the result's resource to its key: for a
// workload, each key reference as workload → key holders → identity → key →
// vault; for a key, key → vault and the workloads that use it; for a vault,
// the vault alone.
func evidenceChains(res rules.Result, ix *Index, now time.Time) [][]htmlHop {
	id := strings.ToLower(res.Resource)
	var out [][]htmlHop
	if chains := ix.Chains[id]; len(chains) > 0 {
		for _, c := range chains {
			rsc := ix.resource(c.Workload, "")
			hops := []htmlHop{{Kind: "workload", Name: rsc.Name, Details: nonEmpty(rsc.Service, c.Field)}}
			for _, v := range c.Via {
				name, _, _ := splitID(v)
				hops = append(hops, htmlHop{Kind: "key holder", Name: name, Details: []string{v}})
			}
			idHop := htmlHop{Kind: "identity", Name: cmp.Or(c.Identity.Label, c.Identity.Kind, "not named"),
				Details: nonEmpty(c.Identity.ResourceID, prefixed("principal ", c.Identity.PrincipalID)), State: "ok"}
			switch {
			case c.Identity.Problem != "":
				idHop.State = "bad"
				idHop.Details = append(idHop.Details, c.Identity.Problem)
			case c.Identity.Unknown != "":
				idHop.State = "unknown"
				idHop.Details = append(idHop.Details, c.Identity.Unknown)
			}
			hops = append(hops, idHop)
			hops = append(hops, keyHop(c.Key, c.KeyURI, ix, now))
			if c.Vault != "" || c.Key != "" {
				hops = append(hops, vaultHop(c.Vault, ix))
			}
			if c.Problem != "" {
				hops = append(hops, htmlHop{Kind: "stops", Name: "", State: "unknown", Details: []string{c.Problem}})
			}
			out = append(out, hops)
		}
		return out
	}
	if k := ix.Keys[id]; k != nil {
		hops := []htmlHop{keyHop(k.ID, k.URI, ix, now), vaultHop(k.Vault, ix)}
		for _, u := range k.UsedBy {
			rsc := ix.resource(u, "")
			hops = append(hops, htmlHop{Kind: "used by", Name: rsc.Name, Details: nonEmpty(rsc.Service, u)})
		}
		return [][]htmlHop{hops}
	}
	if ix.Vaults[id] != nil {
		return [][]htmlHop{{vaultHop(res.Resource, ix)}}
	}
	return nil
}

// keyHop describes a key, from the context when the snapshot holds it. A
// disabled key, or one expired at the scan time now, is marked bad.
func keyHop(id, uri string, ix *Index, now time.Time) htmlHop {
	k := ix.Keys[strings.ToLower(id)]
	if k == nil {
		return htmlHop{Kind: "key", Name: cmp.Or(uri, id, "unknown"), State: "unknown", Details: []string{"not in the snapshot"}}
	}
	h := htmlHop{Kind: "key", Name: k.Name, State: "ok", Details: nonEmpty(cmp.Or(uri, k.URI), k.Kty)}
	if !k.Enabled {
		h.State = "bad"
		h.Details = append(h.Details, "disabled")
	}
	switch {
	case k.Expires != nil && !k.Expires.After(now):
		h.State = "bad"
		h.Details = append(h.Details, "expired "+k.Expires.UTC().Format(time.DateOnly))
	case k.Expires != nil:
		h.Details = append(h.Details, "expires "+k.Expires.UTC().Format(time.DateOnly))
	default:
		h.Details = append(h.Details, "no expiry date")
	}
	return h
}

// vaultHop describes a vault or Managed HSM, from the context when the
// snapshot holds it.
func vaultHop(id string, ix *Index) htmlHop {
	v := ix.Vaults[strings.ToLower(id)]
	if v == nil {
		name := id
		if strings.HasPrefix(id, "/") {
			name, _, _ = splitID(id)
		}
		return htmlHop{Kind: "vault", Name: cmp.Or(name, "unknown"), State: "unknown", Details: []string{"not in the snapshot"}}
	}
	kind := "vault"
	if v.HSM {
		kind = "managed HSM"
	}
	h := htmlHop{Kind: kind, Name: v.Name, State: "ok", Details: []string{
		onOff("soft delete", v.SoftDelete), onOff("purge protection", v.PurgeProtection),
		map[bool]string{true: "Azure RBAC", false: "access policies"}[v.RBAC]}}
	if !v.SoftDelete || !v.PurgeProtection {
		h.State = "bad"
	}
	if v.PublicNetworkAccess != "" {
		h.Details = append(h.Details, "public network access "+v.PublicNetworkAccess)
	}
	if v.DefaultAction != "" {
		h.Details = append(h.Details, "firewall default "+v.DefaultAction)
	}
	return h
}

func onOff(what string, on bool) string {
	if on {
		return what + " on"
	}
	return what + " off"
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Charts: horizontal bars of result counts per status, laid out in Go so that
// the template only prints numbers.

type htmlChart struct {
	ID, Title     string
	Width, Height int
	Rows          []htmlChartRow
}

type htmlChartRow struct {
	Label, Short                string
	Pass, Fail, Unknown, Waived int
	Total, TextY, TotalX        int
	Segs                        []htmlSeg
}

type htmlSeg struct {
	Status  string
	X, Y, W int
	Count   int
}

const (
	chartWidth  = 560
	chartLabelW = 170
	chartBarW   = 290
	chartRowH   = 22
)

// count adds one result of status st to the row named label.
func count(rows map[string]*htmlChartRow, order *[]string, label string, st rules.Status) {
	row := rows[label]
	if row == nil {
		row = &htmlChartRow{Label: label}
		rows[label] = row
		if order != nil {
			*order = append(*order, label)
		}
	}
	switch st {
	case rules.Pass:
		row.Pass++
	case rules.Fail:
		row.Fail++
	case rules.Unknown:
		row.Unknown++
	case rules.Waived:
		row.Waived++
	}
	row.Total++
}

func layoutChart(id, title string, order []string, rows map[string]*htmlChartRow) htmlChart {
	c := htmlChart{ID: id, Title: title, Width: chartWidth}
	most := 0
	for _, l := range order {
		most = max(most, rows[l].Total)
	}
	for i, l := range order {
		row := *rows[l]
		y := i*chartRowH + 4
		row.TextY = y + 12
		row.Short = shorten(row.Label, 26)
		x := chartLabelW
		for _, s := range []struct {
			st rules.Status
			n  int
		}{{rules.Fail, row.Fail}, {rules.Unknown, row.Unknown}, {rules.Waived, row.Waived}, {rules.Pass, row.Pass}} {
			if s.n == 0 {
				continue
			}
			w := max(1, s.n*chartBarW/max(most, 1))
			row.Segs = append(row.Segs, htmlSeg{Status: string(s.st), X: x, Y: y, W: w, Count: s.n})
			x += w
		}
		row.TotalX = x + 6
		c.Rows = append(c.Rows, row)
	}
	c.Height = len(order)*chartRowH + 8
	return c
}

// shorten cuts a label to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// The key-expiry timeline: one row per key with an expiry date, a dot at the
// date on an axis from 30 days before the scan to a year after it (keys
// outside the axis sit at its ends), coloured by how soon the key expires.

type htmlTimeline struct {
	From, To                    string
	Width, Height, X0, X1, NowX int
	AxisY, LabelY               int
	Ticks                       []htmlTick
	Rows                        []htmlTimelineRow
	NoExpiry                    []string
}

type htmlTick struct {
	X     int
	Label string
}

type htmlTimelineRow struct {
	Label, Short, When, Band string
	X, CY, TextX, TextY      int
	Users                    int
}

const (
	tlWidth  = 860
	tlLabelW = 190
	tlAxisW  = 500
	tlRowH   = 20
)

func layoutTimeline(r *Report) htmlTimeline {
	now := r.ScannedAt.UTC()
	from, to := now.AddDate(0, 0, -30), now.AddDate(1, 0, 0)
	t := htmlTimeline{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Width: tlWidth,
		X0: tlLabelW, X1: tlLabelW + tlAxisW}
	xOf := func(at time.Time) int {
		switch {
		case at.Before(from):
			return t.X0
		case at.After(to):
			return t.X1
		}
		return t.X0 + int(float64(tlAxisW)*at.Sub(from).Seconds()/to.Sub(from).Seconds())
	}
	t.NowX = xOf(now)
	if r.Context == nil {
		return t
	}
	keys := slices.Clone(r.Context.Keys)
	slices.SortStableFunc(keys, func(a, b Key) int {
		switch {
		case a.Expires == nil && b.Expires == nil:
			return strings.Compare(a.URI, b.URI)
		case a.Expires == nil:
			return 1
		case b.Expires == nil:
			return -1
		}
		return cmp.Or(a.Expires.Compare(*b.Expires), strings.Compare(a.URI, b.URI))
	})
	for _, k := range keys {
		label := keyLabel(k)
		if k.Expires == nil {
			t.NoExpiry = append(t.NoExpiry, label)
			continue
		}
		exp := k.Expires.UTC()
		y := len(t.Rows)*tlRowH + 4
		row := htmlTimelineRow{Label: label, Short: shorten(label, 28), When: exp.Format(time.DateOnly),
			X: xOf(exp), CY: y + 8, TextY: y + 12, Users: len(k.UsedBy)}
		row.TextX = t.X1 + 12
		switch days := exp.Sub(now).Hours() / 24; {
		case days <= 0:
			row.Band = "expired"
			row.When += " (expired)"
		case days <= 30:
			row.Band = "soon"
		case days <= 90:
			row.Band = "near"
		default:
			row.Band = "later"
		}
		t.Rows = append(t.Rows, row)
	}
	t.AxisY = len(t.Rows)*tlRowH + 8
	t.LabelY = t.AxisY + 14
	t.Height = t.LabelY + 6
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 3, 0) {
		t.Ticks = append(t.Ticks, htmlTick{X: xOf(m), Label: m.Format("2006-01")})
	}
	return t
}

// keyLabel names a key as vault/key.
func keyLabel(k Key) string {
	vault := k.Vault
	if strings.HasPrefix(vault, "/") {
		vault, _, _ = splitID(vault)
	}
	if vault == "" {
		return k.Name
	}
	return vault + "/" + k.Name
}
