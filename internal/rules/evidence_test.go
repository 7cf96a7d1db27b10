package rules

import (
	"reflect"
	"strconv"
	"testing"
	"time"
	"unsafe"
)

func TestEvidenceShares(t *testing.T) {
	type stamp struct{ at time.Time }
	tests := []struct {
		name  string
		a, b  []any
		share bool
	}{
		{"equal strings", Ev("service", "Storage", "tag", "x"), Ev("service", "Storage", "tag", "x"), true},
		{"other order", Ev("service", "Storage", "tag", "x"), Ev("tag", "x", "service", "Storage"), true},
		{"other value", Ev("service", "Storage"), Ev("service", "Disk"), false},
		{"other key", Ev("service", "Storage"), Ev("services", "Storage"), false},
		{"one more pair", Ev("service", "Storage"), Ev("service", "Storage", "tag", "x"), false},
		{"string is not a number", Ev("count", "1"), Ev("count", 1), false},
		{"equal numbers", Ev("count", 1000), Ev("count", 1000), true},
		{"equal bools", Ev("enabled", true), Ev("enabled", true), true},
		{"other bools", Ev("enabled", true), Ev("enabled", false), false},
		{"equal lists", Ev("keys", []string{"a", "b"}), Ev("keys", []string{"a", "b"}), true},
		{"other lists", Ev("keys", []string{"a", "b"}), Ev("keys", []string{"b", "a"}), false},
		{"empty list is not missing", Ev("keys", []string{}), Ev("keys", []string(nil)), false},
		{"equal nested maps", Ev("keys", []map[string]any{{"a": "1", "b": []string{"x"}}}),
			Ev("keys", []map[string]any{{"b": []string{"x"}, "a": "1"}}), true},
		{"other nested maps", Ev("keys", []map[string]any{{"a": "1"}}), Ev("keys", []map[string]any{{"a": "2"}}), false},
		{"equal floats", Ev("days", 1.5), Ev("days", 1.5), true},
		{"string maps", Ev("m", map[string]string{"a": "b"}), Ev("m", map[string]string{"a": "b"}), true},
		{"odd type", Ev("at", stamp{fixtureNow}), Ev("at", stamp{fixtureNow}), false},
		{"odd type nested", Ev("keys", []map[string]any{{"at": stamp{fixtureNow}}}),
			Ev("keys", []map[string]any{{"at": stamp{fixtureNow}}}), false},
		{"repeated key", Ev("a", "1", "a", "2"), Ev("a", "1", "a", "2"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e evidence
			a := e.start().kv(tt.a).done()
			b := e.start().kv(tt.b).done()
			for _, c := range []struct {
				got  map[string]any
				pair []any
			}{{a, tt.a}, {b, tt.b}} {
				if want := said(Pass, c.pair, "").Evidence; !reflect.DeepEqual(c.got, want) {
					t.Errorf("made %v from %v, want %v", c.got, c.pair, want)
				}
			}
			if got := sameMap(a, b); got != tt.share {
				t.Errorf("shared = %v, want %v", got, tt.share)
			}
		})
	}
}

func TestEvidenceNone(t *testing.T) {
	var e evidence
	if m := e.start().done(); m != nil {
		t.Errorf("no pairs made %v, want nil", m)
	}
}

func TestEvidenceCopiesBuffers(t *testing.T) {
	var e evidence
	names := []string{"a", "b"}
	maps := []map[string]any{{"x": "1"}}
	m := e.start().strsBuf("names", names).mapsBuf("keys", maps).done()
	names[0], maps[0] = "changed", map[string]any{"x": "changed"}
	want := map[string]any{"names": []string{"a", "b"}, "keys": []map[string]any{{"x": "1"}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("after the buffers changed the map holds %v, want %v", m, want)
	}
}

func TestEvidenceHoldsLists(t *testing.T) {
	var e evidence
	names := []string{"a", "b"}
	maps := []map[string]any{{"x": "1"}}
	m := e.start().strs("names", names).maps("keys", maps).done()
	if !sameList(m["names"].([]string), names) || !sameList(m["keys"].([]map[string]any), maps) {
		t.Error("the map made holds copies of lists it may hold")
	}
	h, _ := hashMaps(maps)
	if again := e.start().strs("names", names).mapsHashed("keys", maps, h).done(); !sameMap(again, m) {
		t.Error("a list given with its hash does not find the map made of it")
	}
}

// TestEvidenceHashesAsHashMap checks that the hash doneHashed gives for a
// map is the one hashMap works out of it.
func TestEvidenceHashesAsHashMap(t *testing.T) {
	var e evidence
	for _, pairs := range [][]any{
		Ev("a", "1"),
		Ev("a", "1", "b", true, "c", 7, "d", []string{"x"}, "e", []string{}, "f", 1.5),
		Ev("keys", []map[string]any{{"x": "1"}, {"y": []string{"z"}}}, "m", map[string]string{"k": "v"}),
	} {
		for range 2 { // made, then found
			m, h, ok := e.start().kv(pairs).doneHashed()
			if want, wantOK := hashMap(m); !ok || !wantOK || h != want {
				t.Errorf("%v: hashed %x (%v), hashMap says %x (%v)", pairs, h, ok, want, wantOK)
			}
		}
	}
	if _, _, ok := e.start().kv(Ev("a", "1", "a", "2")).doneHashed(); ok {
		t.Error("a map of repeated keys says it is hashed")
	}
}

func TestEvidenceBounded(t *testing.T) {
	var e evidence
	first := e.start().str("n", "first").done()
	for i := range 4 * evidenceSlots {
		e.start().str("n", strconv.Itoa(i)).done()
	}
	kept := 0
	for _, s := range e.slots {
		if s.m != nil {
			kept++
		}
	}
	if kept > evidenceSlots || len(e.slots) != evidenceSlots {
		t.Errorf("keeps %d maps in %d slots, want at most %d", kept, len(e.slots), evidenceSlots)
	}
	// Whether or not "first" was forgotten, an equal map comes back.
	if again := e.start().str("n", "first").done(); !reflect.DeepEqual(again, first) {
		t.Errorf("made %v again, want %v", again, first)
	}
}

func TestMessagesIntern(t *testing.T) {
	var m messages
	a := m.intern(append(m.start(), "classified \"Confidential\""...))
	b := m.intern(append(m.start(), "classified \"Confidential\""...))
	c := m.intern(append(m.start(), "classified \"Public\""...))
	if a != b || a != "classified \"Confidential\"" || c != "classified \"Public\"" {
		t.Fatalf("interned %q, %q, %q", a, b, c)
	}
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("an equal message was made again")
	}
	for i := range 3 * maxMessages {
		if s := m.intern(strconv.AppendInt(m.start(), int64(i), 10)); s != strconv.Itoa(i) {
			t.Fatalf("interned %q, want %d", s, i)
		}
	}
	if len(m.seen) > maxMessages {
		t.Errorf("remembers %d messages, want at most %d", len(m.seen), maxMessages)
	}
}
