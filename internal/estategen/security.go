package estategen

import (
	"strconv"
	"time"
)

// subscription is the subscription being written and what its application
// resource groups refer to.
type subscription struct {
	id, name  string
	location  string
	saas      bool // a multi-tenant service: workloads carry tenant tags
	tenants   int
	vnet      string
	subnets   []string
	nsgs      []string
	dnsZones  []string
	workspace string
	actions   string // action group id
	vaults    []*vault
	des       []*des
	uais      []*uai
	people    []string // user and group object ids with roles in the subscription
	rgs       int
}

// uai is a user-assigned managed identity.
type uai struct{ id, name, principal, client string }

// vault is a Key Vault and what workloads need to reference its keys.
type vault struct {
	id, name, uri string
	rbac          bool
	keys          []key
	policyUAIs    []*uai // identities its access policies grant key use (access-policy vaults)
}

type key struct{ name, version string }

// des is a disk encryption set.
type des struct {
	id        string
	vault     *vault
	key       key
	principal string // system-assigned principal, or "" when it uses uai
	uai       *uai
}

// Built-in role definition GUIDs.
const (
	roleOwner             = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleContributor       = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	roleReader            = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	roleKVAdmin           = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	roleKVCryptoOfficer   = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
	roleKVCryptoService   = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
	roleKVSecretsUser     = "4633458b-17de-408a-b874-0445c86b69e6"
	roleMonitoringReader  = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"
	roleBlobContributor   = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	roleAcrPull           = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
	roleNetworkContrib    = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	roleVMContributor     = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
	roleUserAccessAdmin   = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	roleWebsiteContrib    = "de139f84-1756-47ae-9be6-808fbbe84772"
	roleStorageAcctContri = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
)

var managementGroups = []string{"mg-corp", "mg-online", "mg-sandbox", "mg-platform"}

// subscription writes one subscription: its row, its role assignments, its
// platform network and security groups, then application groups until its
// share of the estate is written.
func (g *gen) subscription(n int) {
	s := &subscription{id: g.guid(), location: locations[g.weighted(locationWeights)]}
	s.name = "sub-" + pick(g, appWords) + "-" + pick(g, envs) + "-" + strconv.Itoa(n+1)
	s.saas = g.chance(0.12)
	s.tenants = g.between(5, 200)
	g.sub = s
	end := g.stats.Resources + g.between(2500, 6500)
	base := &rg{name: "", id: "/subscriptions/" + s.id, location: s.location}

	mg := managementGroups[n%len(managementGroups)]
	l := g.row("microsoft.resources/subscriptions", "/subscriptions/"+s.id, s.id, "", "", base)
	l.knull("sku").knull("plan").kobj("properties").ks("state", "Enabled").
		kobj("subscriptionPolicies").ks("locationPlacementId", "Public_2014-09-01").ks("quotaId", "EnterpriseAgreement_2014-09-01").ks("spendingLimit", "Off").end().
		karr("managementGroupAncestorsChain").
		obj().ks("displayName", mg).ks("name", mg).end().
		obj().ks("displayName", "Landing Zones").ks("name", "mg-landingzones").end().
		obj().ks("displayName", "Tenant Root Group").ks("name", g.tenant).end().
		endArr().end()
	g.tail(&tags{costCenter: "CC-" + strconv.Itoa(g.between(1000, 9999)), owner: "cloud-platform@contoso.com"}, nil)
	g.emit("microsoft.resources/subscriptions")

	if n == 0 {
		g.roleDefinitions()
		for _, m := range managementGroups {
			scope := "/providers/Microsoft.Management/managementGroups/" + m
			g.roleAssignment(scope, g.guid(), pick(g, []string{roleReader, roleOwner, roleMonitoringReader}), "Group")
		}
	}
	for range g.between(3, 8) {
		s.people = append(s.people, g.guid())
	}
	scope := "/subscriptions/" + s.id
	for i, p := range s.people {
		role := roleReader
		switch {
		case i == 0:
			role = roleOwner
		case i < 3:
			role = roleContributor
		}
		g.roleAssignment(scope, p, role, pick(g, []string{"User", "Group"}))
	}
	// Pipelines and platform automation: service principals.
	for range g.between(2, 6) {
		role := pick(g, []string{roleContributor, roleContributor, roleReader, roleMonitoringReader, roleUserAccessAdmin})
		g.roleAssignment(scope, g.guid(), role, "ServicePrincipal")
	}

	g.networkGroup()
	g.securityGroup()
	for !g.full() && g.err == nil && g.stats.Resources < end {
		g.appGroup()
	}
}

