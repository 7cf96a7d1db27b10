package report

import (
	"iter"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Context is what the results are about, as the estate showed it: the
// resources judged, the keys and vaults, and the chains from each workload
// through its identity to its key and the key's vault. The CLI builds it from
// the estate; renderers read it to name things, draw the key-expiry timeline
// and show evidence chains, and never derive a finding from it.
type Context struct {
	Resources []Resource `json:"resources,omitempty"`
	Keys      []Key      `json:"keys,omitempty"`
	Vaults    []Vault    `json:"vaults,omitempty"`
	Chains    []Chain    `json:"chains,omitempty"`
}

// ContextStream hands a context's lists over a piece at a time, so that a
// scan too large to hold its context (a description of each of 300,000
// resources judged in an estate of a million) writes it as it makes it, on
// every core: see WriteJSONAround. A list with no pieces has no elements.
type ContextStream struct {
	Resources ContextList[Resource]
	Keys      ContextList[Key]
	Vaults    ContextList[Vault]
	Chains    ContextList[Chain]
}

// ContextList is one list of a context made from N sources (judged
// resources, keys, workloads), each of which gives none, one or several
// elements: the list is their elements, source after source. Range yields
// the elements of sources lo to hi-1 in order; a writer calls it for
// consecutive runs of sources on several goroutines at once, so it must only
// read what it describes. An element is valid only until Range yields the
// next.
type ContextList[T any] struct {
	N     int
	Range func(lo, hi int) iter.Seq[*T]
}

// All yields every element of l in order.
func (l ContextList[T]) All() iter.Seq[*T] {
	if l.N == 0 {
		return func(func(*T) bool) {}
	}
	return l.Range(0, l.N)
}

// Stream returns a ContextStream over c's lists.
func (c *Context) Stream() *ContextStream {
	return &ContextStream{Resources: elements(c.Resources), Keys: elements(c.Keys), Vaults: elements(c.Vaults),
		Chains: elements(c.Chains)}
}

// elements is a list whose sources are the elements of list, each yielding
// a pointer to itself.
func elements[T any](list []T) ContextList[T] {
	return ContextList[T]{N: len(list), Range: func(lo, hi int) iter.Seq[*T] {
		return func(yield func(*T) bool) {
			for i := lo; i < hi; i++ {
				if !yield(&list[i]) {
					return
				}
			}
		}
	}}
}

// Resource describes one resource that has results.
type Resource struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	Service       string            `json:"service,omitempty"` // e.g. "Storage account", "Key Vault", "Key"
	Subscription  string            `json:"subscription,omitempty"`
	ResourceGroup string            `json:"resourceGroup,omitempty"`
	Location      string            `json:"location,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	// SortedTags are the tags as the estate holds them, sorted by key, for
	// a context that is only written as JSON (a ContextStream): when Tags
	// is empty, the JSON report writes these as it would write them as a
	// map, with no map made for each resource described. The other
	// outputs read Tags.
	SortedTags estate.Tags `json:"-"`
	// Source is where the resource was read: the input file and, when the
	// reader knows it, the 1-based line.
	Source *Source `json:"source,omitempty"`
}

// Source is a position in an input file.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Key describes one key in the snapshot.
type Key struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	URI     string     `json:"uri"`   // versionless data-plane URI
	Vault   string     `json:"vault"` // ARM id of its vault, or the vault's name when the vault is not in the snapshot
	Enabled bool       `json:"enabled"`
	Expires *time.Time `json:"expires,omitempty"`
	Kty     string     `json:"kty,omitempty"`
	// UsedBy are the ids of the workloads that use the key.
	UsedBy []string `json:"usedBy,omitempty"`
}

// Vault describes one Key Vault or Managed HSM in the snapshot.
type Vault struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	HSM                 bool   `json:"hsm,omitempty"`
	SoftDelete          bool   `json:"softDelete"`
	PurgeProtection     bool   `json:"purgeProtection"`
	RBAC                bool   `json:"rbac"`
	PublicNetworkAccess string `json:"publicNetworkAccess,omitempty"`
	DefaultAction       string `json:"defaultAction,omitempty"`
}

// Chain is one path from a workload to the key it uses: the workload, any key
// holders followed (a disk encryption set), the identity that reaches the key,
// the key, and the vault that holds it.
type Chain struct {
	Workload string   `json:"workload"`
	Field    string   `json:"field,omitempty"` // the property the reference was read from
	Via      []string `json:"via,omitempty"`   // ids of key holders followed
	Identity Identity `json:"identity"`
	// KeyURI is the reference as the workload names it (versioned when pinned).
	KeyURI string `json:"keyUri,omitempty"`
	// Key and Vault are ARM ids, "" when the snapshot does not hold them.
	Key   string `json:"key,omitempty"`
	Vault string `json:"vault,omitempty"`
	// Problem says why the chain stops short: a malformed reference, a key
	// holder that is not in the snapshot.
	Problem string `json:"problem,omitempty"`
}

// Identity is the identity a workload uses to reach its key.
type Identity struct {
	Kind        string `json:"kind,omitempty"` // system-assigned, user-assigned, first-party
	Label       string `json:"label,omitempty"`
	ResourceID  string `json:"resourceId,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	// Problem says why the identity cannot work (not attached, no identity);
	// Unknown why the snapshot cannot tell which principal it is.
	Problem string `json:"problem,omitempty"`
	Unknown string `json:"unknown,omitempty"`
}

// Index is a view of a report's context keyed by lower-case id, for the
// renderers and the dashboard.
type Index struct {
	Resources map[string]*Resource
	Keys      map[string]*Key
	Vaults    map[string]*Vault
	Chains    map[string][]*Chain // by workload id
}

// NewIndex indexes a context; a nil context gives empty maps.
func NewIndex(c *Context) *Index {
	ix := &Index{Resources: map[string]*Resource{}, Keys: map[string]*Key{}, Vaults: map[string]*Vault{}, Chains: map[string][]*Chain{}}
	if c == nil {
		return ix
	}
	for i := range c.Resources {
		ix.Resources[strings.ToLower(c.Resources[i].ID)] = &c.Resources[i]
	}
	for i := range c.Keys {
		ix.Keys[strings.ToLower(c.Keys[i].ID)] = &c.Keys[i]
	}
	for i := range c.Vaults {
		ix.Vaults[strings.ToLower(c.Vaults[i].ID)] = &c.Vaults[i]
	}
	for i := range c.Chains {
		k := strings.ToLower(c.Chains[i].Workload)
		ix.Chains[k] = append(ix.Chains[k], &c.Chains[i])
	}
	return ix
}

// resource returns what the context says about a resource id; when it says
// nothing, the name, subscription and resource group are read off the id.
func (ix *Index) resource(id, typ string) *Resource {
	if r := ix.Resources[strings.ToLower(id)]; r != nil {
		return r
	}
	r := &Resource{ID: id, Type: typ}
	r.Name, r.Subscription, r.ResourceGroup = splitID(id)
	return r
}

// splitID reads the last name, the subscription and the resource group off an
// ARM id, as written.
func splitID(id string) (name, subscription, group string) {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(seg); i++ {
		switch strings.ToLower(seg[i]) {
		case "subscriptions":
			if subscription == "" {
				subscription = seg[i+1]
			}
		case "resourcegroups":
			if group == "" {
				group = seg[i+1]
			}
		}
	}
	if len(seg) > 0 {
		name = seg[len(seg)-1]
	}
	return name, subscription, group
}
