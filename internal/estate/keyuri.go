package estate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// KeyURI identifies a key in a Key Vault or Managed HSM, whatever form the
// reference took. Vault and Name are lower-case: Key Vault names are
// case-insensitive.
type KeyURI struct {
	Host    string // lower-case host, e.g. kv-prod.vault.azure.net; empty for ARM-id references
	Vault   string // vault or HSM name, lower-case
	HSM     bool   // a Managed HSM key
	Name    string // key name, lower-case
	Version string // "" when the reference follows the latest version
}

// String renders the reference as a versionless or versioned data-plane URI.
func (k KeyURI) String() string {
	// One concatenation makes one string: rules and outputs render many.
	host, domain := k.Host, ""
	if host == "" {
		host, domain = k.Vault, ".vault.azure.net"
		if k.HSM {
			domain = ".managedhsm.azure.net"
		}
	}
	slash := ""
	if k.Version != "" {
		slash = "/"
	}
	return "https://" + host + domain + "/keys/" + k.Name + slash + k.Version
}

// ErrUnknownHost marks a well-formed reference to a host that is not a Key
// Vault or Managed HSM host of a cloud cmkguard knows: the key may exist, but
// the snapshot cannot say where.
var ErrUnknownHost = errors.New("not a Key Vault or Managed HSM host of a known cloud")

// ParseKeyURI parses a key reference: a data-plane key URI
// (https://NAME.vault.azure.net/keys/KEY[/VERSION], any case, with or without a
// trailing slash, managedhsm and sovereign-cloud hosts) or the ARM id of a key
// (…/Microsoft.KeyVault/vaults/NAME/keys/KEY or …/managedHSMs/NAME/keys/KEY).
func ParseKeyURI(s string) (KeyURI, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return KeyURI{}, fmt.Errorf("empty key reference")
	}
	if strings.HasPrefix(s, "/") {
		id, ok := ParseID(s)
		if !ok || (id.Type != "microsoft.keyvault/vaults/keys" && id.Type != "microsoft.keyvault/managedhsms/keys") {
			return KeyURI{}, fmt.Errorf("%q is not a key URI or the ARM id of a key", s)
		}
		parent, _ := ParseID(id.Parent)
		return checkNames(s, KeyURI{Vault: Lower(parent.Name), HSM: id.Type == "microsoft.keyvault/managedhsms/keys", Name: Lower(id.Name)})
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return KeyURI{}, fmt.Errorf("key reference %q: %w", s, err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || !strings.EqualFold(parts[0], "keys") || parts[1] == "" {
		return KeyURI{}, fmt.Errorf("key reference %q: path is not /keys/NAME[/VERSION]", s)
	}
	vault, hsm, ok := vaultHost(u.Hostname())
	if !ok {
		if strings.Contains(u.Hostname(), ".") {
			return KeyURI{}, fmt.Errorf("key reference %q: host %q: %w", s, u.Hostname(), ErrUnknownHost)
		}
		return KeyURI{}, fmt.Errorf("key reference %q: host %q is not a Key Vault or Managed HSM host", s, u.Hostname())
	}
	k := KeyURI{Host: Lower(u.Hostname()), Vault: vault, HSM: hsm, Name: Lower(parts[1])}
	if len(parts) == 3 {
		k.Version = parts[2]
	}
	return checkNames(s, k)
}

// checkNames rejects references whose vault, key or version holds characters
// Azure does not allow there (only letters, digits and, in names, hyphens), as
// percent-escapes in a URI can produce.
func checkNames(ref string, k KeyURI) (KeyURI, error) {
	valid := func(s string, hyphen bool) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || hyphen && c == '-') {
				return false
			}
		}
		return true
	}
	if !valid(k.Vault, true) || !valid(k.Name, true) || !valid(k.Version, false) {
		return KeyURI{}, fmt.Errorf("key reference %q: vault, key and version names hold only letters, digits and hyphens", ref)
	}
	return k, nil
}

// KeyURIFromParts builds a reference from a vault URI and a key name held in
// separate fields, as storage accounts, Cognitive Services and Data Factory do.
func KeyURIFromParts(vaultURI, name, version string) (KeyURI, error) {
	base := strings.TrimRight(strings.TrimSpace(vaultURI), "/")
	if base == "" || strings.TrimSpace(name) == "" {
		return KeyURI{}, fmt.Errorf("key reference needs a vault URI and a key name (got %q, %q)", vaultURI, name)
	}
	ref := base + "/keys/" + strings.TrimSpace(name)
	if v := strings.TrimSpace(version); v != "" {
		ref += "/" + v
	}
	return ParseKeyURI(ref)
}

// vaultHost splits NAME.vault.azure.net (or another cloud's suffix, or a
// managedhsm host) into the vault name and whether it is a Managed HSM.
func vaultHost(host string) (name string, hsm, ok bool) {
	host = Lower(strings.TrimSuffix(host, "."))
	name, suffix, found := strings.Cut(host, ".")
	if !found || name == "" {
		return "", false, false
	}
	switch {
	case strings.HasPrefix(suffix, "vault."):
		return name, false, true
	case strings.HasPrefix(suffix, "managedhsm."):
		return name, true, true
	}
	return "", false, false
}
