// Package report renders scan results for people and programs: the terminal
// table, the versioned JSON document of CONTRACT §4, SARIF 2.1.0 for code
// scanning, JUnit XML for CI test views, CSV for spreadsheets, Markdown for
// pull-request comments and one self-contained HTML file (format.go lists
// them). Renderers only format what the rules decided and what the CLI put in
// the report's Context; they compute no findings.
package report

import (
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// SchemaVersion is the version of the JSON report's shape. It changes only when
// a field is removed or changes meaning; new fields may appear without it.
const SchemaVersion = "1"

// Report is the wire model of one scan, separate from the domain types so that
// its shape is stable.
type Report struct {
	SchemaVersion string         `json:"schemaVersion"`
	Tool          Tool           `json:"tool"`
	ScannedAt     time.Time      `json:"scannedAt"`
	Inputs        []string       `json:"inputs,omitempty"`
	ResourcesRead int            `json:"resourcesRead"`
	Summary       rules.Summary  `json:"summary"`
	Results       []rules.Result `json:"results"`
	// Warnings are input problems that did not stop the scan; Notes are policy
	// remarks such as expired or unused waivers.
	Warnings []string `json:"warnings,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// SinceLastScan compares with the previous scan in the history; nil when
	// the scan is not recorded or is the first.
	SinceLastScan *SinceLastScan `json:"sinceLastScan,omitempty"`
	// Context names what the results are about (resources, keys, vaults and
	// the chains between them) for the renderers that show more than results.
	Context *Context `json:"context,omitempty"`
	// Framework groups the results by the controls of one compliance
	// framework, when the scan was asked for a framework view.
	Framework *FrameworkView `json:"framework,omitempty"`
}

// Tool names the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}
