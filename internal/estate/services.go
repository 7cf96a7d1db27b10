package estate

import (
	"strings"
	"unicode/utf8"
)

// Service is one row of the per-service CMK table: how to tell a customer-managed
// key from a platform-managed one on a resource type, where the key reference
// is, and which identity the service uses to reach the key. Adding a
// CMK-capable service is adding a row here.
//
// Facts come from reference/cmk-rule-catalog.md §1. An absent encryption block
// means the platform default (platform-managed keys), never a guess.
type Service struct {
	Type string // lower-case ARM type
	Name string // human name, e.g. "Storage account"
	// Read reads the encryption configuration of r. Lookup gives access to
	// other resources, e.g. a SQL server's encryptionProtector child.
	Read func(r *Resource, l Lookup) Encryption
	// Enable says how to switch the resource to a customer-managed key.
	Enable string
	// KeyHolder marks types that hold a key for others (disk encryption sets):
	// they are followed from workloads but are not workloads themselves.
	KeyHolder bool
}

// Encryption is what a Service row reads off one resource.
type Encryption struct {
	State    CMKState
	Evidence map[string]string
	Refs     []RefSpec
}

// RefSpec is a key reference as a service writes it, before it is resolved.
type RefSpec struct {
	Field string // property path it was read from
	// Either a key URI or key ARM id …
	URI string
	// … or a vault (URI or ARM id) and a key name in separate fields …
	VaultURI, VaultID, KeyName, Version string
	// … or a key holder (disk encryption set) to follow.
	Through  string
	Identity IdentityRef
}

// Lookup gives Service rows access to related resources.
type Lookup interface {
	// Child returns the child of parent with the given lower-case type, or nil.
	Child(parent *Resource, typ string) *Resource
}

// ServiceFor returns the table row for a lower-case type, or nil.
func ServiceFor(typ string) *Service { return serviceByType[typ] }

// Services returns the table, in a stable order.
func Services() []*Service { return services }

var serviceByType = func() map[string]*Service {
	m := make(map[string]*Service, len(services))
	for _, s := range services {
		m[s.Type] = s
	}
	return m
}()

