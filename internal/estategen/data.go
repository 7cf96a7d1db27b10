package estategen

import "strconv"

// identityFor returns the identity block of a workload that reaches ref with
// its system-assigned identity (principal) or a user-assigned one.
func identityFor(ref *keyRef, principal string) *identity {
	id := &identity{system: principal}
	if ref != nil && ref.uai != nil {
		id.users = []*uai{ref.uai}
	}
	return id
}

// storageAccount writes a storage account; some use a customer-managed key
// in local or a shared vault.
func (g *gen) storageAccount(r *rg, local *vault) {
	s := g.sub
	name := g.storageName(r.app)
	id := g.provider(r, "Microsoft.Storage", "storageAccounts", name)
	var ref *keyRef
	if g.chance(0.45) {
		k := g.chooseKey(local)
		ref = &k
	}
	l := g.row("microsoft.storage/storageaccounts", id, name, "StorageV2", r.location, r)
	l.sku(pick(g, []string{"Standard_LRS", "Standard_ZRS", "Standard_GRS", "Premium_LRS"}), "Standard").knull("plan").kobj("properties")
	l.kb("defaultToOAuthAuthentication", false).ks("publicNetworkAccess", pick(g, []string{"Enabled", "Disabled"})).
		kb("allowCrossTenantReplication", false).kb("isNfsV3Enabled", false).kb("isSftpEnabled", false).ks("minimumTlsVersion", "TLS1_2").
		kb("allowBlobPublicAccess", g.chance(0.1)).kb("allowSharedKeyAccess", g.chance(0.5)).kb("isHnsEnabled", g.chance(0.2)).
		kobj("networkAcls").karr("ipv6Rules").endArr().ks("bypass", "AzureServices").karr("virtualNetworkRules").
		obj().ks("id", pick(g, s.subnets)).ks("action", "Allow").ks("state", "Succeeded").end().endArr().
		karr("ipRules").endArr().ks("defaultAction", pick(g, []string{"Deny", "Allow"})).end().
		kb("supportsHttpsTrafficOnly", true)
	l.kobj("encryption")
	if ref != nil {
		l.kobj("identity")
		if ref.uai != nil {
			l.ks("userAssignedIdentity", ref.uai.id)
		}
		l.end()
	}
	l.kb("requireInfrastructureEncryption", false).kobj("services").
		kobj("file").ks("keyType", "Account").kb("enabled", true).ks("lastEnabledTime", g.timeAgo(900)).end().
		kobj("blob").ks("keyType", "Account").kb("enabled", true).ks("lastEnabledTime", g.timeAgo(900)).end().end()
	if ref != nil {
		l.ks("keySource", "Microsoft.Keyvault").kobj("keyvaultproperties").ks("keyvaulturi", ref.vault.uri).ks("keyname", ref.key.name).
			ks("keyversion", "").ks("currentVersionedKeyIdentifier", ref.vault.uri+"keys/"+ref.key.name+"/"+ref.key.version).
			ks("lastKeyRotationTimestamp", g.timeAgo(100)).ks("currentVersionedKeyExpirationTimestamp", "1970-01-01T00:00:00.0000000Z").end()
	} else {
		l.ks("keySource", "Microsoft.Storage")
	}
	l.end()
	l.ks("accessTier", "Hot").ks("provisioningState", "Succeeded").ks("creationTime", g.timeAgo(900)).
		kobj("primaryEndpoints").ks("dfs", "https://"+name+".dfs.core.windows.net/").ks("web", "https://"+name+".z6.web.core.windows.net/").
		ks("blob", "https://"+name+".blob.core.windows.net/").ks("queue", "https://"+name+".queue.core.windows.net/").
		ks("table", "https://"+name+".table.core.windows.net/").ks("file", "https://"+name+".file.core.windows.net/").end().
		ks("primaryLocation", r.location).ks("statusOfPrimary", "available").end()
	principal := ""
	if ref != nil && ref.system || g.chance(0.3) {
		principal = g.guid()
	}
	g.tail(g.classified(r), identityFor(ref, principal))
	g.emit("microsoft.storage/storageaccounts")
	if ref != nil && ref.system {
		g.grant(ref.vault, ref.key, principal)
	}
	if g.chance(0.5) {
		g.privateEndpoint(r, id, name, "blob")
	}
	if g.chance(0.1) {
		g.diagnosticSetting(id+"/blobServices/default", s.workspace, false)
	}
}

