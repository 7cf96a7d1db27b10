package main

import (
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/report/frameworks"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// output is one report scan writes: a format and a file, or standard output
// when file is "".
type output struct {
	format, file string
}

// planOutputs turns --format and the repeatable --output into the reports to
// write. An --output value FORMAT=FILE writes that format to FILE; any other
// value is a file for --format (json when --format is not given), and
// replaces standard output. Standard output gets a report unless a plain
// --output FILE was given: in --format, or else JSON when it is not a terminal
// and no FORMAT=FILE output was asked for, or else the table.
func planOutputs(format string, values []string, terminal bool) ([]output, error) {
	if format != "" && !report.IsFormat(format) {
		return nil, usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(report.FormatNames(), ", "))}
	}
	var plan []output
	plain, typed := false, false
	for _, v := range values {
		if name, file, ok := strings.Cut(v, "="); ok && report.IsFormat(name) {
			if file == "" {
				return nil, usageError{fmt.Errorf("--output %q: no file after %s=", v, name)}
			}
			plan = append(plan, output{name, file})
			typed = true
			continue
		}
		if v == "" {
			return nil, usageError{fmt.Errorf("--output: empty file name")}
		}
		plan = append(plan, output{cmpOr(format, "json"), v})
		plain = true
	}
	seen := map[string]bool{}
	for _, o := range plan {
		if seen[o.file] {
			return nil, usageError{fmt.Errorf("--output: %s is given twice", o.file)}
		}
		seen[o.file] = true
	}
	if !plain {
		stdout := format
		if stdout == "" {
			stdout = "table"
			if !terminal && !typed {
				stdout = "json"
			}
		}
		plan = append(plan, output{stdout, ""})
	}
	return plan, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeOutputs writes every planned report. Colour is for the table on a
// terminal only.
func writeOutputs(plan []output, rep *report.Report, stdout io.Writer) error {
	opt := report.Options{Catalog: rules.Catalog()}
	for _, o := range plan {
		if o.file == "" {
			opt.Color = o.format == "table" && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
			if err := report.Write(stdout, o.format, rep, opt); err != nil {
				return err
			}
			continue
		}
		opt.Color = false
		file, err := os.Create(o.file)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := report.Write(file, o.format, rep, opt); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return fmt.Errorf("write report %s: %w", o.file, err)
		}
	}
	return nil
}

// loadFramework loads the framework --framework names, checking its rule ids
// against the catalog.
func loadFramework(id string) (*frameworks.Framework, error) {
	f, err := frameworks.Load(id, func(rule string) bool { return rules.Lookup(rule) != nil })
	if err != nil {
		return nil, usageError{fmt.Errorf("--framework: %w", err)}
	}
	return f, nil
}

// reportContext describes, for the renderers, what the results are about: the
// resources judged (see judgedResources), every key and vault, and each
// workload's chain through its identity to its key and vault. It only copies
// what the estate says. Resources that carry equal tags share one map.
func reportContext(e *estate.Estate, judged []judgedResource) *report.Context {
	s := contextStream(e, judged, e.TagMap)
	return &report.Context{
		Resources: collect(s.Resources.All(), func(r *report.Resource) {
			if r.Source != nil {
				src := *r.Source
				r.Source = &src
			}
		}),
		Keys: collect(s.Keys.All(), func(k *report.Key) {
			k.UsedBy = slices.Clone(k.UsedBy)
			if k.Expires != nil {
				exp := *k.Expires
				k.Expires = &exp
			}
		}),
		Vaults: collect(s.Vaults.All(), nil),
		Chains: collect(s.Chains.All(), func(ch *report.Chain) { ch.Via = slices.Clone(ch.Via) }),
	}
}

// collect copies the elements of a context list. A list reuses an element's
// memory for the next, so own, when not nil, gives a copy memory of its own
// for what it points to.
func collect[T any](list iter.Seq[*T], own func(*T)) []T {
	var out []T
	for x := range list {
		out = append(out, *x)
		if own != nil {
			own(&out[len(out)-1])
		}
	}
	return out
}