var services = []*Service{
	{Type: "microsoft.storage/storageaccounts", Name: "Storage account",
		Enable: "az storage account update --encryption-key-source Microsoft.Keyvault --encryption-key-vault <vault-uri> --encryption-key-name <key> --key-vault-user-identity-id <identity-id>",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			src := or(p.Str("encryption.keysource"), "Microsoft.Storage")
			e := Encryption{State: stateIf(strings.EqualFold(src, "Microsoft.Keyvault")), Evidence: ev(l, "keySource", src)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryption.keyvaultproperties",
					VaultURI: p.Str("encryption.keyvaultproperties.keyvaulturi"), KeyName: p.Str("encryption.keyvaultproperties.keyname"),
					Version:  p.Str("encryption.keyvaultproperties.keyversion"),
					Identity: userOrSystem(r, p.Str("encryption.identity.userassignedidentity"))}}
			}
			return e
		}},
	{Type: "microsoft.sql/servers", Name: "SQL server",
		Enable: "az sql server tde-key set --server-key-type AzureKeyVault --kid <key-uri> (after granting the server identity get, wrapKey, unwrapKey)",
		Read: func(r *Resource, l Lookup) Encryption {
			return sqlProtector(r, l.Child(r, "microsoft.sql/servers/encryptionprotector"), l)
		}},
	{Type: "microsoft.sql/managedinstances", Name: "SQL managed instance",
		Enable: "az sql mi tde-key set --server-key-type AzureKeyVault --kid <key-uri>",
		Read: func(r *Resource, l Lookup) Encryption {
			return sqlProtector(r, l.Child(r, "microsoft.sql/managedinstances/encryptionprotector"), l)
		}},
	{Type: "microsoft.documentdb/databaseaccounts", Name: "Cosmos DB account",
		Enable: "set properties.keyVaultKeyUri (az cosmosdb update --key-uri <versionless-key-uri>) and properties.defaultIdentity",
		Read: func(r *Resource, l Lookup) Encryption {
			uri := r.Props.Str("keyvaultkeyuri")
			if strings.TrimSpace(uri) == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "keyVaultKeyUri", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "keyVaultKeyUri", uri),
				Refs: []RefSpec{{Field: "properties.keyVaultKeyUri", URI: uri, Identity: cosmosIdentity(r)}}}
		}},
	{Type: "microsoft.compute/disks", Name: "Managed disk", Read: readDisk,
		Enable: "az disk update --encryption-type EncryptionAtRestWithCustomerKey --disk-encryption-set <des-id> (disk detached or VM deallocated)"},
	{Type: "microsoft.compute/snapshots", Name: "Disk snapshot", Read: readDisk,
		Enable: "create the snapshot with --encryption-type EncryptionAtRestWithCustomerKey --disk-encryption-set <des-id>"},
	{Type: "microsoft.compute/diskencryptionsets", Name: "Disk encryption set", KeyHolder: true,
		Read: func(r *Resource, l Lookup) Encryption {
			url := r.Props.Str("activekey.keyurl")
			e := Encryption{State: CMKCustomer, Evidence: ev(l, "encryptionType", or(r.Props.Str("encryptiontype"), "EncryptionAtRestWithCustomerKey"))}
			if url != "" {
				e.Refs = []RefSpec{{Field: "properties.activeKey.keyUrl", URI: url, Identity: resourceIdentity(r)}}
			}
			return e
		}},
	{Type: "microsoft.containerservice/managedclusters", Name: "AKS cluster",
		Enable: "create the cluster with --node-osdisk-diskencryptionset-id <des-id>; enable KMS etcd encryption with az aks update --enable-azure-keyvault-kms --azure-keyvault-kms-key-id <key-uri>",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			des := p.Str("diskencryptionsetid")
			kms, _ := p.Bool("securityprofile.azurekeyvaultkms.enabled")
			e := Encryption{State: stateIf(des != "" || kms), Evidence: ev(l, "diskEncryptionSetID", or(des, "absent"), "azureKeyVaultKms.enabled", boolStr(kms))}
			if des != "" {
				e.Refs = append(e.Refs, RefSpec{Field: "properties.diskEncryptionSetID", Through: des})
			}
			if kms {
				e.Refs = append(e.Refs, RefSpec{Field: "properties.securityProfile.azureKeyVaultKms.keyId",
					URI: p.Str("securityprofile.azurekeyvaultkms.keyid"), Identity: resourceIdentity(r)})
			}
			return e
		}},
	{Type: "microsoft.containerregistry/registries", Name: "Container registry",
		Enable: "CMK can only be set when the registry is created: az acr create --sku Premium --key-encryption-key <key-uri> --identity <identity-id>",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			status := or(p.Str("encryption.status"), "disabled")
			e := Encryption{State: stateIf(strings.EqualFold(status, "enabled")), Evidence: ev(l, "encryption.status", status)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryption.keyVaultProperties.keyIdentifier",
					URI:      p.Str("encryption.keyvaultproperties.keyidentifier"),
					Identity: clientOrSystem(r, p.Str("encryption.keyvaultproperties.identity"))}}
			}
			return e
		}},
	{Type: "microsoft.cognitiveservices/accounts", Name: "Cognitive Services / Azure OpenAI account",
		Enable: "az cognitiveservices account update --encryption '{\"keySource\":\"Microsoft.KeyVault\",\"keyVaultProperties\":{…}}'",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			src := or(p.Str("encryption.keysource"), "Microsoft.CognitiveServices")
			e := Encryption{State: stateIf(strings.EqualFold(src, "Microsoft.KeyVault")), Evidence: ev(l, "keySource", src)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryption.keyVaultProperties",
					VaultURI: p.Str("encryption.keyvaultproperties.keyvaulturi"), KeyName: p.Str("encryption.keyvaultproperties.keyname"),
					Version:  p.Str("encryption.keyvaultproperties.keyversion"),
					Identity: clientOrSystem(r, p.Str("encryption.keyvaultproperties.identityclientid"))}}
			}
			return e
		}},
	{Type: "microsoft.servicebus/namespaces", Name: "Service Bus namespace (Premium)", Read: readMessaging,
		Enable: "az servicebus namespace encryption add --encryption-config key-name=<key> key-vault-uri=<vault-uri> user-assigned-identity=<identity-id> (new or empty Premium namespaces only)"},
	{Type: "microsoft.eventhub/namespaces", Name: "Event Hubs namespace", Read: readMessaging,
		Enable: "az eventhubs namespace encryption add --encryption-config key-name=<key> key-vault-uri=<vault-uri> user-assigned-identity=<identity-id> (new or empty Premium/Dedicated namespaces only)"},
	{Type: "microsoft.dbforpostgresql/flexibleservers", Name: "PostgreSQL flexible server", Read: readFlexibleServer,
		Enable: "CMK can only be set at creation: az postgres flexible-server create --key <key-uri> --identity <identity-id>"},
	{Type: "microsoft.dbformysql/flexibleservers", Name: "MySQL flexible server", Read: readFlexibleServer,
		Enable: "az mysql flexible-server update --key <key-uri> --identity <identity-id>"},
	{Type: "microsoft.synapse/workspaces", Name: "Synapse workspace",
		Enable: "CMK can only be set at creation: properties.encryption.cmk.key {name, keyVaultUrl} with kekIdentity",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			name := p.Str("encryption.cmk.key.name")
			if name == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "encryption.cmk", "absent")}
			}
			id := IdentityRef{Kind: IdentitySystem, Holder: r.ID}
			if uai := p.Str("encryption.cmk.kekidentity.userassignedidentity"); uai != "" {
				if sys, ok := p.Bool("encryption.cmk.kekidentity.usesystemassignedidentity"); !ok || !sys {
					id = userOrSystem(r, uai)
				}
			}
			ref := RefSpec{Field: "properties.encryption.cmk.key", Identity: id}
			if u := p.Str("encryption.cmk.key.keyvaulturl"); strings.Contains(Lower(u), "/keys/") {
				ref.URI = u
			} else {
				ref.VaultURI, ref.KeyName = u, name
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "encryption.cmk.key.name", name), Refs: []RefSpec{ref}}
		}},
	{Type: "microsoft.databricks/workspaces", Name: "Databricks workspace", Read: readDatabricks,
		Enable: "Premium SKU; set properties.encryption.entities.{managedServices,managedDisk}.keySource=Microsoft.Keyvault and parameters.encryption for DBFS"},
	{Type: "microsoft.machinelearningservices/workspaces", Name: "Machine Learning workspace",
		Enable: "CMK can only be set at creation: az ml workspace create --customer-managed-key <key-uri> (properties.encryption.status Enabled)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			status := or(p.Str("encryption.status"), "Disabled")
			e := Encryption{State: stateIf(strings.EqualFold(status, "Enabled")), Evidence: ev(l, "encryption.status", status)}
			if e.State == CMKCustomer {
				id := userOrSystem(r, p.Str("encryption.identity.userassignedidentity"))
				if id.Kind == IdentitySystem && p.Str("encryption.keyvaultproperties.identityclientid") != "" {
					id = clientOrSystem(r, p.Str("encryption.keyvaultproperties.identityclientid"))
				}
				e.Refs = []RefSpec{{Field: "properties.encryption.keyVaultProperties.keyIdentifier",
					URI: p.Str("encryption.keyvaultproperties.keyidentifier"), Identity: id}}
			}
			return e
		}},
	{Type: "microsoft.datafactory/factories", Name: "Data Factory",
		Enable: "set properties.encryption {vaultBaseUrl, keyName, identity} (at creation, or on an empty factory)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			base := p.Str("encryption.vaultbaseurl")
			if base == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "encryption.vaultBaseUrl", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "encryption.vaultBaseUrl", base),
				Refs: []RefSpec{{Field: "properties.encryption", VaultURI: base, KeyName: p.Str("encryption.keyname"),
					Version: p.Str("encryption.keyversion"), Identity: userOrSystem(r, p.Str("encryption.identity.userassignedidentity"))}}}
		}},
	{Type: "microsoft.operationalinsights/clusters", Name: "Log Analytics dedicated cluster",
		Enable: "az monitor log-analytics cluster update --key-vault-uri <vault-uri> --key-name <key> (omit --key-version to follow rotation)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			uri, name := p.Str("keyvaultproperties.keyvaulturi"), p.Str("keyvaultproperties.keyname")
			if uri == "" || name == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "keyVaultProperties", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "keyVaultProperties.keyName", name),
				Refs: []RefSpec{{Field: "properties.keyVaultProperties", VaultURI: uri, KeyName: name,
					Version: p.Str("keyvaultproperties.keyversion"), Identity: resourceIdentity(r)}}}
		}},
	{Type: "microsoft.recoveryservices/vaults", Name: "Recovery Services vault",
		Enable: "az backup vault encryption update --encryption-key-id <key-uri> --mi-user-assigned <identity-id> (only before items are protected)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			uri := p.Str("encryption.keyvaultproperties.keyuri")
			if uri == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "encryption.keyVaultProperties.keyUri", "absent")}
			}
			id := IdentityRef{Kind: IdentitySystem, Holder: r.ID}
			if sys, ok := p.Bool("encryption.kekidentity.usesystemassignedidentity"); ok && !sys {
				id = userOrSystem(r, p.Str("encryption.kekidentity.userassignedidentity"))
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "encryption.keyVaultProperties.keyUri", uri),
				Refs: []RefSpec{{Field: "properties.encryption.keyVaultProperties.keyUri", URI: uri, Identity: id}}}
		}},
	{Type: "microsoft.dataprotection/backupvaults", Name: "Backup vault",
		Enable: "set properties.securitySettings.encryptionSettings {state: Enabled, keyVaultProperties.keyUri, kekIdentity}",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			state := or(p.Str("securitysettings.encryptionsettings.state"), "Disabled")
			e := Encryption{State: stateIf(strings.EqualFold(state, "Enabled")), Evidence: ev(l, "encryptionSettings.state", state)}
			if e.State == CMKCustomer {
				id := IdentityRef{Kind: IdentitySystem, Holder: r.ID}
				if strings.EqualFold(p.Str("securitysettings.encryptionsettings.kekidentity.identitytype"), "UserAssigned") {
					id = userOrSystem(r, p.Str("securitysettings.encryptionsettings.kekidentity.identityid"))
				}
				e.Refs = []RefSpec{{Field: "properties.securitySettings.encryptionSettings.keyVaultProperties.keyUri",
					URI: p.Str("securitysettings.encryptionsettings.keyvaultproperties.keyuri"), Identity: id}}
			}
			return e
		}},
	{Type: "microsoft.batch/batchaccounts", Name: "Batch account",
		Enable: "create the account with --encryption-key-source Microsoft.KeyVault --encryption-key-identifier <key-uri> (properties.keyVaultReference is the pool-allocation vault, not CMK)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			src := or(p.Str("encryption.keysource"), "Microsoft.Batch")
			e := Encryption{State: stateIf(strings.EqualFold(src, "Microsoft.KeyVault")), Evidence: ev(l, "keySource", src)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryption.keyVaultProperties.keyIdentifier",
					URI: p.Str("encryption.keyvaultproperties.keyidentifier"), Identity: resourceIdentity(r)}}
			}
			return e
		}},
	{Type: "microsoft.appconfiguration/configurationstores", Name: "App Configuration store",
		Enable: "az appconfig update --encryption-key-name <key> --encryption-key-vault <vault-uri> --identity-client-id <client-id> (Standard tier)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			kid := p.Str("encryption.keyvaultproperties.keyidentifier")
			if kid == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "encryption.keyVaultProperties.keyIdentifier", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "encryption.keyVaultProperties.keyIdentifier", kid),
				Refs: []RefSpec{{Field: "properties.encryption.keyVaultProperties.keyIdentifier", URI: kid,
					Identity: clientOrSystem(r, p.Str("encryption.keyvaultproperties.identityclientid"))}}}
		}},
	{Type: "microsoft.search/searchservices", Name: "AI Search service",
		Enable: "az search service update --set encryptionWithCmk.enforcement=Enabled, and give every index and synonym map an encryptionKey",
		Read: func(r *Resource, l Lookup) Encryption {
			// Keys are set per index in the data plane; the service only enforces
			// and reports compliance, so no key reference can be followed.
			p := r.Props
			enf := or(p.Str("encryptionwithcmk.enforcement"), "Unspecified")
			status := p.Str("encryptionwithcmk.encryptioncompliancestatus")
			e := Encryption{Evidence: ev(l, "encryptionWithCmk.enforcement", enf, "encryptionComplianceStatus", or(status, "absent"))}
			switch {
			case !strings.EqualFold(enf, "Enabled"):
				e.State = CMKPlatform
			case strings.EqualFold(status, "Compliant"):
				e.State = CMKCustomer
			default:
				e.State = CMKUnknown
			}
			return e
		}},
	{Type: "microsoft.datalakestore/accounts", Name: "Data Lake Store (Gen1) account",
		Enable: "create the account with encryptionConfig.type UserManaged and keyVaultMetaInfo (cannot be changed later)",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			if st := p.Str("encryptionstate"); strings.EqualFold(st, "Disabled") {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "encryptionState", st)}
			}
			typ := or(p.Str("encryptionconfig.type"), "ServiceManaged")
			e := Encryption{State: stateIf(strings.EqualFold(typ, "UserManaged")), Evidence: ev(l, "encryptionConfig.type", typ)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryptionConfig.keyVaultMetaInfo",
					VaultID:  p.Str("encryptionconfig.keyvaultmetainfo.keyvaultresourceid"),
					KeyName:  p.Str("encryptionconfig.keyvaultmetainfo.encryptionkeyname"),
					Version:  p.Str("encryptionconfig.keyvaultmetainfo.encryptionkeyversion"),
					Identity: IdentityRef{Kind: IdentitySystem, Holder: r.ID}}}
			}
			return e
		}},
	{Type: "microsoft.kusto/clusters", Name: "Data Explorer cluster",
		Enable: "az kusto cluster update --key-vault-properties key-name=<key> key-vault-uri=<vault-uri> user-identity=<identity-id>",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			name := p.Str("keyvaultproperties.keyname")
			if name == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "keyVaultProperties", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "keyVaultProperties.keyName", name),
				Refs: []RefSpec{{Field: "properties.keyVaultProperties", VaultURI: p.Str("keyvaultproperties.keyvaulturi"), KeyName: name,
					Version: p.Str("keyvaultproperties.keyversion"), Identity: userOrSystem(r, p.Str("keyvaultproperties.useridentity"))}}}
		}},
	{Type: "microsoft.automation/automationaccounts", Name: "Automation account",
		Enable: "set properties.encryption {keySource: Microsoft.Keyvault, keyVaultProperties, identity}",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			src := or(p.Str("encryption.keysource"), "Microsoft.Automation")
			e := Encryption{State: stateIf(strings.EqualFold(src, "Microsoft.Keyvault")), Evidence: ev(l, "keySource", src)}
			if e.State == CMKCustomer {
				e.Refs = []RefSpec{{Field: "properties.encryption.keyVaultProperties",
					VaultURI: p.Str("encryption.keyvaultproperties.keyvaulturi"), KeyName: p.Str("encryption.keyvaultproperties.keyname"),
					Version:  p.Str("encryption.keyvaultproperties.keyversion"),
					Identity: userOrSystem(r, p.Str("encryption.identity.userassignedidentity"))}}
			}
			return e
		}},
	{Type: "microsoft.cache/redisenterprise", Name: "Redis Enterprise cache",
		Enable: "set properties.encryption.customerManagedKeyEncryption {keyEncryptionKeyUrl, keyEncryptionKeyIdentity}",
		Read: func(r *Resource, l Lookup) Encryption {
			p := r.Props
			url := p.Str("encryption.customermanagedkeyencryption.keyencryptionkeyurl")
			if url == "" {
				return Encryption{State: CMKPlatform, Evidence: ev(l, "customerManagedKeyEncryption", "absent")}
			}
			return Encryption{State: CMKCustomer, Evidence: ev(l, "keyEncryptionKeyUrl", url),
				Refs: []RefSpec{{Field: "properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl", URI: url,
					Identity: userOrSystem(r, p.Str("encryption.customermanagedkeyencryption.keyencryptionkeyidentity.userassignedidentityresourceid"))}}}
		}},
}

