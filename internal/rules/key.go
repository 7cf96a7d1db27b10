package rules

// keyRules are the per-key rules, in catalog order.
var keyRules = []*Rule{}
