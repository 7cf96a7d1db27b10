// Package impact answers two questions about an estate's keys that a scan's
// per-resource results do not: what depends on one key, and what would
// happen if it were disabled, deleted or purged (Query, the blast radius);
// and what is about to break — keys expiring or due for rotation inside a
// window, identities that already cannot reach their key, vault firewalls
// that shut out the service using the key (Forecast).
//
// Both read the estate's key graph and the rules' results; neither judges a
// rule again. Their results are wire models with JSON tags, rendered as JSON
// or as a terminal table by the CLI.
package impact

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Impact is the blast radius of one key.
type Impact struct {
	// Query is the key as asked; Key is its versionless data-plane URI.
	Query   string `json:"query"`
	Key     string `json:"key"`
	Version string `json:"version,omitempty"` // the version asked for, if any
	// InSnapshot says whether the key itself is in the snapshot; KeyID and
	// the attributes after it are set only when it is.
	InSnapshot bool       `json:"inSnapshot"`
	KeyID      string     `json:"keyId,omitempty"`
	Enabled    *bool      `json:"enabled,omitempty"`
	Expires    *time.Time `json:"expires,omitempty"`
	Kty        string     `json:"kty,omitempty"`

	Vault              VaultState  `json:"vault"`
	Workloads          []Dependent `json:"workloads"`
	DiskEncryptionSets []KeyHolder `json:"diskEncryptionSets"`
	Identities         []Identity  `json:"identities"`
	Consequences       []Outcome   `json:"consequences"`
}

// VaultState is what the snapshot says about the key's vault or Managed HSM.
type VaultState struct {
	Name       string `json:"name"`
	HSM        bool   `json:"hsm,omitempty"`
	InSnapshot bool   `json:"inSnapshot"`
	ID         string `json:"id,omitempty"`
	// SoftDelete, PurgeProtection and RetentionDays are known only when the
	// vault is in the snapshot (nil otherwise).
	SoftDelete      *bool `json:"softDelete,omitempty"`
	PurgeProtection *bool `json:"purgeProtection,omitempty"`
	RetentionDays   int   `json:"softDeleteRetentionDays,omitempty"`
}

// Dependent is a workload that uses the key.
type Dependent struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Service string   `json:"service"`
	Field   string   `json:"field"`         // the property that names the key
	Via     []string `json:"via,omitempty"` // key holders followed, e.g. a disk encryption set
	// Version is the key version the workload is pinned to; "" when it
	// follows the latest version.
	Version  string   `json:"version,omitempty"`
	Identity Identity `json:"identity"`
}

// KeyHolder is a disk encryption set that holds the key for disks and clusters.
type KeyHolder struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Identity Identity `json:"identity"`
	// Users are the workloads that reach the key through the holder.
	Users []string `json:"users"`
}

// Identity is an identity that reaches the key for a workload or key holder.
type Identity struct {
	Kind        string   `json:"kind,omitempty"` // system-assigned, user-assigned, first-party
	Label       string   `json:"label"`
	ResourceID  string   `json:"resourceId,omitempty"`
	PrincipalID string   `json:"principalId,omitempty"`
	Holder      string   `json:"holder,omitempty"` // the resource whose identity it is
	UsedBy      []string `json:"usedBy,omitempty"` // in Impact.Identities: the workloads it serves
}

// Outcome says what one action on the key would do.
type Outcome struct {
	Action string `json:"action"` // disable, delete, purge
	Effect string `json:"effect"`
	// Reversible is yes, no or unknown (the snapshot lacks the vault).
	Reversible string `json:"reversible"`
	Recovery   string `json:"recovery,omitempty"`
}

