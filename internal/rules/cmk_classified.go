package rules

import (
	"strconv"

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
		c := classify(env, w.Resource)
		if !c.TagsKnown {
			return judgeClassified(env, w, c) // names w
		}
		// The rest reads the service and classification alone.
		return byShape(env, classifiedRule, w, c, judgeClassified)
	},
}

// judgeClassified judges workload w, whose classification is c, for
// cmk-classified.
func judgeClassified(env *Env, w *estate.Workload, c classification) Outcome {
	tagKeys := env.Policy.Classification.TagKeys
	ev := env.evidence.start().str("service", w.Service.Name).strs("tagKeys", tagKeys)
	msg := env.messages.start()
	switch {
	case !c.TagsKnown:
		return Outcome{Status: Unknown, Evidence: ev.done(),
			Message: "only a child of " + w.Name + " is in the snapshot, so its tags cannot be read"}
	case c.Tagged:
		ev.str("tag", c.Tag).str("classification", c.Value)
		msg = strconv.AppendQuote(append(msg, "classified "...), c.Value)
		msg = append(append(msg, " by tag "...), c.Tag...)
		return Outcome{Status: Pass, Message: env.messages.intern(msg), Evidence: ev.done()}
	case c.Empty:
		ev.str("tag", c.Tag)
		msg = append(append(append(msg, "classification tag "...), c.Tag...), " is present but empty"...)
		return Outcome{Status: Fail, Message: env.messages.intern(msg), Evidence: ev.done()}
	}
	msg = append(msg, "no classification tag (expected one of "...)
	for i, k := range tagKeys {
		if i > 0 {
			msg = append(msg, ", "...)
		}
		msg = append(msg, k...)
	}
	msg = append(msg, ')')
	return Outcome{Status: Fail, Message: env.messages.intern(msg), Evidence: ev.done()}
}