func sqlProtector(server, protector *Resource, l Lookup) Encryption {
	p := server.Props
	id := userOrSystem(server, p.Str("primaryuserassignedidentityid"))
	if protector == nil {
		if kid := p.Str("keyid"); kid != "" {
			return Encryption{State: CMKCustomer, Evidence: ev(l, "keyId", kid),
				Refs: []RefSpec{{Field: "properties.keyId", URI: kid, Identity: id}}}
		}
		return Encryption{State: CMKUnknown, Evidence: ev(l, "encryptionProtector", "not in the snapshot")}
	}
	pp := protector.Props
	kind := or(pp.Str("serverkeytype"), "ServiceManaged")
	e := Encryption{State: stateIf(strings.EqualFold(kind, "AzureKeyVault")), Evidence: ev(l, "encryptionProtector.serverKeyType", kind)}
	if e.State != CMKCustomer {
		return e
	}
	ref := RefSpec{Field: "encryptionProtector.properties.uri", URI: pp.Str("uri"), Identity: id}
	if ref.URI == "" {
		ref.URI = p.Str("keyid")
		ref.Field = "properties.keyId"
	}
	if ref.URI == "" {
		// serverKeyName is VAULT_KEY_VERSION.
		if parts := strings.Split(pp.Str("serverkeyname"), "_"); len(parts) == 3 {
			ref.Field = "encryptionProtector.properties.serverKeyName"
			ref.URI = "https://" + parts[0] + ".vault.azure.net/keys/" + parts[1] + "/" + parts[2]
		}
	}
	e.Refs = []RefSpec{ref}
	return e
}