// dataGroup writes a data tier: SQL servers with encryption protectors and
// databases, Cosmos DB accounts, storage, private endpoints, and sometimes
// the group's own vault.
func (g *gen) dataGroup(r *rg) {
	var local *vault
	if g.chance(0.35) {
		local = g.vault(r, nil)
	}
	for range g.between(1, 2) {
		g.sqlServer(r, local)
	}
	if g.chance(0.5) {
		g.cosmos(r, local)
	}
	for range g.between(1, 4) {
		g.storageAccount(r, local)
	}
	if g.chance(0.3) {
		g.postgres(r, local)
	}
}

// sqlServer writes a SQL server, its encryption protector and databases.
func (g *gen) sqlServer(r *rg, local *vault) {
	s := g.sub
	name := "sql-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.Sql", "servers", name)
	var ref *keyRef
	if g.chance(0.5) {
		k := g.chooseKey(local)
		ref = &k
	}
	l := g.row("microsoft.sql/servers", id, name, "v12.0", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("administratorLogin", "sqladmin").ks("version", "12.0").ks("state", "Ready").
		ks("fullyQualifiedDomainName", name+".database.windows.net").karr("privateEndpointConnections").endArr().
		ks("minimalTlsVersion", "1.2").ks("publicNetworkAccess", pick(g, []string{"Disabled", "Enabled"})).ks("restrictOutboundNetworkAccess", "Disabled").
		kobj("administrators").ks("administratorType", "ActiveDirectory").ks("principalType", "Group").ks("login", "sql-admins").
		ks("sid", pick(g, s.people)).ks("tenantId", g.tenant).kb("azureADOnlyAuthentication", true).end()
	if ref != nil {
		l.ks("keyId", ref.vault.uri+"keys/"+ref.key.name+"/"+ref.key.version)
		if ref.uai != nil {
			l.ks("primaryUserAssignedIdentityId", ref.uai.id)
		}
	}
	l.end()
	principal := g.guid()
	g.tail(g.classified(r), identityFor(ref, principal))
	g.emit("microsoft.sql/servers")

	ep := id + "/encryptionProtector/current"
	l = &g.l
	l.reset()
	l.obj().ks("id", ep).ks("name", "current").ks("type", "Microsoft.Sql/servers/encryptionProtector")
	if ref != nil {
		l.ks("kind", "azurekeyvault").ks("location", r.location).kobj("properties").
			ks("serverKeyName", ref.vault.name+"_"+ref.key.name+"_"+ref.key.version).ks("serverKeyType", "AzureKeyVault").
			ks("uri", ref.vault.uri+"keys/"+ref.key.name+"/"+ref.key.version).ks("thumbprint", g.hexString(40)).
			kb("autoRotationEnabled", g.chance(0.6)).end()
	} else {
		l.ks("kind", "servicemanaged").ks("location", r.location).kobj("properties").ks("serverKeyName", "ServiceManaged").
			ks("serverKeyType", "ServiceManaged").kb("autoRotationEnabled", false).end()
	}
	l.end()
	g.emit("microsoft.sql/servers/encryptionprotector")
	if ref != nil && ref.system {
		g.grant(ref.vault, ref.key, principal)
	}
	for i := range g.between(1, 6) {
		g.sqlDatabase(r, id, name, "db-"+strconv.Itoa(i))
	}
	g.privateEndpoint(r, id, name, "sqlServer")
	if g.chance(0.4) {
		g.diagnosticSetting(id+"/databases/master", s.workspace, false)
	}
}

