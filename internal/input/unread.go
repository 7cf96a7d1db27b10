package input

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// What readObject passes over. Most of a large estate is resources of types
// no rule reads: their properties are skipped whole (see estate.Relevant),
// their display members kept as written, and their tags only checked. Some
// members no one reads at all, or only the JSON type of (checkedMembers):
// those are walked for what decoding them would warn about, and not kept.
// Nothing passed over can hold anything to warn about, so the warnings stay
// those of decoding everything.

// skipUnread lets tests decode the string members that no one reads
// (unreadMembers, and displayMembers of resources the estate drops), to check
// that passing over them changes nothing.
var skipUnread = true

// unreadMembers are top-level members of ARM resources and Resource Graph
// rows that nothing reads, whatever the item turns out to be: strings among
// them are only noted as present. Code that reads one takes it off the list.
var unreadMembers = map[string]bool{
	"etag": true, "subscriptionid": true, "resourcegroup": true, "resourcegroupname": true, "createdtime": true,
	"changedtime": true, "apiversion": true, "extensionresourcename": true, "extensionresourcetype": true,
	"parentresource": true,
}

// checkedMembers are top-level members of ARM resources and Resource Graph
// rows that nothing reads but the JSON type of "sku", whatever the item
// turns out to be: they are checked for what decoding them would warn about
// (see check), and not kept.
var checkedMembers = map[string]bool{
	"sku": true, "plan": true, "zones": true, "extendedlocation": true, "systemdata": true,
}

// displayMembers are the members read only to be shown for a resource (its
// name, location and so on). For a resource of a type no rule reads they are
// kept as written and decoded only if the item turns out to need them.
var displayMembers = map[string]bool{
	"name": true, "resourcename": true, "location": true, "kind": true, "tenantid": true, "managedby": true,
}

// unshown reports whether an item's display members go unread: its "id" is
// an ARM id of a type no rule reads, so the item is such a resource (whose
// display members the estate drops) or an audit record (which does not read
// them).
func (rd *reader) unshown(it *item) bool {
	s, ok := it.get(sID).(string)
	if !ok {
		return false
	}
	_, relevant, ok := rd.parseID(strings.TrimSpace(s))
	return ok && !relevant
}

// forget drops undecoded members of that name: a later one is used.
func (it *item) forget(name string) {
	if len(it.skims) > 0 {
		it.skims = slices.DeleteFunc(it.skims, func(s skim) bool { return s.name == name })
	}
}

// unskim decodes the members kept undecoded, for an item that needs them
// after all (a later "id" changed what it is).
func (rd *reader) unskim(it *item) {
	for _, s := range it.skims {
		it.set(s.name, rd.stringValue(it.scratch[s.start:s.end]))
	}
	it.skims = it.skims[:0]
}

// skim is a string member kept undecoded: its raw JSON is scratch[start:end].
type skim struct {
	name       string
	start, end int
}

// readTags decodes the next value, a "tags" object, as decodeValue does one
// whose keys keep their case, straight into what a resource keeps: the values
// that are strings, numbers, booleans or null as text, in it.tags (copied and
// sorted by tags only for a resource that keeps them: most do not).
// The JSON types of the others, which are warned about, go to it.badTags.
func (rd *reader) readTags(it *item) error {
	if rd.dec.StackDepth() >= maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return err
	}
	clear(it.tags)
	it.tags = it.tags[:0]
	clear(rd.tagAt)
	clear(it.badTags)
	for n := 0; rd.dec.PeekKind() != '}'; n++ {
		raw, err := rd.dec.ReadValue()
		if err != nil {
			return err
		}
		e, _ := rd.memberAt(&rd.tagOrder, n, raw, false)
		name := e.text
		i := rd.findTag(it.tags, name)
		if _, bad := it.badTags[name]; (i >= 0 || bad) && !rd.quiet {
			rd.warn(rd.here(), "member %q appears again in one object (names compare case-insensitively); the last one is used", name)
		}
		// A string, the usual value, is read as one, not as an interface
		// value.
		var v any
		text, scalar := "", true
		if rd.dec.PeekKind() == '"' && rd.dec.StackDepth() < maxDepth {
			raw, err := rd.dec.ReadValue()
			if err != nil {
				return err
			}
			text = rd.unquote(raw)
		} else {
			if v, err = rd.decodeValue(false); err != nil {
				return err
			}
			switch v.(type) {
			case nil, float64, bool:
				text = estate.Scalar(v)
			default:
				scalar = false
			}
		}
		switch {
		case scalar:
			if i >= 0 {
				it.tags[i].Value = text
			} else {
				it.tags = rd.addTag(it.tags, estate.Tag{Key: name, Value: text})
			}
			if len(it.badTags) > 0 {
				delete(it.badTags, name)
			}
		default:
			if it.badTags == nil {
				it.badTags = map[string]string{}
			}
			it.badTags[name] = typeName(v)
			if i >= 0 {
				it.tags = slices.Delete(it.tags, i, i+1)
				clear(rd.tagAt) // positions moved: made again when needed
			}
		}
	}
	_, err := rd.dec.ReadToken()
	return err
}

