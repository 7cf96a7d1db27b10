package rules

import (
	"strconv"

	"github.com/cmkguard/cmkguard/internal/estate"
)

var cmkRequired = &Rule{
	ID:       "cmk-required",
	Title:    "Sensitive data is encrypted with a customer-managed key",
	Severity: High,
	Description: "Passes when the resource uses a customer-managed key, or when its classification does not require one. " +
		"Unclassified resources are treated as sensitive unless the policy says otherwise.",
	Rationale: "With platform-managed keys the organisation cannot revoke access to the data, prove key custody to an auditor, " +
		"or crypto-shred it; PCI DSS 3.6/3.7 and HIPAA expect keys the organisation controls for regulated data.",
	Remediation: "Switch the resource to a customer-managed key held in a vault with soft delete and purge protection; " +
		"the evidence names the service-specific command (e.g. az storage account update --encryption-key-source Microsoft.Keyvault …).",
	Frameworks: []string{"MCSB DP-5", "PCI-DSS 3.5.1", "PCI-DSS 3.6.1", "HIPAA 164.312(a)(2)(iv)",
		"CIS Azure 2.0 3.12 (storage)", "CIS Azure 2.0 4.1.3 (SQL)", "CIS Azure 2.0 7.3 (disks)"},
	Workload: func(env *Env, w *estate.Workload) Outcome {
		c := classify(env, w.Resource)
		if w.CMK == estate.CMKUnknown {
			return judgeRequired(env, w, c) // may name w
		}
		return byShape(env, requiredRule, w, c, judgeRequired)
	},
}

// judgeRequired judges workload w, whose classification is c, for
// cmk-required.
func judgeRequired(env *Env, w *estate.Workload, c classification) Outcome {
	value, classified, sensitive := c.Value, c.Tagged, c.Sensitive
	ev := env.evidence.start().str("service", w.Service.Name).str("encryption", w.CMK.String()).
		str("classification", classificationLabel(value, classified)).strMap(w.Evidence)
	msg := env.messages.start()
	switch {
	case !sensitive:
		msg = strconv.AppendQuote(append(msg, "classified "...), value)
		msg = append(msg, ", which does not require a customer-managed key"...)
		return Outcome{Status: Pass, Message: env.messages.intern(msg), Evidence: ev.done()}
	case w.CMK == estate.CMKCustomer:
		msg = append(append(msg, w.Service.Name...), " uses a customer-managed key"...)
		return Outcome{Status: Pass, Message: env.messages.intern(msg), Evidence: ev.done()}
	case w.CMK == estate.CMKUnknown:
		return Outcome{Status: Unknown, Evidence: ev.done(),
			Message: "the snapshot does not show how " + w.Name + " is encrypted (" + evidenceText(w.Evidence) + ")"}
	}
	ev.str("enable", w.Service.Enable)
	if classified {
		msg = strconv.AppendQuote(append(msg, "classified "...), value)
		msg = append(msg, " but encrypted with platform-managed keys ("...)
	} else {
		msg = append(msg, "unclassified (treated as sensitive) and encrypted with platform-managed keys ("...)
	}
	msg = append(appendEvidenceText(msg, w.Evidence), ')')
	return Outcome{Status: Fail, Message: env.messages.intern(msg), Evidence: ev.done()}
}
