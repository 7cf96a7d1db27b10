package input

import (
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// TestLowerIs holds lowerIs to estate.Lower, on ASCII text and on text whose
// lower case has another length (the Kelvin sign, a dotted capital I).
func TestLowerIs(t *testing.T) {
	cases := []struct{ s, lower string }{
		{"Microsoft.KeyVault/vaults", "microsoft.keyvault/vaults"},
		{"microsoft.keyvault/vaults", "microsoft.keyvault/vaults"},
		{"Microsoft.KeyVault/vaults/keys", "microsoft.keyvault/vaults"},
		{"Microsoft.KeyVault/vaultz", "microsoft.keyvault/vaults"},
		{"", ""},
		{"a", ""},
		{"Microsoft.\u212AeyVault/vaults", "microsoft.keyvault/vaults"},
		{"Microsoft.KeyVault/vaults\u212A", "microsoft.keyvault/vaultsk"},
		{"\u0130", "i"},
		{"M\u00e9", "m\u00e9"},
		{"Mi\xff", "mi\xff"},
	}
	for _, c := range cases {
		if got, want := lowerIs(c.s, c.lower), estate.Lower(c.s) == c.lower; got != want {
			t.Errorf("lowerIs(%q, %q) = %v, want %v", c.s, c.lower, got, want)
		}
	}
}

// FuzzLowerIs is TestLowerIs on any text.
func FuzzLowerIs(f *testing.F) {
	f.Add("Microsoft.\u212AeyVault/vaults", "microsoft.keyvault/vaults")
	f.Fuzz(func(t *testing.T, s, lower string) {
		for _, l := range []string{lower, estate.Lower(s)} {
			if got, want := lowerIs(s, l), estate.Lower(s) == l; got != want {
				t.Fatalf("lowerIs(%q, %q) = %v, want %v", s, l, got, want)
			}
		}
	})
}
