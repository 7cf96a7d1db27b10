package estategen

import "strconv"

var privateZones = []string{"privatelink.vaultcore.azure.net", "privatelink.blob.core.windows.net", "privatelink.database.windows.net",
	"privatelink.documents.azure.com", "privatelink.azurewebsites.net", "privatelink.file.core.windows.net",
	"privatelink.servicebus.windows.net", "privatelink.azurecr.io"}

// networkGroup writes the subscription's platform network: a VNet with its
// subnets, an NSG per subnet, route tables, private DNS zones with their VNet
// links, and a network watcher.
func (g *gen) networkGroup() {
	s := g.sub
	r := g.newRG("net", "hub")
	name := "vnet-" + s.name
	s.vnet = g.provider(r, "Microsoft.Network", "virtualNetworks", name)
	nSubnets := g.between(6, 14)
	for i := range nSubnets {
		nsg := g.nsg(r, "nsg-snet-"+strconv.Itoa(i))
		s.nsgs = append(s.nsgs, nsg)
	}
	var routes []string
	for i := range g.between(1, 3) {
		routes = append(routes, g.routeTable(r, "rt-spoke-"+strconv.Itoa(i)))
	}
	l := g.row("microsoft.network/virtualnetworks", s.vnet, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid()).
		kobj("addressSpace").kstrs("addressPrefixes", "10.0.0.0/8").end().
		kobj("dhcpOptions").kstrs("dnsServers", "10.0.0.4", "10.0.0.5").end()
	l.karr("subnets")
	for i := range nSubnets {
		sn := s.vnet + "/subnets/snet-" + strconv.Itoa(i)
		s.subnets = append(s.subnets, sn)
		l.obj().ks("name", "snet-"+strconv.Itoa(i)).ks("id", sn).ks("etag", "W/\""+g.guid()+"\"").
			kobj("properties").ks("provisioningState", "Succeeded").ks("addressPrefix", "10."+strconv.Itoa(i)+".0.0/16").
			kid("networkSecurityGroup", s.nsgs[i]).kid("routeTable", pick(g, routes)).
			karr("serviceEndpoints").obj().ks("provisioningState", "Succeeded").ks("service", "Microsoft.Storage").kstrs("locations", r.location).end().
			obj().ks("provisioningState", "Succeeded").ks("service", "Microsoft.KeyVault").kstrs("locations", "*").end().endArr().
			karr("delegations").endArr().ks("privateEndpointNetworkPolicies", "Disabled").ks("privateLinkServiceNetworkPolicies", "Enabled").end().
			ks("type", "Microsoft.Network/virtualNetworks/subnets").end()
	}
	l.endArr().karr("virtualNetworkPeerings").endArr().kb("enableDdosProtection", false).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/virtualnetworks")

	for _, z := range privateZones {
		zid := g.provider(r, "Microsoft.Network", "privateDnsZones", z)
		s.dnsZones = append(s.dnsZones, zid)
		l := g.row("microsoft.network/privatednszones", zid, z, "", "global", r)
		l.knull("sku").knull("plan").kobj("properties").kn("maxNumberOfRecordSets", 25000).kn("numberOfRecordSets", int64(g.between(2, 400))).
			kn("maxNumberOfVirtualNetworkLinks", 1000).kn("numberOfVirtualNetworkLinks", 1).
			kn("maxNumberOfVirtualNetworkLinksWithRegistration", 100).kn("numberOfVirtualNetworkLinksWithRegistration", 0).
			ks("provisioningState", "Succeeded").ks("internalId", g.b64(60)).end()
		g.tail(g.plain(r), nil)
		g.emit("microsoft.network/privatednszones")
		lid := zid + "/virtualNetworkLinks/link-" + name
		l = g.row("microsoft.network/privatednszones/virtualnetworklinks", lid, "link-"+name, "", "global", r)
		l.knull("sku").knull("plan").kobj("properties").kid("virtualNetwork", s.vnet).kb("registrationEnabled", false).
			ks("virtualNetworkLinkState", "Completed").ks("provisioningState", "Succeeded").end()
		g.tail(g.plain(r), nil)
		g.emit("microsoft.network/privatednszones/virtualnetworklinks")
	}
	wid := g.provider(r, "Microsoft.Network", "networkWatchers", "NetworkWatcher_"+r.location)
	l = g.row("microsoft.network/networkwatchers", wid, "NetworkWatcher_"+r.location, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").end()
	g.tail(nil, nil)
	g.emit("microsoft.network/networkwatchers")
}

// securityRule writes one NSG rule.
func (g *gen) securityRule(nsgID, name string, priority int, access, direction, port string) {
	l := &g.l
	l.obj().ks("name", name).ks("id", nsgID+"/securityRules/"+name).ks("etag", "W/\""+g.guid()+"\"").
		ks("type", "Microsoft.Network/networkSecurityGroups/securityRules").
		kobj("properties").ks("provisioningState", "Succeeded").ks("protocol", "Tcp").ks("sourcePortRange", "*").
		ks("destinationPortRange", port).ks("sourceAddressPrefix", pick(g, []string{"VirtualNetwork", "AzureLoadBalancer", "10.0.0.0/8", "Internet"})).
		ks("destinationAddressPrefix", "*").ks("access", access).kn("priority", int64(priority)).ks("direction", direction).
		karr("sourcePortRanges").endArr().karr("destinationPortRanges").endArr().karr("sourceAddressPrefixes").endArr().karr("destinationAddressPrefixes").endArr().end().end()
}

// nsg writes a network security group with its rules and the six default
// rules Resource Graph returns with every NSG.
func (g *gen) nsg(r *rg, name string) string {
	id := g.provider(r, "Microsoft.Network", "networkSecurityGroups", name)
	l := g.row("microsoft.network/networksecuritygroups", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid())
	l.karr("securityRules")
	for i := range g.between(1, 6) {
		g.securityRule(id, "allow-"+strconv.Itoa(i), 100+10*i, "Allow", "Inbound", pick(g, []string{"443", "80", "22", "3389", "1433", "8080-8090"}))
	}
	l.endArr().karr("defaultSecurityRules")
	for i, d := range []string{"AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound", "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"} {
		dir, access := "Inbound", "Allow"
		if i >= 3 {
			dir = "Outbound"
		}
		if i == 2 || i == 5 {
			access = "Deny"
		}
		g.securityRule(id, d, 65000+i%3, access, dir, "*")
	}
	l.endArr().karr("subnets").endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/networksecuritygroups")
	return id
}

func (g *gen) routeTable(r *rg, name string) string {
	id := g.provider(r, "Microsoft.Network", "routeTables", name)
	l := g.row("microsoft.network/routetables", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid()).
		kb("disableBgpRoutePropagation", true).karr("routes")
	for i := range g.between(1, 4) {
		rn := "route-" + strconv.Itoa(i)
		l.obj().ks("name", rn).ks("id", id+"/routes/"+rn).ks("etag", "W/\""+g.guid()+"\"").
			kobj("properties").ks("provisioningState", "Succeeded").ks("addressPrefix", "0.0.0.0/0").
			ks("nextHopType", "VirtualAppliance").ks("nextHopIpAddress", "10.0.0.4").kb("hasBgpOverride", false).end().
			ks("type", "Microsoft.Network/routeTables/routes").end()
	}
	l.endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/routetables")
	return id
}

// publicIP writes a public IP address.
func (g *gen) publicIP(r *rg, name, attached string) string {
	id := g.provider(r, "Microsoft.Network", "publicIPAddresses", name)
	l := g.row("microsoft.network/publicipaddresses", id, name, "", r.location, r)
	l.sku("Standard", "Regional").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid()).
		ks("ipAddress", g.publicIP4()).ks("publicIPAddressVersion", "IPv4").ks("publicIPAllocationMethod", "Static").
		kn("idleTimeoutInMinutes", 4).karr("ipTags").endArr()
	if attached != "" {
		l.kid("ipConfiguration", attached)
	}
	l.kobj("ddosSettings").ks("protectionMode", "VirtualNetworkInherited").end().end()
	g.tail(g.plain(r), nil, "1", "2", "3")
	g.emit("microsoft.network/publicipaddresses")
	return id
}

