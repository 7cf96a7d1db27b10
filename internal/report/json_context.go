package report

import (
	"fmt"
	"runtime"
	"sync"
)

// The context describes every judged resource (300,000 in a scan of a million
// resources), each key, vault and key chain, and is written on the critical
// path once evaluation is done. Its member names are encoded once, with the
// indentation before them, rather than for each member written.

// field is the start of an object member at a known depth: the newline and
// indentation before it, the quoted name, a colon and a space.
type field struct{ s string }

// fieldAt encodes the start of a member named name of an object at depth.
func fieldAt(depth int, name string) field {
	var e jsonEncoder
	e.newline(depth + 1)
	e.b = appendJSONString(e.b, name)
	return field{string(append(e.b, ':', ' '))}
}

// Members of the objects of the context: its elements are at depth 3, the
// objects in them at depth 4.
var (
	resourceFields = struct{ id, name, typ, service, subscription, resourceGroup, location, tags, source, file, line field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "type"), fieldAt(3, "service"), fieldAt(3, "subscription"),
		fieldAt(3, "resourceGroup"), fieldAt(3, "location"), fieldAt(3, "tags"), fieldAt(3, "source"),
		fieldAt(4, "file"), fieldAt(4, "line"),
	}
	keyFields = struct{ id, name, uri, vault, enabled, expires, kty, usedBy field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "uri"), fieldAt(3, "vault"), fieldAt(3, "enabled"),
		fieldAt(3, "expires"), fieldAt(3, "kty"), fieldAt(3, "usedBy"),
	}
	vaultFields = struct{ id, name, hsm, softDelete, purgeProtection, rbac, publicNetworkAccess, defaultAction field }{
		fieldAt(3, "id"), fieldAt(3, "name"), fieldAt(3, "hsm"), fieldAt(3, "softDelete"), fieldAt(3, "purgeProtection"),
		fieldAt(3, "rbac"), fieldAt(3, "publicNetworkAccess"), fieldAt(3, "defaultAction"),
	}
	chainFields = struct {
		workload, field, via, identity, keyURI, key, vault, problem            field
		kind, label, resourceID, principalID, identityProblem, identityUnknown field
	}{
		fieldAt(3, "workload"), fieldAt(3, "field"), fieldAt(3, "via"), fieldAt(3, "identity"),
		fieldAt(3, "keyUri"), fieldAt(3, "key"), fieldAt(3, "vault"), fieldAt(3, "problem"),
		fieldAt(4, "kind"), fieldAt(4, "label"), fieldAt(4, "resourceId"), fieldAt(4, "principalId"),
		fieldAt(4, "problem"), fieldAt(4, "unknown"),
	}
)

// The context is encoded on every core: its lists are cut into blocks of
// consecutive sources, workers describe and encode blocks into buffers of
// their own, and the writer writes the buffers in the order of the blocks.
// A few blocks are in flight at a time, so memory stays flat however large
// the context.

// Sizes of the context's blocks: the number of sources in one, the room for
// the JSON they make (about 200 KiB for resources) in a buffer, and the most
// blocks handed out and not yet written, per worker.
const (
	contextBlockSources = 256
	contextBlockBytes   = 512 << 10
	contextBlocksAhead  = 3
)

// contextSeparator goes before each element of a context list a worker
// encodes: the comma after the element before it and the element's
// indentation. The writer puts "[" in place of the comma before a list's
// first element.
const contextSeparator = ",\n      "

// contextListNames are the members of the context, in the order written.
var contextListNames = [...]string{"resources", "keys", "vaults", "chains"}

// contextBlock is a run of sources of one list of the context and, once
// done is closed, their elements encoded, each after contextSeparator.
type contextBlock struct {
	list, lo, hi int
	b            []byte
	err          error
	done         chan struct{}
}

// context writes the report context at depth 1.
func (e *jsonEncoder) context(c *ContextStream) {
	if e.flush() != nil {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	var (
		queue = make(chan *contextBlock, contextBlocksAhead*workers) // blocks in order, to write
		jobs  = make(chan *contextBlock)                             // blocks to encode
		free  = make(chan []byte, contextBlocksAhead*workers+2)      // written blocks' buffers
		stop  = make(chan struct{})                                  // the writer has stopped
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		defer close(queue)
		defer close(jobs)
		sizes := [...]int{c.Resources.N, c.Keys.N, c.Vaults.N, c.Chains.N}
		for list, n := range sizes {
			for lo := 0; lo < n; lo += contextBlockSources {
				blk := &contextBlock{list: list, lo: lo, hi: min(lo+contextBlockSources, n), done: make(chan struct{})}
				select {
				case queue <- blk:
				case <-stop:
					return
				}
				select {
				case jobs <- blk:
				case <-stop:
					return
				}
			}
		}
	})
	for range workers {
		wg.Go(func() {
			w := jsonEncoder{plain: &plainStrings{}}
			for blk := range jobs {
				select {
				case w.b = <-free:
				default:
					w.b = make([]byte, 0, contextBlockBytes)
				}
				w.err = nil
				w.contextBlock(c, blk)
				blk.b, blk.err = w.b, w.err
				close(blk.done)
			}
		})
	}
	defer wg.Wait()
	defer close(stop)

	m := e.open(1)
	list, written := -1, false // the list being written, and whether it has elements yet
	for blk := range queue {
		<-blk.done
		if blk.err != nil {
			e.err = blk.err
			return
		}
		if blk.list != list {
			if written {
				e.closeList(2)
			}
			list, written = blk.list, false
		}
		b := blk.b
		if len(b) > 0 && !written {
			m.key(contextListNames[list])
			e.b = append(e.b, '[')
			b, written = b[1:], true
		}
		if e.writeBlock(b) != nil {
			return
		}
		select {
		case free <- blk.b[:0]:
		default:
		}
	}
	if written {
		e.closeList(2)
	}
	m.close()
}

