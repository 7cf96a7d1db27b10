package estategen

import "strconv"

var vmSizes = []string{"Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_E4s_v5", "Standard_E8ds_v5", "Standard_B2ms", "Standard_F4s_v2"}

var extensions = []struct{ name, publisher, typ, version string }{
	{"AzureMonitorLinuxAgent", "Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", "1.33"},
	{"MDE.Linux", "Microsoft.Azure.AzureDefenderForServers", "MDE.Linux", "1.0"},
	{"DependencyAgentLinux", "Microsoft.Azure.Monitoring.DependencyAgent", "DependencyAgentLinux", "9.10"},
	{"AzurePolicyforLinux", "Microsoft.GuestConfiguration", "ConfigurationForLinux", "1.26"},
	{"CustomScript", "Microsoft.Azure.Extensions", "CustomScript", "2.1"},
}

// computeGroup writes a VM farm: availability set, optional load balancer,
// and VMs with their NICs, public IPs, disks and extensions.
func (g *gen) computeGroup(r *rg) {
	av := g.availabilitySet(r)
	if g.chance(0.3) {
		g.loadBalancer(r, g.publicIP(r, "pip-lb-"+r.app, ""))
	}
	var des *des
	if len(g.sub.des) > 0 && g.chance(0.4) {
		des = pick(g, g.sub.des)
	}
	for i := range g.between(2, 10) {
		if g.full() {
			return
		}
		g.vm(r, "vm-"+r.app+"-"+strconv.Itoa(i+1), av, des)
	}
	if g.chance(0.3) {
		g.storageAccount(r, nil)
	}
}

func (g *gen) availabilitySet(r *rg) string {
	name := "avail-" + r.app
	id := g.provider(r, "Microsoft.Compute", "availabilitySets", name)
	l := g.row("microsoft.compute/availabilitysets", id, name, "", r.location, r)
	l.sku("Aligned", "").knull("plan").kobj("properties").kn("platformUpdateDomainCount", 5).kn("platformFaultDomainCount", 2).
		karr("virtualMachines").endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.compute/availabilitysets")
	return id
}

