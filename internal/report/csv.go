package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// csvHeader names the CSV columns.
var csvHeader = []string{"status", "severity", "rule", "resource_name", "resource_id", "resource_type", "service",
	"subscription", "resource_group", "location", "tags", "message", "remediation", "frameworks",
	"waiver_reason", "waiver_expires", "fingerprint"}

// WriteCSV writes one row per result, in the report's order, under a header
// row. Every cell is made safe for spreadsheets (see SpreadsheetSafe): a
// resource name or tag cannot become a formula.
func WriteCSV(w io.Writer, r *Report, _ Options) error {
	ix := NewIndex(r.Context)
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	for _, res := range r.Results {
		rsc := ix.resource(res.Resource, res.ResourceType)
		row := []string{string(res.Status), res.Severity.String(), res.Rule, rsc.Name, res.Resource, res.ResourceType,
			rsc.Service, rsc.Subscription, rsc.ResourceGroup, rsc.Location, tagsText(rsc.Tags), res.Message,
			res.Remediation, strings.Join(res.Frameworks, "; "), res.WaiverReason, res.WaiverExpires,
			Fingerprint(res.Rule, res.Resource)}
		for i := range row {
			row[i] = SpreadsheetSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	return nil
}

// formulaStart holds the characters that make a spreadsheet read a cell as a
// formula or a command (OWASP "CSV injection"), with their full-width forms.
const formulaStart = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

// SpreadsheetSafe prefixes a cell with a single quote when it starts — after
// any spaces, which spreadsheets skip — with a character that would make it a
// formula: = + - @ tab or carriage return.
func SpreadsheetSafe(s string) string {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return r == ' ' || (unicode.IsSpace(r) && r != '\t' && r != '\r') })
	if t != "" && strings.ContainsRune(formulaStart, []rune(t)[0]) {
		return "'" + s
	}
	return s
}

// tagsText renders tags as "key=value; key=value", sorted by key.
func tagsText(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, "; ")
}