// contextStream describes what reportContext does, a run of resources,
// keys, vaults or workloads at a time, for a scan that writes its context as
// it makes it on every core. tags, when not nil, turns a resource's tags into
// the map the report holds; like the rest, it may be called on several
// goroutines at once. When tags is nil, a resource carries the estate's
// tags as they are (report.Resource.SortedTags), which only the JSON report
// reads: no map is made for each resource. A run reuses one element's memory
// (and what it points to) for the next, and shares the estate's slices.
func contextStream(e *estate.Estate, judged []judgedResource, tags func(estate.Tags) map[string]string) *report.ContextStream {
	return &report.ContextStream{
		Resources: report.ContextList[report.Resource]{N: len(judged), Range: func(lo, hi int) iter.Seq[*report.Resource] {
			return func(yield func(*report.Resource) bool) {
				var (
					rc  report.Resource
					src report.Source
				)
				for _, j := range judged[lo:hi] {
					if rc = describe(j, tags, &src); !yield(&rc) {
						return
					}
				}
			}
		}},
		Keys: report.ContextList[report.Key]{N: len(e.Keys), Range: func(lo, hi int) iter.Seq[*report.Key] {
			return func(yield func(*report.Key) bool) {
				var (
					kc      report.Key
					scratch keyScratch
				)
				for _, k := range e.Keys[lo:hi] {
					if kc = describeKey(k, &scratch); !yield(&kc) {
						return
					}
				}
			}
		}},
		Vaults: report.ContextList[report.Vault]{N: len(e.Vaults), Range: func(lo, hi int) iter.Seq[*report.Vault] {
			return func(yield func(*report.Vault) bool) {
				var vc report.Vault
				for _, v := range e.Vaults[lo:hi] {
					vc = report.Vault{ID: v.ID, Name: v.Name, HSM: v.HSM, SoftDelete: v.SoftDelete, PurgeProtection: v.PurgeProtection,
						RBAC: v.RBAC, PublicNetworkAccess: v.PublicNetworkAccess, DefaultAction: v.DefaultAction}
					if !yield(&vc) {
						return
					}
				}
			}
		}},
		Chains: report.ContextList[report.Chain]{N: len(e.Workloads), Range: func(lo, hi int) iter.Seq[*report.Chain] {
			return func(yield func(*report.Chain) bool) {
				var (
					ch   report.Chain
					memo chainMemo
				)
				for _, w := range e.Workloads[lo:hi] {
					for _, ref := range w.KeyRefs {
						if ch = chainOf(w, ref, &memo); !yield(&ch) {
							return
						}
					}
				}
			}
		}},
	}
}

// keyScratch is the memory a described key points to, reused from one key
// to the next.
type keyScratch struct {
	expires time.Time
	usedBy  []string
}

// describeKey describes a key for the report context; its expiry and users
// are in scratch.
func describeKey(k *estate.Key, scratch *keyScratch) report.Key {
	kc := report.Key{ID: k.ID, Name: lastName(k.ID), Enabled: k.Enabled, Kty: k.Kty,
		URI: estate.KeyURI{Vault: k.VaultName, HSM: k.HSMKey, Name: k.Name}.String(), Vault: k.VaultName}
	if k.Vault != nil {
		kc.Vault = k.Vault.ID
		if k.Vault.Host != "" {
			kc.URI = estate.KeyURI{Host: k.Vault.Host, Vault: k.VaultName, HSM: k.HSMKey, Name: k.Name}.String()
		}
	}
	if !k.Expires.IsZero() {
		scratch.expires = k.Expires.UTC()
		kc.Expires = &scratch.expires
	}
	if len(k.Users) > 0 {
		scratch.usedBy = scratch.usedBy[:0]
		for _, w := range k.Users {
			scratch.usedBy = append(scratch.usedBy, w.ID)
		}
		kc.UsedBy = scratch.usedBy
	}
	return kc
}

// chainOf describes a workload's chain through one key reference; its Via
// is the reference's. memo keeps the strings made for the chain before.
func chainOf(w *estate.Workload, ref *estate.KeyRef, memo *chainMemo) report.Chain {
	ch := report.Chain{Workload: w.ID, Field: ref.Field, Via: ref.Via, KeyURI: ref.Raw,
		Problem: cmpOr(ref.ParseErr, ref.Unresolved)}
	if ref.ParseErr == "" && ref.Unresolved == "" {
		u := ref.URI
		if u.Host == "" && ref.Vault != nil && ref.Vault.Host != "" {
			u.Host = ref.Vault.Host
		}
		ch.KeyURI = memo.keyURI(u)
	}
	if ref.Key != nil {
		ch.Key = ref.Key.ID
	}
	if ref.Vault != nil {
		ch.Vault = ref.Vault.ID
	}
	id := ref.Identity
	if ref.Unresolved == "" {
		ch.Identity = report.Identity{Kind: string(id.Kind), Label: memo.label(id), ResourceID: id.ResourceID,
			PrincipalID: id.PrincipalID, Problem: id.Problem, Unknown: id.Unknown}
	}
	return ch
}

