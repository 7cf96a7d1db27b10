package rules

import (
	"slices"
	"strings"
)

// classificationLabel renders a resource's classification for evidence.
func classificationLabel(value string, classified bool) string {
	if !classified {
		return "unclassified"
	}
	return value
}

// evidenceText renders a workload's encryption evidence as "k=v, k=v" in a stable order.
func evidenceText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// workloadRules are the per-workload rules, in catalog order.
var workloadRules = []*Rule{
	cmkRequired,
}
