package estate

import (
	"sync"
	"time"
)

// Estate is the linked model every rule reads.
type Estate struct {
	Workloads       []*Workload // CMK-capable workload resources, in input order
	Vaults          []*Vault    // Key Vaults and Managed HSMs
	Keys            []*Key
	Apps            []*Resource // web and function apps (microsoft.web/sites, /slots)
	EncryptionSets  []*Resource // disk encryption sets: key holders, not workloads
	RoleAssignments []*RoleAssignment
	Diagnostics     []*DiagnosticSetting
	EventSubs       []*EventSubscription
	Alerts          []*AlertRule
	Audit           []*AuditRecord

	// Header is the collection metadata of a snapshot written by collect, if any.
	Header *Header
	// Collected says which kinds of data the snapshot holds at all; a rule that
	// needs a kind the snapshot lacks reports unknown rather than fail.
	Collected Collected
	// Counts of what was read.
	Stats Stats
	// Warnings about input that was read but could not be used fully.
	Warnings []Warning

	all           []*Resource       // every resource kept, placeholders last
	byID          idIndex           // positions in all
	vaultByName   map[string]*Vault // "kv:NAME" or "hsm:NAME"
	vaultByID     map[string]*Vault
	uaiByID       map[string]*Resource
	uaiByClientID map[string]*Resource
	roleDefs      map[string]*RoleDefinition // lower-case GUID
	mgAncestors   map[string][]string        // subscription → management groups above it
	assignmentsBy map[string][]*RoleAssignment
	miPrincipals  map[string]string // managed identity object id → resource id

	keyUsersOnce sync.Once
	keyUsers     map[keyName][]KeyUse // see KeyUsers
	scopesOnce   sync.Once
	scopes       scopeIndex // see assignmentsAt
	tagMapsMu    sync.Mutex
	tagMaps      map[tagsID]map[string]string // see TagMap
}

// Warning is a problem with the input that did not stop the scan.
type Warning struct {
	Source  Source
	Message string
}

func (w Warning) String() string {
	if s := w.Source.String(); s != "" {
		return s + ": " + w.Message
	}
	return w.Message
}

// Stats counts what went into an estate.
type Stats struct {
	Resources int // resources read, of every type
	Skipped   int // resources of types no rule reads
}

// Collected records which kinds of data a snapshot carries.
type Collected struct {
	Keys               bool
	DiagnosticSettings bool
	RoleAssignments    bool
	EventSubscriptions bool
}

// Header is the metadata record of an NDJSON snapshot written by collect.
type Header struct {
	CollectedAt time.Time
	Scopes      []string
	Tool        string
	Version     string
	Coverage    []Gap
	Source      Source
}

// Gap is something a collection could not read. Resources at or below Scope
// whose Data could not be read get unknown results from the rules that need it.
type Gap struct {
	Scope      string // ARM id prefix: subscription, vault, …
	Data       string // resources, keys, diagnosticSettings, roleAssignments, eventSubscriptions, encryptionProtector, or "" for all
	Error      string
	Permission string // the role or action that would fix it
}

// CMKState is what the snapshot says about a workload's encryption key.
type CMKState int

// CMK states. Unknown means the snapshot lacks what is needed to tell.
const (
	CMKUnknown CMKState = iota
	CMKPlatform
	CMKCustomer
)

func (s CMKState) String() string {
	switch s {
	case CMKPlatform:
		return "platform-managed"
	case CMKCustomer:
		return "customer-managed"
	}
	return "unknown"
}

// Workload is a CMK-capable resource that holds data.
type Workload struct {
	*Resource
	Service *Service
	CMK     CMKState
	// Evidence is what the encryption state was read from, e.g.
	// {"keySource": "Microsoft.Storage"}.
	Evidence map[string]string
	// KeyRefs are the keys the workload uses, resolved as far as the snapshot allows.
	KeyRefs []*KeyRef
}

