package estate

import (
	"fmt"
	"strings"
)

// Source says where a resource or record was read, for messages that must name
// the file and position.
type Source struct {
	File   string // path, or "-" for stdin, or a URL for live collection
	Offset int64  // byte offset of the value's start
	Line   int    // 1-based line, 0 when unknown
}

func (s Source) String() string {
	switch {
	case s.File == "":
		return ""
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	default:
		return fmt.Sprintf("%s@%d", s.File, s.Offset)
	}
}

// Resource is one ARM resource as every source produces it. Its Type is the
// lower-case type the id names (for extension resources, the extension's type).
type Resource struct {
	ID       string
	Type     string
	Name     string
	Location string
	Kind     string
	Tags     Tags
	Identity *Identity
	Props    Object // the "properties" object, member names lower-cased
	Source   Source

	// Placeholder marks a resource known only from a child's id (a SQL server
	// whose encryptionProtector is in the snapshot but which is not itself).
	Placeholder bool
}

// Key returns the lower-cased id, the resource's identity for matching. It
// makes a copy each time: when only comparing, SameID does not.
func (r *Resource) Key() string { return Lower(r.ID) }

// Subscription returns the lower-case subscription id of the resource.
func (r *Resource) Subscription() string {
	id, _ := ParseID(r.ID)
	return id.Subscription
}

// Tag returns the value of the first tag whose key matches one of keys,
// case-insensitively, and whether one was found.
func (r *Resource) Tag(keys ...string) (string, bool) {
	for _, k := range keys {
		for _, t := range r.Tags {
			if strings.EqualFold(t.Key, k) {
				return t.Value, true
			}
		}
	}
	return "", false
}

// Identity is the managed-identity block of an ARM resource.
type Identity struct {
	Type         string // normalised: lower-case, spaces removed ("systemassigned,userassigned")
	PrincipalID  string // system-assigned identity's object id, lower-case
	TenantID     string
	UserAssigned []UserAssignedIdentity
}

// UserAssignedIdentity is one entry of identity.userAssignedIdentities.
type UserAssignedIdentity struct {
	ResourceID  string
	PrincipalID string // lower-case
	ClientID    string // lower-case
}

// NormaliseIdentityType lower-cases an identity type and removes spaces, since
// resource providers spell "SystemAssigned, UserAssigned" both with and without one.
func NormaliseIdentityType(t string) string {
	return strings.ReplaceAll(Lower(strings.TrimSpace(t)), " ", "")
}

// SystemAssigned reports whether the identity type includes a system-assigned identity.
func (i *Identity) SystemAssigned() bool {
	return i != nil && strings.Contains(i.Type, "systemassigned")
}

// Any reports whether the resource runs with any managed identity.
func (i *Identity) Any() bool {
	if i == nil {
		return false
	}
	return i.SystemAssigned() || strings.Contains(i.Type, "userassigned") || len(i.UserAssigned) > 0
}

// UserAssignedByID returns the attached user-assigned identity with that resource id.
func (i *Identity) UserAssignedByID(id string) (UserAssignedIdentity, bool) {
	if i != nil {
		for _, u := range i.UserAssigned {
			if strings.EqualFold(u.ResourceID, id) {
				return u, true
			}
		}
	}
	return UserAssignedIdentity{}, false
}

// UserAssignedByClientID returns the attached user-assigned identity with that client id.
func (i *Identity) UserAssignedByClientID(clientID string) (UserAssignedIdentity, bool) {
	if i != nil {
		for _, u := range i.UserAssigned {
			if u.ClientID != "" && strings.EqualFold(u.ClientID, clientID) {
				return u, true
			}
		}
	}
	return UserAssignedIdentity{}, false
}
