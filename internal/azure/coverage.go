package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Kinds of data a coverage gap names (estate.Gap.Data).
const (
	DataResources      = "resources"
	DataKeys           = "keys"
	DataDiagnostics    = "diagnosticSettings"
	DataRoles          = "roleAssignments"
	DataEventSubs      = "eventSubscriptions"
	DataProtector      = "encryptionProtector"
	DataAppSettingRefs = "appSettingsReferences"
)

// permissions names, per kind of data, the built-in role (and the action in
// it) that lets the collector read it. All are read roles.
var permissions = map[string]string{
	DataResources:      "Reader on the subscription or management group (Resource Graph returns only what the caller may read)",
	DataKeys:           "Reader on the vault or Managed HSM (Microsoft.KeyVault/vaults/keys/read, Microsoft.KeyVault/managedHSMs/keys/read)",
	DataDiagnostics:    "Reader or Monitoring Reader on the vault (Microsoft.Insights/diagnosticSettings/read)",
	DataRoles:          "Reader on the subscription or management group (Microsoft.Authorization/roleAssignments/read, roleDefinitions/read)",
	DataEventSubs:      "Reader or EventGrid EventSubscription Reader on the system topic or vault (Microsoft.EventGrid/systemTopics/eventSubscriptions/read, eventSubscriptions/read)",
	DataProtector:      "Reader on the SQL server or managed instance (Microsoft.Sql/servers/encryptionProtector/read, managedInstances/encryptionProtector/read)",
	DataAppSettingRefs: "Reader on the web app (Microsoft.Web/sites/config/read; app-setting values are never read)",
}

// Permission returns the built-in role that lets the collector read a kind of data.
func Permission(data string) string { return permissions[data] }

// Gap is one coverage entry of the snapshot header: something that could not
// be read, why, and what would fix it. Its JSON is the header's coverage item.
type Gap struct {
	Scope      string `json:"scope"`
	Data       string `json:"data"`
	Error      string `json:"error"`
	Permission string `json:"permission"`
}

// gapFor describes a failed call as a coverage gap. The permission is named
// when the error says access was refused (401, 403).
func gapFor(scope, data string, err error) Gap {
	g := Gap{Scope: scope, Data: data, Error: describe(err)}
	if status := statusOf(err); status == http.StatusForbidden {
		g.Permission = Permission(data)
	} else if status == http.StatusUnauthorized {
		g.Permission = "a valid token for the cloud's Resource Manager audience; then " + Permission(data)
	}
	return g
}

// statusOf returns the HTTP status of a failed call, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	var ce *callError
	if errors.As(err, &ce) {
		return ce.Status
	}
	return 0
}

// callError is an ARM or Resource Graph error answer, reduced to what a
// person needs: status, code and message.
type callError struct {
	Status  int
	Code    string
	Message string
}

func (e *callError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// newCallError reads the ARM error envelope {"error":{"code","message"}}.
func newCallError(resp *http.Response) *callError {
	ce := &callError{Status: resp.StatusCode, Code: resp.Header.Get("x-ms-error-code")}
	body, err := runtime.Payload(resp)
	if err == nil {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil {
			if env.Error.Code != "" {
				ce.Code = env.Error.Code
			}
			ce.Message = env.Error.Message
		}
	}
	ce.Message = truncate(strings.Join(strings.Fields(ce.Message), " "), 300)
	return ce
}

// describe renders an error for the coverage report: short, one line, no
// request URL with its query (which never holds secrets here, but stays out anyway).
func describe(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.RawResponse != nil {
		return newCallError(re.RawResponse).Error()
	}
	return truncate(strings.Join(strings.Fields(err.Error()), " "), 300)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
