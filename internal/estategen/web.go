package estategen

import "strconv"

// appGroup writes one application resource group of a kind drawn by weight.
func (g *gen) appGroup() {
	kinds := []string{"vm", "web", "data", "aks", "integration", "analytics"}
	kind := kinds[g.weighted([]int{44, 22, 14, 5, 10, 5})]
	r := g.newRG(kind, g.appName())
	switch kind {
	case "vm":
		g.computeGroup(r)
	case "web":
		g.webGroup(r)
	case "data":
		g.dataGroup(r)
	case "aks":
		g.aksGroup(r)
	case "integration":
		g.integrationGroup(r)
	default:
		g.analyticsGroup(r)
	}
}

// webGroup writes a web tier: an App Service plan, sites and slots,
// Application Insights, storage, and private endpoints.
func (g *gen) webGroup(r *rg) {
	plan := g.servicePlan(r)
	insights := g.appInsights(r)
	for i := range g.between(1, 5) {
		site := g.site(r, "app-"+r.app+"-"+strconv.Itoa(g.nextSerial()), plan, insights, "")
		if i == 0 && g.chance(0.3) {
			g.site(r, "staging", plan, insights, site)
		}
	}
	if g.chance(0.6) {
		g.storageAccount(r, nil)
	}
}

func (g *gen) servicePlan(r *rg) string {
	name := "asp-" + r.app
	id := g.provider(r, "Microsoft.Web", "serverfarms", name)
	l := g.row("microsoft.web/serverfarms", id, name, "linux", r.location, r)
	l.kobj("sku").ks("name", "P1v3").ks("tier", "PremiumV3").ks("size", "P1v3").ks("family", "Pv3").kn("capacity", 2).end().knull("plan").
		kobj("properties").ks("serverFarmId", strconv.Itoa(g.between(1000, 99999))).ks("name", name).ks("workerSize", "D1").
		kn("workerSizeId", 3).kn("currentWorkerSize", 3).kn("currentWorkerSizeId", 3).kn("currentNumberOfWorkers", 2).
		ks("status", "Ready").ks("webSpace", r.name+"-"+r.location+"webspace-Linux").ks("subscription", g.sub.id).
		kn("maximumNumberOfWorkers", 30).ks("geoRegion", r.location).kb("perSiteScaling", false).kb("elasticScaleEnabled", false).
		kn("maximumElasticWorkerCount", 1).kn("numberOfSites", int64(g.between(1, 5))).kb("isSpot", false).kb("reserved", true).
		kb("isXenon", false).kb("hyperV", false).kn("targetWorkerCount", 0).kn("targetWorkerSizeId", 0).
		ks("provisioningState", "Succeeded").kb("zoneRedundant", false).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.web/serverfarms")
	return id
}

