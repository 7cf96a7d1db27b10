package estate

import "strings"

// Built-in role definition GUIDs that matter for key access and administration
// (reference/cmk-rule-catalog.md §2.4, azure-api-facts.md §1.6).
const (
	RoleKeyVaultAdministrator           = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	RoleKeyVaultCryptoOfficer           = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
	RoleKeyVaultCryptoUser              = "12338af0-0e69-4776-bea7-57ae8d297424"
	RoleKeyVaultCryptoServiceEncryption = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
	RoleKeyVaultCryptoServiceRelease    = "08bbd89e-9f13-488c-ac41-acfcb10c90ab"
	RoleKeyVaultReader                  = "21090545-7ca7-4776-b22c-e363652d74d2"
	RoleKeyVaultContributor             = "f25e0fa2-a7c8-4377-a976-54943a77a395"
	RoleKeyVaultDataAccessAdministrator = "8b54135c-b56d-4d72-a534-26097cfdc8d8"
	RoleOwner                           = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	RoleContributor                     = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	RoleUserAccessAdministrator         = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	RoleRBACAdministrator               = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	RoleReader                          = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
)

// builtinRoles are the built-in roles whose effect on keys cmkguard knows.
// Custom roles come from roleDefinitions rows in the snapshot.
var builtinRoles = map[string]*RoleDefinition{
	RoleKeyVaultAdministrator: {Name: "Key Vault Administrator",
		Actions: []string{"Microsoft.KeyVault/vaults/*/read"}, DataActions: []string{"Microsoft.KeyVault/vaults/*"}},
	RoleKeyVaultCryptoOfficer: {Name: "Key Vault Crypto Officer",
		DataActions: []string{"Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"}},
	RoleKeyVaultCryptoUser: {Name: "Key Vault Crypto User",
		DataActions: []string{"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action",
			"Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/encrypt/action",
			"Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action",
			"Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action",
			"Microsoft.KeyVault/vaults/keys/verify/action"}},
	RoleKeyVaultCryptoServiceEncryption: {Name: "Key Vault Crypto Service Encryption User",
		DataActions: []string{"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
			"Microsoft.KeyVault/vaults/keys/unwrap/action"}},
	RoleKeyVaultCryptoServiceRelease: {Name: "Key Vault Crypto Service Release User",
		DataActions: []string{"Microsoft.KeyVault/vaults/keys/release/action"}},
	RoleKeyVaultReader: {Name: "Key Vault Reader",
		DataActions: []string{"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}},
	RoleKeyVaultContributor:             {Name: "Key Vault Contributor", Actions: []string{"Microsoft.KeyVault/*"}},
	RoleKeyVaultDataAccessAdministrator: {Name: "Key Vault Data Access Administrator", Actions: []string{"Microsoft.Authorization/roleAssignments/write"}},
	RoleOwner:                           {Name: "Owner", Actions: []string{"*"}},
	RoleContributor:                     {Name: "Contributor", Actions: []string{"*"}, NotActions: []string{"Microsoft.Authorization/*/Write"}},
	RoleUserAccessAdministrator:         {Name: "User Access Administrator", Actions: []string{"Microsoft.Authorization/*"}},
	RoleRBACAdministrator:               {Name: "Role Based Access Control Administrator", Actions: []string{"Microsoft.Authorization/roleAssignments/write"}},
	// Common built-in roles that give no key access, so that holding one does
	// not make a grant unresolved.
	RoleReader:                             {Name: "Reader", Actions: []string{"*/read"}},
	"43d0d8ad-25c7-4714-9337-8ba259a9fe05": {Name: "Monitoring Reader", Actions: []string{"*/read"}},
	"ba92f5b4-2d11-453d-a403-e96b0029c9fe": {Name: "Storage Blob Data Contributor", DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}},
	"2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": {Name: "Storage Blob Data Reader", DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}},
	"7f951dda-4ed3-4680-a7ca-43fe172d538d": {Name: "AcrPull", Actions: []string{"Microsoft.ContainerRegistry/registries/pull/read"}},
}