func readDisk(r *Resource, l Lookup) Encryption {
	p := r.Props
	des := p.Str("encryption.diskencryptionsetid")
	if des == "" {
		des = p.Str("securityprofile.securevmdiskencryptionsetid")
	}
	// Azure sets the type whenever a disk encryption set is given; an export
	// that kept the set but dropped the type still means a customer key.
	typ := p.Str("encryption.type")
	if typ == "" && des != "" {
		typ = "EncryptionAtRestWithCustomerKey"
	}
	typ = or(typ, "EncryptionAtRestWithPlatformKey")
	e := Encryption{State: stateIf(containsLower(typ, "customerkey"))}
	if des != "" {
		e.Evidence = ev(l, "encryption.type", typ, "diskEncryptionSetId", des)
	} else {
		e.Evidence = ev(l, "encryption.type", typ)
	}
	if e.State == CMKCustomer {
		e.Refs = diskRefs(l, des)
	}
	return e
}

// diskRefs returns the reference of a disk to its disk encryption set des.
// Read by a Builder as resources are added (l is its probe), it is one
// handed out before for the same set: a set has many disks, and nothing
// modifies a reference.
func diskRefs(l Lookup, des string) []RefSpec {
	if p, ok := l.(*childProbe); ok {
		return p.b.diskRefs(des)
	}
	return newDiskRefs(des)
}

