package input

import "github.com/cmkguard/cmkguard/internal/estate"

// An item keeps the top-level members every resource is converted from in
// fixed slots rather than in its map: reading a large estate stores and looks
// them up for every resource, and a slot costs neither a hash nor a probe.
// Code that reads members by name (audit records, headers, envelopes) asks
// for the whole object (item.whole).

// slot is a slot of an item's well-known members; noSlot is a member kept in
// the item's map.
type slot uint8

const (
	noSlot slot = iota
	sID
	sResourceID
	sType
	sResourceType
	sName
	sResourceName
	sLocation
	sKind
	sTenantID
	sManagedBy
	sProperties
	sTags
	sIdentity
	sResources
	nSlots
)

// slotNames are the lower-case member names of the slots.
var slotNames = [nSlots]string{"", "id", "resourceid", "type", "resourcetype", "name", "resourcename",
	"location", "kind", "tenantid", "managedby", "properties", "tags", "identity", "resources"}

// slotOf returns the slot of a lower-case member name, or noSlot.
func slotOf(name string) slot {
	for s := sID; s < nSlots; s++ {
		if slotNames[s] == name {
			return s
		}
	}
	return noSlot
}

// get returns the value of a well-known member, nil when absent.
func (it *item) get(s slot) any { return it.known[s] }

// lookup returns the value of a well-known member and whether it is there.
func (it *item) lookup(s slot) (any, bool) { return it.known[s], it.held&(1<<s) != 0 }

// store sets the member name, whose slot is s (noSlot for one kept in obj).
func (it *item) store(s slot, name string, v any) {
	if s == noSlot {
		it.obj[name] = v
		return
	}
	it.known[s] = v
	it.held |= 1 << s
}

// holds reports whether the item has the member name, whose slot is s.
func (it *item) holds(s slot, name string) bool {
	if s == noSlot {
		_, ok := it.obj[name]
		return ok
	}
	return it.held&(1<<s) != 0
}

// remove deletes the member name, whose slot is s.
func (it *item) remove(s slot, name string) {
	if s == noSlot {
		delete(it.obj, name)
		return
	}
	it.known[s] = nil
	it.held &^= 1 << s
}

// set sets a member by name, in its slot or in obj.
func (it *item) set(name string, v any) { it.store(slotOf(name), name, v) }

// whole returns the item's members as one object, those in slots included,
// for code that reads members by name.
func (it *item) whole() estate.Object {
	for s := sID; s < nSlots; s++ {
		if it.held&(1<<s) != 0 {
			it.obj[slotNames[s]] = it.known[s]
		}
	}
	return it.obj
}

// clearSlots empties the slots, for an item released.
func (it *item) clearSlots() {
	clear(it.known[:])
	it.held = 0
}