func (g *gen) sqlDatabase(r *rg, server, serverName, name string) {
	id := server + "/databases/" + name
	l := g.row("microsoft.sql/servers/databases", id, serverName+"/"+name, "v12.0,user,vcore", r.location, r)
	l.kobj("sku").ks("name", "GP_Gen5").ks("tier", "GeneralPurpose").ks("family", "Gen5").kn("capacity", 2).end().knull("plan").
		kobj("properties").ks("collation", "SQL_Latin1_General_CP1_CI_AS").kn("maxSizeBytes", 34359738368).ks("status", "Online").
		ks("databaseId", g.guid()).ks("creationDate", g.timeAgo(700)).ks("currentServiceObjectiveName", "GP_Gen5_2").
		ks("requestedServiceObjectiveName", "GP_Gen5_2").ks("defaultSecondaryLocation", "northeurope").ks("catalogCollation", "SQL_Latin1_General_CP1_CI_AS").
		kb("zoneRedundant", false).ks("licenseType", "LicenseIncluded").kn("maxLogSizeBytes", 68719476736).ks("readScale", "Disabled").
		ks("currentSku", "GP_Gen5").ks("currentBackupStorageRedundancy", "Geo").ks("requestedBackupStorageRedundancy", "Geo").
		ks("maintenanceConfigurationId", "/subscriptions/"+g.sub.id+"/providers/Microsoft.Maintenance/publicMaintenanceConfigurations/SQL_Default").
		kb("isLedgerOn", false).kb("isInfraEncryptionEnabled", false).end()
	g.tail(g.classified(r), nil)
	g.emit("microsoft.sql/servers/databases")
}

// cosmos writes a Cosmos DB account; some use a customer-managed key.
func (g *gen) cosmos(r *rg, local *vault) {
	name := "cosmos-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.DocumentDB", "databaseAccounts", name)
	var ref *keyRef
	if g.chance(0.4) {
		k := g.chooseKey(local)
		ref = &k
	}
	l := g.row("microsoft.documentdb/databaseaccounts", id, name, "GlobalDocumentDB", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").
		ks("documentEndpoint", "https://"+name+".documents.azure.com:443/").ks("publicNetworkAccess", "Disabled").
		kb("enableAutomaticFailover", true).kb("enableMultipleWriteLocations", false).kb("isVirtualNetworkFilterEnabled", true).
		ks("databaseAccountOfferType", "Standard").kb("disableLocalAuth", true).
		kobj("consistencyPolicy").ks("defaultConsistencyLevel", "Session").kn("maxIntervalInSeconds", 5).kn("maxStalenessPrefix", 100).end().
		karr("locations").obj().ks("id", name+"-"+r.location).ks("locationName", r.location).kn("failoverPriority", 0).kb("isZoneRedundant", false).end().endArr().
		kobj("backupPolicy").ks("type", "Periodic").kobj("periodicModeProperties").kn("backupIntervalInMinutes", 240).kn("backupRetentionIntervalInHours", 8).end().end()
	if ref != nil {
		l.ks("keyVaultKeyUri", ref.vault.uri+"keys/"+ref.key.name)
		if ref.uai != nil {
			l.ks("defaultIdentity", "UserAssignedIdentity="+ref.uai.id)
		} else {
			l.ks("defaultIdentity", "FirstPartyIdentity")
		}
	} else {
		l.ks("defaultIdentity", "FirstPartyIdentity")
	}
	l.end()
	g.tail(g.classified(r), identityFor(ref, ""))
	g.emit("microsoft.documentdb/databaseaccounts")
	g.privateEndpoint(r, id, name, "Sql")
}

