package rules

// appRules are the app-tier rules, in catalog order.
var appRules = []*Rule{}
