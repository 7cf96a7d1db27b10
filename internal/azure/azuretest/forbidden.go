package azuretest

import (
	"net/http"
	"regexp"
	"strings"
)

// forbiddenPaths are the requests no collector may make: anything that can
// return a secret value, key material, a key export or backup, app-setting
// values or other credentials. The list is the fake's own, written apart from
// the collector's guard, so that a hole in one is caught by the other.
var forbiddenPaths = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`/(secrets|deletedsecrets)(/|$)`), "Key Vault secrets"},
	{regexp.MustCompile(`/certificates(/|$)`), "Key Vault certificates (their secret half)"},
	{regexp.MustCompile(`/keys/[^/]+(/[^/]+)?/(export|backup|release|restore|import|encrypt|decrypt|wrapkey|unwrapkey|sign|verify)$`), "key material or a cryptographic operation"},
	{regexp.MustCompile(`/(backup|restore|export)$`), "a backup or export"},
	{regexp.MustCompile(`/config/(appsettings|connectionstrings|publishingcredentials|authsettings|authsettingsv2|azurestorageaccounts|backup)(/|$)`), "App Service settings values"},
	{regexp.MustCompile(`/list[a-z]*$`), "a list action (returns keys or values)"},
	{regexp.MustCompile(`/(regeneratekey|getfullurl|getdeliveryattributes|publishxml|listkeys|listsecrets)$`), "an action returning credentials"},
	{regexp.MustCompile(`/host/default/`), "Functions host keys"},
}

// Forbidden returns why a request must never reach Azure, or "" when it may.
// Only GET, and POST of a Resource Graph query, are reads; every path must be
// an ARM path (the collector never goes to a vault's data plane).
func Forbidden(method, path string) string {
	p := strings.ToLower(path)
	if method == http.MethodPost {
		if strings.HasSuffix(p, "/providers/microsoft.resourcegraph/resources") {
			return ""
		}
		return "POST is an action: " + path
	}
	if method != http.MethodGet {
		return method + " is not a read: " + path
	}
	if !strings.HasPrefix(p, "/subscriptions/") && !strings.HasPrefix(p, "/providers/") {
		return "not an ARM path (data plane?): " + path
	}
	for _, f := range forbiddenPaths {
		if f.re.MatchString(p) {
			return f.why + ": " + path
		}
	}
	return ""
}
