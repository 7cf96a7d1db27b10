package estate

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKeyURI(t *testing.T) {
	cases := []struct {
		in   string
		want KeyURI
		err  string // substring of the error; "" for success
	}{
		{"https://kv-prod.vault.azure.net/keys/cmk", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
		{"https://kv-prod.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
			KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk", Version: "0123456789abcdef0123456789abcdef"}, ""},
		{"https://kv-prod.vault.azure.net/keys/cmk/", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
		{"https://kv-prod.vault.azure.net/keys/cmk/v1/", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk", Version: "v1"}, ""},
		{"HTTPS://KV-Prod.Vault.Azure.NET/KEYS/CMK/AbC", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk", Version: "AbC"}, ""},
		{"  https://kv-prod.vault.azure.net/keys/cmk  ", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
		{"kv-prod.vault.azure.net/keys/cmk", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
		{"https://kv-prod.vault.azure.net:443/keys/cmk", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
		{"https://hsm-sec.managedhsm.azure.net/keys/tde/v2", KeyURI{Host: "hsm-sec.managedhsm.azure.net", Vault: "hsm-sec", HSM: true, Name: "tde", Version: "v2"}, ""},
		{"https://kv-cn.vault.azure.cn/keys/cmk", KeyURI{Host: "kv-cn.vault.azure.cn", Vault: "kv-cn", Name: "cmk"}, ""},
		{"https://kv-gov.vault.usgovcloudapi.net/keys/cmk", KeyURI{Host: "kv-gov.vault.usgovcloudapi.net", Vault: "kv-gov", Name: "cmk"}, ""},
		{"/subscriptions/S1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV-Prod/keys/CMK", KeyURI{Vault: "kv-prod", Name: "cmk"}, ""},
		{"/subscriptions/S1/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm-sec/keys/tde", KeyURI{Vault: "hsm-sec", HSM: true, Name: "tde"}, ""},
		{"", KeyURI{}, "empty"},
		{"   ", KeyURI{}, "empty"},
		{"not a key", KeyURI{}, "invalid character"},
		{"kv-prod/keys/cmk", KeyURI{}, "not a Key Vault or Managed HSM host"},
		{"https://example.com/keys/cmk", KeyURI{}, "not a Key Vault or Managed HSM host"},
		{"https://a.b.vault.azure.net/keys/cmk", KeyURI{}, "not a Key Vault or Managed HSM host"},
		{"https://kv-prod.vault.azure.net/secrets/pw", KeyURI{}, "path is not /keys/NAME"},
		{"https://kv-prod.vault.azure.net/keys/", KeyURI{}, "path is not /keys/NAME"},
		{"https://kv-prod.vault.azure.net/keys//v1", KeyURI{}, "path is not /keys/NAME"},
		{"https://kv-prod.vault.azure.net/keys/cmk/v1/extra", KeyURI{}, "path is not /keys/NAME"},
		{"https://kv-prod.vault.azure.net", KeyURI{}, "path is not /keys/NAME"},
		{"/subscriptions/S1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-prod", KeyURI{}, "not a key URI or the ARM id of a key"},
		{"/subscriptions/S1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-prod/secrets/pw", KeyURI{}, "not a key URI"},
		{"https://kv-prod.vault.azure.net/keys/%zz", KeyURI{}, "invalid URL escape"},
		{"https://kv-prod.vault.azure.net/keys/cmk%00x", KeyURI{}, "only letters, digits and hyphens"},
		{"https://kv-prod.vault.azure.net/keys/cmk%3Fx", KeyURI{}, "only letters, digits and hyphens"},
		{"https://kv-prod.vault.azure.net/keys/my_key", KeyURI{}, "only letters, digits and hyphens"},
		{"https://kv-prod.vault.azure.net/keys/cmk/v-1", KeyURI{}, "only letters, digits and hyphens"},
		{"https://kv-prod.vault.azure.net/keys/cmk?api-version=7.6", KeyURI{Host: "kv-prod.vault.azure.net", Vault: "kv-prod", Name: "cmk"}, ""},
	}
	for _, c := range cases {
		got, err := ParseKeyURI(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("ParseKeyURI(%q): %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseKeyURI(%q) error %v, want one containing %q", c.in, err, c.err)
		case c.err == "" && got != c.want:
			t.Errorf("ParseKeyURI(%q) =\n %+v\nwant\n %+v", c.in, got, c.want)
		}
	}
}

func TestKeyURIFromParts(t *testing.T) {
	cases := []struct {
		vault, name, version string
		want                 string // String() of the result; "" for an error
	}{
		{"https://kv-prod.vault.azure.net/", "cmk", "", "https://kv-prod.vault.azure.net/keys/cmk"},
		{"https://kv-prod.vault.azure.net", "cmk", "v1", "https://kv-prod.vault.azure.net/keys/cmk/v1"},
		{" HTTPS://KV-Prod.vault.azure.net/ ", " CMK ", "  ", "https://kv-prod.vault.azure.net/keys/cmk"},
		{"https://hsm-sec.managedhsm.azure.net/", "tde", "", "https://hsm-sec.managedhsm.azure.net/keys/tde"},
		{"https://kv-cn.vault.azure.cn/", "cmk", "", "https://kv-cn.vault.azure.cn/keys/cmk"},
		{"", "cmk", "", ""},
		{"https://kv-prod.vault.azure.net/", "", "", ""},
		{"https://storage.blob.core.windows.net/", "cmk", "", ""},
	}
	for _, c := range cases {
		got, err := KeyURIFromParts(c.vault, c.name, c.version)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("KeyURIFromParts(%q, %q, %q) = %v, want an error", c.vault, c.name, c.version, got)
		case c.want != "" && err != nil:
			t.Errorf("KeyURIFromParts(%q, %q, %q): %v", c.vault, c.name, c.version, err)
		case c.want != "" && got.String() != c.want:
			t.Errorf("KeyURIFromParts(%q, %q, %q) = %s, want %s", c.vault, c.name, c.version, got, c.want)
		}
	}
}

func TestKeyURIString(t *testing.T) {
	cases := []struct {
		k    KeyURI
		want string
	}{
		{KeyURI{Vault: "kv", Name: "k"}, "https://kv.vault.azure.net/keys/k"},
		{KeyURI{Vault: "hsm", HSM: true, Name: "k", Version: "v"}, "https://hsm.managedhsm.azure.net/keys/k/v"},
		{KeyURI{Host: "kv.vault.azure.cn", Vault: "kv", Name: "k"}, "https://kv.vault.azure.cn/keys/k"},
	}
	for _, c := range cases {
		if got := c.k.String(); got != c.want {
			t.Errorf("%+v.String() = %s, want %s", c.k, got, c.want)
		}
	}
}

// A well-formed reference to a host of no known cloud is not malformed: the
// key may exist, so it must not be judged as a broken reference.
func TestUnknownHostIsNotMalformed(t *testing.T) {
	for _, c := range []struct {
		in      string
		unknown bool
	}{
		{"https://kv-int.vault-int.azure-int.net/keys/cmk", true},
		{"https://example.com/keys/cmk/v1", true},
		{"https://kv-protected/keys/cmk", false},       // single-label host: malformed
		{"https://example.com/secrets/cmk", false},     // not a key path: malformed
		{"https://kv.vault.azure.net/keys/cmk", false}, // fine
	} {
		_, err := ParseKeyURI(c.in)
		if got := errors.Is(err, ErrUnknownHost); got != c.unknown {
			t.Errorf("ParseKeyURI(%q): ErrUnknownHost %v, want %v (err %v)", c.in, got, c.unknown, err)
		}
	}
}