// KeyRef is a workload's reference to a key, with the identity that reaches it.
type KeyRef struct {
	Raw      string   // the reference as written
	Field    string   // the property it was read from
	Via      []string // resources followed to reach it, e.g. a disk encryption set id
	URI      KeyURI   // parsed reference; zero when ParseErr is set
	ParseErr string
	// Unresolved says why the key could not be followed, e.g. a disk
	// encryption set that is not in the snapshot.
	Unresolved string
	Vault      *Vault // nil when the vault is not in the snapshot
	Key        *Key   // nil when the key is not in the snapshot
	Identity   IdentityRef
}

// IdentityKind says how a service names the identity it uses for its key.
type IdentityKind string

// Identity kinds.
const (
	IdentitySystem     IdentityKind = "system-assigned"
	IdentityUser       IdentityKind = "user-assigned"
	IdentityFirstParty IdentityKind = "first-party"
	IdentityNone       IdentityKind = "" // the service does not say
)

// IdentityRef is the identity a workload uses to reach its key.
type IdentityRef struct {
	Kind        IdentityKind
	Holder      string // id of the resource whose identity it is (the disk encryption set for a disk)
	ResourceID  string // user-assigned identity resource id, when named by id
	ClientID    string // when the service names it by client id
	PrincipalID string // resolved object id, lower-case; "" when unknown
	// Problem explains why the identity cannot work, e.g. a user-assigned
	// identity that is not attached. Empty when none is known.
	Problem string
	// Unknown explains why the principal cannot be told from the snapshot.
	Unknown string
}

// Label names the identity for people, e.g. "user-assigned identity uami-cmk"
// or "system-assigned identity of sql-pay".
func (id IdentityRef) Label() string {
	name := func(arm string) string {
		if p, ok := ParseID(arm); ok {
			return p.Name
		}
		return arm
	}
	switch {
	case id.ResourceID != "":
		return "user-assigned identity " + name(id.ResourceID)
	case id.ClientID != "":
		return "user-assigned identity with client id " + id.ClientID
	case id.Kind == IdentitySystem:
		return "system-assigned identity of " + name(id.Holder)
	case id.Kind == IdentityFirstParty:
		return "the service's first-party identity"
	}
	return "the identity of " + name(id.Holder)
}

// Vault is a Key Vault or a Managed HSM.
type Vault struct {
	*Resource
	HSM                 bool
	Host                string // lower-case host from vaultUri/hsmUri, "" when absent
	SoftDelete          bool   // absent means on (mandatory on Azure today)
	PurgeProtection     bool   // absent means off
	RBAC                bool   // absent means access policies; always true for a Managed HSM (local RBAC)
	PublicNetworkAccess string // as written, "" when absent
	DefaultAction       string // networkAcls.defaultAction, "" when absent (Allow)
	Bypass              string
	AccessPolicies      []AccessPolicy
	Keys                []*Key
	Diagnostics         []*DiagnosticSetting
	EventSubs           []*EventSubscription
	// Written holds the settings rules report as the snapshot writes them.
	Written VaultSettings
}

// VaultSettings are a vault's properties as the snapshot writes them, kept
// once the rest of its properties are let go: rules show them as written and
// must tell a value that is not a boolean from an absent one. A value is nil
// when absent or null.
type VaultSettings struct {
	// Properties says whether the snapshot holds the vault with properties at
	// all: a generic resource listing does not, and then nothing may be
	// assumed of its settings.
	Properties                bool
	EnableSoftDelete          any
	SoftDeleteRetentionInDays any
	EnablePurgeProtection     any
	EnableRBACAuthorization   any
	PublicNetworkAccess       any
	DefaultAction             any  // networkAcls.defaultAction
	Bypass                    any  // networkAcls.bypass
	NetworkACLs               bool // networkAcls is written
	IPRules                   int  // entries of networkAcls.ipRules
	VirtualNetworkRules       int  // entries of networkAcls.virtualNetworkRules
	// ApprovedEndpoints and UnstatedEndpoints count the private endpoint
	// connections whose status is Approved and those with no status.
	ApprovedEndpoints int
	UnstatedEndpoints int
	InitialAdmins     []string // initialAdminObjectIds, strings as written
}

// AccessPolicy is one entry of a vault's accessPolicies.
type AccessPolicy struct {
	TenantID      string
	ObjectID      string // lower-case
	ApplicationID string // lower-case; set for compound identities
	Keys          []string
}