func (g *gen) publicIP4() string {
	return strconv.Itoa(g.between(13, 223)) + "." + strconv.Itoa(g.between(0, 255)) + "." +
		strconv.Itoa(g.between(0, 255)) + "." + strconv.Itoa(g.between(1, 254))
}

// nic writes a network interface attached to vm (may be "").
func (g *gen) nic(r *rg, name, vm, pip string) string {
	s := g.sub
	id := g.provider(r, "Microsoft.Network", "networkInterfaces", name)
	subnet := s.subnets[r.zone%len(s.subnets)]
	l := g.row("microsoft.network/networkinterfaces", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid())
	l.karr("ipConfigurations").obj().ks("name", "ipconfig1").ks("id", id+"/ipConfigurations/ipconfig1").ks("etag", "W/\""+g.guid()+"\"").
		ks("type", "Microsoft.Network/networkInterfaces/ipConfigurations").
		kobj("properties").ks("provisioningState", "Succeeded").ks("privateIPAddress", g.ip(r.zone%250, g.between(0, 255))).
		ks("privateIPAllocationMethod", pick(g, []string{"Dynamic", "Static"})).kid("subnet", subnet).kb("primary", true).
		ks("privateIPAddressVersion", "IPv4")
	if pip != "" {
		l.kid("publicIPAddress", pip)
	}
	if g.chance(0.3) {
		l.karr("loadBalancerBackendAddressPools").obj().ks("id", r.id+"/providers/Microsoft.Network/loadBalancers/lb-"+r.app+"/backendAddressPools/pool").end().endArr()
	}
	l.end().end().endArr()
	l.kobj("dnsSettings").kstrs("dnsServers").kstrs("appliedDnsServers").ks("internalDomainNameSuffix", g.b64(26)+".ax.internal.cloudapp.net").end().
		ks("macAddress", g.mac()).kb("vnetEncryptionSupported", false).kb("enableIPForwarding", false).
		kb("disableTcpStateTracking", false).kid("networkSecurityGroup", pick(g, s.nsgs)).kb("primary", true)
	if vm != "" {
		l.kid("virtualMachine", vm)
	}
	l.karr("hostedWorkloads").endArr().karr("tapConfigurations").endArr().ks("nicType", "Standard").
		kb("allowPort25Out", false).ks("auxiliaryMode", "None").ks("auxiliarySku", "None").
		kb("enableAcceleratedNetworking", g.chance(0.6)).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/networkinterfaces")
	return id
}