// Query finds everything in the estate that depends on the key named by ref:
// a data-plane key URI (versioned or not, any cloud, a Managed HSM) or the
// ARM id of a key. Workloads are matched by vault and key name, whatever
// version they pin. The error is for a reference that names no key.
func Query(e *estate.Estate, ref string) (*Impact, error) {
	u, err := estate.ParseKeyURI(ref)
	if err != nil {
		return nil, err
	}
	v := e.FindVault(u)
	if u.Host == "" && v != nil {
		u.Host = v.Host // an ARM id names no cloud; take the vault's
	}
	versionless := u
	versionless.Version = ""
	im := &Impact{Query: ref, Key: versionless.String(), Version: u.Version,
		Workloads: []Dependent{}, DiskEncryptionSets: []KeyHolder{}, Identities: []Identity{}}

	im.Vault = VaultState{Name: u.Vault, HSM: u.HSM}
	if v != nil {
		soft, purge := v.SoftDelete, v.PurgeProtection
		im.Vault.InSnapshot, im.Vault.ID, im.Vault.Name = true, v.ID, v.Name
		im.Vault.SoftDelete, im.Vault.PurgeProtection = &soft, &purge
		im.Vault.RetentionDays = retentionDays(v)
	}
	if k := e.FindKey(u); k != nil {
		enabled := k.Enabled
		im.InSnapshot, im.KeyID, im.Enabled, im.Kty = true, k.ID, &enabled, k.Kty
		if !k.Expires.IsZero() {
			exp := k.Expires.UTC()
			im.Expires = &exp
		}
	}

	holders := map[string]*KeyHolder{}
	var holderOrder []string
	addHolder := func(r *estate.Resource, ident Identity) *KeyHolder {
		h := holders[r.Key()]
		if h == nil {
			h = &KeyHolder{ID: r.ID, Name: r.Name, Identity: ident, Users: []string{}}
			holders[r.Key()] = h
			holderOrder = append(holderOrder, r.Key())
		}
		return h
	}
	idents := map[string]*Identity{}
	var identOrder []string
	addIdentity := func(id Identity, user string) {
		k := cmp.Or(id.PrincipalID, strings.ToLower(id.ResourceID), id.Kind+"|"+strings.ToLower(id.Holder))
		got := idents[k]
		if got == nil {
			c := id
			got = &c
			idents[k] = got
			identOrder = append(identOrder, k)
		}
		if !slices.Contains(got.UsedBy, user) {
			got.UsedBy = append(got.UsedBy, user)
		}
	}

	for _, use := range e.KeyUsers(u) {
		w, r := use.Workload, use.Ref
		ident := identityOf(r.Identity)
		im.Workloads = append(im.Workloads, Dependent{ID: w.ID, Name: w.Name, Type: w.Type, Service: w.Service.Name,
			Field: r.Field, Via: r.Via, Version: r.URI.Version, Identity: ident})
		addIdentity(ident, w.ID)
		for _, via := range r.Via {
			if holder := e.Resource(via); holder != nil {
				h := addHolder(holder, ident)
				if !slices.Contains(h.Users, w.ID) {
					h.Users = append(h.Users, w.ID)
				}
			}
		}
	}
	// Disk encryption sets that hold the key but serve no workload in the
	// snapshot still depend on it. The service table says where a set names
	// its key and which identity reaches it.
	for _, des := range e.EncryptionSets {
		svc := estate.ServiceFor(des.Type)
		if holders[des.Key()] != nil || svc == nil {
			continue
		}
		for _, spec := range svc.Read(des, e).Refs {
			if !sameKey(u, spec.URI) {
				continue
			}
			id := spec.Identity
			if id.PrincipalID == "" && des.Identity != nil {
				if id.ResourceID != "" {
					ua, _ := des.Identity.UserAssignedByID(id.ResourceID)
					id.PrincipalID = ua.PrincipalID
				} else if id.Kind == estate.IdentitySystem {
					id.PrincipalID = des.Identity.PrincipalID
				}
			}
			ident := identityOf(id)
			addHolder(des, ident)
			addIdentity(ident, des.ID)
		}
	}
	for _, k := range holderOrder {
		im.DiskEncryptionSets = append(im.DiskEncryptionSets, *holders[k])
	}
	for _, k := range identOrder {
		im.Identities = append(im.Identities, *idents[k])
	}
	im.Consequences = consequences(im, u)
	return im, nil
}

// sameKey reports whether a key reference written on a resource names the
// same key as u (vault, kind and name; hosts must agree when both are known).
func sameKey(u estate.KeyURI, raw string) bool {
	if raw == "" {
		return false
	}
	o, err := estate.ParseKeyURI(raw)
	if err != nil {
		return false
	}
	return o.Vault == u.Vault && o.HSM == u.HSM && o.Name == u.Name && (o.Host == "" || u.Host == "" || o.Host == u.Host)
}

// retentionDays reads softDeleteRetentionInDays; absent means Azure's default, 90.
func retentionDays(v *estate.Vault) int {
	if n, ok := estate.Num(v.Written.SoftDeleteRetentionInDays); ok && n > 0 {
		return int(n)
	}
	return 90
}

