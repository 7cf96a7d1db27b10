// Package estategen writes synthetic Azure estates for benchmarks: NDJSON
// snapshots as `cmkguard collect` writes them (a collection header, then one
// Resource Graph row or ARM resource a line), shaped like a real enterprise.
//
// An estate is a set of subscriptions. Each has a platform network (a VNet
// with subnets, NSGs, route tables, private DNS zones), a security resource
// group (Key Vaults with keys, user-assigned identities, disk encryption sets,
// a Log Analytics workspace, Event Grid system topics, alert rules, the
// vaults' diagnostic settings) and many application resource groups: VM
// farms (network interfaces, public IPs, disks, extensions), web tiers (plans,
// sites, slots, Application Insights), data tiers (storage, SQL servers with
// their encryption protectors and databases, Cosmos DB), AKS clusters, and
// integration and analytics services. Role assignments sit at subscription,
// resource group, vault and key scope. Most resources are of types no rule
// reads, and carry properties as large as Azure's own (a VM row is several
// kilobytes). Workloads are tagged with data-classification values in the
// spellings people use, some subscriptions serve tenants of a multi-tenant
// service, and every key reference, identity and encryption set a workload
// names is in the estate unless the estate is meant to be broken there (a
// few percent: deleted keys, missing grants, expired keys).
//
// The output depends only on the Config: the same size and seed give the same
// bytes.
package estategen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says which estate to write.
type Config struct {
	// Resources is the number of resource lines; the header line is extra.
	Resources int
	// Seed makes a different estate of the same shape.
	Seed uint64
	// Now is the collection time; key dates are spread around it. The zero
	// value means 2026-12-01T00:00:00Z.
	Now time.Time
	// NoHeader leaves out the collection header line.
	NoHeader bool
}

// Stats counts what Write wrote.
type Stats struct {
	Resources int            // resource lines
	Bytes     int64          // bytes written, header included
	ByType    map[string]int // resource lines by lower-case type
}

// Write writes the estate cfg describes to w as NDJSON.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Resources < 0 {
		return Stats{}, errors.New("estategen: a negative number of resources")
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		w: bufio.NewWriterSize(w, 1<<20), stats: Stats{ByType: map[string]int{}}}
	g.tenant = g.guid()
	if !cfg.NoHeader {
		g.header()
	}
	for s := 0; !g.full() && g.err == nil; s++ {
		g.subscription(s)
	}
	if g.err == nil {
		g.err = g.w.Flush()
	}
	if g.err != nil {
		return g.stats, fmt.Errorf("write estate: %w", g.err)
	}
	return g.stats, nil
}

// gen is the state of one Write.
type gen struct {
	cfg    Config
	rng    *rand.Rand
	w      *bufio.Writer
	l      line
	stats  Stats
	err    error
	tenant string
	serial int // makes globally unique names (vaults, storage accounts)

	sub *subscription
}

// full reports whether every resource line has been written.
func (g *gen) full() bool { return g.stats.Resources >= g.cfg.Resources }

// emit writes the line built in g.l as a resource of type typ, unless the
// estate is complete.
func (g *gen) emit(typ string) {
	if g.err != nil || g.full() {
		return
	}
	g.l.b = append(g.l.b, '\n')
	n, err := g.w.Write(g.l.b)
	g.stats.Bytes += int64(n)
	g.err = err
	g.stats.Resources++
	g.stats.ByType[typ]++
}

// header writes the collection header of a snapshot.
func (g *gen) header() {
	l := &g.l
	l.reset()
	l.obj().ks("collectedAt", g.cfg.Now.Format(time.RFC3339)).kstrs("scopes", "/providers/Microsoft.Management/managementGroups/"+g.tenant)
	l.kobj("tool").ks("name", "cmkguard").ks("version", "estategen").end()
	l.ks("cloud", "AzureCloud").karr("coverage").endArr()
	l.kobj("stats").kn("resources", int64(g.cfg.Resources)).end().end()
	l.b = append(l.b, '\n')
	n, err := g.w.Write(l.b)
	g.stats.Bytes += int64(n)
	g.err = err
}

