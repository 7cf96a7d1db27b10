// Package policy holds the user's policy: which tags classify data and which
// values are sensitive, key lifetime and strength limits, per-rule overrides,
// and waivers with a reason and an expiry. Defaults are those of CONTRACT §5.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Policy is the parsed policy file merged over the defaults.
type Policy struct {
	Classification Classification `yaml:"classification"`
	TenantTagKey   string         `yaml:"tenantTagKey"`
	Keys           Keys           `yaml:"keys"`
	Overrides      []Override     `yaml:"overrides"`
	Waivers        []*Waiver      `yaml:"waivers"`
}

// Classification says how resources are classified by their tags.
type Classification struct {
	TagKeys         []string `yaml:"tagKeys"`
	SensitiveValues []string `yaml:"sensitiveValues"`
	// UnclassifiedIsSensitive treats resources without a classification tag as
	// sensitive (secure by default).
	UnclassifiedIsSensitive bool `yaml:"unclassifiedIsSensitive"`
}

// Keys are the limits on key lifetime and strength.
type Keys struct {
	ExpiryWarningDays int    `yaml:"expiryWarningDays"`
	MaxAgeDays        int    `yaml:"maxAgeDays"`
	MinRSABits        int    `yaml:"minRSABits"`
	MinECCurve        string `yaml:"minECCurve"`
	MinAESBits        int    `yaml:"minAESBits"`
}

// Override changes a rule's severity or turns it off.
type Override struct {
	Rule     string `yaml:"rule"`
	Severity string `yaml:"severity"`
	Disabled bool   `yaml:"disabled"`
	Line     int    `yaml:"-"`
}

// Waiver accepts a rule's failure on matching resources until it expires.
type Waiver struct {
	Rule     string `yaml:"rule"`
	Resource string `yaml:"resource"` // ARM id glob: * matches any run of characters, ? one; case-insensitive
	Reason   string `yaml:"reason"`
	Expires  string `yaml:"expires"` // YYYY-MM-DD (valid through that day, UTC) or RFC 3339
	Line     int    `yaml:"-"`

	until time.Time
}

// Until is the instant the waiver stops applying.
func (w *Waiver) Until() time.Time { return w.until }

// Default returns the policy that holds with no policy file (CONTRACT §5).
func Default() *Policy {
	return &Policy{
		Classification: Classification{
			TagKeys:                 []string{"dataClassification", "data-classification", "data_classification", "classification"},
			SensitiveValues:         []string{"confidential", "highly-confidential", "restricted", "secret", "pci", "phi"},
			UnclassifiedIsSensitive: true,
		},
		TenantTagKey: "tenant",
		Keys:         Keys{ExpiryWarningDays: 30, MaxAgeDays: 365, MinRSABits: 2048, MinECCurve: "P-256", MinAESBits: 256},
	}
}

// Curves lists the EC curves Key Vault supports, weakest first; a curve meets a
// minimum when it is not listed before it.
var Curves = []string{"P-256", "P-256K", "P-384", "P-521"}

// Catalog tells Load which rule ids and severities exist, so that a policy
// naming an unknown one is rejected rather than silently ignored.
type Catalog interface {
	HasRule(id string) bool
	HasSeverity(s string) bool
}

// Load reads a policy file over the defaults. Unknown keys, unknown rule ids,
// bad severities, and waivers without a reason or expiry are errors that name
// the file and line.
func Load(path string, cat Catalog) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	p, err := Parse(data, cat)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// Parse parses policy YAML over the defaults.
func Parse(data []byte, cat Catalog) (*Policy, error) {
	p := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return p, nil // empty file: defaults
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	noteLines(&doc, p)
	return p, p.validate(cat)
}

// noteLines records the line of each override and waiver for later messages.
func noteLines(doc *yaml.Node, p *Policy) {
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		items := root.Content[i+1].Content
		switch root.Content[i].Value {
		case "overrides":
			for j := range min(len(items), len(p.Overrides)) {
				p.Overrides[j].Line = items[j].Line
			}
		case "waivers":
			for j := range min(len(items), len(p.Waivers)) {
				if p.Waivers[j] != nil {
					p.Waivers[j].Line = items[j].Line
				}
			}
		}
	}
}

