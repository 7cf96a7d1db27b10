package rules

import (
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// appRules are the app-tier rules, in catalog order.
var appRules = []*Rule{
	appManagedIdentity,
}

// appKind names a web or function app, or one of its deployment slots, for messages.
func appKind(r *estate.Resource) string {
	kind := "web app"
	if strings.Contains(estate.Lower(r.Kind), "functionapp") {
		kind = "function app"
	}
	if r.Type == "microsoft.web/sites/slots" {
		kind += " slot"
	}
	return kind
}