// Random choices.

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }
func (g *gen) between(lo, hi int) int {
	return lo + g.rng.IntN(hi-lo+1)
}
func pick[T any](g *gen, list []T) T { return list[g.rng.IntN(len(list))] }

// weighted picks an index by weight.
func (g *gen) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func (g *gen) guid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	var buf [36]byte
	const hex = "0123456789abcdef"
	j := 0
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			buf[j] = '-'
			j++
		}
		v := a
		if i >= 16 {
			v = b
		}
		buf[j] = hex[(v>>(4*(i%16)))&0xf]
		j++
	}
	return string(buf[:])
}

// hexString returns n random hex digits.
func (g *gen) hexString(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[g.rng.IntN(16)]
	}
	return string(b)
}

// b64 returns n random base64 characters (for SSH keys, thumbprints).
func (g *gen) b64(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(64)]
	}
	return string(b)
}

func (g *gen) nextSerial() int { g.serial++; return g.serial }

// ip returns a private address in the 10/8 range.
func (g *gen) ip(a, b int) string {
	return "10." + strconv.Itoa(a) + "." + strconv.Itoa(b) + "." + strconv.Itoa(g.between(4, 250))
}

// timeAgo is a creation time up to days before the collection, RFC 3339.
func (g *gen) timeAgo(days int) string {
	t := g.cfg.Now.Add(-time.Duration(g.rng.Int64N(int64(days)*24*3600)) * time.Second)
	return t.Format("2006-01-02T15:04:05.0000000Z")
}

var locations = []string{"westeurope", "northeurope", "eastus", "eastus2", "uksouth", "germanywestcentral", "swedencentral", "centralus"}
var locationWeights = []int{30, 20, 15, 10, 8, 7, 5, 5}

var envs = []string{"prod", "prod", "prod", "dev", "test", "uat", "staging"}

// Classification values in the spellings estates hold: mostly the policy's
// defaults, some case variants, non-sensitive values, and empty ones.
var classValues = []string{"Confidential", "confidential", "Internal", "internal", "Highly-Confidential", "Public",
	"PCI", "PHI", "General", "Restricted", "Secret", "CONFIDENTIAL", ""}
var classWeights = []int{28, 6, 18, 5, 8, 9, 5, 3, 5, 4, 2, 2, 1}
var classKeys = []string{"dataClassification", "data-classification", "classification", "DataClassification", "data_classification"}
var classKeyWeights = []int{70, 10, 10, 7, 3}

// tags is a resource's tag set.
type tags struct {
	env, app, owner, costCenter, createdBy string
	classKey, class                        string // classification tag, when classKey is set
	tenant                                 string
}

func (l *line) tags(t *tags) *line {
	l.kobj("tags")
	if t != nil {
		if t.env != "" {
			l.ks("environment", t.env)
		}
		if t.app != "" {
			l.ks("application", t.app)
		}
		if t.owner != "" {
			l.ks("owner", t.owner)
		}
		if t.costCenter != "" {
			l.ks("costCenter", t.costCenter)
		}
		if t.createdBy != "" {
			l.ks("createdBy", t.createdBy)
		}
		if t.classKey != "" {
			l.ks(t.classKey, t.class)
		}
		if t.tenant != "" {
			l.ks("tenant", t.tenant)
		}
	}
	return l.end()
}

// rg is an application or platform resource group being filled.
type rg struct {
	name     string
	id       string
	location string
	tags     tags
	app      string
	zone     int // address block in the VNet
}

// classified returns the tags of a workload that holds data: the group's
// tags with a classification (most of the time) and, in a multi-tenant
// subscription, a tenant.
func (g *gen) classified(r *rg) *tags {
	t := r.tags
	if g.chance(0.8) {
		t.classKey = classKeys[g.weighted(classKeyWeights)]
		t.class = classValues[g.weighted(classWeights)]
	}
	if g.sub.saas && g.chance(0.9) {
		t.tenant = "customer-" + strconv.Itoa(g.rng.IntN(g.sub.tenants))
	}
	return &t
}

// plain returns the group's tags, sometimes with none at all.
func (g *gen) plain(r *rg) *tags {
	if g.chance(0.15) {
		return nil
	}
	return &r.tags
}

