package azure

import (
	"net/http"
	"testing"
	"time"
)

func TestCheckReadOnly(t *testing.T) {
	for _, c := range forbiddenCases {
		if checkReadOnly(c.Method, c.Path) == "" {
			t.Errorf("%s %s: allowed, want refused", c.Method, c.Path)
		}
	}
	v := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/"
	for _, p := range []string{
		v + "backup/keys", v + "secrets-kv/keys/export-key", v + "kv/keys", v + "kv/keys/k1",
		v + "kv/providers/Microsoft.Insights/diagnosticSettings",
		"/subscriptions/s/resourceGroups/config/providers/Microsoft.Web/sites/app/config/configreferences/appsettings",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql/encryptionProtector/current",
	} {
		if why := checkReadOnly(http.MethodGet, p); why != "" {
			t.Errorf("GET %s refused: %s", p, why)
		}
	}
	if why := checkReadOnly(http.MethodPost, "/providers/Microsoft.ResourceGraph/resources"); why != "" {
		t.Errorf("Resource Graph query refused: %s", why)
	}
}

func TestParseResetsAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:03":         4 * time.Second, // whole seconds may be truncated: padded
		"00:01:00":         61 * time.Second,
		"00:00:02.5000000": 2500 * time.Millisecond,
		"1.00:00:00":       24*time.Hour + time.Second,
	} {
		got, ok := parseResetsAfter(in)
		if !ok || got != want {
			t.Errorf("parseResetsAfter(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "3", "aa:bb:cc", "00:00"} {
		if _, ok := parseResetsAfter(bad); ok {
			t.Errorf("parseResetsAfter(%q) accepted", bad)
		}
	}
}