// keyDataActions maps the key operations rules ask about to RBAC data actions.
var keyDataActions = map[string]string{
	"get":               "Microsoft.KeyVault/vaults/keys/read",
	"list":              "Microsoft.KeyVault/vaults/keys/read",
	"wrapkey":           "Microsoft.KeyVault/vaults/keys/wrap/action",
	"unwrapkey":         "Microsoft.KeyVault/vaults/keys/unwrap/action",
	"encrypt":           "Microsoft.KeyVault/vaults/keys/encrypt/action",
	"decrypt":           "Microsoft.KeyVault/vaults/keys/decrypt/action",
	"sign":              "Microsoft.KeyVault/vaults/keys/sign/action",
	"verify":            "Microsoft.KeyVault/vaults/keys/verify/action",
	"create":            "Microsoft.KeyVault/vaults/keys/create/action",
	"import":            "Microsoft.KeyVault/vaults/keys/import/action",
	"update":            "Microsoft.KeyVault/vaults/keys/update/action",
	"delete":            "Microsoft.KeyVault/vaults/keys/delete",
	"backup":            "Microsoft.KeyVault/vaults/keys/backup/action",
	"restore":           "Microsoft.KeyVault/vaults/keys/restore/action",
	"recover":           "Microsoft.KeyVault/vaults/deletedKeys/recover/action",
	"purge":             "Microsoft.KeyVault/vaults/deletedKeys/delete",
	"rotate":            "Microsoft.KeyVault/vaults/keys/rotate/action",
	"release":           "Microsoft.KeyVault/vaults/keys/release/action",
	"getrotationpolicy": "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
	"setrotationpolicy": "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
}

// KeyOperations lists, in a stable order, the key operations cmkguard reasons about.
var KeyOperations = []string{"get", "list", "wrapkey", "unwrapkey", "encrypt", "decrypt", "sign", "verify",
	"create", "import", "update", "delete", "backup", "restore", "recover", "purge", "rotate", "release",
	"getrotationpolicy", "setrotationpolicy"}

// KeyManagementOperations are the operations that change a key's life rather
// than use it; a workload identity should hold none of them.
var KeyManagementOperations = []string{"create", "import", "update", "delete", "backup", "restore", "recover",
	"purge", "rotate", "setrotationpolicy"}

// AdministrativeRoles are roles that administer a vault or its permissions. On
// an access-policy vault Contributor and Key Vault Contributor count too, since
// they can write access policies and so grant themselves key access.
func AdministrativeRole(roleID string, accessPolicyVault bool) bool {
	switch roleID {
	case RoleKeyVaultAdministrator, RoleKeyVaultCryptoOfficer, RoleKeyVaultDataAccessAdministrator,
		RoleOwner, RoleUserAccessAdministrator, RoleRBACAdministrator:
		return true
	case RoleContributor, RoleKeyVaultContributor:
		return accessPolicyVault
	}
	return false
}

// Role returns the definition of a role: a custom definition from the snapshot,
// else a known built-in one, else nil.
func (e *Estate) Role(id string) *RoleDefinition {
	id = roleGUID(id)
	if d := e.roleDefs[id]; d != nil {
		return d
	}
	if d := builtinRoles[id]; d != nil {
		return d
	}
	return nil
}

// RoleName returns a role's display name, or its GUID when unknown.
func (e *Estate) RoleName(id string) string {
	if d := e.Role(id); d != nil && d.Name != "" {
		return d.Name
	}
	return roleGUID(id)
}

// KeyOps returns the key operations (KeyOperations names) the role
// definition allows, in KeyOperations order; nil when none. The slice is
// shared: callers must not modify it.
func (d *RoleDefinition) KeyOps() []string {
	d.keyOpsOnce.Do(func() {
		for _, op := range KeyOperations {
			if d.Allows(keyDataActions[op]) {
				d.keyOps = append(d.keyOps, op)
			}
		}
	})
	return d.keyOps
}

// Allows reports whether the role definition grants the data action.
func (d *RoleDefinition) Allows(dataAction string) bool {
	return matchAny(d.DataActions, dataAction) && !matchAny(d.NotDataActions, dataAction)
}

// roleGUID takes the trailing GUID of a role definition id; the prefix may be
// subscription- or tenant-scoped.
func roleGUID(id string) string {
	id = Lower(strings.TrimSpace(id))
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	return id
}

func matchAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if Glob(p, action) {
			return true
		}
	}
	return false
}