func (p *Policy) validate(cat Catalog) error {
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	if len(p.Classification.TagKeys) == 0 {
		errs = append(errs, errors.New("classification.tagKeys must name at least one tag"))
	}
	if p.Keys.ExpiryWarningDays < 0 || p.Keys.MaxAgeDays <= 0 || p.Keys.MinRSABits <= 0 || p.Keys.MinAESBits <= 0 {
		errs = append(errs, errors.New("keys: expiryWarningDays must be ≥ 0 and maxAgeDays, minRSABits, minAESBits > 0"))
	}
	if CurveRank(p.Keys.MinECCurve) < 0 {
		errs = append(errs, fmt.Errorf("keys.minECCurve %q is not one of %s", p.Keys.MinECCurve, strings.Join(Curves, ", ")))
	}
	for _, o := range p.Overrides {
		if cat != nil && !cat.HasRule(o.Rule) {
			bad(o.Line, "override names unknown rule %q", o.Rule)
		}
		if o.Severity != "" && cat != nil && !cat.HasSeverity(o.Severity) {
			bad(o.Line, "override for %s: unknown severity %q", o.Rule, o.Severity)
		}
	}
	for i, w := range p.Waivers {
		if w == nil {
			errs = append(errs, fmt.Errorf("waiver %d is empty", i+1))
			continue
		}
		switch {
		case w.Rule != "*" && cat != nil && !cat.HasRule(w.Rule):
			bad(w.Line, "waiver names unknown rule %q", w.Rule)
		case strings.TrimSpace(w.Resource) == "":
			bad(w.Line, "waiver for %s needs a resource (an ARM id glob)", w.Rule)
		case strings.TrimSpace(w.Reason) == "":
			bad(w.Line, "waiver for %s on %s needs a reason", w.Rule, w.Resource)
		}
		until, err := parseExpiry(w.Expires)
		if err != nil {
			bad(w.Line, "waiver for %s: %v", w.Rule, err)
		}
		w.until = until
	}
	return errors.Join(errs...)
}

func parseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("needs an expiry (YYYY-MM-DD or RFC 3339)")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.AddDate(0, 0, 1).UTC(), nil // valid through that whole day
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("expiry %q is neither YYYY-MM-DD nor RFC 3339", s)
}

// CurveRank returns the position of a curve in Curves, or -1.
func CurveRank(curve string) int {
	return slices.IndexFunc(Curves, func(c string) bool { return strings.EqualFold(c, strings.TrimSpace(curve)) })
}

// Classify returns a resource's classification from its tags: the value, whether
// a classification tag is present, and whether the data is sensitive. A tag
// with an empty value classifies nothing.
func (p *Policy) Classify(tags estate.Tags) (value string, classified, sensitive bool) {
	for _, key := range p.Classification.TagKeys {
		for _, t := range tags {
			if !strings.EqualFold(strings.TrimSpace(t.Key), key) {
				continue // the key first: most tags are not classification tags
			}
			if v := strings.TrimSpace(t.Value); v != "" {
				return v, true, slices.ContainsFunc(p.Classification.SensitiveValues, func(s string) bool { return strings.EqualFold(s, v) })
			}
		}
	}
	return "", false, p.Classification.UnclassifiedIsSensitive
}

// Tenant returns the value of the tenant tag, or "".
func (p *Policy) Tenant(tags estate.Tags) string {
	for _, t := range tags {
		if strings.EqualFold(strings.TrimSpace(t.Key), p.TenantTagKey) {
			return strings.TrimSpace(t.Value)
		}
	}
	return ""
}

// Override returns the override for a rule, if any.
func (p *Policy) Override(rule string) (Override, bool) {
	for _, o := range p.Overrides {
		if o.Rule == rule {
			return o, true
		}
	}
	return Override{}, false
}

// Waiver returns the first waiver that matches rule and resource id, and whether
// it is still in force at now. Expired matches are returned so callers can say so.
func (p *Policy) Waiver(rule, resourceID string, now time.Time) (w *Waiver, active bool) {
	for _, w := range p.Waivers {
		if (w.Rule == rule || w.Rule == "*") && Glob(w.Resource, resourceID) {
			return w, now.Before(w.until)
		}
	}
	return nil, false
}

// Glob matches an ARM id against a waiver pattern, case-insensitively: * matches
// any run of characters (slashes included), ? matches one character.
func Glob(pattern, s string) bool {
	return estate.Glob(strings.TrimSpace(pattern), strings.TrimRight(s, "/"))
}
