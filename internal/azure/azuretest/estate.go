package azuretest

import (
	"fmt"
	"strings"
	"sync"
)

// Estate is what the fake serves. Resource rows are in Resource Graph's
// shape (lower-case type, subscriptionId, resourceGroup columns); the maps
// hold ARM objects by the lower-case id of the resource they belong to.
type Estate struct {
	TenantID         string
	Resources        []map[string]any            // the resources table
	Containers       []map[string]any            // resourcecontainers: subscriptions
	Authorization    []map[string]any            // authorizationresources: role assignments and definitions
	ManagementGroups map[string][]string         // management group name (lower-case) → subscription ids
	Keys             map[string][]map[string]any // vault or HSM id → keys as ARM's GET returns them
	Diagnostics      map[string][]map[string]any // resource id → diagnostic settings
	ResourceEvents   map[string][]map[string]any // vault id → event subscriptions scoped to it
	TopicEventSubs   map[string][]map[string]any // system topic id → its event subscriptions
	Protectors       map[string]map[string]any   // SQL server or managed instance id → encryptionProtector/current
	AppSettingRefs   map[string][]map[string]any // site id → config/configreferences/appsettings items

	once  sync.Once
	index map[string]bool
}

// has reports whether the resources table holds id.
func (e *Estate) has(id string) bool {
	e.once.Do(func() {
		e.index = make(map[string]bool, len(e.Resources))
		for _, r := range e.Resources {
			e.index[strings.ToLower(str(r["id"]))] = true
		}
	})
	return e.index[strings.ToLower(id)]
}

// Subscriptions returns the subscription ids of the estate.
func (e *Estate) Subscriptions() []string {
	var out []string
	for _, c := range e.Containers {
		out = append(out, str(c["subscriptionId"]))
	}
	return out
}

// RelevantRows returns the ids (lower-case) of the resources-table rows of
// the given types.
func (e *Estate) RelevantRows(types []string) map[string]bool {
	want := map[string]bool{}
	for _, t := range types {
		want[t] = true
	}
	out := map[string]bool{}
	for _, r := range e.Resources {
		if want[strings.ToLower(str(r["type"]))] {
			out[strings.ToLower(str(r["id"]))] = true
		}
	}
	return out
}

// GenOptions shapes a generated estate.
type GenOptions struct {
	Subscriptions int // default 3
	VaultsPerSub  int // default 2
	KeysPerVault  int // default 3
	HSMsPerSub    int // Managed HSMs per subscription, each with KeysPerVault keys (default none)
	// Resources is the number of resources-table rows of types the rules
	// read; storage accounts fill up to it (at least the fixed set per
	// subscription is made).
	Resources int
	// Irrelevant adds rows of a type no rule reads (virtual networks), which
	// the collector's query must leave out.
	Irrelevant int
}

// Built-in role ids used by the generated estate.
const (
	RoleCryptoServiceEncryptionUser = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
	keyCreated                      = 1767225600 // 2026-01-01
	keyExpires                      = 1798761600 // 2027-01-01
)

// SubscriptionID returns the id of the generated estate's i-th subscription (0-based).
func SubscriptionID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, i+1) }

func guid(kind, n int) string { return fmt.Sprintf("%08x-%04x-4000-8000-%012x", kind, n>>16&0xffff, n) }

