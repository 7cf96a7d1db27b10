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
	list := e.keyUsers[keyIndex(u)]
	n := 0
	for _, use := range list {
		if sameHost(u, use) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]KeyUse, 0, n)
	for _, use := range list {
		if sameHost(u, use) {
			out = append(out, use)
		}
	}
	return out
}

// sameHost reports whether use may name the key u does: a reference whose
// host names another cloud names another key.
func sameHost(u KeyURI, use KeyUse) bool {
	return u.Host == "" || use.Ref.URI.Host == "" || u.Host == use.Ref.URI.Host
}

// indexKeyUsers builds the index behind KeyUsers once, after Build.
func (e *Estate) indexKeyUsers() {
	e.keyUsers = map[keyName][]KeyUse{}
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

// keyName is a key as KeyUsers tells keys apart: its vault or Managed HSM
// and its name, whatever the version.
type keyName struct {
	hsm         bool
	vault, name string
}

func keyIndex(u KeyURI) keyName { return keyName{u.HSM, u.Vault, u.Name} }
