package azure

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// ErrForbiddenRequest marks a request the collector refuses to send because it
// could write, or read a secret value, key material, a key export or backup,
// or app-setting values.
var ErrForbiddenRequest = errors.New("refused: cmkguard collects read-only metadata")

// forbiddenSegments are path segments (lower-case) that name data-plane
// operations on secrets or keys, or actions that return credentials or values.
var forbiddenSegments = map[string]bool{
	"secrets": true, "deletedsecrets": true, "certificates": true, "storage": true,
	"export": true, "backup": true, "restore": true, "release": true, "import": true,
	"encrypt": true, "decrypt": true, "wrapkey": true, "unwrapkey": true, "sign": true, "verify": true,
	"listkeys": true, "listsecrets": true, "listconnectionstrings": true, "regeneratekey": true,
	"getfullurl": true, "getdeliveryattributes": true, "publishxml": true, "listpublishingcredentials": true,
	"backups": true, "hostruntime": true, "functions": true,
}

// checkReadOnly returns why a request must not be sent, or "" when it may.
// Only GET is sent, besides the Resource Graph query POST; under an App
// Service site's config only the Key Vault reference status
// (config/configreferences) is read, never app settings or connection strings.
func checkReadOnly(method, path string) string {
	p := strings.ToLower(strings.TrimRight(path, "/"))
	switch method {
	case http.MethodGet:
	case http.MethodPost:
		if strings.HasSuffix(p, "/providers/microsoft.resourcegraph/resources") {
			return ""
		}
		return "POST " + path + " is an action, not a read"
	default:
		return method + " " + path + " is not a read"
	}
	// Only segments that name a type or an action are checked: resource
	// names (a vault called "backup") may be anything.
	seg := strings.Split(strings.Trim(p, "/"), "/")
	name, namespace := false, false
	for i, s := range seg {
		switch {
		case name:
			name = false
			continue
		case namespace:
			namespace = false
			continue
		case s == "providers":
			namespace = true
			continue
		case s == "subscriptions" || s == "resourcegroups":
			name = true
			continue
		}
		if forbiddenSegments[s] {
			return fmt.Sprintf("GET %s names %q, which can return secret values, key material or credentials", path, s)
		}
		if s == "config" && (i+1 >= len(seg) || seg[i+1] != "configreferences") {
			return fmt.Sprintf("GET %s reads site configuration other than Key Vault reference status", path)
		}
		name = true
	}
	return ""
}

// readOnlyPolicy refuses, before it leaves the process, any request that
// checkReadOnly rejects. It is the first policy of every pipeline.
type readOnlyPolicy struct{}

func (readOnlyPolicy) Do(req *policy.Request) (*http.Response, error) {
	if why := checkReadOnly(req.Raw().Method, req.Raw().URL.Path); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrForbiddenRequest, why)
	}
	return req.Next()
}