// newDiskRefs returns a new reference of a disk to its disk encryption set des.
func newDiskRefs(des string) []RefSpec {
	return []RefSpec{{Field: "properties.encryption.diskEncryptionSetId", Through: des}}
}

// containsLower reports whether Lower(s) contains sub, a lower-case ASCII
// string, without lower-casing s when it is ASCII: every disk asks.
func containsLower(s, sub string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(Lower(s), sub)
		}
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		// Most places differ in their first byte.
		if lowerASCII(s[i]) == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func readMessaging(r *Resource, l Lookup) Encryption {
	p := r.Props
	src := p.Str("encryption.keysource")
	if !strings.EqualFold(src, "Microsoft.KeyVault") {
		return Encryption{State: CMKPlatform, Evidence: ev(l, "encryption.keySource", or(src, "absent"))}
	}
	e := Encryption{State: CMKCustomer, Evidence: ev(l, "encryption.keySource", src)}
	for _, kv := range p.List("encryption.keyvaultproperties") {
		o, _ := kv.(Object)
		e.Refs = append(e.Refs, RefSpec{Field: "properties.encryption.keyVaultProperties",
			VaultURI: o.Str("keyvaulturi"), KeyName: o.Str("keyname"), Version: o.Str("keyversion"),
			Identity: userOrSystem(r, o.Str("identity.userassignedidentity"))})
	}
	return e
}

