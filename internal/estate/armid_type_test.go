package estate

import "testing"

// TestParseIDType holds ParseIDType to ParseID with the scopes left out, on
// ids of every shape and every id of a generated estate.
func TestParseIDType(t *testing.T) {
	for _, id := range parseIDCases(t) {
		checkParseIDType(t, id)
	}
}

// FuzzParseIDType is TestParseIDType on any input.
func FuzzParseIDType(f *testing.F) {
	for _, id := range parseIDCases(f)[:40] {
		f.Add(id)
	}
	f.Fuzz(checkParseIDType)
}

func checkParseIDType(t *testing.T, id string) {
	want, wok := ParseID(id)
	want.Subscription, want.ResourceGroup, want.ManagementGroup = "", "", ""
	if got, gok := ParseIDType(id); got != want || gok != wok {
		t.Fatalf("ParseIDType(%q) = %+v, %v; want %+v, %v", id, got, gok, want, wok)
	}
}
