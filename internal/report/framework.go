package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cmkguard/cmkguard/internal/report/frameworks"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// FrameworkView is the results grouped by the controls of one compliance
// framework.
type FrameworkView struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Version  string        `json:"version"`
	Controls []ControlView `json:"controls"`
}

// ControlView is one control with the results that count toward it.
type ControlView struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Rules []string `json:"rules"`
	// Status is the control's worst result: fail, unknown, waived or pass; or
	// not-assessed when no result counts toward it.
	Status  string `json:"status"`
	Pass    int    `json:"pass"`
	Fail    int    `json:"fail"`
	Unknown int    `json:"unknown"`
	Waived  int    `json:"waived"`
	// Failing lists the resources with a failing result toward the control.
	Failing []string `json:"failing,omitempty"`
}

// NotAssessed is the status of a control no result counts toward.
const NotAssessed = "not-assessed"

// NewFrameworkView groups results by the framework's controls. A result
// counts toward every control that lists its rule (and its resource type, when
// the control names types).
func NewFrameworkView(f *frameworks.Framework, results []rules.Result) *FrameworkView {
	v := &FrameworkView{ID: f.ID, Name: f.Name, Version: f.Version}
	for _, c := range f.Controls {
		cv := ControlView{ID: c.ID, Title: c.Title, Rules: c.Rules}
		for _, r := range results {
			if !c.Covers(r.Rule, r.ResourceType) {
				continue
			}
			switch r.Status {
			case rules.Pass:
				cv.Pass++
			case rules.Fail:
				cv.Fail++
				if !slices.Contains(cv.Failing, r.Resource) {
					cv.Failing = append(cv.Failing, r.Resource)
				}
			case rules.Unknown:
				cv.Unknown++
			case rules.Waived:
				cv.Waived++
			}
		}
		switch {
		case cv.Fail > 0:
			cv.Status = string(rules.Fail)
		case cv.Unknown > 0:
			cv.Status = string(rules.Unknown)
		case cv.Waived > 0:
			cv.Status = string(rules.Waived)
		case cv.Pass > 0:
			cv.Status = string(rules.Pass)
		default:
			cv.Status = NotAssessed
		}
		v.Controls = append(v.Controls, cv)
	}
	return v
}

// Title names the framework and its version.
func (v *FrameworkView) Title() string { return v.Name + " " + v.Version }

// writeFrameworkTable writes the control view as a terminal table.
func writeFrameworkTable(w io.Writer, v *FrameworkView) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s — results by control\n", Clean(v.Title()))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tSTATUS\tPASS\tFAIL\tUNKNOWN\tWAIVED\tTITLE")
	for _, c := range v.Controls {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", Clean(c.ID), c.Status, c.Pass, c.Fail, c.Unknown, c.Waived, Clean(c.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