func readFlexibleServer(r *Resource, l Lookup) Encryption {
	p := r.Props
	typ := or(p.Str("dataencryption.type"), "SystemManaged")
	primary := p.Str("dataencryption.primarykeyuri")
	e := Encryption{State: stateIf(strings.EqualFold(typ, "AzureKeyVault") && primary != ""), Evidence: ev(l, "dataEncryption.type", typ)}
	if e.State != CMKCustomer {
		return e
	}
	e.Refs = []RefSpec{{Field: "properties.dataEncryption.primaryKeyURI", URI: primary,
		Identity: userOrSystem(r, p.Str("dataencryption.primaryuserassignedidentityid"))}}
	if geo := p.Str("dataencryption.geobackupkeyuri"); geo != "" {
		e.Refs = append(e.Refs, RefSpec{Field: "properties.dataEncryption.geoBackupKeyURI", URI: geo,
			Identity: userOrSystem(r, p.Str("dataencryption.geobackupuserassignedidentityid"))})
	}
	return e
}

func readDatabricks(r *Resource, l Lookup) Encryption {
	p := r.Props
	e := Encryption{State: CMKPlatform, Evidence: map[string]string{}}
	for _, ent := range []struct{ name, path, principal string }{
		{"managedServices", "encryption.entities.managedservices", ""},
		{"managedDisk", "encryption.entities.manageddisk", "manageddiskidentity.principalid"},
	} {
		src := p.Str(ent.path + ".keysource")
		e.Evidence[ent.name+".keySource"] = or(src, "absent")
		if !strings.EqualFold(src, "Microsoft.Keyvault") {
			continue
		}
		e.State = CMKCustomer
		id := IdentityRef{Kind: IdentityFirstParty, Holder: r.ID}
		if ent.principal != "" && p.Str(ent.principal) != "" {
			id = IdentityRef{Kind: IdentitySystem, Holder: r.ID, PrincipalID: Lower(p.Str(ent.principal))}
		}
		e.Refs = append(e.Refs, RefSpec{Field: "properties." + ent.path + ".keyVaultProperties",
			VaultURI: p.Str(ent.path + ".keyvaultproperties.keyvaulturi"), KeyName: p.Str(ent.path + ".keyvaultproperties.keyname"),
			Version: p.Str(ent.path + ".keyvaultproperties.keyversion"), Identity: id})
	}
	prep, _ := p.Bool("parameters.prepareencryption.value")
	dbfs := p.Str("parameters.encryption.value.keysource")
	e.Evidence["dbfs.keySource"] = or(dbfs, "absent")
	if prep && strings.EqualFold(dbfs, "Microsoft.Keyvault") {
		e.State = CMKCustomer
		id := IdentityRef{Kind: IdentitySystem, Holder: r.ID, PrincipalID: Lower(p.Str("storageaccountidentity.principalid"))}
		e.Refs = append(e.Refs, RefSpec{Field: "properties.parameters.encryption.value",
			VaultURI: p.Str("parameters.encryption.value.keyvaulturi"), KeyName: p.Str("parameters.encryption.value.keyname"),
			Version: p.Str("parameters.encryption.value.keyversion"), Identity: id})
	}
	return e
}

