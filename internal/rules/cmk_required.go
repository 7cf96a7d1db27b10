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
		value, classified, sensitive := c.Value, c.Tagged, c.Sensitive
		ev := append(make([]any, 0, 8+2*len(w.Evidence)), // with room for the evidence below and one more pair
			"service", w.Service.Name, "encryption", w.CMK.String(), "classification", classificationLabel(value, classified))
		for k, v := range w.Evidence {
			ev = append(ev, k, v)
		}
		switch {
		case !sensitive:
			return said(Pass, ev, "classified "+strconv.Quote(value)+", which does not require a customer-managed key")
		case w.CMK == estate.CMKCustomer:
			return said(Pass, ev, w.Service.Name+" uses a customer-managed key")
		case w.CMK == estate.CMKUnknown:
			return said(Unknown, ev, "the snapshot does not show how "+w.Name+" is encrypted ("+evidenceText(w.Evidence)+")")
		}
		ev = append(ev, "enable", w.Service.Enable)
		if classified {
			return said(Fail, ev, "classified "+strconv.Quote(value)+" but encrypted with platform-managed keys ("+evidenceText(w.Evidence)+")")
		}
		return said(Fail, ev, "unclassified (treated as sensitive) and encrypted with platform-managed keys ("+evidenceText(w.Evidence)+")")
	},
}
