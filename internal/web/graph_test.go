package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/internal/impact"
)

func TestGraphEdgesAndOverflow(t *testing.T) {
	im := &impact.Impact{Key: "https://kv1.vault.azure.net/keys/k1", Vault: impact.VaultState{Name: "kv1", ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1", InSnapshot: true}}
	uai := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
	shared := impact.Identity{Kind: "user-assigned", Label: "user-assigned identity id1", ResourceID: uai}
	for i := range graphMaxRows + 5 {
		id := fmt.Sprintf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st%02d", i)
		im.Workloads = append(im.Workloads, impact.Dependent{ID: id, Name: fmt.Sprintf("st%02d", i), Identity: shared})
		shared.UsedBy = append(shared.UsedBy, id)
	}
	im.Identities = []impact.Identity{shared}
	g := newGraph(im, 0)
	kinds := map[string]int{}
	for _, n := range g.Nodes {
		kinds[n.Kind]++
	}
	if kinds["workload"] != graphMaxRows || kinds["more"] != 1 || kinds["identity"] != 1 || kinds["key"] != 1 || kinds["vault"] != 1 {
		t.Errorf("nodes by kind: %v", kinds)
	}
	var more gnode
	for _, n := range g.Nodes {
		if n.Kind == "more" {
			more = n
		}
	}
	if !strings.HasPrefix(more.Label, "+5 more") {
		t.Errorf("overflow node %q, want +5 more", more.Label)
	}
	// One edge per drawn workload to the identity, identity → key, key → vault.
	if len(g.Edges) != graphMaxRows+2 {
		t.Errorf("%d edges, want %d", len(g.Edges), graphMaxRows+2)
	}
	for _, n := range g.Nodes {
		if n.Kind == "identity" && !strings.Contains(n.Href, "/resource?id=") {
			t.Errorf("the user-assigned identity does not link to its page: %q", n.Href)
		}
		if n.Y+n.H > float64(g.Height) {
			t.Errorf("node %s below the graph (%v > %d)", n.Label, n.Y+n.H, g.Height)
		}
	}
	if newGraph(nil, 0) != nil {
		t.Error("a key without a recorded blast radius has a graph")
	}
}
