package rules

// vaultRules are the per-vault (Key Vault and Managed HSM) rules, in catalog order.
var vaultRules = []*Rule{}
