package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/rules"
)

type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML, the test-report format CI systems
// display: one testsuite per catalog rule, one testcase per resource the rule
// judged. A failing result is a failure; an unknown or waived result is
// skipped, with the reason. encoding/xml escapes every name and message and
// replaces characters XML cannot hold.
func WriteJUnit(w io.Writer, r *Report, opt Options) error {
	list, _ := ruleIndex(r, opt)
	stamp := r.ScannedAt.UTC().Format(time.RFC3339)
	byRule := map[string][]rules.Result{}
	for _, res := range r.Results {
		byRule[res.Rule] = append(byRule[res.Rule], res)
	}
	doc := junitSuites{Name: "cmkguard", Time: "0", Timestamp: stamp}
	for _, ru := range list {
		s := junitSuite{Name: ru.ID, Time: "0", Timestamp: stamp, Properties: []junitProperty{
			{"title", ru.Title}, {"severity", ru.Severity.String()},
		}}
		if len(ru.Frameworks) > 0 {
			s.Properties = append(s.Properties, junitProperty{"frameworks", strings.Join(ru.Frameworks, ", ")})
		}
		for _, res := range byRule[ru.ID] {
			c := junitCase{Name: res.Resource, Classname: ru.ID, Time: "0"}
			switch res.Status {
			case rules.Fail:
				c.Failure = &junitFailure{Message: res.Message, Type: res.Severity.String(), Text: junitDetail(res)}
				s.Failures++
			case rules.Unknown:
				c.Skipped = &junitSkipped{Message: "unknown: " + res.Message}
				s.Skipped++
			case rules.Waived:
				c.Skipped = &junitSkipped{Message: fmt.Sprintf("waived until %s: %s (finding: %s)", res.WaiverExpires, res.WaiverReason, res.Message)}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitDetail is the body of a failure: what failed, the evidence and the fix.
func junitDetail(res rules.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resource: %s\ntype: %s\nseverity: %s\n%s\n", res.Resource, res.ResourceType, res.Severity, res.Message)
	if len(res.Evidence) > 0 {
		if ev, err := json.Marshal(res.Evidence); err == nil {
			fmt.Fprintf(&b, "evidence: %s\n", ev)
		}
	}
	if res.Remediation != "" {
		fmt.Fprintf(&b, "fix: %s\n", res.Remediation)
	}
	return b.String()
}