func (g *gen) mac() string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, 17)
	for i := range 6 {
		if i > 0 {
			b = append(b, '-')
		}
		v := g.rng.IntN(256)
		b = append(b, hex[v>>4], hex[v&0xf])
	}
	return string(b)
}

// privateEndpoint writes a private endpoint to target for group (blob,
// vault, sqlServer…) and its NIC.
func (g *gen) privateEndpoint(r *rg, target, targetName, group string) {
	s := g.sub
	name := "pe-" + targetName + "-" + group
	id := g.provider(r, "Microsoft.Network", "privateEndpoints", name)
	nic := g.provider(r, "Microsoft.Network", "networkInterfaces", name+".nic."+g.guid())
	l := g.row("microsoft.network/privateendpoints", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid()).
		karr("privateLinkServiceConnections").obj().ks("name", name).ks("id", id+"/privateLinkServiceConnections/"+name).
		ks("etag", "W/\""+g.guid()+"\"").kobj("properties").ks("provisioningState", "Succeeded").ks("privateLinkServiceId", target).
		kstrs("groupIds", group).kobj("privateLinkServiceConnectionState").ks("status", "Approved").ks("description", "Auto-Approved").
		ks("actionsRequired", "None").end().end().ks("type", "Microsoft.Network/privateEndpoints/privateLinkServiceConnections").end().endArr().
		karr("manualPrivateLinkServiceConnections").endArr().ks("customNetworkInterfaceName", "").
		kid("subnet", s.subnets[r.zone%len(s.subnets)]).karr("ipConfigurations").endArr().
		karr("networkInterfaces").obj().ks("id", nic).end().endArr().
		karr("customDnsConfigs").obj().ks("fqdn", targetName+"."+group+".core.windows.net").kstrs("ipAddresses", g.ip(r.zone%250, 200)).end().endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/privateendpoints")
	g.nic(r, nic[len(r.id)+len("/providers/Microsoft.Network/networkInterfaces/"):], "", "")
}

// loadBalancer writes a standard load balancer with one frontend, pool, probe and rule.
func (g *gen) loadBalancer(r *rg, pip string) {
	name := "lb-" + r.app
	id := g.provider(r, "Microsoft.Network", "loadBalancers", name)
	l := g.row("microsoft.network/loadbalancers", id, name, "", r.location, r)
	l.sku("Standard", "Regional").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").ks("resourceGuid", g.guid()).
		karr("frontendIPConfigurations").obj().ks("name", "fe").ks("id", id+"/frontendIPConfigurations/fe").ks("etag", "W/\""+g.guid()+"\"").
		kobj("properties").ks("provisioningState", "Succeeded").ks("privateIPAllocationMethod", "Dynamic").kid("publicIPAddress", pip).
		karr("loadBalancingRules").obj().ks("id", id+"/loadBalancingRules/https").end().endArr().end().end().endArr().
		karr("backendAddressPools").obj().ks("name", "pool").ks("id", id+"/backendAddressPools/pool").
		kobj("properties").ks("provisioningState", "Succeeded").end().end().endArr().
		karr("loadBalancingRules").obj().ks("name", "https").ks("id", id+"/loadBalancingRules/https").
		kobj("properties").ks("provisioningState", "Succeeded").ks("protocol", "Tcp").kn("frontendPort", 443).kn("backendPort", 443).
		kn("idleTimeoutInMinutes", 4).kb("enableFloatingIP", false).kb("enableTcpReset", true).kb("disableOutboundSnat", true).
		kid("frontendIPConfiguration", id+"/frontendIPConfigurations/fe").kid("backendAddressPool", id+"/backendAddressPools/pool").
		kid("probe", id+"/probes/https").end().end().endArr().
		karr("probes").obj().ks("name", "https").ks("id", id+"/probes/https").kobj("properties").ks("provisioningState", "Succeeded").
		ks("protocol", "Https").kn("port", 443).ks("requestPath", "/health").kn("intervalInSeconds", 5).kn("numberOfProbes", 1).kn("probeThreshold", 1).end().end().endArr().
		karr("inboundNatRules").endArr().karr("outboundRules").endArr().karr("inboundNatPools").endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.network/loadbalancers")
}
