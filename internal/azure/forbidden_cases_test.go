package azure

import "net/http"

// forbiddenCases are requests that could return a secret value, key
// material, a key export or backup, or app-setting values, or that write.
// Both the collector's guard and the fake must refuse every one.
var forbiddenCases = []struct{ Method, Path string }{
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/db-pw"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1/export"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1/backup"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1/backup"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1/release"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1/unwrapkey"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm/keys/k1/versions/v1/export"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/appsettings/list"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/appsettings"},
	{http.MethodGet, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/connectionstrings"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/publishingcredentials/list"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/listKeys"},
	{http.MethodPost, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventGrid/systemTopics/t/eventSubscriptions/e/getFullUrl"},
	{http.MethodPut, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"},
	{http.MethodDelete, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k1"},
	{http.MethodPatch, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql/encryptionProtector/current"},
}