// row starts a Resource Graph row: the members before sku and properties.
func (g *gen) row(typ, id, name, kind, location string, r *rg) *line {
	return g.managedRow(typ, id, name, kind, location, "", r)
}

// managedRow is row for a resource another one manages (a VM's disk).
func (g *gen) managedRow(typ, id, name, kind, location, managedBy string, r *rg) *line {
	l := &g.l
	l.reset()
	l.obj().ks("id", id).ks("name", name).ks("type", typ).ks("tenantId", g.tenant).ks("kind", kind).ks("location", location).
		ks("resourceGroup", r.name).ks("subscriptionId", g.sub.id).ks("managedBy", managedBy)
	return l
}

// identity kinds of a row's tail.
type identity struct {
	system string // principal id of the system-assigned identity
	users  []*uai // attached user-assigned identities
}

// tail ends a Resource Graph row: tags, identity, zones and extended location.
func (g *gen) tail(t *tags, id *identity, zones ...string) {
	l := &g.l
	l.tags(t)
	if id == nil || (id.system == "" && len(id.users) == 0) {
		l.knull("identity")
	} else {
		l.kobj("identity")
		switch {
		case id.system != "" && len(id.users) > 0:
			l.ks("type", "SystemAssigned, UserAssigned")
		case id.system != "":
			l.ks("type", "SystemAssigned")
		default:
			l.ks("type", "UserAssigned")
		}
		if id.system != "" {
			l.ks("principalId", id.system).ks("tenantId", g.tenant)
		}
		if len(id.users) > 0 {
			l.kobj("userAssignedIdentities")
			for _, u := range id.users {
				l.kobj(u.id).ks("principalId", u.principal).ks("clientId", u.client).end()
			}
			l.end()
		}
		l.end()
	}
	if len(zones) > 0 {
		l.kstrs("zones", zones...)
	} else {
		l.knull("zones")
	}
	l.knull("extendedLocation").end()
}

// sku writes a row's sku member.
func (l *line) sku(name, tier string) *line {
	l.kobj("sku").ks("name", name)
	if tier != "" {
		l.ks("tier", tier)
	}
	return l.end()
}

func (g *gen) provider(r *rg, ns, typ, name string) string {
	return r.id + "/providers/" + ns + "/" + typ + "/" + name
}

// Names of things.

var appWords = []string{"pay", "crm", "erp", "hr", "billing", "orders", "catalog", "search", "identity", "portal",
	"ledger", "claims", "risk", "fraud", "iot", "media", "docs", "mail", "bi", "etl", "api", "mobile", "web", "sap",
	"ehr", "lab", "trade", "quote", "loyalty", "ship", "stock", "pricing", "audit", "kyc", "loans", "cards"}

func (g *gen) appName() string {
	return pick(g, appWords) + strconv.Itoa(g.between(1, 99))
}

func shortLoc(loc string) string {
	switch loc {
	case "westeurope":
		return "weu"
	case "northeurope":
		return "neu"
	case "eastus":
		return "eus"
	case "eastus2":
		return "eus2"
	case "uksouth":
		return "uks"
	case "germanywestcentral":
		return "gwc"
	case "swedencentral":
		return "sdc"
	}
	return "cus"
}

// storageName makes a globally unique storage account name (3-24 lower-case
// letters and digits).
func (g *gen) storageName(app string) string {
	s := "st" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, app) + strconv.Itoa(g.nextSerial())
	if len(s) > 24 {
		s = s[:24]
	}
	return s
}

// Bytes returns the estate of n resources made from seed, with its header,
// for benchmarks that read from memory.
func Bytes(n int, seed uint64) []byte {
	var b bytes.Buffer
	if _, err := Write(&b, Config{Resources: n, Seed: seed}); err != nil {
		panic(err) // writing to memory does not fail
	}
	return b.Bytes()
}

// BenchSize is the estate size the stage benchmarks use: the environment
// variable CMKGUARD_BENCH_N when set, else def.
func BenchSize(def int) int {
	if n, err := strconv.Atoi(os.Getenv("CMKGUARD_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return def
}