// newRG starts a resource group: its row and its role assignments.
func (g *gen) newRG(purpose, app string) *rg {
	s := g.sub
	s.rgs++
	env := pick(g, envs)
	r := &rg{location: s.location, app: app, zone: s.rgs % 250}
	if g.chance(0.15) {
		r.location = locations[g.weighted(locationWeights)]
	}
	r.name = "rg-" + purpose + "-" + app + "-" + env + "-" + shortLoc(r.location) + "-" + strconv.Itoa(s.rgs)
	r.id = "/subscriptions/" + s.id + "/resourceGroups/" + r.name
	r.tags = tags{env: env, app: app, owner: pick(g, appWords) + "-team@contoso.com",
		costCenter: "CC-" + strconv.Itoa(g.between(1000, 9999))}
	if g.chance(0.4) {
		r.tags.createdBy = pick(g, []string{"terraform", "bicep", "portal", "pipeline"})
	}
	l := g.row("microsoft.resources/subscriptions/resourcegroups", r.id, r.name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").end()
	g.tail(&r.tags, nil)
	g.emit("microsoft.resources/subscriptions/resourcegroups")
	for range g.between(1, 4) {
		role := pick(g, []string{roleContributor, roleReader, roleWebsiteContrib, roleVMContributor, roleNetworkContrib, roleStorageAcctContri})
		g.roleAssignment(r.id, g.guid(), role, pick(g, []string{"User", "Group", "Group", "ServicePrincipal"}))
	}
	return r
}

// roleDefinitions writes a few custom roles, as tenants have them.
func (g *gen) roleDefinitions() {
	defs := []struct {
		name        string
		actions     []string
		dataActions []string
	}{
		{"Contoso Key Reader", []string{"Microsoft.KeyVault/vaults/read"}, []string{"Microsoft.KeyVault/vaults/keys/read"}},
		{"Contoso Disk Operator", []string{"Microsoft.Compute/disks/*", "Microsoft.Compute/snapshots/*"}, nil},
		{"Contoso App Deployer", []string{"Microsoft.Web/sites/*", "Microsoft.Web/serverfarms/read", "Microsoft.Insights/components/*"}, nil},
		{"Contoso Key Rotator", []string{"Microsoft.KeyVault/vaults/read"}, []string{"Microsoft.KeyVault/vaults/keys/rotate/action", "Microsoft.KeyVault/vaults/keys/read"}},
		{"Contoso Network Reader", []string{"Microsoft.Network/*/read"}, nil},
	}
	for _, d := range defs {
		id := g.guid()
		full := "/providers/Microsoft.Authorization/roleDefinitions/" + id
		l := g.row("microsoft.authorization/roledefinitions", full, id, "", "", &rg{})
		l.knull("sku").knull("plan").kobj("properties").ks("roleName", d.name).ks("type", "CustomRole").
			ks("description", d.name+" (custom role)").kstrs("assignableScopes", "/providers/Microsoft.Management/managementGroups/"+g.tenant).
			karr("permissions").obj().kstrs("actions", d.actions...).kstrs("notActions").kstrs("dataActions", d.dataActions...).kstrs("notDataActions").end().endArr().
			ks("createdOn", g.timeAgo(900)).ks("updatedOn", g.timeAgo(200)).ks("createdBy", g.guid()).ks("updatedBy", g.guid()).end()
		g.tail(nil, nil)
		g.emit("microsoft.authorization/roledefinitions")
	}
}

// roleAssignment writes a role assignment row at scope.
func (g *gen) roleAssignment(scope, principal, role, principalType string) {
	name := g.guid()
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + name
	l := &g.l
	l.reset()
	l.obj().ks("id", id).ks("name", name).ks("type", "microsoft.authorization/roleassignments").ks("tenantId", g.tenant).
		ks("kind", "").ks("location", "").ks("resourceGroup", "").ks("subscriptionId", g.sub.id).ks("managedBy", "").
		knull("sku").knull("plan").kobj("properties").
		ks("roleDefinitionId", "/subscriptions/"+g.sub.id+"/providers/Microsoft.Authorization/roleDefinitions/"+role).
		ks("principalId", principal).ks("principalType", principalType).ks("scope", scope).
		ks("createdOn", g.timeAgo(700)).ks("updatedOn", g.timeAgo(300)).ks("createdBy", g.guid()).ks("updatedBy", g.guid()).
		knull("condition").knull("conditionVersion").knull("delegatedManagedIdentityResourceId").ks("description", "").end()
	g.tail(nil, nil)
	g.emit("microsoft.authorization/roleassignments")
}

// securityGroup writes the subscription's security resource group: a Log
// Analytics workspace, an action group, user-assigned identities, the shared
// vaults with their keys, and the disk encryption sets.
func (g *gen) securityGroup() {
	s := g.sub
	r := g.newRG("sec", "platform")
	s.workspace = g.workspace(r)
	s.actions = g.actionGroup(r)
	for range g.between(3, 6) {
		s.uais = append(s.uais, g.userIdentity(r))
	}
	// Disk encryption sets need their identities in the vault's access policies.
	n := g.between(1, 3)
	var sets []*des
	for range n {
		d := &des{}
		if g.chance(0.6) {
			d.principal = g.guid()
		} else {
			d.uai = pick(g, s.uais)
		}
		sets = append(sets, d)
	}
	for i := range g.between(1, 3) {
		extra := []string{}
		if i == 0 {
			for _, d := range sets {
				if d.principal != "" {
					extra = append(extra, d.principal)
				}
			}
		}
		s.vaults = append(s.vaults, g.vault(r, extra))
	}
	for _, d := range sets {
		d.vault = s.vaults[0]
		d.key = pick(g, d.vault.keys)
		g.encryptionSet(r, d)
		s.des = append(s.des, d)
	}
}

// userIdentity writes a user-assigned managed identity.
func (g *gen) userIdentity(r *rg) *uai {
	u := &uai{name: "id-" + r.app + "-" + strconv.Itoa(g.nextSerial()), principal: g.guid(), client: g.guid()}
	u.id = g.provider(r, "Microsoft.ManagedIdentity", "userAssignedIdentities", u.name)
	l := g.row("microsoft.managedidentity/userassignedidentities", u.id, u.name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("tenantId", g.tenant).ks("principalId", u.principal).
		ks("clientId", u.client).ks("isolationScope", "None").end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.managedidentity/userassignedidentities")
	return u
}

var keyNames = []string{"cmk-storage", "cmk-sql", "cmk-disk", "cmk-cosmos", "cmk-aks", "cmk-backup", "cmk-app", "cmk-data", "tde", "des-key"}

// vault writes a Key Vault, its keys, its diagnostic setting, its role
// assignments, and the Event Grid topic and alert rule that may watch it.
// extra principals get key use in its access policies.
func (g *gen) vault(r *rg, extra []string) *vault {
	s := g.sub
	v := &vault{name: "kv-" + r.app + "-" + strconv.Itoa(g.nextSerial()), rbac: g.chance(0.6)}
	if len(v.name) > 24 {
		v.name = v.name[:24]
	}
	v.id = g.provider(r, "Microsoft.KeyVault", "vaults", v.name)
	v.uri = "https://" + v.name + ".vault.azure.net/"
	for _, name := range keyNames[:g.between(2, 7)] {
		v.keys = append(v.keys, key{name: name, version: g.hexString(32)})
	}
	l := g.row("microsoft.keyvault/vaults", v.id, v.name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties")
	l.kobj("sku").ks("family", "A").ks("name", pick(g, []string{"premium", "standard"})).end()
	l.ks("tenantId", g.tenant)
	l.karr("accessPolicies")
	if !v.rbac {
		v.policyUAIs = s.uais
		for _, u := range s.uais {
			g.accessPolicy(u.principal, []string{"get", "wrapKey", "unwrapKey"}, []string{"get"})
		}
		for _, p := range extra {
			g.accessPolicy(p, []string{"get", "wrapKey", "unwrapKey"}, nil)
		}
		for _, p := range s.people[:min(len(s.people), 3)] {
			g.accessPolicy(p, []string{"get", "list", "create", "update", "import", "delete", "backup", "restore", "recover", "rotate", "getrotationpolicy", "setrotationpolicy"},
				[]string{"get", "list", "set", "delete", "backup", "restore", "recover"})
		}
		if g.chance(0.1) { // a pipeline's service principal with management rights
			g.accessPolicy(g.guid(), []string{"all"}, []string{"all"})
		}
	}
	l.endArr()
	l.kb("enabledForDeployment", false).kb("enabledForDiskEncryption", g.chance(0.3)).kb("enabledForTemplateDeployment", g.chance(0.2))
	if g.chance(0.97) {
		l.kb("enableSoftDelete", true)
	}
	l.kn("softDeleteRetentionInDays", int64(pick(g, []int{90, 90, 90, 30, 7})))
	if g.chance(0.8) {
		l.kb("enableRbacAuthorization", v.rbac)
	}
	if g.chance(0.72) {
		l.kb("enablePurgeProtection", true)
	}
	l.ks("vaultUri", v.uri)
	l.ks("provisioningState", "Succeeded")
	deny := g.chance(0.55)
	if deny {
		l.ks("publicNetworkAccess", pick(g, []string{"Disabled", "Enabled"}))
	} else {
		l.ks("publicNetworkAccess", "Enabled")
	}
	l.kobj("networkAcls").ks("bypass", "AzureServices").ks("defaultAction", map[bool]string{true: "Deny", false: "Allow"}[deny]).
		karr("ipRules").obj().ks("value", g.publicIP4()+"/32").end().endArr().
		karr("virtualNetworkRules").obj().ks("id", pick(g, s.subnets)).kb("ignoreMissingVnetServiceEndpoint", false).end().endArr().end()
	if deny {
		l.karr("privateEndpointConnections").obj().ks("id", v.id+"/privateEndpointConnections/pe-"+v.name).ks("etag", "\""+g.hexString(16)+"\"").
			kobj("properties").kobj("privateEndpoint").ks("id", g.provider(r, "Microsoft.Network", "privateEndpoints", "pe-"+v.name)).end().
			kobj("privateLinkServiceConnectionState").ks("status", "Approved").ks("actionsRequired", "None").end().
			ks("provisioningState", "Succeeded").end().end().endArr()
	}
	l.end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.keyvault/vaults")

	for _, k := range v.keys {
		g.key(v, k)
	}
	if g.chance(0.85) {
		g.diagnosticSetting(v.id, s.workspace, true)
	}
	if v.rbac {
		// People administer; identities use keys.
		for _, p := range s.people[:min(len(s.people), 2)] {
			g.roleAssignment(v.id, p, pick(g, []string{roleKVAdmin, roleKVCryptoOfficer}), "User")
		}
		for _, u := range s.uais {
			g.roleAssignment(v.id, u.principal, roleKVCryptoService, "ServicePrincipal")
		}
		for _, p := range extra {
			g.roleAssignment(v.id, p, roleKVCryptoService, "ServicePrincipal")
		}
		if g.chance(0.1) {
			g.roleAssignment(v.id, g.guid(), roleKVCryptoOfficer, "ServicePrincipal")
		}
		if g.chance(0.5) {
			g.roleAssignment(v.id, g.guid(), roleKVSecretsUser, "ServicePrincipal")
		}
	}
	switch {
	case g.chance(0.4):
		g.systemTopic(r, v)
	case g.chance(0.3):
		g.expiryAlert(r, v)
	}
	return v
}

func (g *gen) accessPolicy(object string, keys, secrets []string) {
	l := &g.l
	l.obj().ks("tenantId", g.tenant).ks("objectId", object).kobj("permissions").kstrs("keys", keys...).kstrs("secrets", secrets...).
		kstrs("certificates").end().end()
}

// key writes a key as ARM returns it.
func (g *gen) key(v *vault, k key) {
	now := g.cfg.Now
	created := now.AddDate(0, 0, -g.between(10, 500))
	l := &g.l
	l.reset()
	id := v.id + "/keys/" + k.name
	l.obj().ks("id", id).ks("name", k.name).ks("type", "Microsoft.KeyVault/vaults/keys").ks("location", g.sub.location).
		kobj("tags").end().kobj("properties")
	l.kobj("attributes").kb("enabled", g.chance(0.97))
	switch {
	case g.chance(0.03): // expired
		l.kn("exp", now.AddDate(0, 0, -g.between(1, 60)).Unix())
	case g.chance(0.85):
		l.kn("exp", created.AddDate(g.between(1, 2), 0, 0).Unix())
	}
	l.kn("created", created.Unix()).kn("updated", created.Add(time.Hour).Unix()).ks("recoveryLevel", "Recoverable").kb("exportable", false).end()
	kty := pick(g, []string{"RSA-HSM", "RSA-HSM", "RSA", "RSA", "EC-HSM"})
	l.ks("kty", kty).kstrs("keyOps", "encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey")
	if kty == "EC-HSM" {
		l.ks("curveName", pick(g, []string{"P-256", "P-384", "P-521"}))
	} else {
		l.kn("keySize", int64(pick(g, []int{2048, 3072, 4096, 2048})))
	}
	l.ks("keyUri", v.uri+"keys/"+k.name).ks("keyUriWithVersion", v.uri+"keys/"+k.name+"/"+k.version)
	if g.chance(0.6) {
		l.kobj("rotationPolicy").kobj("attributes").kn("created", created.Unix()).kn("updated", created.Unix()).ks("expiryTime", "P2Y").end().
			karr("lifetimeActions").
			obj().kobj("trigger").ks("timeAfterCreate", pick(g, []string{"P90D", "P180D", "P330D", "P1Y"})).end().kobj("action").ks("type", "rotate").end().end().
			obj().kobj("trigger").ks("timeBeforeExpiry", "P30D").end().kobj("action").ks("type", "notify").end().end().
			endArr().end()
	}
	l.end().end()
	g.emit("microsoft.keyvault/vaults/keys")
}

// diagnosticSetting writes a diagnostic setting on a resource, as ARM
// returns it. audit says whether it sends the audit category.
func (g *gen) diagnosticSetting(target, workspace string, audit bool) {
	name := pick(g, []string{"to-law", "diag-central", "send-to-sentinel", "default"})
	l := &g.l
	l.reset()
	l.obj().ks("id", target+"/providers/microsoft.insights/diagnosticSettings/"+name).ks("type", "Microsoft.Insights/diagnosticSettings").
		ks("name", name).knull("location").kobj("properties")
	l.knull("storageAccountId").knull("serviceBusRuleId").ks("workspaceId", workspace).knull("eventHubAuthorizationRuleId").knull("eventHubName")
	l.karr("metrics").obj().knull("timeGrain").ks("category", "AllMetrics").kb("enabled", true).
		kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end().endArr()
	l.karr("logs")
	if audit {
		if g.chance(0.6) {
			l.obj().knull("category").ks("categoryGroup", "audit").kb("enabled", g.chance(0.93)).kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end()
			l.obj().knull("category").ks("categoryGroup", "allLogs").kb("enabled", false).kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end()
		} else {
			l.obj().ks("category", "AuditEvent").knull("categoryGroup").kb("enabled", g.chance(0.93)).kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end()
			l.obj().ks("category", "AzurePolicyEvaluationDetails").knull("categoryGroup").kb("enabled", false).kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end()
		}
	} else {
		l.obj().knull("category").ks("categoryGroup", "allLogs").kb("enabled", true).kobj("retentionPolicy").kb("enabled", false).kn("days", 0).end().end()
	}
	l.endArr().knull("logAnalyticsDestinationType").end().end()
	g.emit("microsoft.insights/diagnosticsettings")
}

// systemTopic writes an Event Grid system topic on a vault and a subscription
// to its key events.
func (g *gen) systemTopic(r *rg, v *vault) {
	name := "evgt-" + v.name
	id := g.provider(r, "Microsoft.EventGrid", "systemTopics", name)
	l := g.row("microsoft.eventgrid/systemtopics", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("source", v.id).ks("topicType", "Microsoft.KeyVault.vaults").
		ks("metricResourceId", g.guid()).ks("provisioningState", "Succeeded").end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.eventgrid/systemtopics")

	sub := "key-expiry"
	l = &g.l
	l.reset()
	l.obj().ks("id", id+"/eventSubscriptions/"+sub).ks("name", sub).ks("type", "Microsoft.EventGrid/systemTopics/eventSubscriptions").
		kobj("properties").ks("topic", id).ks("provisioningState", pick(g, []string{"Succeeded", "Succeeded", "Succeeded", "Failed"})).
		kobj("destination").ks("endpointType", "WebHook").kobj("properties").ks("endpointBaseUrl", "https://hooks.contoso.com/keyvault").
		kn("maxEventsPerBatch", 1).kn("preferredBatchSizeInKilobytes", 64).end().end().
		kobj("filter").kstrs("includedEventTypes", pick(g, [][]string{{"Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.KeyExpired"},
		{"Microsoft.KeyVault.KeyNearExpiry"}, {"Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.CertificateNearExpiry"}})...).
		kb("enableAdvancedFilteringOnArrays", true).end().
		ks("eventDeliverySchema", "EventGridSchema").kobj("retryPolicy").kn("maxDeliveryAttempts", 30).kn("eventTimeToLiveInMinutes", 1440).end().end().end()
	g.emit("microsoft.eventgrid/systemtopics/eventsubscriptions")
}

// expiryAlert writes a log-search alert on the workspace that receives vault
// audit logs, watching key expiry.
func (g *gen) expiryAlert(r *rg, v *vault) {
	name := "alert-keyexpiry-" + v.name
	id := g.provider(r, "Microsoft.Insights", "scheduledQueryRules", name)
	l := g.row("microsoft.insights/scheduledqueryrules", id, name, "LogAlert", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("displayName", name).ks("description", "Keys near expiry in "+v.name).
		kn("severity", 2).kb("enabled", true).kstrs("scopes", v.id).ks("evaluationFrequency", "PT1H").ks("windowSize", "PT1H").
		kobj("criteria").karr("allOf").obj().
		ks("query", "AzureDiagnostics | where ResourceProvider == 'MICROSOFT.KEYVAULT' and OperationName == 'KeyNearExpiry'").
		ks("timeAggregation", "Count").ks("operator", "GreaterThan").kn("threshold", 0).
		kobj("failingPeriods").kn("numberOfEvaluationPeriods", 1).kn("minFailingPeriodsToAlert", 1).end().end().endArr().end().
		kobj("actions").kstrs("actionGroups", g.sub.actions).end().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.insights/scheduledqueryrules")
}

// encryptionSet writes a disk encryption set and grants its identity use of
// its key.
func (g *gen) encryptionSet(r *rg, d *des) {
	name := "des-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	d.id = g.provider(r, "Microsoft.Compute", "diskEncryptionSets", name)
	l := g.row("microsoft.compute/diskencryptionsets", d.id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").
		kobj("activeKey").ks("keyUrl", d.vault.uri+"keys/"+d.key.name+"/"+d.key.version).
		kobj("sourceVault").ks("id", d.vault.id).end().end().
		ks("encryptionType", "EncryptionAtRestWithCustomerKey").kb("rotationToLatestKeyVersionEnabled", g.chance(0.7)).
		ks("lastKeyRotationTimestamp", g.timeAgo(120)).ks("provisioningState", "Succeeded").end()
	id := &identity{system: d.principal}
	if d.uai != nil {
		id = &identity{users: []*uai{d.uai}}
	}
	g.tail(g.plain(r), id)
	g.emit("microsoft.compute/diskencryptionsets")
}

// workspace writes a Log Analytics workspace.
func (g *gen) workspace(r *rg) string {
	name := "log-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.OperationalInsights", "workspaces", name)
	l := g.row("microsoft.operationalinsights/workspaces", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("customerId", g.guid()).ks("provisioningState", "Succeeded").
		kobj("sku").ks("name", "PerGB2018").ks("lastSkuUpdate", g.timeAgo(400)).end().kn("retentionInDays", 90).
		kobj("features").kb("legacy", false).kb("searchVersion", true).kb("enableLogAccessUsingOnlyResourcePermissions", true).end().
		kobj("workspaceCapping").kn("dailyQuotaGb", -1).ks("quotaNextResetTime", g.timeAgo(1)).ks("dataIngestionStatus", "RespectQuota").end().
		ks("publicNetworkAccessForIngestion", "Enabled").ks("publicNetworkAccessForQuery", "Enabled").
		ks("createdDate", g.timeAgo(800)).ks("modifiedDate", g.timeAgo(30)).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.operationalinsights/workspaces")
	return id
}

// actionGroup writes a Monitor action group.
func (g *gen) actionGroup(r *rg) string {
	name := "ag-" + r.app + "-oncall"
	id := g.provider(r, "Microsoft.Insights", "actionGroups", name)
	l := g.row("microsoft.insights/actiongroups", id, name, "", "Global", r)
	l.knull("sku").knull("plan").kobj("properties").ks("groupShortName", "oncall").kb("enabled", true).
		karr("emailReceivers").obj().ks("name", "ops").ks("emailAddress", "ops@contoso.com").kb("useCommonAlertSchema", true).ks("status", "Enabled").end().endArr().
		karr("smsReceivers").endArr().karr("webhookReceivers").obj().ks("name", "pager").ks("serviceUri", "https://events.pagerduty.com/integration/"+g.hexString(32)+"/enqueue").kb("useCommonAlertSchema", true).end().endArr().
		karr("armRoleReceivers").obj().ks("name", "owners").ks("roleId", roleOwner).kb("useCommonAlertSchema", true).end().endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.insights/actiongroups")
	return id
}

// grant gives a workload's system-assigned identity use of its key, the way
// most estates do (at the key, sometimes at the vault), and now and then
// forgets to.
func (g *gen) grant(v *vault, k key, principal string) {
	if !v.rbac || principal == "" || g.chance(0.06) {
		return
	}
	scope := v.id
	if g.chance(0.6) {
		scope = v.id + "/keys/" + k.name
	}
	g.roleAssignment(scope, principal, roleKVCryptoService, "ServicePrincipal")
}

// keyRef is the key a workload uses and the identity it reaches it with.
type keyRef struct {
	vault  *vault
	key    key
	uai    *uai // nil: the system-assigned identity
	system bool
}

// chooseKey picks the key a workload uses, in its group's own vault when it
// has one, and the identity that reaches it: on an access-policy vault one of
// the identities its policies list, on an RBAC vault either.
func (g *gen) chooseKey(local *vault) keyRef {
	v := local
	if v == nil || g.chance(0.3) {
		v = pick(g, g.sub.vaults)
	}
	ref := keyRef{vault: v, key: pick(g, v.keys)}
	if g.chance(0.02) { // a deleted key
		ref.key = key{name: "cmk-retired", version: g.hexString(32)}
	}
	switch {
	case !v.rbac && len(v.policyUAIs) > 0 && g.chance(0.95):
		ref.uai = pick(g, v.policyUAIs)
	case v.rbac && g.chance(0.4):
		ref.uai = pick(g, g.sub.uais)
	default:
		ref.system = true
	}
	return ref
}
