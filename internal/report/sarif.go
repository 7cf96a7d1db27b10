package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// The SARIF document is written by hand with encoding/json: the shape is
// small, and every field GitHub code scanning reads stays in plain view.
//
// Locations. A finding is about an Azure resource, not a line of code, yet
// GitHub code scanning accepts only results with a physical location. Each
// result therefore carries two:
//   - a logical location whose fullyQualifiedName is the resource's ARM id
//     (kind "resource"), which is what the finding is about;
//   - a physical location in the input file the resource was read from, at
//     the resource's line when the reader knows it and line 1 otherwise, with
//     uriBaseId %SRCROOT% for relative paths. Snapshots committed to the
//     repository that is scanned thus open at the resource. When the resource
//     came from standard input or live collection, or the report has no
//     context, the artifact is synthetic: "azure/" followed by the ARM id
//     without its leading slash (each segment URI-escaped), line 1.
//
// Fingerprints. partialFingerprints["cmkguard/v1"] is the SHA-256 of the rule
// id, a NUL byte and the lower-cased ARM id, so that an alert keeps its
// identity across scans, input files and line moves.

const (
	sarifSchema      = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion     = "2.1.0"
	sarifInfoURI     = "https://github.com/cmkguard/cmkguard"
	sarifFingerprint = "cmkguard/v1"
)

// securitySeverity is the CVSS-like score GitHub code scanning reads from a
// rule's properties.security-severity.
var securitySeverity = map[rules.Severity]string{
	rules.Critical: "9.5", rules.High: "8.0", rules.Medium: "5.5", rules.Low: "3.0", rules.Info: "1.0",
}

// sarifLevel maps a severity to the level of a failing result.
func sarifLevel(s rules.Severity) string {
	switch {
	case s >= rules.High:
		return "error"
	case s == rules.Medium:
		return "warning"
	}
	return "note"
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifHelp         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	ProblemSeverity  string   `json:"problem.severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	EndTimeUTC          string              `json:"endTimeUtc"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run: every
// catalog rule as a reporting descriptor, and every result that is not a pass
// (fail; unknown as kind "review"; waived as a failure with an accepted
// external suppression).
func WriteSARIF(w io.Writer, r *Report, opt Options) error {
	list, _ := ruleIndex(r, opt)
	ruleAt := map[string]int{}
	driver := sarifDriver{Name: r.Tool.Name, Version: r.Tool.Version, InformationURI: sarifInfoURI, Rules: []sarifRule{}}
	if driver.Name == "" {
		driver.Name = "cmkguard"
	}
	for i, ru := range list {
		ruleAt[ru.ID] = i
		driver.Rules = append(driver.Rules, sarifDescriptor(ru))
	}
	ix := NewIndex(r.Context)
	results := []sarifResult{}
	for _, res := range r.Results {
		if res.Status == rules.Pass {
			continue
		}
		results = append(results, sarifFinding(res, ruleAt[res.Rule], ix))
	}
	inv := sarifInvocation{ExecutionSuccessful: true, EndTimeUTC: r.ScannedAt.UTC().Format(time.RFC3339)}
	for _, msg := range r.Warnings {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{msg}})
	}
	for _, msg := range r.Notes {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note", Message: sarifText{msg}})
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{
		Tool: sarifTool{driver}, Invocations: []sarifInvocation{inv}, Results: results,
		Properties: map[string]any{"summary": r.Summary},
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

// sarifDescriptor describes one rule.
func sarifDescriptor(ru *rules.Rule) sarifRule {
	short := ru.Title
	if short == "" {
		short = ru.ID
	}
	full := ru.Description
	if full == "" {
		full = short
	}
	var text, md strings.Builder
	fmt.Fprintf(&text, "%s\n\n%s", short, full)
	fmt.Fprintf(&md, "**%s**\n\n%s", mdEscape(short), mdEscape(full))
	if ru.Rationale != "" {
		fmt.Fprintf(&text, "\n\nWhy it matters: %s", ru.Rationale)
		fmt.Fprintf(&md, "\n\n**Why it matters:** %s", mdEscape(ru.Rationale))
	}
	if ru.Remediation != "" {
		fmt.Fprintf(&text, "\n\nHow to fix: %s", ru.Remediation)
		fmt.Fprintf(&md, "\n\n**How to fix:** %s", mdEscape(ru.Remediation))
	}
	if len(ru.Frameworks) > 0 {
		fmt.Fprintf(&text, "\n\nFrameworks: %s", strings.Join(ru.Frameworks, ", "))
		fmt.Fprintf(&md, "\n\n**Frameworks:** %s", mdEscape(strings.Join(ru.Frameworks, ", ")))
	}
	tags := []string{"security", "customer-managed-keys"}
	if ru.Workload != nil || ru.Vault != nil || ru.Key != nil || ru.App != nil {
		tags = append(tags, ru.Subject())
	}
	tags = append(tags, ru.Frameworks...)
	return sarifRule{
		ID: ru.ID, Name: pascal(ru.ID),
		ShortDescription: sarifText{short}, FullDescription: sarifText{full},
		Help:                 sarifHelp{Text: text.String(), Markdown: md.String()},
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(ru.Severity)},
		Properties: sarifRuleProperty{Tags: tags, SecuritySeverity: securitySeverity[ru.Severity],
			Precision: "high", ProblemSeverity: problemSeverity(ru.Severity)},
	}
}

// problemSeverity is the CodeQL-style problem.severity property.
func problemSeverity(s rules.Severity) string {
	switch sarifLevel(s) {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "recommendation"
}

// sarifFinding turns one non-passing result into a SARIF result.
func sarifFinding(res rules.Result, ruleIdx int, ix *Index) sarifResult {
	rsc := ix.resource(res.Resource, res.ResourceType)
	out := sarifResult{
		RuleID: res.Rule, RuleIndex: ruleIdx, Kind: "fail", Level: sarifLevel(res.Severity),
		Message: sarifText{res.Message},
		Locations: []sarifLocation{{
			PhysicalLocation: sarifPhysicalFor(rsc),
			LogicalLocations: []sarifLogical{{Name: rsc.Name, FullyQualifiedName: res.Resource, Kind: "resource"}},
		}},
		PartialFingerprints: map[string]string{sarifFingerprint: Fingerprint(res.Rule, res.Resource)},
		Properties: map[string]any{"status": res.Status, "severity": res.Severity.String(),
			"resourceType": res.ResourceType},
	}
	if out.Message.Text == "" {
		out.Message.Text = res.Rule + " " + string(res.Status) + " on " + res.Resource
	}
	switch res.Status {
	case rules.Unknown:
		// A result the snapshot cannot decide asks for review; SARIF requires
		// level "none" for any kind other than "fail".
		out.Kind, out.Level = "review", "none"
	case rules.Waived:
		out.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: res.WaiverReason}}
		out.Properties["waiverExpires"] = res.WaiverExpires
	}
	if len(res.Evidence) > 0 {
		out.Properties["evidence"] = res.Evidence
	}
	if res.Remediation != "" {
		out.Properties["remediation"] = res.Remediation
	}
	if len(res.Frameworks) > 0 {
		out.Properties["frameworks"] = res.Frameworks
	}
	return out
}

