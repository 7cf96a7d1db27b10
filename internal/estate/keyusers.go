package estate

// KeyUse is one workload's reference to a key.
type KeyUse struct {
	Workload *Workload
	Ref      *KeyRef
}

// KeyUsers returns every workload reference to the key u names: the same vault
// or Managed HSM and key name, any version, whether or not the key or its vault
// is in the snapshot. A reference whose host names another cloud
// (kv.vault.azure.cn against kv.vault.azure.net) is another key. References
// that could not be parsed or followed are left out. The result is in workload
// order; a workload appears once per reference.
func (e *Estate) KeyUsers(u KeyURI) []KeyUse {
	e.keyUsersOnce.Do(e.indexKeyUsers)
	var out []KeyUse
	for _, use := range e.keyUsers[keyIndex(u)] {
		if u.Host != "" && use.Ref.URI.Host != "" && u.Host != use.Ref.URI.Host {
			continue
		}
		out = append(out, use)
	}
	return out
}

// indexKeyUsers builds the index behind KeyUsers once, after Build.
func (e *Estate) indexKeyUsers() {
	e.keyUsers = map[string][]KeyUse{}
	for _, w := range e.Workloads {
		for _, ref := range w.KeyRefs {
			if ref.ParseErr != "" || ref.Unresolved != "" || ref.URI.Name == "" {
				continue
			}
			k := keyIndex(ref.URI)
			e.keyUsers[k] = append(e.keyUsers[k], KeyUse{Workload: w, Ref: ref})
		}
	}
}

func keyIndex(u KeyURI) string { return vaultKey(u.HSM, u.Vault) + "/" + u.Name }
