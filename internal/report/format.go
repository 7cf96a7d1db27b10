package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// Options are what renderers need beside the report.
type Options struct {
	// Color asks the terminal table for ANSI colour.
	Color bool
	// Catalog is the rule metadata SARIF, JUnit, Markdown and HTML describe
	// rules with (titles, help, severities). The CLI passes rules.Catalog();
	// tests pass a fixed list so that golden files do not move with it.
	Catalog []*rules.Rule
}

// Format is one output format of scan.
type Format struct {
	Name  string
	Write func(w io.Writer, r *Report, opt Options) error
}

// formats is the explicit list of output formats, in the order help lists them.
var formats = []Format{
	{"table", writeTableFormat},
	{"json", func(w io.Writer, r *Report, _ Options) error { return WriteJSON(w, r) }},
	{"sarif", WriteSARIF},
	{"junit", WriteJUnit},
	{"csv", WriteCSV},
	{"markdown", WriteMarkdown},
	{"html", WriteHTML},
}

// FormatNames lists the output formats by name.
func FormatNames() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return names
}

// IsFormat reports whether name is an output format.
func IsFormat(name string) bool { return slices.Contains(FormatNames(), name) }

// Write renders the report in the named format.
func Write(w io.Writer, format string, r *Report, opt Options) error {
	for _, f := range formats {
		if f.Name == format {
			return f.Write(w, r, opt)
		}
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(FormatNames(), ", "))
}

// writeTableFormat writes the terminal table and, when the report has a
// framework view, the controls after it.
func writeTableFormat(w io.Writer, r *Report, opt Options) error {
	if err := WriteTable(w, r, TableOptions{Color: opt.Color}); err != nil {
		return err
	}
	if r.Framework != nil {
		return writeFrameworkTable(w, r.Framework)
	}
	return nil
}

// ruleIndex returns the catalog's rules by id, plus a rule for every id the
// results name that the catalog lacks (so that no result is left without a
// rule to describe it), in catalog order then result order.
func ruleIndex(r *Report, opt Options) ([]*rules.Rule, map[string]*rules.Rule) {
	var list []*rules.Rule
	byID := map[string]*rules.Rule{}
	for _, ru := range opt.Catalog {
		if byID[ru.ID] == nil {
			byID[ru.ID] = ru
			list = append(list, ru)
		}
	}
	for _, res := range r.Results {
		if byID[res.Rule] == nil {
			ru := &rules.Rule{ID: res.Rule, Title: res.Rule, Severity: res.Severity, Remediation: res.Remediation, Frameworks: res.Frameworks}
			byID[res.Rule] = ru
			list = append(list, ru)
		}
	}
	return list, byID
}

// severityOrder lists severities from the most severe.
var severityOrder = []rules.Severity{rules.Critical, rules.High, rules.Medium, rules.Low, rules.Info}

// statusOrder lists statuses in the order reports show them.
var statusOrder = []rules.Status{rules.Fail, rules.Unknown, rules.Waived, rules.Pass}

// sortedResults returns the results failing first, then by severity (highest
// first), rule and resource: the order people read findings in.
func sortedResults(results []rules.Result) []rules.Result {
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(a, b rules.Result) int {
		if c := statusRank[a.Status] - statusRank[b.Status]; c != 0 {
			return c
		}
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if a.Rule != b.Rule {
			return strings.Compare(a.Rule, b.Rule)
		}
		return strings.Compare(strings.ToLower(a.Resource), strings.ToLower(b.Resource))
	})
	return out
}