// postgres writes a PostgreSQL flexible server.
func (g *gen) postgres(r *rg, local *vault) {
	name := "psql-" + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.DBforPostgreSQL", "flexibleServers", name)
	var ref *keyRef
	if g.chance(0.3) {
		k := g.chooseKey(local)
		if k.uai == nil {
			k.uai, k.system = pick(g, g.sub.uais), false
		}
		ref = &k
	}
	l := g.row("microsoft.dbforpostgresql/flexibleservers", id, name, "", r.location, r)
	l.sku("Standard_D2ds_v5", "GeneralPurpose").knull("plan").kobj("properties").ks("administratorLogin", "pgadmin").ks("version", "16").
		ks("state", "Ready").ks("fullyQualifiedDomainName", name+".postgres.database.azure.com").
		kobj("storage").kn("storageSizeGB", 128).ks("autoGrow", "Enabled").ks("tier", "P10").end().
		kobj("backup").kn("backupRetentionDays", 7).ks("geoRedundantBackup", "Disabled").end().
		kobj("network").ks("publicNetworkAccess", "Disabled").end().kobj("highAvailability").ks("mode", "Disabled").end()
	if ref != nil {
		l.kobj("dataEncryption").ks("type", "AzureKeyVault").ks("primaryKeyURI", ref.vault.uri+"keys/"+ref.key.name+"/"+ref.key.version).
			ks("primaryUserAssignedIdentityId", ref.uai.id).end()
	} else {
		l.kobj("dataEncryption").ks("type", "SystemManaged").end()
	}
	l.end()
	g.tail(g.classified(r), identityFor(ref, ""))
	g.emit("microsoft.dbforpostgresql/flexibleservers")
}

// containerRegistry writes a container registry.
func (g *gen) containerRegistry(r *rg) {
	name := "acr" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, "Microsoft.ContainerRegistry", "registries", name)
	l := g.row("microsoft.containerregistry/registries", id, name, "", r.location, r)
	l.sku("Premium", "Premium").knull("plan").kobj("properties").ks("loginServer", name+".azurecr.io").ks("creationDate", g.timeAgo(900)).
		ks("provisioningState", "Succeeded").kb("adminUserEnabled", false).
		kobj("policies").kobj("quarantinePolicy").ks("status", "disabled").end().kobj("trustPolicy").ks("type", "Notary").ks("status", "disabled").end().
		kobj("retentionPolicy").kn("days", 7).ks("status", "disabled").end().end().
		kobj("encryption").ks("status", "disabled").end().kb("dataEndpointEnabled", false).ks("publicNetworkAccess", "Disabled").
		ks("networkRuleBypassOptions", "AzureServices").ks("zoneRedundancy", "Disabled").end()
	g.tail(g.classified(r), nil)
	g.emit("microsoft.containerregistry/registries")
}

// messaging writes a Service Bus or Event Hubs namespace.
func (g *gen) messaging(r *rg, eventHub bool) {
	typ, ns, prefix := "microsoft.servicebus/namespaces", "Microsoft.ServiceBus", "sb-"
	if eventHub {
		typ, ns, prefix = "microsoft.eventhub/namespaces", "Microsoft.EventHub", "evh-"
	}
	name := prefix + r.app + "-" + strconv.Itoa(g.nextSerial())
	id := g.provider(r, ns, "namespaces", name)
	l := g.row(typ, id, name, "", r.location, r)
	l.sku("Standard", "Standard").knull("plan").kobj("properties").ks("minimumTlsVersion", "1.2").ks("publicNetworkAccess", "Enabled").
		kb("disableLocalAuth", false).kb("zoneRedundant", true).ks("provisioningState", "Succeeded").ks("status", "Active").
		ks("createdAt", g.timeAgo(900)).ks("updatedAt", g.timeAgo(30)).
		ks("serviceBusEndpoint", "https://"+name+".servicebus.windows.net:443/").ks("metricId", g.sub.id+":"+name).end()
	g.tail(g.classified(r), nil)
	g.emit(typ)
}
