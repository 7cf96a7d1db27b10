// Package frameworks holds the compliance frameworks cmkguard can group its
// results by — PCI DSS, HIPAA, CIS Azure Foundations, the Microsoft cloud
// security benchmark — as versioned data files that map each control to the
// rule ids that give evidence for it. The files are embedded; loading one
// checks every rule id against the catalog, so a renamed or removed rule
// cannot silently drop out of a compliance view.
package frameworks

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed data/*.yaml
var data embed.FS

// Framework is one compliance framework at one version.
type Framework struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	// Citation is the prefix the rule catalog's framework references use for
	// this framework, e.g. "PCI-DSS " in "PCI-DSS 3.6.1".
	Citation string    `yaml:"citation"`
	Controls []Control `yaml:"controls"`
}

// Control is one control, requirement or recommendation of a framework and the
// rules that give evidence for it.
type Control struct {
	ID    string   `yaml:"id"`
	Title string   `yaml:"title"`
	Rules []string `yaml:"rules"`
	// ResourceTypes, when set, limits the control to results on those
	// (lower-case) resource types, e.g. CIS 3.12 counts cmk-required only on
	// storage accounts.
	ResourceTypes []string `yaml:"resourceTypes,omitempty"`
}

// Covers reports whether a result of rule on a resource of type typ counts
// toward the control.
func (c *Control) Covers(rule, typ string) bool {
	if !slices.Contains(c.Rules, rule) {
		return false
	}
	return len(c.ResourceTypes) == 0 || slices.Contains(c.ResourceTypes, strings.ToLower(typ))
}

// IDs lists the embedded frameworks' ids, sorted.
func IDs() []string {
	entries, _ := data.ReadDir("data")
	var ids []string
	for _, e := range entries {
		ids = append(ids, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(ids)
	return ids
}

// Load reads the embedded framework with that id. known reports whether a
// rule id names a catalog rule; an id it rejects makes Load fail.
func Load(id string, known func(rule string) bool) (*Framework, error) {
	if !slices.Contains(IDs(), id) {
		return nil, fmt.Errorf("unknown framework %q (want one of %s)", id, strings.Join(IDs(), ", "))
	}
	b, err := data.ReadFile(path.Join("data", id+".yaml"))
	if err != nil {
		return nil, err
	}
	return Parse(id+".yaml", b, known)
}

// Parse reads a framework file. Unknown fields, a missing id, name or version,
// a control without an id or rules, a duplicate control, and a rule id that
// known rejects are errors that name the file.
func Parse(name string, b []byte, known func(rule string) bool) (*Framework, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f Framework
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("framework %s: empty file", name)
		}
		return nil, fmt.Errorf("framework %s: %w", name, err)
	}
	var problems []string
	if f.ID == "" || f.Name == "" || f.Version == "" {
		problems = append(problems, "id, name and version are required")
	}
	seen := map[string]bool{}
	for i, c := range f.Controls {
		switch {
		case c.ID == "":
			problems = append(problems, fmt.Sprintf("control %d has no id", i+1))
		case seen[c.ID]:
			problems = append(problems, fmt.Sprintf("control %s is listed twice", c.ID))
		case len(c.Rules) == 0:
			problems = append(problems, fmt.Sprintf("control %s lists no rules", c.ID))
		}
		seen[c.ID] = true
		for _, r := range c.Rules {
			if !known(r) {
				problems = append(problems, fmt.Sprintf("control %s names unknown rule %q", c.ID, r))
			}
		}
		for j, t := range c.ResourceTypes {
			f.Controls[i].ResourceTypes[j] = strings.ToLower(t)
		}
	}
	if len(f.Controls) == 0 {
		problems = append(problems, "no controls")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("framework %s: %s", name, strings.Join(problems, "; "))
	}
	return &f, nil
}