// vm writes a virtual machine and what belongs to it: NIC, public IP (some),
// OS and data disks, extensions.
func (g *gen) vm(r *rg, name, avset string, set *des) {
	id := g.provider(r, "Microsoft.Compute", "virtualMachines", name)
	pip := ""
	if g.chance(0.15) {
		pip = g.publicIP(r, "pip-"+name, g.provider(r, "Microsoft.Network", "networkInterfaces", name+"-nic")+"/ipConfigurations/ipconfig1")
	}
	nic := g.nic(r, name+"-nic", id, pip)
	osDisk := g.disk(r, name+"_OsDisk_1_"+g.hexString(32), id, set, true)
	var data []string
	for i := range g.between(0, 3) {
		data = append(data, g.disk(r, name+"-data-"+strconv.Itoa(i), id, set, false))
	}
	linux := g.chance(0.7)
	zone := strconv.Itoa(g.between(1, 3))
	l := g.row("microsoft.compute/virtualmachines", id, name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties")
	l.kobj("hardwareProfile").ks("vmSize", pick(g, vmSizes)).end()
	l.kobj("storageProfile")
	if linux {
		l.kobj("imageReference").ks("publisher", "Canonical").ks("offer", "ubuntu-24_04-lts").ks("sku", "server").ks("version", "latest").ks("exactVersion", "24.04.202611250").end()
	} else {
		l.kobj("imageReference").ks("publisher", "MicrosoftWindowsServer").ks("offer", "WindowsServer").ks("sku", "2022-datacenter-azure-edition").ks("version", "latest").ks("exactVersion", "20348.2849.241104").end()
	}
	l.kobj("osDisk").ks("osType", map[bool]string{true: "Linux", false: "Windows"}[linux]).ks("name", name+"_OsDisk").ks("createOption", "FromImage").
		ks("caching", "ReadWrite").kobj("managedDisk").ks("storageAccountType", "Premium_LRS").ks("id", osDisk)
	if set != nil {
		l.kid("diskEncryptionSet", set.id)
	}
	l.end().ks("deleteOption", "Delete").kn("diskSizeGB", 128).end()
	l.karr("dataDisks")
	for i, d := range data {
		l.obj().kn("lun", int64(i)).ks("name", name+"-data-"+strconv.Itoa(i)).ks("createOption", "Attach").ks("caching", "ReadOnly").
			kb("writeAcceleratorEnabled", false).kobj("managedDisk").ks("storageAccountType", "Premium_LRS").ks("id", d).end().
			ks("deleteOption", "Detach").kn("diskSizeGB", 512).kb("toBeDetached", false).end()
	}
	l.endArr().ks("diskControllerType", "SCSI").end()
	l.kobj("osProfile").ks("computerName", name).ks("adminUsername", "azureuser")
	if linux {
		l.kobj("linuxConfiguration").kb("disablePasswordAuthentication", true).kobj("ssh").karr("publicKeys").
			obj().ks("path", "/home/azureuser/.ssh/authorized_keys").ks("keyData", "ssh-rsa "+g.b64(544)+" azureuser@build").end().
			endArr().end().kb("provisionVMAgent", true).kobj("patchSettings").ks("patchMode", "ImageDefault").ks("assessmentMode", "ImageDefault").end().
			kb("enableVMAgentPlatformUpdates", false).end()
	} else {
		l.kobj("windowsConfiguration").kb("provisionVMAgent", true).kb("enableAutomaticUpdates", true).
			kobj("patchSettings").ks("patchMode", "AutomaticByOS").ks("assessmentMode", "ImageDefault").end().end()
	}
	l.karr("secrets").endArr().kb("allowExtensionOperations", true).kb("requireGuestProvisionSignal", true).end()
	l.kobj("securityProfile").kobj("uefiSettings").kb("secureBootEnabled", true).kb("vTpmEnabled", true).end().ks("securityType", "TrustedLaunch").end()
	l.kobj("networkProfile").karr("networkInterfaces").obj().ks("id", nic).kobj("properties").ks("deleteOption", "Delete").end().end().endArr().end()
	l.kobj("diagnosticsProfile").kobj("bootDiagnostics").kb("enabled", true).end().end()
	if avset != "" && g.chance(0.5) {
		l.kid("availabilitySet", avset)
	}
	l.ks("vmId", g.guid()).ks("provisioningState", "Succeeded").ks("timeCreated", g.timeAgo(900))
	l.kobj("extended").kobj("instanceView").kobj("powerState").ks("code", "PowerState/running").ks("level", "Info").ks("displayStatus", "VM running").end().
		ks("computerName", name).ks("osName", map[bool]string{true: "ubuntu", false: "Windows Server 2022 Datacenter Azure Edition"}[linux]).
		ks("osVersion", map[bool]string{true: "24.04", false: "10.0.20348.2849"}[linux]).
		kobj("hyperVGeneration").ks("code", "HyperVGeneration/V2").ks("level", "Info").ks("displayStatus", "Hyper-V Generation V2").end().end().end()
	l.end()
	var ident *identity
	if g.chance(0.45) {
		ident = &identity{system: g.guid()}
	}
	g.tail(g.plain(r), ident, zone)
	g.emit("microsoft.compute/virtualmachines")

	for _, ext := range extensions[:g.between(1, 3)] {
		g.vmExtension(r, id, name, ext.name, ext.publisher, ext.typ, ext.version)
	}
	if g.chance(0.08) {
		g.metricAlert(r, id, name)
	}
}

// disk writes a managed disk; with set it is encrypted by that disk
// encryption set.
func (g *gen) disk(r *rg, name, vm string, set *des, os bool) string {
	id := g.provider(r, "Microsoft.Compute", "disks", name)
	l := g.managedRow("microsoft.compute/disks", id, name, "", r.location, vm, r)
	l.sku("Premium_LRS", "Premium").knull("plan").kobj("properties")
	size := int64(128)
	if os {
		l.ks("osType", "Linux").ks("hyperVGeneration", "V2").
			kobj("supportedCapabilities").ks("diskControllerTypes", "SCSI, NVMe").kb("acceleratedNetwork", true).ks("architecture", "x64").end().
			kobj("creationData").ks("createOption", "FromImage").
			kobj("imageReference").ks("id", "/Subscriptions/"+g.sub.id+"/Providers/Microsoft.Compute/Locations/"+r.location+"/Publishers/canonical/ArtifactTypes/VMImage/Offers/ubuntu-24_04-lts/Skus/server/Versions/24.04.202611250").end().end()
	} else {
		size = int64(pick(g, []int{256, 512, 1024, 2048}))
		l.kobj("creationData").ks("createOption", "Empty").end()
	}
	l.kn("diskSizeGB", size).kn("diskIOPSReadWrite", 500).kn("diskMBpsReadWrite", 100)
	l.kobj("encryption")
	switch {
	case set != nil:
		l.ks("diskEncryptionSetId", set.id).ks("type", "EncryptionAtRestWithCustomerKey")
	default:
		l.ks("type", "EncryptionAtRestWithPlatformKey")
	}
	l.end().ks("networkAccessPolicy", "AllowAll").ks("publicNetworkAccess", "Enabled").ks("timeCreated", g.timeAgo(900)).
		ks("provisioningState", "Succeeded").ks("diskState", map[bool]string{true: "Attached", false: "Unattached"}[vm != ""]).
		kn("diskSizeBytes", size<<30).ks("uniqueId", g.guid()).ks("tier", "P10").end()
	g.tail(g.classified(r), nil, "1")
	g.emit("microsoft.compute/disks")
	return id
}

func (g *gen) vmExtension(r *rg, vm, vmName, name, publisher, typ, version string) {
	id := vm + "/extensions/" + name
	l := g.row("microsoft.compute/virtualmachines/extensions", id, vmName+"/"+name, "", r.location, r)
	l.knull("sku").knull("plan").kobj("properties").kb("autoUpgradeMinorVersion", true).kb("enableAutomaticUpgrade", true).
		ks("provisioningState", "Succeeded").ks("publisher", publisher).ks("type", typ).ks("typeHandlerVersion", version).
		kobj("settings").ks("workspaceId", g.guid()).kb("stopOnMultipleConnections", false).kb("GCS_AUTO_CONFIG", true).end().
		kb("suppressFailures", false).end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.compute/virtualmachines/extensions")
}

func (g *gen) metricAlert(r *rg, target, name string) {
	an := "alert-cpu-" + name
	id := g.provider(r, "Microsoft.Insights", "metricAlerts", an)
	l := g.row("microsoft.insights/metricalerts", id, an, "", "global", r)
	l.knull("sku").knull("plan").kobj("properties").ks("description", "CPU above 90% on "+name).kn("severity", 3).kb("enabled", true).
		kstrs("scopes", target).ks("evaluationFrequency", "PT5M").ks("windowSize", "PT15M").
		kobj("criteria").karr("allOf").obj().kn("threshold", 90).ks("name", "cpu").ks("metricNamespace", "Microsoft.Compute/virtualMachines").
		ks("metricName", "Percentage CPU").ks("operator", "GreaterThan").ks("timeAggregation", "Average").ks("criterionType", "StaticThresholdCriterion").end().endArr().
		ks("odata.type", "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria").end().
		kb("autoMitigate", true).karr("actions").obj().ks("actionGroupId", g.sub.actions).end().endArr().end()
	g.tail(g.plain(r), nil)
	g.emit("microsoft.insights/metricalerts")
}

// aksGroup writes an AKS cluster and its node resource group: scale sets,
// load balancer, public IP, NSG, route table, kubelet identity.
func (g *gen) aksGroup(r *rg) {
	s := g.sub
	name := "aks-" + r.app
	id := g.provider(r, "Microsoft.ContainerService", "managedClusters", name)
	nodeRG := "MC_" + r.name + "_" + name + "_" + r.location
	kubelet := g.userIdentity(r)
	l := g.row("microsoft.containerservice/managedclusters", id, name, "", r.location, r)
	l.sku("Base", "Standard").knull("plan").kobj("properties").ks("provisioningState", "Succeeded").
		kobj("powerState").ks("code", "Running").end().ks("kubernetesVersion", "1.31.2").ks("currentKubernetesVersion", "1.31.2").
		ks("dnsPrefix", name+"-dns").ks("fqdn", name+"-dns-"+g.hexString(8)+".hcp."+r.location+".azmk8s.io").
		karr("agentPoolProfiles")
	for i := range g.between(1, 3) {
		l.obj().ks("name", "pool"+strconv.Itoa(i)).kn("count", int64(g.between(3, 20))).ks("vmSize", pick(g, vmSizes)).kn("osDiskSizeGB", 128).
			ks("osDiskType", "Managed").ks("kubeletDiskType", "OS").ks("vnetSubnetID", pick(g, s.subnets)).kn("maxPods", 30).
			ks("type", "VirtualMachineScaleSets").kb("enableAutoScaling", true).kn("minCount", 3).kn("maxCount", 30).
			ks("provisioningState", "Succeeded").kobj("powerState").ks("code", "Running").end().ks("orchestratorVersion", "1.31.2").
			ks("mode", map[bool]string{true: "System", false: "User"}[i == 0]).ks("osType", "Linux").ks("osSKU", "Ubuntu").
			ks("nodeImageVersion", "AKSUbuntu-2204gen2containerd-202611.18.0").kobj("upgradeSettings").ks("maxSurge", "10%").end().end()
	}
	l.endArr().kobj("servicePrincipalProfile").ks("clientId", "msi").end().
		kobj("addonProfiles").kobj("azureKeyvaultSecretsProvider").kb("enabled", true).kobj("config").ks("enableSecretRotation", "true").end().end().
		kobj("omsagent").kb("enabled", true).kobj("config").ks("logAnalyticsWorkspaceResourceID", s.workspace).end().end().end().
		ks("nodeResourceGroup", nodeRG).kb("enableRBAC", true).
		kobj("networkProfile").ks("networkPlugin", "azure").ks("networkPolicy", "calico").ks("loadBalancerSku", "standard").
		ks("serviceCidr", "172.16.0.0/16").ks("dnsServiceIP", "172.16.0.10").ks("outboundType", "loadBalancer").end().
		kobj("identityProfile").kobj("kubeletidentity").ks("resourceId", kubelet.id).ks("clientId", kubelet.client).ks("objectId", kubelet.principal).end().end()
	var ref keyRef
	kms := len(s.vaults) > 0 && g.chance(0.2)
	if len(s.des) > 0 && g.chance(0.3) {
		l.ks("diskEncryptionSetID", pick(g, s.des).id)
	}
	if kms {
		ref = g.chooseKey(nil)
		ref.uai, ref.system = nil, true
		l.kobj("securityProfile").kobj("azureKeyVaultKms").kb("enabled", true).ks("keyId", ref.vault.uri+"keys/"+ref.key.name+"/"+ref.key.version).
			ks("keyVaultNetworkAccess", "Public").end().end()
	}
	l.end()
	principal := g.guid()
	g.tail(g.classified(r), &identity{system: principal})
	g.emit("microsoft.containerservice/managedclusters")
	if kms {
		g.grant(ref.vault, ref.key, principal)
	}
	// The node resource group.
	node := &rg{name: nodeRG, id: "/subscriptions/" + s.id + "/resourceGroups/" + nodeRG, location: r.location, app: r.app, zone: r.zone, tags: r.tags}
	for i := range g.between(1, 3) {
		g.scaleSet(node, "aks-pool"+strconv.Itoa(i)+"-"+g.hexString(8)+"-vmss")
	}
	pip := g.publicIP(node, g.guid(), "")
	g.loadBalancer(node, pip)
	g.nsg(node, "aks-agentpool-"+g.hexString(8)+"-nsg")
	g.routeTable(node, "aks-agentpool-"+g.hexString(8)+"-routetable")
	if g.chance(0.5) {
		g.containerRegistry(r)
	}
}

// scaleSet writes a VM scale set of an AKS node pool.
func (g *gen) scaleSet(r *rg, name string) {
	id := g.provider(r, "Microsoft.Compute", "virtualMachineScaleSets", name)
	l := g.row("microsoft.compute/virtualmachinescalesets", id, name, "", r.location, r)
	l.kobj("sku").ks("name", pick(g, vmSizes)).ks("tier", "Standard").kn("capacity", int64(g.between(3, 20))).end().knull("plan").
		kobj("properties").kb("singlePlacementGroup", false).kobj("upgradePolicy").ks("mode", "Manual").end().
		kobj("virtualMachineProfile").kobj("osProfile").ks("computerNamePrefix", name[:12]).ks("adminUsername", "azureuser").
		kobj("linuxConfiguration").kb("disablePasswordAuthentication", true).kobj("ssh").karr("publicKeys").
		obj().ks("path", "/home/azureuser/.ssh/authorized_keys").ks("keyData", "ssh-rsa "+g.b64(372)).end().endArr().end().
		kb("provisionVMAgent", true).end().karr("secrets").endArr().kb("allowExtensionOperations", true).end().
		kobj("storageProfile").kobj("osDisk").ks("osType", "Linux").ks("createOption", "FromImage").ks("caching", "ReadOnly").
		kobj("managedDisk").ks("storageAccountType", "Premium_LRS").end().kn("diskSizeGB", 128).end().
		kobj("imageReference").ks("id", "/subscriptions/"+g.guid()+"/resourceGroups/AKS-Ubuntu/providers/Microsoft.Compute/galleries/AKSUbuntu/images/2204gen2containerd/versions/202611.18.0").end().end().
		kobj("networkProfile").karr("networkInterfaceConfigurations").obj().ks("name", name).kobj("properties").kb("primary", true).
		kb("enableAcceleratedNetworking", true).karr("ipConfigurations").obj().ks("name", "ipconfig1").kobj("properties").
		kid("subnet", pick(g, g.sub.subnets)).kb("primary", true).ks("privateIPAddressVersion", "IPv4").end().end().endArr().end().end().endArr().end().
		karr("extensionProfile").endArr().end().
		ks("provisioningState", "Succeeded").kb("overprovision", false).kb("doNotRunExtensionsOnOverprovisionedVMs", false).
		ks("uniqueId", g.guid()).kn("platformFaultDomainCount", 1).ks("timeCreated", g.timeAgo(400)).end()
	g.tail(g.plain(r), nil, "1", "2", "3")
	g.emit("microsoft.compute/virtualmachinescalesets")
}