// readTagsMark stands in an item's map for the tags readTags read into the
// item (it.tags): a slice held in an interface value would be copied to the
// heap for every resource.
type readTagsMark struct{}

// tagsIndexed is how many tags readTags looks through one by one before it
// indexes them.
const tagsIndexed = 16

// findTag returns the position of the tag with that key among the tags
// readTags has read so far, or -1.
func (rd *reader) findTag(tags estate.Tags, key string) int {
	if len(tags) <= tagsIndexed {
		for i, t := range tags {
			if t.Key == key {
				return i
			}
		}
		return -1
	}
	if len(rd.tagAt) == 0 {
		if rd.tagAt == nil {
			rd.tagAt = map[string]int{}
		}
		for i, t := range tags {
			rd.tagAt[t.Key] = i
		}
	}
	if i, ok := rd.tagAt[key]; ok {
		return i
	}
	return -1
}

// addTag adds a tag findTag did not find.
func (rd *reader) addTag(tags estate.Tags, t estate.Tag) estate.Tags {
	if len(rd.tagAt) > 0 {
		rd.tagAt[t.Key] = len(tags)
	}
	return append(tags, t)
}

// check reads the next value as decodeValue does, with the same warnings and
// errors, but keeps nothing: it returns the JSON type (see typeName) of the
// value decodeValue would return.
func (rd *reader) check(keep bool) (string, error) {
	if rd.dec.StackDepth() >= maxDepth {
		return "", fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	if rd.dec.PeekKind() == '"' {
		_, err := rd.dec.ReadValue()
		return "string", err
	}
	tok, err := rd.dec.ReadToken()
	if err != nil {
		return "", err
	}
	switch tok.Kind() {
	case 'n':
		return "null", nil
	case 'f', 't':
		return "boolean", nil
	case '0':
		if _, err := tok.Float(); err != nil {
			text := tok.String()
			if !rd.quiet {
				rd.warn(rd.here(), "number %.40s is out of range; read as null", text)
			}
			return "null", nil
		}
		return "number", nil
	case '[':
		for rd.dec.PeekKind() != ']' {
			if _, err := rd.check(false); err != nil {
				return "", err
			}
		}
		_, err := rd.dec.ReadToken()
		return "array", err
	case '{':
		// The names met so far at this level are rd.checking[base:], and
		// also in many once there are more than a few.
		base := len(rd.checking)
		defer func() { rd.checking = rd.checking[:base] }()
		var many map[string]bool
		for rd.dec.PeekKind() != '}' {
			raw, err := rd.dec.ReadValue()
			if err != nil {
				return "", err
			}
			var name string
			if keep {
				name = rd.unquote(raw)
			} else {
				name = rd.lowerName(raw)
			}
			var dup bool
			if many != nil {
				dup = many[name]
				many[name] = true
			} else {
				dup = slices.Contains(rd.checking[base:], name)
				if rd.checking = append(rd.checking, name); len(rd.checking)-base > checkScan {
					many = make(map[string]bool, 2*checkScan)
					for _, n := range rd.checking[base:] {
						many[n] = true
					}
				}
			}
			if dup && !rd.quiet {
				rd.warn(rd.here(), "member %q appears again in one object (names compare case-insensitively); the last one is used", name)
			}
			if _, err := rd.check(!keep && keepCase(name)); err != nil {
				return "", err
			}
		}
		_, err := rd.dec.ReadToken()
		return "object", err
	}
	return "", fmt.Errorf("unexpected token %v", tok.Kind())
}

// checkScan is how many member names check looks through one by one before
// it indexes them.
const checkScan = 16