func (g *gen) appInsights(r *rg) string {
	name := "appi-" + r.app
	id := g.provider(r, "Microsoft.Insights", "components", name)
	l := g.row("microsoft.insights/components", id, name, "web", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("ApplicationId", name).ks("AppId", g.guid()).ks("Application_Type", "web").
		ks("InstrumentationKey", g.guid()).ks("ConnectionString", "InstrumentationKey="+g.guid()+";IngestionEndpoint=https://"+r.location+"-1.in.applicationinsights.azure.com/;LiveEndpoint=https://"+r.location+".livediagnostics.monitor.azure.com/").
		kn("Ver", 2).ks("CreationDate", g.timeAgo(900)).ks("TenantId", g.sub.id).ks("provisioningState", "Succeeded").
		ks("WorkspaceResourceId", g.sub.workspace).ks("IngestionMode", "LogAnalytics").ks("publicNetworkAccessForIngestion", "Enabled").
		ks("publicNetworkAccessForQuery", "Enabled").kn("RetentionInDays", 90).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.insights/components")
	return id
}

var outboundIPs = func() string {
	s := ""
	for i := range 24 {
		if i > 0 {
			s += ","
		}
		s += "20." + strconv.Itoa(40+i) + "." + strconv.Itoa(100+i*3) + "." + strconv.Itoa(7+i*9)
	}
	return s
}()

// site writes a web or function app, or a deployment slot of parent.
func (g *gen) site(r *rg, name, plan, insights, parent string) string {
	typ, id, full := "microsoft.web/sites", g.provider(r, "Microsoft.Web", "sites", name), name
	if parent != "" {
		typ, id = "microsoft.web/sites/slots", parent+"/slots/"+name
		full = parent[len(r.id)+len("/providers/Microsoft.Web/sites/"):] + "/" + name
	}
	kind := pick(g, []string{"app,linux", "app,linux", "app", "functionapp,linux", "functionapp"})
	host := full + ".azurewebsites.net"
	l := g.row(typ, id, full, kind, r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("name", full).ks("state", "Running").
		kstrs("hostNames", host).ks("webSpace", r.name+"-"+r.location+"webspace-Linux").ks("selfLink", "https://waws-prod-am2-"+strconv.Itoa(g.between(100, 999))+".api.azurewebsites.windows.net:454/subscriptions/"+g.sub.id+"/webspaces/"+r.name+"/sites/"+full).
		ks("repositorySiteName", full).ks("usageState", "Normal").kb("enabled", true).kstrs("enabledHostNames", host, full+".scm.azurewebsites.net").
		ks("availabilityState", "Normal").karr("hostNameSslStates").
		obj().ks("name", host).ks("sslState", "Disabled").ks("hostType", "Standard").end().
		obj().ks("name", full+".scm.azurewebsites.net").ks("sslState", "Disabled").ks("hostType", "Repository").end().endArr().
		ks("serverFarmId", plan).kb("reserved", true).kb("isXenon", false).kb("hyperV", false).ks("lastModifiedTimeUtc", g.timeAgo(60)).
		kobj("siteConfig").kn("numberOfWorkers", 1).ks("linuxFxVersion", pick(g, []string{"DOTNETCORE|8.0", "NODE|20-lts", "PYTHON|3.12", "JAVA|17-java17"})).
		kb("acrUseManagedIdentityCreds", false).kb("alwaysOn", true).kb("http20Enabled", true).kn("functionAppScaleLimit", 0).kn("minimumElasticInstanceCount", 1).end().
		kb("scmSiteAlsoStopped", false).ks("clientAffinityEnabled", "false").kb("clientCertEnabled", false).ks("clientCertMode", "Required").
		kb("hostNamesDisabled", false).ks("customDomainVerificationId", g.hexString(64)).
		ks("outboundIpAddresses", outboundIPs[:160]).ks("possibleOutboundIpAddresses", outboundIPs).kn("containerSize", 0).
		kn("dailyMemoryTimeQuota", 0).ks("resourceGroup", r.name).ks("defaultHostName", host).kb("httpsOnly", true).
		ks("redundancyMode", "None").ks("publicNetworkAccess", "Enabled").kb("storageAccountRequired", false).
		ks("keyVaultReferenceIdentity", "SystemAssigned").ks("virtualNetworkSubnetId", pick(g, g.sub.subnets)).
		kobj("siteProperties").karr("properties").obj().ks("name", "LinuxFxVersion").ks("value", "DOTNETCORE|8.0").end().
		obj().ks("name", "WindowsFxVersion").knull("value").end().endArr().end().
		ks("sku", "PremiumV3").ks("inboundIpAddress", g.publicIP4()).kn("inboundIpAddressCount", 1).
		ks("hostingEnvironmentId", "").ks("appInsightsResourceId", insights).end()
	var ident *identity
	switch {
	case g.chance(0.65):
		ident = &identity{system: g.guid()}
	case g.chance(0.3):
		ident = &identity{users: []*uai{pick(g, g.sub.uais)}}
	}
	g.tail(g.classified(r), ident)
	g.emit(typ)
	if g.chance(0.3) {
		g.privateEndpoint(r, id, name, "sites")
	}
	if g.chance(0.2) {
		g.diagnosticSetting(id, g.sub.workspace, false)
	}
	return id
}

// integrationGroup writes Logic Apps, API connections, Service Bus and Event
// Hubs namespaces.
func (g *gen) integrationGroup(r *rg) {
	for range g.between(2, 10) {
		g.logicApp(r)
	}
	for range g.between(1, 4) {
		g.apiConnection(r)
	}
	g.messaging(r, false)
	if g.chance(0.5) {
		g.messaging(r, true)
	}
}

func (g *gen) logicApp(r *rg) {
	name := "logic-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.Logic", "workflows", name)
	l := g.row("microsoft.logic/workflows", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("createdTime", g.timeAgo(900)).
		ks("changedTime", g.timeAgo(60)).ks("state", "Enabled").ks("version", g.hexString(18)).ks("accessEndpoint", "https://prod-"+strconv.Itoa(g.between(10, 99))+"."+r.location+".logic.azure.com:443/workflows/"+g.hexString(32)).
		kobj("definition").ks("$schema", "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#").
		ks("contentVersion", "1.0.0.0").kobj("parameters").kobj("$connections").kobj("defaultValue").end().ks("type", "Object").end().end().
		kobj("triggers").kobj("Recurrence").kobj("recurrence").ks("frequency", "Hour").kn("interval", 1).end().ks("evaluatedRecurrence", "PT1H").ks("type", "Recurrence").end().end().
		kobj("actions").kobj("HTTP").ks("runAfter", "").ks("type", "Http").kobj("inputs").ks("method", "GET").ks("uri", "https://api.contoso.com/"+r.app+"/sync").end().end().
		kobj("Send_message").kobj("runAfter").kstrs("HTTP", "Succeeded").end().ks("type", "ApiConnection").
		kobj("inputs").kobj("host").kobj("connection").ks("name", "@parameters('$connections')['servicebus']['connectionId']").end().end().
		ks("method", "post").ks("body", "@body('HTTP')").ks("path", "/@{encodeURIComponent('orders')}/messages").end().end().end().
		kobj("outputs").end().end().
		kobj("parameters").kobj("$connections").kobj("value").kobj("servicebus").ks("connectionId", r.id+"/providers/Microsoft.Web/connections/servicebus").
		ks("connectionName", "servicebus").ks("id", "/subscriptions/"+g.sub.id+"/providers/Microsoft.Web/locations/"+r.location+"/managedApis/servicebus").end().end().end().end().
		kobj("endpointsConfiguration").kobj("workflow").kstrs("outgoingIpAddresses", "20.50.1.2", "20.50.1.3", "20.50.1.4").kstrs("accessEndpointIpAddresses", "20.50.2.1").end().end().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.logic/workflows")
}

func (g *gen) apiConnection(r *rg) {
	name := pick(g, []string{"servicebus", "office365", "sql", "azureblob", "teams"}) + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.Web", "connections", name)
	l := g.row("microsoft.web/connections", id, name, "V1", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("displayName", name).ks("authenticatedUser", "").
		karr("overallStatus").endArr().karr("statuses").obj().ks("status", "Connected").end().endArr().
		kobj("connectionState").end().kobj("parameterValues").end().ks("customParameterValues", "").ks("createdTime", g.timeAgo(900)).
		ks("changedTime", g.timeAgo(30)).kobj("api").ks("name", name).ks("displayName", name).ks("id", "/subscriptions/"+g.sub.id+"/providers/Microsoft.Web/locations/"+r.location+"/managedApis/"+name).
		ks("type", "Microsoft.Web/locations/managedApis").end().karr("testLinks").endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.web/connections")
}

// analyticsGroup writes a data platform: Data Factory, a dashboard,
// storage accounts, an automation account and a recovery services vault.
func (g *gen) analyticsGroup(r *rg) {
	g.dataFactory(r)
	for range g.between(1, 3) {
		g.storageAccount(r, nil)
	}
	g.dashboard(r)
	g.automation(r)
	if g.chance(0.5) {
		g.recoveryVault(r)
	}
}

func (g *gen) dataFactory(r *rg) {
	name := "adf-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.DataFactory", "factories", name)
	l := g.row("microsoft.datafactory/factories", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("createTime", g.timeAgo(900)).
		ks("version", "2018-06-01").ks("publicNetworkAccess", "Enabled").end()
	g.tail(g.classified(r), &identity{system: g.guid()})
	g.emit("microsoft.datafactory/factories")
}

func (g *gen) automation(r *rg) {
	name := "aa-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.Automation", "automationAccounts", name)
	l := g.row("microsoft.automation/automationaccounts", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").kobj("sku").ks("name", "Basic").end().ks("state", "Ok").
		ks("creationTime", g.timeAgo(900)).ks("lastModifiedTime", g.timeAgo(60)).kb("disableLocalAuth", false).
		kobj("encryption").ks("keySource", "Microsoft.Automation").kobj("identity").end().end().kb("publicNetworkAccess", true).end()
	g.tail(g.classified(r), &identity{system: g.guid()})
	g.emit("microsoft.automation/automationaccounts")
}

func (g *gen) recoveryVault(r *rg) {
	name := "rsv-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.RecoveryServices", "vaults", name)
	l := g.row("microsoft.recoveryservices/vaults", id, name, "", r.location, r)
	l.sku("RS0", "Standard").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("privateEndpointStateForBackup", "None").
		ks("privateEndpointStateForSiteRecovery", "None").ks("publicNetworkAccess", "Enabled").
		kobj("securitySettings").kobj("immutabilitySettings").ks("state", "Unlocked").end().
		kobj("softDeleteSettings").ks("softDeleteState", "Enabled").kn("softDeleteRetentionPeriodInDays", 14).end().end().
		kobj("redundancySettings").ks("standardTierStorageRedundancy", "GeoRedundant").ks("crossRegionRestore", "Disabled").end().end()
	g.tail(g.classified(r), nil)
	g.emit("microsoft.recoveryservices/vaults")
}

// dashboard writes a shared portal dashboard: a large properties blob of tiles.
func (g *gen) dashboard(r *rg) {
	name := "dash-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.Portal", "dashboards", name)
	l := g.row("microsoft.portal/dashboards", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").karr("lenses").obj().kn("order", 0).karr("parts")
	for i := range g.between(4, 12) {
		l.obj().kobj("position").kn("x", int64(i%4*6)).kn("y", int64(i/4*4)).kn("colSpan", 6).kn("rowSpan", 4).end().
			kobj("metadata").karr("inputs").obj().ks("name", "resourceTypeMode").kb("isOptional", true).end().
			obj().ks("name", "ComponentId").kb("isOptional", true).ks("value", g.sub.workspace).end().endArr().
			ks("type", "Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart").
			kobj("settings").kobj("content").ks("Query", "AzureMetrics | where ResourceProvider == 'MICROSOFT.COMPUTE' | summarize avg(Average) by bin(TimeGenerated, 5m), Resource | render timechart").
			ks("PartTitle", "CPU by VM").end().end().end().end()
	}
	l.endArr().end().endArr().kobj("metadata").kobj("model").kobj("timeRange").kobj("value").kobj("relative").
		kn("duration", 24).ks("timeUnit", "1").end().end().ks("type", "MsPortalFx.Composition.Configuration.ValueTypes.TimeRange").end().end().end().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.portal/dashboards")
}
