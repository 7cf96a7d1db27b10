package rules

import (
	"strconv"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkOverapplied = &Rule{
	ID:       "cmk-overapplied",
	Title:    "Customer-managed keys are not spent on non-sensitive data",
	Severity: Info,
	Description: "Passes unless the resource is classified with a non-sensitive value (e.g. public, internal, general) " +
		"and uses a customer-managed key. Unclassified resources pass (cmk-classified reports them). Unknown when the resource " +
		"is classified non-sensitive but the snapshot does not show how it is encrypted, or when it uses a customer-managed key " +
		"and its tags are not in the snapshot.",
	Rationale: "A customer-managed key costs key operations, an identity, access grants and an outage risk (a disabled, " +
		"expired or deleted key takes the service down). Where the data does not call for it, that is cost and risk without benefit; " +
		"or the classification is wrong, which matters more.",
	Remediation: "First check the classification tag: if the data is in fact sensitive, correct it (az tag update --resource-id <resource-id> " +
		"--operation Merge --tags dataClassification=confidential). Otherwise plan a return to platform-managed keys where the service " +
		"allows it (e.g. az storage account update --encryption-key-source Microsoft.Storage); Container Registry, Data Factory, " +
		"PostgreSQL flexible server, Recovery Services and Backup vaults cannot revert, so keep the key and accept the cost.",
	Frameworks: []string{"MCSB DP-5"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		c := classify(env, w.Resource)
		if !c.TagsKnown || w.CMK == estate.CMKUnknown {
			return judgeOverapplied(env, w, c) // may name w
		}
		return byShape(env, overappliedRule, w, c, judgeOverapplied)
	},
}

// judgeOverapplied judges workload w, whose classification is c, for
// cmk-overapplied.
func judgeOverapplied(env *Env, w *estate.Workload, c classification) Outcome {
	ev := env.evidence.start().str("service", w.Service.Name).str("encryption", w.CMK.String()).
		str("classification", classificationLabel(c.Value, c.Tagged)).strMap(w.Evidence)
	// classified appends `classified "<value>"` to the message.
	msg := env.messages.start()
	classified := func() { msg = strconv.AppendQuote(append(msg, "classified "...), c.Value) }
	st := Pass
	switch {
	case !c.TagsKnown && w.CMK == estate.CMKCustomer:
		return Outcome{Status: Unknown, Evidence: ev.done(),
			Message: w.Name + " uses a customer-managed key, but only a child of it is in the snapshot, so its classification cannot be read"}
	case !c.TagsKnown:
		return Outcome{Status: Pass, Evidence: ev.done(), Message: w.Name + " does not use a customer-managed key"}
	case !c.Tagged:
		msg = append(msg, "unclassified; cmk-classified asks for a classification tag"...)
	case c.Sensitive:
		classified()
		msg = append(msg, ", which calls for a customer-managed key"...)
	case w.CMK == estate.CMKPlatform:
		classified()
		msg = append(msg, " and encrypted with platform-managed keys"...)
	case w.CMK == estate.CMKUnknown:
		classified()
		msg = append(append(append(msg, ", but the snapshot does not show how "...), w.Name...), " is encrypted ("...)
		msg = append(appendEvidenceText(msg, w.Evidence), ')')
		return Outcome{Status: Unknown, Message: string(msg), Evidence: ev.done()} // names w: not worth keeping
	default:
		st = Fail
		classified()
		msg = append(msg, " (not sensitive) but encrypted with a customer-managed key ("...)
		msg = append(appendEvidenceText(msg, w.Evidence), ')')
	}
	return Outcome{Status: st, Message: env.messages.intern(msg), Evidence: ev.done()}
}