// Fingerprint identifies a (rule, resource) finding across scans: the hex
// SHA-256 of the rule id, a NUL byte and the lower-cased resource id.
func Fingerprint(rule, resource string) string {
	sum := sha256.Sum256([]byte(rule + "\x00" + strings.ToLower(resource)))
	return hex.EncodeToString(sum[:])
}

// sarifPhysicalFor places a resource in the file it was read from, or in a
// synthetic artifact named after its ARM id (see the comment at the top).
func sarifPhysicalFor(rsc *Resource) sarifPhysical {
	if s := rsc.Source; s != nil && s.File != "" && s.File != "-" && !strings.Contains(s.File, "://") {
		line := max(s.Line, 1)
		file := strings.ReplaceAll(s.File, "\\", "/")
		if strings.HasPrefix(file, "/") {
			return sarifPhysical{ArtifactLocation: sarifArtifact{URI: "file://" + escapePath(file)}, Region: sarifRegion{line}}
		}
		file = strings.TrimPrefix(file, "./")
		return sarifPhysical{ArtifactLocation: sarifArtifact{URI: escapePath(file), URIBaseID: "%SRCROOT%"}, Region: sarifRegion{line}}
	}
	uri := "azure/" + escapePath(strings.Trim(rsc.ID, "/"))
	return sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri, URIBaseID: "%SRCROOT%"}, Region: sarifRegion{1}}
}

// escapePath URI-escapes each segment of a slash-separated path.
func escapePath(p string) string {
	seg := strings.Split(p, "/")
	for i, s := range seg {
		seg[i] = url.PathEscape(s)
	}
	return strings.Join(seg, "/")
}

// pascal turns a rule id such as cmk-key-usable into CmkKeyUsable, the
// reporting descriptor's name.
func pascal(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' || r == '_' || r == ' ' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
