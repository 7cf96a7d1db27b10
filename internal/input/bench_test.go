package input

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// benchSnapshot renders an NDJSON snapshot of n resources: a header, and a
// mix of vaults, keys, storage accounts using them, role assignments, and
// virtual machines (a type no rule reads, whose properties are passed over).
func benchSnapshot(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"collectedAt": "2026-11-30T08:00:00Z", "scopes": ["/subscriptions/11111111-1111-1111-1111-111111111111"], "tool": {"name": "cmkguard", "version": "bench"}, "coverage": []}` + "\n")
	const rg = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-%d/providers/"
	for i := range n {
		g := i / 5
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, `{"id": "`+rg+`Microsoft.KeyVault/vaults/kv-%d", "name": "kv-%d", "type": "Microsoft.KeyVault/vaults", "location": "westeurope", "tags": {"owner": "team-%d"}, "properties": {"tenantId": "22222222-2222-2222-2222-222222222222", "sku": {"family": "A", "name": "premium"}, "vaultUri": "https://kv-%d.vault.azure.net/", "enableSoftDelete": true, "softDeleteRetentionInDays": 90, "enablePurgeProtection": true, "enableRbacAuthorization": true, "publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [], "virtualNetworkRules": []}}}`+"\n", g, g, g, g, g)
		case 1:
			fmt.Fprintf(&b, `{"id": "`+rg+`Microsoft.KeyVault/vaults/kv-%d/keys/cmk", "name": "kv-%d/cmk", "type": "Microsoft.KeyVault/vaults/keys", "properties": {"attributes": {"enabled": true, "exp": 1830297600, "created": 1767225600, "updated": 1767225600, "recoveryLevel": "Recoverable"}, "kty": "RSA-HSM", "keySize": 3072, "keyOps": ["wrapKey", "unwrapKey"], "keyUri": "https://kv-%d.vault.azure.net/keys/cmk", "rotationPolicy": {"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}], "attributes": {"expiryTime": "P1Y"}}}}`+"\n", g, g, g, g)
		case 2:
			fmt.Fprintf(&b, `{"id": "`+rg+`Microsoft.Storage/storageAccounts/st%d", "name": "st%d", "type": "Microsoft.Storage/storageAccounts", "kind": "StorageV2", "location": "westeurope", "sku": {"name": "Standard_ZRS", "tier": "Standard"}, "tags": {"dataClassification": "Confidential"}, "identity": {"type": "SystemAssigned", "principalId": "%08d-0000-0000-0000-000000000000", "tenantId": "22222222-2222-2222-2222-222222222222"}, "properties": {"encryption": {"keySource": "Microsoft.Keyvault", "keyvaultproperties": {"keyvaulturi": "https://kv-%d.vault.azure.net/", "keyname": "cmk"}, "services": {"blob": {"enabled": true, "keyType": "Account"}, "file": {"enabled": true, "keyType": "Account"}}}, "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": true}}`+"\n", g, g, g, g, g)
		case 3:
			fmt.Fprintf(&b, `{"id": "`+rg+`Microsoft.KeyVault/vaults/kv-%d/providers/Microsoft.Authorization/roleAssignments/%08d-aaaa-0000-0000-000000000000", "type": "microsoft.authorization/roleassignments", "properties": {"roleDefinitionId": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6", "principalId": "%08d-0000-0000-0000-000000000000", "principalType": "ServicePrincipal", "scope": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-%d/providers/Microsoft.KeyVault/vaults/kv-%d"}}`+"\n", g, g, g, g, g, g)
		case 4:
			fmt.Fprintf(&b, `{"id": "`+rg+`Microsoft.Compute/virtualMachines/vm-%d", "name": "vm-%d", "type": "Microsoft.Compute/virtualMachines", "location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}, "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}, "osDisk": {"osType": "Linux", "createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}, "dataDisks": []}, "osProfile": {"computerName": "vm-%d", "adminUsername": "azureuser", "linuxConfiguration": {"disablePasswordAuthentication": true}}, "networkProfile": {"networkInterfaces": [{"id": "`+rg+`Microsoft.Network/networkInterfaces/nic-%d"}]}}}`+"\n", g, g, g, g, g, g)
		}
	}
	return b.Bytes()
}

// nullSink discards what it is given, so the benchmark measures reading.
type nullSink struct{}

func (nullSink) Add(*estate.Resource)               {}
func (nullSink) AddHeader(*estate.Header)           {}
func (nullSink) AddAudit(*estate.AuditRecord)       {}
func (nullSink) Warn(estate.Source, string, ...any) {}

// BenchmarkReadNDJSON reads a 20,000-resource NDJSON snapshot from memory.
func BenchmarkReadNDJSON(b *testing.B) {
	data := benchSnapshot(20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(context.Background(), "bench.ndjson", bytes.NewReader(data), nullSink{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadNDJSONBuild adds building the estate, as scan does.
func BenchmarkReadNDJSONBuild(b *testing.B) {
	data := benchSnapshot(20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		bld := estate.NewBuilder()
		if err := Read(context.Background(), "bench.ndjson", bytes.NewReader(data), bld); err != nil {
			b.Fatal(err)
		}
		if e := bld.Build(); len(e.Workloads) != 4000 || len(e.Keys) != 4000 || len(e.Warnings) != 0 {
			b.Fatalf("%d workloads, %d keys, warnings %v", len(e.Workloads), len(e.Keys), e.Warnings)
		}
	}
}

// TestBenchSnapshotReads keeps the benchmark's input honest.
func TestBenchSnapshotReads(t *testing.T) {
	rec := &recorder{}
	if err := Read(context.Background(), "bench.ndjson", bytes.NewReader(benchSnapshot(50)), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.resources) != 50 || len(rec.headers) != 1 || len(rec.warnings) != 0 {
		t.Fatalf("%d resources, %d headers, warnings %v", len(rec.resources), len(rec.headers), rec.warnings)
	}
}
