package rules

import (
	"strconv"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkClassified = &Rule{
	ID:       "cmk-classified",
	Title:    "CMK-capable resources carry a data-classification tag",
	Severity: Low,
	Description: "Passes when the resource carries a classification tag with a value: one of the policy's tag keys " +
		"(by default dataClassification, data-classification, data_classification, classification), matched case-insensitively. " +
		"A classification tag with an empty value classifies nothing and fails. A SQL server or managed instance known only " +
		"from its encryptionProtector child is unknown: its tags are not in the snapshot.",
	Rationale: "Whether a resource needs a customer-managed key follows from the data it holds. Without a classification " +
		"cmk-required has to treat the resource as sensitive by default, and neither over- nor under-protection can be told apart.",
	Remediation: "Tag the resource with its classification, e.g. az tag update --resource-id <resource-id> --operation Merge " +
		"--tags dataClassification=<confidential|internal|public|…>; or set properties.tags in the template. " +
		"Azure Policy's \"Require a tag and its value\" can keep new resources tagged.",
	Frameworks: []string{"MCSB DP-5", "HIPAA 164.308(a)(1)(ii)(A)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		ev := Ev("service", w.Service.Name, "tagKeys", env.Policy.Classification.TagKeys)
		c := classify(env, w.Resource)
		switch {
		case !c.TagsKnown:
			return said(Unknown, ev, "only a child of "+w.Name+" is in the snapshot, so its tags cannot be read")
		case c.Tagged:
			ev = append(ev, "tag", c.Tag, "classification", c.Value)
			return said(Pass, ev, "classified "+strconv.Quote(c.Value)+" by tag "+c.Tag)
		case c.Empty:
			ev = append(ev, "tag", c.Tag)
			return said(Fail, ev, "classification tag "+c.Tag+" is present but empty")
		}
		return said(Fail, ev, "no classification tag (expected one of "+strings.Join(env.Policy.Classification.TagKeys, ", ")+")")
	},
}