// chainMemo is the key URI and the identity chainOf described last, and
// their strings: workloads listed together mostly share their key and
// identity, whose strings are then made once for all of them.
type chainMemo struct {
	uri      estate.KeyURI
	uriText  string // uri.String(); "" before the first
	identity estate.IdentityRef
	labelOf  string // identity.Label(); "" before the first
}

// keyURI returns u.String().
func (m *chainMemo) keyURI(u estate.KeyURI) string {
	if m.uriText == "" || u != m.uri {
		m.uri, m.uriText = u, u.String()
	}
	return m.uriText
}

// label returns id.Label().
func (m *chainMemo) label(id estate.IdentityRef) string {
	if m.labelOf == "" || id != m.identity {
		m.identity, m.labelOf = id, id.Label()
	}
	return m.labelOf
}

// judgedResource is a resource results are about, as the context needs it
// later: its id and type as the results give them, and the estate's resource
// (nil when the estate does not hold it). Nothing is copied, so that a scan
// of a million resources can keep a list of them cheaply.
type judgedResource struct {
	id, typ string
	r       *estate.Resource
}

// judgedResources lists the resources results are about, once each, in the
// order of the results. Results sorted by resource (as evaluation makes
// them) list each resource's results together; a resource's results may also
// be cut into several calls, as long as the cut falls between resources.
func judgedResources(e *estate.Estate, results []rules.Result) []judgedResource {
	var out []judgedResource
	last := ""
	for i := range results {
		res := &results[i]
		if i > 0 && (res.Resource == last || strings.EqualFold(res.Resource, last)) {
			continue
		}
		last = res.Resource
		out = append(out, judgedResource{res.Resource, res.ResourceType, e.Resource(res.Resource)})
	}
	return out
}

// describe describes a judged resource for the report context, its tags as
// contextStream says; its source is in src.
func describe(j judgedResource, tags func(estate.Tags) map[string]string, src *report.Source) report.Resource {
	rc := report.Resource{ID: j.id, Type: j.typ}
	id, _ := estate.ParseID(j.id)
	rc.Name, rc.Subscription, rc.ResourceGroup = id.Name, id.Subscription, resourceGroup(j.id)
	if r := j.r; r != nil {
		rc.Service = serviceName(r)
		rc.Name = cmpOr(lastName(r.ID), rc.Name)
		rc.Location = r.Location
		if tags != nil {
			rc.Tags = tags(r.Tags)
		} else {
			rc.SortedTags = r.Tags
		}
		if r.Source.File != "" {
			*src = report.Source{File: r.Source.File, Line: r.Source.Line}
			rc.Source = src
		}
	}
	return rc
}

// serviceName names what kind of thing a judged resource is: its service for
// a workload, or a vault, key or app.
func serviceName(r *estate.Resource) string {
	if s := estate.ServiceFor(r.Type); s != nil {
		return s.Name
	}
	switch r.Type {
	case "microsoft.keyvault/vaults":
		return "Key Vault"
	case "microsoft.keyvault/managedhsms":
		return "Managed HSM"
	case "microsoft.keyvault/vaults/keys":
		return "Key"
	case "microsoft.keyvault/managedhsms/keys":
		return "Managed HSM key"
	case "microsoft.web/sites", "microsoft.web/sites/slots":
		if strings.Contains(strings.ToLower(r.Kind), "functionapp") {
			return "Function app"
		}
		return "Web app"
	}
	return ""
}

// lastName is the last name segment of an ARM id, as written.
func lastName(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}

// resourceGroup is the resource group segment of an ARM id, as written.
func resourceGroup(id string) string {
	for rest := strings.Trim(id, "/"); rest != ""; {
		seg, after, _ := strings.Cut(rest, "/")
		if strings.EqualFold(seg, "resourceGroups") && after != "" {
			rg, _, _ := strings.Cut(after, "/")
			return rg
		}
		rest = after
	}
	return ""
}