// identityOf describes the identity behind a key reference.
func identityOf(id estate.IdentityRef) Identity {
	out := Identity{Kind: string(id.Kind), ResourceID: id.ResourceID, PrincipalID: id.PrincipalID, Holder: id.Holder}
	out.Label = id.Label()
	return out
}

// consequences says what disabling, deleting and purging the key would do.
func consequences(im *Impact, u estate.KeyURI) []Outcome {
	flag := "--vault-name " + u.Vault
	if u.HSM {
		flag = "--hsm-name " + u.Vault
	}
	who, lose := dependentsText(im)
	v := im.Vault
	disable := Outcome{Action: "disable", Reversible: "yes",
		Effect: who + " " + lose + " access to the key at the next key operation: databases go inaccessible, " +
			"storage and Cosmos DB refuse requests, disks cannot be attached and VMs on them cannot start.",
		Recovery: "re-enable the key (az keyvault key set-attributes " + flag + " --name " + u.Name + " --enabled true); " +
			"some services then need the key revalidated or the resource restarted."}
	if len(im.Workloads) == 0 && len(im.DiskEncryptionSets) == 0 {
		disable.Effect = "no workload in the snapshot depends on the key; dependents outside the snapshot cannot be seen."
	}
	del := Outcome{Action: "delete"}
	purge := Outcome{Action: "purge"}
	switch {
	case !v.InSnapshot:
		del.Reversible, purge.Reversible = "unknown", "unknown"
		del.Effect = who + " " + lose + " access as when the key is disabled; whether the key can be recovered depends on the vault's " +
			"soft-delete setting, and vault " + v.Name + " is not in the snapshot."
		purge.Effect = "unknown: vault " + v.Name + " is not in the snapshot, so its purge protection cannot be told. " +
			"Without purge protection a purge destroys the key and every dependent's data for good."
	case !*v.SoftDelete:
		del.Reversible, purge.Reversible = "no", "no"
		del.Effect = "the key is destroyed at once — the vault has no soft delete — and " + lower(who) +
			" " + lose + " the data encrypted with it for good."
		purge.Effect = "nothing left to purge: without soft delete, deleting already destroyed the key."
	default:
		del.Reversible = "yes"
		del.Effect = fmt.Sprintf("the key moves to the vault's deleted keys for %d days; %s %s access as when it is disabled.",
			v.RetentionDays, lower(who), lose)
		del.Recovery = fmt.Sprintf("recover it within %d days (az keyvault key recover %s --name %s).", v.RetentionDays, flag, u.Name)
		if *v.PurgeProtection {
			purge.Reversible = "yes"
			purge.Effect = fmt.Sprintf("refused: purge protection keeps the deleted key until its %d-day retention ends, "+
				"when Azure purges it and the dependents' data is lost for good.", v.RetentionDays)
			purge.Recovery = fmt.Sprintf("recover the deleted key before the %d days run out.", v.RetentionDays)
		} else {
			purge.Reversible = "no"
			purge.Effect = "possible at once after deletion — the vault has no purge protection: the key is destroyed and " +
				lower(who) + " " + lose + " the data encrypted with it for good (az keyvault key purge " + flag + " --name " + u.Name + ")."
		}
	}
	return []Outcome{disable, del, purge}
}

// dependentsText names what depends on the key, for the consequences, with
// the verb "lose" agreeing with it.
func dependentsText(im *Impact) (who, lose string) {
	n := len(im.Workloads)
	switch {
	case n == 0 && len(im.DiskEncryptionSets) > 0:
		return fmt.Sprintf("The disk encryption sets holding the key (%d), and disks created from them later,", len(im.DiskEncryptionSets)), "lose"
	case n == 0:
		return "Any dependents outside the snapshot", "lose"
	case n == 1:
		return "The one dependent workload, " + im.Workloads[0].Name + " (" + im.Workloads[0].Service + "),", "loses"
	}
	count := map[string]int{}
	var order []string
	for _, d := range im.Workloads {
		if count[d.Service] == 0 {
			order = append(order, d.Service)
		}
		count[d.Service]++
	}
	parts := make([]string, len(order))
	for i, svc := range order {
		parts[i] = fmt.Sprintf("%d %s", count[svc], svc)
	}
	return fmt.Sprintf("The %d dependent workloads (%s)", n, strings.Join(parts, ", ")), "lose"
}

// lower lower-cases the first letter of a sentence fragment.
func lower(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
