package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeEstate writes a synthetic NDJSON snapshot of n resources as it looks at
// the scan-th scan of a history, and returns its path. A tenth of the
// resources are Key Vaults and keys, the rest storage accounts; which accounts
// use a customer-managed key, how they are classified and when each key was
// last rotated shift from scan to scan, so that failures open and close.
func writeEstate(tb testing.TB, dir string, scan, n int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("estate-%03d.ndjson", scan))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	put := func(v any) {
		if err := enc.Encode(v); err != nil {
			tb.Fatal(err)
		}
	}
	sub := func(i int) string { return fmt.Sprintf("%08d-0000-0000-0000-000000000000", i%5) }
	vaults := max(1, n/200)
	keysPerVault := 19
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	count := 0
	for v := 0; v < vaults && count < n; v++ {
		vid := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv%04d", sub(v), v)
		put(map[string]any{"id": vid, "name": fmt.Sprintf("kv%04d", v), "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
			"properties": map[string]any{"vaultUri": fmt.Sprintf("https://kv%04d.vault.azure.net/", v), "enableSoftDelete": true,
				"enablePurgeProtection": v%3 != 0, "enableRbacAuthorization": true, "publicNetworkAccess": "Disabled"}})
		count++
		for k := 0; k < keysPerVault && count < n; k++ {
			// Each key is rotated every 80 days on its own schedule; its rotation
			// policy says 90, and a tenth of the keys miss a rotation.
			created := base.AddDate(0, 0, -((v*keysPerVault + k) % 80))
			if (v*keysPerVault+k)%10 == scan%10 {
				created = created.AddDate(0, 0, -30)
			}
			put(map[string]any{"id": fmt.Sprintf("%s/keys/key%02d", vid, k), "name": fmt.Sprintf("key%02d", k),
				"type": "Microsoft.KeyVault/vaults/keys", "properties": map[string]any{"kty": "RSA-HSM", "keySize": 3072,
					"keyUri":     fmt.Sprintf("https://kv%04d.vault.azure.net/keys/key%02d", v, k),
					"attributes": map[string]any{"enabled": true, "created": created.Unix(), "updated": created.Unix(), "exp": created.AddDate(1, 0, 0).Unix()},
					"rotationPolicy": map[string]any{"lifetimeActions": []any{map[string]any{"trigger": map[string]any{"timeAfterCreate": "P90D"},
						"action": map[string]any{"type": "rotate"}}}, "attributes": map[string]any{"expiryTime": "P1Y"}}}})
			count++
		}
	}
	classes := []string{"pci", "confidential", "public", "internal", ""}
	for i := 0; count < n; i++ {
		id := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/st%06d", sub(i), i)
		enc := map[string]any{"keySource": "Microsoft.Storage"}
		if (i+scan)%4 != 0 { // three in four use a customer-managed key, a different quarter each scan
			v := i % vaults
			enc = map[string]any{"keySource": "Microsoft.Keyvault", "keyvaultproperties": map[string]any{
				"keyvaulturi": fmt.Sprintf("https://kv%04d.vault.azure.net/", v), "keyname": fmt.Sprintf("key%02d", i%keysPerVault)}}
		}
		r := map[string]any{"id": id, "name": fmt.Sprintf("st%06d", i), "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
			"identity":   map[string]any{"type": "SystemAssigned", "principalId": fmt.Sprintf("%08d-1111-1111-1111-111111111111", i)},
			"properties": map[string]any{"encryption": enc}}
		if c := classes[(i/7+scan/5)%len(classes)]; c != "" {
			r["tags"] = map[string]any{"dataClassification": c}
		}
		put(r)
		count++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}