// Generate builds a deterministic estate: per subscription, Key Vaults with
// keys (half with rotation policies), diagnostic settings on half the vaults,
// an Event Grid system topic for the first vault, a user-assigned identity
// with a key role on every vault, a SQL server with a Key Vault TDE protector,
// a function app with a Key Vault reference, and storage accounts, half of
// them on customer-managed keys and tagged confidential.
func Generate(o GenOptions) *Estate {
	o.Subscriptions = max(o.Subscriptions, 1)
	if o.VaultsPerSub <= 0 {
		o.VaultsPerSub = 2
	}
	if o.KeysPerVault <= 0 {
		o.KeysPerVault = 3
	}
	e := &Estate{TenantID: "22222222-2222-4222-8222-222222222222", ManagementGroups: map[string][]string{},
		Keys: map[string][]map[string]any{}, Diagnostics: map[string][]map[string]any{}, ResourceEvents: map[string][]map[string]any{},
		TopicEventSubs: map[string][]map[string]any{}, Protectors: map[string]map[string]any{}, AppSettingRefs: map[string][]map[string]any{}}
	e.Authorization = append(e.Authorization, map[string]any{
		"id":   "/providers/Microsoft.Authorization/RoleDefinitions/" + RoleCryptoServiceEncryptionUser,
		"name": RoleCryptoServiceEncryptionUser, "type": "microsoft.authorization/roledefinitions", "tenantId": "", "subscriptionId": "", "resourceGroup": "",
		"properties": map[string]any{"roleName": "Key Vault Crypto Service Encryption User", "type": "BuiltInRole", "assignableScopes": []any{"/"},
			"permissions": []any{map[string]any{"actions": []any{"Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read"},
				"notActions": []any{}, "dataActions": []any{"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action"},
				"notDataActions": []any{}}}}})
	fixed := 0
	for s := range o.Subscriptions {
		fixed += e.addSubscription(s, o)
	}
	// Fill with storage accounts up to o.Resources, spread over the subscriptions.
	for i := 0; fixed+i < o.Resources; i++ {
		s := i % o.Subscriptions
		e.Resources = append(e.Resources, e.storageAccount(s, i, o))
	}
	for i := range o.Irrelevant {
		sub := SubscriptionID(i % o.Subscriptions)
		e.Resources = append(e.Resources, map[string]any{
			"id":   fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-%d", sub, i),
			"name": fmt.Sprintf("vnet-%d", i), "type": "microsoft.network/virtualnetworks", "location": "westeurope",
			"subscriptionId": sub, "resourceGroup": "rg-net", "tenantId": e.TenantID, "properties": map[string]any{"addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/16"}}}})
	}
	return e
}

func (e *Estate) row(sub, rg, provider, typ, name string, props map[string]any) map[string]any {
	return map[string]any{
		"id":   fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg, provider, name),
		"name": name[strings.LastIndexByte(name, '/')+1:], "type": strings.ToLower(typ), "kind": "", "location": "westeurope",
		"tenantId": e.TenantID, "subscriptionId": sub, "resourceGroup": rg, "managedBy": "", "sku": nil, "plan": nil,
		"identity": nil, "zones": nil, "tags": map[string]any{}, "properties": props}
}

func vaultName(s, v int) string { return fmt.Sprintf("kv-s%d-%d", s, v) }

func (e *Estate) uami(s int) (id, principal, client string) {
	sub := SubscriptionID(s)
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk", sub),
		guid(0x7777, s), guid(0x8888, s)
}