// Key is a key in a vault or Managed HSM, as ARM describes its current version.
type Key struct {
	*Resource
	Vault     *Vault // nil when the vault is not in the snapshot
	VaultName string // lower-case
	HSMKey    bool
	Name      string // lower-case
	Enabled   bool   // absent means enabled
	Expires   time.Time
	NotBefore time.Time
	Created   time.Time
	Updated   time.Time
	Kty       string // as written: RSA, RSA-HSM, EC, EC-HSM, oct-HSM
	Size      int    // 0 when absent
	Curve     string
	KeyOps    []string
	Rotation  *RotationPolicy // nil when the snapshot has none
	Users     []*Workload     // workloads that reference this key
	// Attributes says whether properties.attributes is an object at all.
	Attributes bool
	// Detailed says whether keyOps, keySize or curveName is written (not
	// null, "" or {}), which ARM list rows omit.
	Detailed bool
	// Version is the version keyUriWithVersion names, "" when it names none.
	Version string
	// Written holds the time attributes as written when Expires or Created
	// could not be read from them, for rules to show; nil otherwise.
	Written *KeyTimes
}

// KeyTimes are a key's time values as the snapshot writes them (a number,
// string or anything else; nil when absent): of each time, the first of the
// ARM name and the data plane's aliases that is present.
type KeyTimes struct {
	Exp, Created, NotBefore any
	// MisplacedExp is properties.exp, outside attributes, where it is not an expiry.
	MisplacedExp any
}

// RotationPolicy is a key's rotation policy.
type RotationPolicy struct {
	Rotate             bool     // has an automatic rotate lifetime action
	Notify             bool     // has a notify action
	RotateAfterCreate  Duration // zero when absent
	RotateBeforeExpiry Duration
	ExpiryTime         Duration // expiry applied to new versions
	// RotateTriggers are the rotate actions' trigger durations as written, so
	// that a trigger that does not parse can be told from a missing one.
	RotateTriggers []string
}

// RoleAssignment is an Azure RBAC role assignment.
type RoleAssignment struct {
	*Resource
	Scope         string // lower-case
	PrincipalID   string // lower-case
	PrincipalType string // User, Group, ServicePrincipal, ForeignGroup, Device
	RoleID        string // lower-case role definition GUID
}

// RoleDefinition is a role definition, built in or custom.
type RoleDefinition struct {
	ID             string // lower-case GUID
	Name           string
	Actions        []string
	NotActions     []string
	DataActions    []string
	NotDataActions []string

	// keyOps is what KeyOps returns, worked out once: every grant through
	// the role asks, and built-in definitions serve every estate.
	keyOpsOnce sync.Once
	keyOps     []string
}

// DiagnosticSetting is a Microsoft.Insights/diagnosticSettings extension resource.
type DiagnosticSetting struct {
	*Resource
	Target       string // lower-case id of the resource it watches
	Logs         []LogSetting
	Destinations []string // workspace, storage account, event hub rule, partner ids
	// Metrics says whether the setting lists any metrics, so that a setting
	// sending metrics only can be told from one sending nothing.
	Metrics bool
}

// LogSetting is one entry of a diagnostic setting's logs.
type LogSetting struct {
	Category      string
	CategoryGroup string
	Enabled       bool
}

// EventSubscription is an Event Grid subscription, on a system topic or on a resource.
type EventSubscription struct {
	*Resource
	Source     string   // lower-case id of the resource whose events it receives, "" when unknown
	EventTypes []string // included event types; nil means all
	// ProvisioningState is as written, "" when absent: a failed subscription
	// delivers nothing.
	ProvisioningState string
}

// AlertRule is a metric, log-search or activity-log alert rule.
type AlertRule struct {
	*Resource
	Enabled bool
	Scopes  []string // lower-case
	Text    string   // lower-case criteria, for recognising what it watches
}

// AuditRecord is one Key Vault audit-log entry (category AuditEvent).
type AuditRecord struct {
	Time          time.Time
	ResourceID    string // the vault, lower-case
	OperationName string
	ResultType    string
	Signature     string // resultSignature, e.g. Forbidden
	HTTPStatus    int
	CallerIP      string
	CorrelationID string
	Identity      string // object id or upn of the caller when present
	Source        Source
}
