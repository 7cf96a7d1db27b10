package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// mdMaxRows bounds each findings table, so that a large estate's report still
// fits a pull-request comment (GitHub caps comments at 65,536 characters).
const mdMaxRows = 100

var statusLabel = map[rules.Status]string{rules.Fail: "✗ fail", rules.Unknown: "? unknown", rules.Waived: "~ waived", rules.Pass: "✓ pass"}

// WriteMarkdown writes a concise report for pull-request comments: a summary
// table, the failing findings, the controls of a framework view, and the
// unknown and waived results folded away. Every name, id and message is
// escaped (see mdEscape and mdCode), so resource names and tags cannot add
// markup, links, mentions or table cells.
func WriteMarkdown(w io.Writer, r *Report, opt Options) error {
	ix := NewIndex(r.Context)
	_, byID := ruleIndex(r, opt)
	s := r.Summary
	var b strings.Builder
	switch {
	case s.Fail == 0:
		b.WriteString("## cmkguard: no failing findings\n\n")
	case s.Fail == 1:
		b.WriteString("## cmkguard: 1 failing finding\n\n")
	default:
		fmt.Fprintf(&b, "## cmkguard: %d failing findings\n\n", s.Fail)
	}
	fmt.Fprintf(&b, "Scanned %s · %d resources judged · CMK compliance **%.1f%%** (%d of %d workloads that require a customer-managed key)\n\n",
		r.ScannedAt.UTC().Format(time.RFC3339), s.Resources, s.CompliancePercent, s.Compliant, s.InScope)

	b.WriteString("| Status | Results |")
	for _, sev := range severityOrder {
		fmt.Fprintf(&b, " %s |", sev)
	}
	b.WriteString("\n|---|---:|")
	for range severityOrder {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, st := range statusOrder {
		count := map[rules.Severity]int{}
		total := 0
		for _, res := range r.Results {
			if res.Status == st {
				count[res.Severity]++
				total++
			}
		}
		fmt.Fprintf(&b, "| %s | %d |", statusLabel[st], total)
		for _, sev := range severityOrder {
			fmt.Fprintf(&b, " %d |", count[sev])
		}
		b.WriteString("\n")
	}

	var failing, other []rules.Result
	for _, res := range sortedResults(r.Results) {
		switch res.Status {
		case rules.Fail:
			failing = append(failing, res)
		case rules.Unknown, rules.Waived:
			other = append(other, res)
		}
	}
	if len(failing) > 0 {
		b.WriteString("\n### Failing findings\n\n")
		mdFindings(&b, failing, ix, byID)
	}
	if v := r.Framework; v != nil {
		fmt.Fprintf(&b, "\n### %s\n\n| Control | Status | Pass | Fail | Unknown | Waived | Title |\n|---|---|---:|---:|---:|---:|---|\n", mdEscape(v.Title()))
		for _, c := range v.Controls {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s |\n", mdEscape(c.ID), mdEscape(c.Status), c.Pass, c.Fail, c.Unknown, c.Waived, mdEscape(c.Title))
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d unknown or waived results</summary>\n\n", len(other))
		mdFindings(&b, other, ix, byID)
		b.WriteString("\n</details>\n")
	}
	if len(r.Notes) > 0 || len(r.Warnings) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "> note: %s\n>\n", mdEscape(n))
		}
		if len(r.Warnings) > 0 {
			noun := "input warnings"
			if len(r.Warnings) == 1 {
				noun = "input warning"
			}
			fmt.Fprintf(&b, "> %d %s; see the scan's output.\n", len(r.Warnings), noun)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdFindings writes one table of results, at most mdMaxRows rows.
func mdFindings(b *strings.Builder, list []rules.Result, ix *Index, byID map[string]*rules.Rule) {
	b.WriteString("| Severity | Status | Rule | Resource | Finding |\n|---|---|---|---|---|\n")
	for i, res := range list {
		if i == mdMaxRows {
			fmt.Fprintf(b, "\n… and %d more; the full report (JSON, SARIF or HTML) lists them all.\n", len(list)-mdMaxRows)
			break
		}
		rsc := ix.resource(res.Resource, res.ResourceType)
		title := res.Rule
		if ru := byID[res.Rule]; ru != nil && ru.Title != "" {
			title = ru.Title
		}
		msg := mdEscape(res.Message)
		if res.Status == rules.Waived {
			msg += " — waived until " + mdEscape(res.WaiverExpires) + ": " + mdEscape(res.WaiverReason)
		}
		fmt.Fprintf(b, "| %s | %s | %s %s | **%s**<br>%s | %s |\n", res.Severity, res.Status, mdCode(res.Rule), mdEscape(title),
			mdEscape(rsc.Name), mdEscape(res.Resource), msg)
	}
}

// mdEscape makes text inert in GitHub-flavoured Markdown, inside and outside
// tables: line breaks become spaces; &, < and > become entities (no HTML, no
// autolinks in angle brackets); Markdown punctuation is backslash-escaped (no
// emphasis, code, links, images or table cells); "://" and "www." lose their
// autolink; and a zero-width space after @ keeps names from mentioning anyone.
func mdEscape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '~', '[', ']', '(', ')', '!', '|', '#', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		case ':':
			if i+2 < len(rs) && rs[i+1] == '/' && rs[i+2] == '/' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '.':
			if i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www") {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '@':
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode renders a rule id as a code span. Ids are plain words; anything
// else is escaped as text instead.
func mdCode(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return mdEscape(s)
		}
	}
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}