// addSubscription adds one subscription's fixed set and returns how many
// relevant resources-table rows it made.
func (e *Estate) addSubscription(s int, o GenOptions) int {
	sub := SubscriptionID(s)
	n0 := len(e.Resources)
	mg := "mg-prod"
	e.ManagementGroups[mg] = append(e.ManagementGroups[mg], sub)
	e.Containers = append(e.Containers, map[string]any{
		"id": "/subscriptions/" + sub, "name": fmt.Sprintf("sub-%d", s), "type": "microsoft.resources/subscriptions",
		"tenantId": e.TenantID, "subscriptionId": sub,
		"properties": map[string]any{"state": "Enabled", "managementGroupAncestorsChain": []any{
			map[string]any{"name": mg, "displayName": "Production"}, map[string]any{"name": e.TenantID, "displayName": "Tenant Root Group"}}}})

	uamiID, principal, client := e.uami(s)
	u := e.row(sub, "rg-id", "Microsoft.ManagedIdentity", "Microsoft.ManagedIdentity/userAssignedIdentities", "userAssignedIdentities/uami-cmk",
		map[string]any{"tenantId": e.TenantID, "principalId": principal, "clientId": client, "isolationScope": "None"})
	e.Resources = append(e.Resources, u)

	for v := range o.VaultsPerSub {
		name := vaultName(s, v)
		host := name + ".vault.azure.net"
		vault := e.row(sub, "rg-sec", "Microsoft.KeyVault", "Microsoft.KeyVault/vaults", "vaults/"+name, map[string]any{
			"tenantId": e.TenantID, "sku": map[string]any{"family": "A", "name": "premium"}, "accessPolicies": []any{},
			"vaultUri": "https://" + host + "/", "enableSoftDelete": true, "softDeleteRetentionInDays": 90,
			"enablePurgeProtection": v%2 == 0, "enableRbacAuthorization": true, "publicNetworkAccess": "Disabled",
			"networkAcls":       map[string]any{"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": []any{}, "virtualNetworkRules": []any{}},
			"provisioningState": "Succeeded"})
		e.Resources = append(e.Resources, vault)
		vid := vault["id"].(string)
		lvid := strings.ToLower(vid)
		for k := range o.KeysPerVault {
			kn := fmt.Sprintf("cmk-%d", k)
			version := fmt.Sprintf("%032x", s*1000+v*100+k)
			props := map[string]any{
				"attributes": map[string]any{"enabled": true, "exp": keyExpires, "created": keyCreated, "updated": keyCreated, "recoveryLevel": "Recoverable", "exportable": false},
				"kty":        "RSA-HSM", "keySize": 3072, "keyOps": []any{"wrapKey", "unwrapKey"},
				"keyUri": "https://" + host + "/keys/" + kn, "keyUriWithVersion": "https://" + host + "/keys/" + kn + "/" + version}
			if k%2 == 0 {
				props["rotationPolicy"] = map[string]any{"attributes": map[string]any{"expiryTime": "P1Y", "created": keyCreated, "updated": keyCreated},
					"lifetimeActions": []any{
						map[string]any{"trigger": map[string]any{"timeAfterCreate": "P330D"}, "action": map[string]any{"type": "rotate"}},
						map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P30D"}, "action": map[string]any{"type": "notify"}}}}
			}
			e.Keys[lvid] = append(e.Keys[lvid], map[string]any{"id": vid + "/keys/" + kn, "name": kn, "type": "Microsoft.KeyVault/vaults/keys",
				"location": "westeurope", "tags": map[string]any{}, "properties": props})
		}
		if v%2 == 0 {
			e.Diagnostics[lvid] = []map[string]any{{
				"id": vid + "/providers/microsoft.insights/diagnosticSettings/to-law", "name": "to-law", "type": "Microsoft.Insights/diagnosticSettings",
				"properties": map[string]any{"workspaceId": fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law-sec", sub),
					"logAnalyticsDestinationType": "Dedicated", "storageAccountId": nil, "eventHubAuthorizationRuleId": nil,
					"logs":    []any{map[string]any{"category": nil, "categoryGroup": "audit", "enabled": true, "retentionPolicy": map[string]any{"enabled": false, "days": 0}}},
					"metrics": []any{map[string]any{"category": "AllMetrics", "enabled": true, "retentionPolicy": map[string]any{"enabled": false, "days": 0}}}}}}
		}
		if v == 0 {
			topic := e.row(sub, "rg-sec", "Microsoft.EventGrid", "Microsoft.EventGrid/systemTopics", "systemTopics/"+name+"-events",
				map[string]any{"source": vid, "topicType": "Microsoft.KeyVault.vaults", "metricResourceId": guid(0x1234, s), "provisioningState": "Succeeded"})
			e.Resources = append(e.Resources, topic)
			tid := topic["id"].(string)
			e.TopicEventSubs[strings.ToLower(tid)] = []map[string]any{{
				"id": tid + "/eventSubscriptions/key-expiry", "name": "key-expiry", "type": "Microsoft.EventGrid/systemTopics/eventSubscriptions",
				"properties": map[string]any{"topic": tid, "provisioningState": "Succeeded",
					"destination":         map[string]any{"endpointType": "StorageQueue", "properties": map[string]any{"resourceId": fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-ops/providers/Microsoft.Storage/storageAccounts/stops", sub), "queueName": "kv-events"}},
					"filter":              map[string]any{"includedEventTypes": []any{"Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.KeyExpired"}, "isSubjectCaseSensitive": false},
					"eventDeliverySchema": "EventGridSchema", "retryPolicy": map[string]any{"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}}}}
		}
		if v == 1 {
			e.ResourceEvents[lvid] = []map[string]any{{
				"id": vid + "/providers/Microsoft.EventGrid/eventSubscriptions/expiry", "name": "expiry", "type": "Microsoft.EventGrid/eventSubscriptions",
				"properties": map[string]any{"topic": vid, "provisioningState": "Succeeded",
					"destination": map[string]any{"endpointType": "WebHook", "properties": map[string]any{"endpointBaseUrl": "https://hooks.example.test/kv"}},
					"filter":      map[string]any{"includedEventTypes": []any{"Microsoft.KeyVault.KeyNearExpiry"}}}}}
		}
		e.Authorization = append(e.Authorization, map[string]any{
			"id":   vid + "/providers/Microsoft.Authorization/roleAssignments/" + guid(0xa000+s, v),
			"name": guid(0xa000+s, v), "type": "microsoft.authorization/roleassignments", "tenantId": e.TenantID, "subscriptionId": sub, "resourceGroup": "rg-sec",
			"properties": map[string]any{"roleDefinitionId": "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + RoleCryptoServiceEncryptionUser,
				"principalId": principal, "principalType": "ServicePrincipal", "scope": vid, "createdOn": "2026-01-10T09:00:00Z", "updatedOn": "2026-01-10T09:00:00Z",
				"condition": nil, "conditionVersion": nil}})
	}

	for h := range o.HSMsPerSub {
		name := fmt.Sprintf("hsm-s%d-%d", s, h)
		host := name + ".managedhsm.azure.net"
		hsm := e.row(sub, "rg-sec", "Microsoft.KeyVault", "Microsoft.KeyVault/managedHSMs", "managedHSMs/"+name, map[string]any{
			"tenantId": e.TenantID, "initialAdminObjectIds": []any{guid(0x9999, s)}, "hsmUri": "https://" + host + "/",
			"enableSoftDelete": true, "softDeleteRetentionInDays": 90, "enablePurgeProtection": true, "publicNetworkAccess": "Disabled",
			"networkAcls": map[string]any{"bypass": "AzureServices", "defaultAction": "Deny"}, "provisioningState": "Succeeded", "statusMessage": "The Managed HSM is provisioned and ready to use."})
		hsm["sku"] = map[string]any{"family": "B", "name": "Standard_B1"}
		e.Resources = append(e.Resources, hsm)
		hid := hsm["id"].(string)
		for k := range o.KeysPerVault {
			kn := fmt.Sprintf("hsm-key-%d", k)
			e.Keys[strings.ToLower(hid)] = append(e.Keys[strings.ToLower(hid)], map[string]any{"id": hid + "/keys/" + kn, "name": kn,
				"type": "Microsoft.KeyVault/managedHSMs/keys", "tags": map[string]any{},
				"properties": map[string]any{"attributes": map[string]any{"enabled": true, "created": keyCreated, "updated": keyCreated, "recoveryLevel": "Recoverable+Purgeable", "exportable": false},
					"kty": "RSA-HSM", "keySize": 3072, "keyOps": []any{"wrapKey", "unwrapKey"}, "keyUri": "https://" + host + "/keys/" + kn,
					"keyUriWithVersion": "https://" + host + "/keys/" + kn + fmt.Sprintf("/%032x", 0xb000+s*100+k)}})
		}
	}

	// A SQL server whose TDE protector is a key in the first vault.
	kv0 := vaultName(s, 0)
	version0 := fmt.Sprintf("%032x", s*1000)
	server := e.row(sub, "rg-data", "Microsoft.Sql", "Microsoft.Sql/servers", fmt.Sprintf("servers/sql-s%d", s), map[string]any{
		"administratorLogin": "sqladmin", "version": "12.0", "state": "Ready", "fullyQualifiedDomainName": fmt.Sprintf("sql-s%d.database.windows.net", s),
		"primaryUserAssignedIdentityId": uamiID, "publicNetworkAccess": "Disabled"})
	if s%2 == 0 {
		// Even subscriptions' servers also name their key on the server; odd
		// ones are known to use a customer-managed key only from the protector.
		server["properties"].(map[string]any)["keyId"] = "https://" + kv0 + ".vault.azure.net/keys/cmk-0/" + version0
	}
	server["kind"] = "v12.0"
	server["tags"] = map[string]any{"dataClassification": "confidential"}
	server["identity"] = map[string]any{"type": "UserAssigned", "tenantId": e.TenantID,
		"userAssignedIdentities": map[string]any{uamiID: map[string]any{"principalId": principal, "clientId": client}}}
	e.Resources = append(e.Resources, server)
	sid := server["id"].(string)
	e.Protectors[strings.ToLower(sid)] = map[string]any{
		"id": sid + "/encryptionProtector/current", "name": "current", "type": "Microsoft.Sql/servers/encryptionProtector",
		"kind": "azurekeyvault", "location": "westeurope",
		"properties": map[string]any{"serverKeyName": kv0 + "_cmk-0_" + version0, "serverKeyType": "AzureKeyVault",
			"uri": "https://" + kv0 + ".vault.azure.net/keys/cmk-0/" + version0, "thumbprint": "00112233445566778899AABBCCDDEEFF00112233", "autoRotationEnabled": true}}

	// A function app that reads a secret through a Key Vault reference.
	site := e.row(sub, "rg-app", "Microsoft.Web", "Microsoft.Web/sites", fmt.Sprintf("sites/func-s%d", s), map[string]any{
		"state": "Running", "enabled": true, "httpsOnly": true, "keyVaultReferenceIdentity": "SystemAssigned", "defaultHostName": fmt.Sprintf("func-s%d.azurewebsites.net", s)})
	site["kind"] = "functionapp,linux"
	site["identity"] = map[string]any{"type": "SystemAssigned", "tenantId": e.TenantID, "principalId": guid(0x6666, s)}
	e.Resources = append(e.Resources, site)
	siteID := site["id"].(string)
	e.AppSettingRefs[strings.ToLower(siteID)] = []map[string]any{{
		"id": siteID + "/config/configreferences/appsettings/AzureWebJobsStorage", "name": "AzureWebJobsStorage", "type": "Microsoft.Web/sites/config/configreferences",
		"properties": map[string]any{"reference": "@Microsoft.KeyVault(VaultName=" + kv0 + ";SecretName=storage-conn)", "status": "Resolved",
			"vaultName": kv0, "secretName": "storage-conn", "source": "KeyVault", "activeVersion": fmt.Sprintf("%032x", 0xabcd+s)}}}
	return len(e.Resources) - n0
}

// storageAccount makes the i-th storage account, in subscription s: even ones
// on a customer-managed key in the subscription's first vault, tagged
// confidential; odd ones on platform-managed keys, tagged public.
func (e *Estate) storageAccount(s, i int, o GenOptions) map[string]any {
	sub := SubscriptionID(s)
	uamiID, principal, client := e.uami(s)
	name := fmt.Sprintf("st%ds%d", i, s)
	enc := map[string]any{"keySource": "Microsoft.Storage", "services": map[string]any{"blob": map[string]any{"enabled": true, "keyType": "Account"}}}
	tags := map[string]any{"dataClassification": "public"}
	var ident any
	if i%2 == 0 {
		enc = map[string]any{"keySource": "Microsoft.Keyvault",
			"keyvaultproperties": map[string]any{"keyvaulturi": "https://" + vaultName(s, 0) + ".vault.azure.net/", "keyname": fmt.Sprintf("cmk-%d", i/2%o.KeysPerVault), "keyversion": ""},
			"identity":           map[string]any{"userAssignedIdentity": uamiID},
			"services":           map[string]any{"blob": map[string]any{"enabled": true, "keyType": "Account"}}}
		tags = map[string]any{"dataClassification": "confidential"}
		ident = map[string]any{"type": "UserAssigned", "userAssignedIdentities": map[string]any{uamiID: map[string]any{"principalId": principal, "clientId": client}}}
	}
	r := e.row(sub, "rg-data", "Microsoft.Storage", "Microsoft.Storage/storageAccounts", "storageAccounts/"+name, map[string]any{
		"encryption": enc, "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": true, "allowBlobPublicAccess": false,
		"primaryEndpoints": map[string]any{"blob": "https://" + name + ".blob.core.windows.net/"}, "provisioningState": "Succeeded"})
	r["kind"] = "StorageV2"
	r["sku"] = map[string]any{"name": "Standard_LRS", "tier": "Standard"}
	r["tags"] = tags
	r["identity"] = ident
	return r
}
