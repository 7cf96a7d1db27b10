package estate

import (
	"cmp"
	"slices"
	"strings"
)

// Tag is one of a resource's tags. Keys keep the case they were written in.
type Tag struct {
	Key, Value string
}

// Tags are a resource's tags sorted by key (as strings.Compare orders them),
// each key once. A slice costs a fraction of a map per resource, and
// resources with equal tags share one (see Builder.Add); nothing modifies
// tags once made.
type Tags []Tag

// MakeTags returns the tags of a map, sorted by key.
func MakeTags(m map[string]string) Tags {
	if m == nil {
		return nil
	}
	t := make(Tags, 0, len(m))
	for k, v := range m {
		t = append(t, Tag{k, v})
	}
	slices.SortFunc(t, compareTags)
	return t
}

// SortTags sorts tags by key in place, keeping the last of tags with equal
// keys (a JSON object's last member wins), and returns them.
func SortTags(t Tags) Tags {
	slices.SortStableFunc(t, compareTags)
	out := t[:0]
	for i, tag := range t {
		if i+1 < len(t) && t[i+1].Key == tag.Key {
			continue
		}
		out = append(out, tag)
	}
	clear(t[len(out):])
	return out
}

func compareTags(a, b Tag) int { return strings.Compare(a.Key, b.Key) }

// Get returns the value of the tag with exactly that key.
func (t Tags) Get(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(t, key, func(tag Tag, key string) int { return cmp.Compare(tag.Key, key) })
	if !ok {
		return "", false
	}
	return t[i].Value, true
}

// Map returns the tags as a new map.
func (t Tags) Map() map[string]string {
	if t == nil {
		return nil
	}
	m := make(map[string]string, len(t))
	for _, tag := range t {
		m[tag.Key] = tag.Value
	}
	return m
}

// TagMap returns tags of one of the estate's resources as a map, made once
// for each set of tags the resources share: outputs that describe resources
// with maps then hold one map for each distinct set, not one for each
// resource. The map is shared, so never written to.
func (e *Estate) TagMap(t Tags) map[string]string {
	if len(t) == 0 {
		return nil
	}
	e.tagMapsMu.Lock()
	defer e.tagMapsMu.Unlock()
	k := tagsID{&t[0], len(t)}
	m, ok := e.tagMaps[k]
	if !ok {
		if e.tagMaps == nil {
			e.tagMaps = map[tagsID]map[string]string{}
		}
		m = t.Map()
		e.tagMaps[k] = m
	}
	return m
}

// tagsID is the identity of a slice of tags: where it starts and its length.
type tagsID struct {
	first *Tag
	n     int
}