// contextBlock encodes the elements of a block of the context.
func (e *jsonEncoder) contextBlock(c *ContextStream, blk *contextBlock) {
	switch blk.list {
	case 0:
		contextElements(e, c.Resources, blk, (*jsonEncoder).contextResource)
	case 1:
		contextElements(e, c.Keys, blk, (*jsonEncoder).contextKey)
	case 2:
		contextElements(e, c.Vaults, blk, (*jsonEncoder).contextVault)
	case 3:
		contextElements(e, c.Chains, blk, (*jsonEncoder).contextChain)
	}
}

// contextElements encodes the elements of a block of list, each after
// contextSeparator.
func contextElements[T any](e *jsonEncoder, list ContextList[T], blk *contextBlock, write func(*jsonEncoder, *T)) {
	for x := range list.Range(blk.lo, blk.hi) {
		e.b = append(e.b, contextSeparator...)
		write(e, x)
	}
}

// writeBlock writes what is buffered and then b, which is large enough to
// be written as it is.
func (e *jsonEncoder) writeBlock(b []byte) error {
	if len(e.b)+len(b) <= jsonChunk {
		e.b = append(e.b, b...)
		e.flushIfFull()
		return e.err
	}
	if e.flush() != nil || len(b) == 0 {
		return e.err
	}
	if _, err := e.w.Write(b); err != nil {
		e.err = fmt.Errorf("write JSON report: %w", err)
	}
	return e.err
}

// strOmitAt writes member f unless v is empty.
func (m *members) strOmitAt(f field, v string) {
	if v != "" {
		m.at(f).str(v)
	}
}

// closeList closes a list at depth that has elements.
func (e *jsonEncoder) closeList(depth int) {
	e.newline(depth)
	e.b = append(e.b, ']')
}

func (e *jsonEncoder) contextResource(r *Resource) {
	f := &resourceFields
	o := e.open(3)
	o.at(f.id).str(r.ID)
	o.at(f.name).str(r.Name)
	o.at(f.typ).str(r.Type)
	o.strOmitAt(f.service, r.Service)
	o.strOmitAt(f.subscription, r.Subscription)
	o.strOmitAt(f.resourceGroup, r.ResourceGroup)
	o.strOmitAt(f.location, r.Location)
	switch {
	case len(r.Tags) > 0:
		o.at(f.tags).strMap(r.Tags, 4)
	case len(r.SortedTags) > 0:
		o.at(f.tags).tags(r.SortedTags, 4)
	}
	if r.Source != nil {
		s := o.at(f.source).open(4)
		s.at(f.file).str(r.Source.File)
		if r.Source.Line != 0 {
			s.at(f.line).integer(r.Source.Line)
		}
		s.close()
	}
	o.close()
}

func (e *jsonEncoder) contextKey(k *Key) {
	f := &keyFields
	o := e.open(3)
	o.at(f.id).str(k.ID)
	o.at(f.name).str(k.Name)
	o.at(f.uri).str(k.URI)
	o.at(f.vault).str(k.Vault)
	o.at(f.enabled).boolean(k.Enabled)
	if k.Expires != nil {
		o.at(f.expires).time(*k.Expires)
	}
	o.strOmitAt(f.kty, k.Kty)
	if len(k.UsedBy) > 0 {
		o.at(f.usedBy).strs(k.UsedBy, 4)
	}
	o.close()
}

func (e *jsonEncoder) contextVault(v *Vault) {
	f := &vaultFields
	o := e.open(3)
	o.at(f.id).str(v.ID)
	o.at(f.name).str(v.Name)
	if v.HSM {
		o.at(f.hsm).boolean(v.HSM)
	}
	o.at(f.softDelete).boolean(v.SoftDelete)
	o.at(f.purgeProtection).boolean(v.PurgeProtection)
	o.at(f.rbac).boolean(v.RBAC)
	o.strOmitAt(f.publicNetworkAccess, v.PublicNetworkAccess)
	o.strOmitAt(f.defaultAction, v.DefaultAction)
	o.close()
}

func (e *jsonEncoder) contextChain(ch *Chain) {
	f := &chainFields
	o := e.open(3)
	o.at(f.workload).str(ch.Workload)
	o.strOmitAt(f.field, ch.Field)
	if len(ch.Via) > 0 {
		o.at(f.via).strs(ch.Via, 4)
	}
	id := o.at(f.identity).open(4)
	id.strOmitAt(f.kind, ch.Identity.Kind)
	id.strOmitAt(f.label, ch.Identity.Label)
	id.strOmitAt(f.resourceID, ch.Identity.ResourceID)
	id.strOmitAt(f.principalID, ch.Identity.PrincipalID)
	id.strOmitAt(f.identityProblem, ch.Identity.Problem)
	id.strOmitAt(f.identityUnknown, ch.Identity.Unknown)
	id.close()
	o.strOmitAt(f.keyURI, ch.KeyURI)
	o.strOmitAt(f.key, ch.Key)
	o.strOmitAt(f.vault, ch.Vault)
	o.strOmitAt(f.problem, ch.Problem)
	o.close()
}