// cosmosIdentity reads properties.defaultIdentity: FirstPartyIdentity (the
// default), SystemAssignedIdentity, or UserAssignedIdentity=<id>[&FederatedClientId=…].
func cosmosIdentity(r *Resource) IdentityRef {
	d := strings.TrimSpace(r.Props.Str("defaultidentity"))
	switch {
	case strings.EqualFold(d, "SystemAssignedIdentity"):
		return IdentityRef{Kind: IdentitySystem, Holder: r.ID}
	case strings.HasPrefix(Lower(d), "userassignedidentity="):
		id, _, _ := strings.Cut(d[len("userassignedidentity="):], "&")
		return IdentityRef{Kind: IdentityUser, Holder: r.ID, ResourceID: id}
	}
	return IdentityRef{Kind: IdentityFirstParty, Holder: r.ID}
}

// userOrSystem is the common pattern: a user-assigned identity id when set,
// else the resource's system-assigned identity.
func userOrSystem(r *Resource, uai string) IdentityRef {
	if strings.TrimSpace(uai) != "" {
		return IdentityRef{Kind: IdentityUser, Holder: r.ID, ResourceID: strings.TrimSpace(uai)}
	}
	return IdentityRef{Kind: IdentitySystem, Holder: r.ID}
}

// clientOrSystem is userOrSystem for services that name the identity by client id.
func clientOrSystem(r *Resource, clientID string) IdentityRef {
	if strings.TrimSpace(clientID) != "" {
		return IdentityRef{Kind: IdentityUser, Holder: r.ID, ClientID: Lower(strings.TrimSpace(clientID))}
	}
	return IdentityRef{Kind: IdentitySystem, Holder: r.ID}
}

