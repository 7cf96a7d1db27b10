package web

import (
	"fmt"
	"strings"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/impact"
)

// graph is a key's dependency graph as inline SVG, in four columns:
// dependents (workloads and disk encryption sets) → the identities they
// reach the key with → the key → its vault.
type graph struct {
	Width, Height int
	Nodes         []gnode
	Edges         []gedge
}

type gnode struct {
	X, Y, W, H float64
	TX, TY     float64 // where the label starts
	Label      string
	Title      string // the full name, as a tooltip
	Kind       string // workload, holder, identity, key, vault, more
	Href       string
}

type gedge struct{ X1, Y1, X2, Y2 float64 }

const (
	graphColW, graphColGap = 250.0, 34.0
	graphNodeH, graphRowH  = 28.0, 38.0
	graphMaxRows           = 40
	graphLabelMax          = 34
)

func newGraph(im *impact.Impact, scan int64) *graph {
	if im == nil {
		return nil
	}
	g := &graph{}
	colX := func(c int) float64 { return 10 + float64(c)*(graphColW+graphColGap) }
	place := func(col, rowIdx int, label, title, kind, href string) gnode {
		if len([]rune(label)) > graphLabelMax {
			label = string([]rune(label)[:graphLabelMax-1]) + "…"
		}
		y := 10 + float64(rowIdx)*graphRowH
		return gnode{X: colX(col), Y: y, W: graphColW, H: graphNodeH, TX: colX(col) + 8, TY: y + 18,
			Label: label, Title: title, Kind: kind, Href: href}
	}
	index := map[string]int{} // dependents by lower-case id → node index
	var left []gnode
	addLeft := func(id, name, kind string) {
		k := estate.Lower(id)
		if _, ok := index[k]; ok {
			return
		}
		if len(left) == graphMaxRows {
			index[k] = -1
			return
		}
		index[k] = len(g.Nodes)
		n := place(0, len(left), name, id, kind, link("/resource", "id", id, "scan", scanParam(scan)))
		left = append(left, n)
		g.Nodes = append(g.Nodes, n)
	}
	for _, w := range im.Workloads {
		addLeft(w.ID, w.Name, "workload")
	}
	for _, h := range im.DiskEncryptionSets {
		addLeft(h.ID, h.Name, "holder")
	}
	hidden := 0
	for _, v := range index {
		if v < 0 {
			hidden++
		}
	}
	if hidden > 0 {
		g.Nodes = append(g.Nodes, place(0, len(left), fmt.Sprintf("+%d more (see the table)", hidden), "", "more", ""))
	}
	rows := len(left) + min(hidden, 1)

	var idents []gnode
	for _, id := range im.Identities {
		if len(idents) == graphMaxRows {
			break
		}
		n := place(1, len(idents), id.Label, strings.TrimSpace(id.Label+" "+id.PrincipalID), "identity", "")
		if id.ResourceID != "" {
			n.Href = link("/resource", "id", id.ResourceID, "scan", scanParam(scan))
		}
		idents = append(idents, n)
		g.Nodes = append(g.Nodes, n)
		for _, u := range id.UsedBy {
			if i, ok := index[estate.Lower(u)]; ok && i >= 0 {
				src := g.Nodes[i]
				g.Edges = append(g.Edges, gedge{X1: src.X + src.W, Y1: src.Y + src.H/2, X2: n.X, Y2: n.Y + n.H/2})
			}
		}
	}
	rows = max(rows, len(idents), 1)
	mid := 10 + float64(rows-1)*graphRowH/2

	keyLabel := lastSegment(im.Key)
	key := gnode{X: colX(2), Y: mid, W: graphColW, H: graphNodeH, TX: colX(2) + 8, TY: mid + 18, Label: keyLabel, Title: im.Key, Kind: "key"}
	g.Nodes = append(g.Nodes, key)
	for _, n := range idents {
		g.Edges = append(g.Edges, gedge{X1: n.X + n.W, Y1: n.Y + n.H/2, X2: key.X, Y2: key.Y + key.H/2})
	}
	if len(idents) == 0 { // first-party or unknown identities: dependents point at the key
		for _, n := range left {
			g.Edges = append(g.Edges, gedge{X1: n.X + n.W, Y1: n.Y + n.H/2, X2: key.X, Y2: key.Y + key.H/2})
		}
	}
	vault := gnode{X: colX(3), Y: mid, W: graphColW, H: graphNodeH, TX: colX(3) + 8, TY: mid + 18, Label: im.Vault.Name, Title: im.Vault.ID, Kind: "vault"}
	if im.Vault.ID != "" {
		vault.Href = link("/resource", "id", im.Vault.ID, "scan", scanParam(scan))
	} else {
		vault.Title = im.Vault.Name + " (not in the snapshot)"
	}
	g.Nodes = append(g.Nodes, vault)
	g.Edges = append(g.Edges, gedge{X1: key.X + key.W, Y1: key.Y + key.H/2, X2: vault.X, Y2: vault.Y + vault.H/2})
	g.Width = int(colX(4))
	g.Height = int(20 + float64(rows)*graphRowH)
	return g
}
