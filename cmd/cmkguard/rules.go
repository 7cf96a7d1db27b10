package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/rules"
)

func newRulesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalog: ids, severities, descriptions, framework mappings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			switch format {
			case "table":
				return writeRulesTable(w)
			case "json":
				return writeRulesJSON(w)
			case "markdown":
				return writeRulesMarkdown(w)
			}
			return usageError{fmt.Errorf("--format %q: want table, json or markdown", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or markdown")
	return cmd
}

func writeRulesTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tAPPLIES TO\tTITLE")
	for _, r := range rules.Catalog() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Subject(), r.Title)
	}
	return tw.Flush()
}

// ruleDoc is the JSON shape of one catalog entry.
type ruleDoc struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	AppliesTo   string   `json:"appliesTo"`
	Description string   `json:"description"`
	Rationale   string   `json:"rationale"`
	Remediation string   `json:"remediation"`
	Frameworks  []string `json:"frameworks"`
}

func writeRulesJSON(w io.Writer) error {
	var docs []ruleDoc
	for _, r := range rules.Catalog() {
		docs = append(docs, ruleDoc{ID: r.ID, Title: r.Title, Severity: r.Severity.String(), AppliesTo: r.Subject(),
			Description: r.Description, Rationale: r.Rationale, Remediation: r.Remediation, Frameworks: r.Frameworks})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(docs)
}

// writeRulesMarkdown writes the catalog as the README documents it.
func writeRulesMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, r := range rules.Catalog() {
		fmt.Fprintf(&b, "#### `%s` — %s\n\n", r.ID, r.Title)
		fmt.Fprintf(&b, "*Severity:* %s · *applies to:* %s · *frameworks:* %s\n\n", r.Severity, r.Subject(), strings.Join(r.Frameworks, ", "))
		fmt.Fprintf(&b, "%s\n\n*Why:* %s\n\n*Fix:* %s\n\n", r.Description, r.Rationale, r.Remediation)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
