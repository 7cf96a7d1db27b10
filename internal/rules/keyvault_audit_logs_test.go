package rules

import "testing"

func TestKeyvaultAuditLogs(t *testing.T) {
	runRuleCases(t, "keyvault-audit-logs", []ruleCase{
		{Name: "category group audit to a workspace", Files: []string{"pass.json"}, Resource: "vaults/kv-audit-group", Want: Pass, Message: "audit"},
		{Name: "allLogs to storage beside a metrics-only setting", Files: []string{"pass.json"}, Resource: "vaults/kv-audit-all", Want: Pass, Message: "to-archive"},
		{Name: "lower-case id, \"auditevent\", \"true\" string, event hub", Files: []string{"pass.json"}, Resource: "vaults/kv-audit-event", Want: Pass},
		{Name: "Managed HSM AuditEvent", Files: []string{"pass.json"}, Resource: "managedHSMs/hsm-audit", Want: Pass},
		{Name: "PowerShell export, setting nested under resources", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-ps-own", Want: Pass},
		{Name: "setting nested under another vault belongs to the vault its id names", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-ps-other", Want: Pass},
		{Name: "nesting a setting of another vault does not count", Files: []string{"pass-powershell.json"}, Resource: "vaults/kv-ps-nests-other", Want: Fail, Message: "no diagnostic setting"},
		{Name: "AuditEvent disabled", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-disabled", Want: Fail, Message: "AuditEvent is disabled"},
		{Name: "allLogs disabled", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-group-off", Want: Fail, Message: "allLogs is disabled"},
		{Name: "only AzurePolicyEvaluationDetails", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-policy-only", Want: Fail, Message: "sends only AzurePolicyEvaluationDetails"},
		{Name: "metrics only", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-metrics-only", Want: Fail, Message: "metrics only"},
		{Name: "audit enabled but no destination", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-nowhere", Want: Fail, Message: "no destination"},
		{Name: "no setting while others were collected", Files: []string{"fail-powershell.json"}, Resource: "vaults/kv-ps-none", Want: Fail, Message: "no diagnostic setting"},
		{Name: "snapshot without any diagnostic settings", Files: []string{"unknown.json"}, Resource: "vaults/kv-audit-unseen", Want: Unknown, Message: "carries no diagnostic settings"},
		{Name: "collection gap names the missing permission", Files: []string{"unknown-gap.ndjson"}, Resource: "vaults/kv-audit-gapped", Want: Unknown, Message: "Microsoft.Insights/diagnosticSettings/read"},
		{Name: "collected snapshot without a setting for the vault", Files: []string{"unknown-gap.ndjson"}, Resource: "vaults/kv-audit-collected", Want: Fail},
	})
}