// resourceIdentity is for services that use "the resource's identity": the
// system-assigned one if enabled, else its only user-assigned one.
func resourceIdentity(r *Resource) IdentityRef {
	if r.Identity != nil && !r.Identity.SystemAssigned() && len(r.Identity.UserAssigned) == 1 {
		return IdentityRef{Kind: IdentityUser, Holder: r.ID, ResourceID: r.Identity.UserAssigned[0].ResourceID}
	}
	if r.Identity != nil && !r.Identity.SystemAssigned() && len(r.Identity.UserAssigned) > 1 {
		return IdentityRef{Kind: IdentityUser, Holder: r.ID, Unknown: "several user-assigned identities are attached and the resource does not say which one reaches the key"}
	}
	return IdentityRef{Kind: IdentitySystem, Holder: r.ID}
}

func stateIf(customer bool) CMKState {
	if customer {
		return CMKCustomer
	}
	return CMKPlatform
}

// ev returns evidence of name, value pairs. Read by a Builder as resources
// are added (l is its probe), it is a map handed out before when one is
// equal: workloads mostly say one of a few things, and a map made for each
// would be let go at once.
func ev(l Lookup, kv ...string) map[string]string {
	if p, ok := l.(*childProbe); ok {
		return p.b.evidenceOf(kv)
	}
	return makeEvidence(kv)
}

// makeEvidence returns a new map of name, value pairs.
func makeEvidence(kv []string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
