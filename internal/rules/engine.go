package rules

import (
	"bytes"
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// Evaluation is the outcome of running the catalog over an estate.
type Evaluation struct {
	Results []Result
	Summary Summary
	// InScope maps every workload whose classification requires a
	// customer-managed key (the compliance KPI's scope) to whether it is
	// compliant: no failing or unknown per-workload cmk-* result. A resource
	// that is several workloads is in it once, by its first.
	InScope map[*estate.Resource]bool
	// Notes are things the user should know that are not results: waivers that
	// expired or matched nothing.
	Notes []string
}

// Evaluate runs every enabled rule of the catalog over the estate, applies the
// policy's overrides and waivers, and returns the results sorted by resource
// then rule.
func Evaluate(e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule) Evaluation {
	var results []Result
	ev, _ := EvaluateBlocks(e, p, now, catalog, runtime.GOMAXPROCS(0),
		func() func([]Result) []Result { return slices.Clone[[]Result] },
		func(block []Result) error {
			results = append(results, block...)
			return nil
		})
	ev.Results = results
	return ev
}

// blockSubjects is about how many subjects make one block of EvaluateBlocks
// (a variable for tests): enough to keep the goroutines busy between
// hand-overs, few enough that the blocks in flight stay small.
var blockSubjects = 128

// EvaluateBlocks evaluates as Evaluate does, on up to workers goroutines, and
// hands the results over in blocks instead of collecting them, so that a scan
// can encode and write them out without holding them. It runs a new Plan
// once: see EvaluatePlan.
func EvaluateBlocks[T any](e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule, workers int,
	newProcess func() func([]Result) T, deliver func(T) error) (Evaluation, error) {
	return EvaluatePlan(NewPlan(e, p, now, catalog, workers), newProcess, deliver)
}

// Plan is an evaluation made ready to run, for a scan that runs it more than
// once (one pass to count the results, one to write them): the estate's
// subjects in order, the rules the policy leaves enabled, and the Env of each
// goroutine, whose indexes and caches serve every run. A Plan, and the plans
// CountOnlyWhen makes of it, run one evaluation at a time.
type Plan struct {
	p        *policy.Policy
	now      time.Time
	subjects []subject
	active   []activeRule
	envs     []*Env // one per goroutine
	// counts are the Envs that judge count-only blocks, one per goroutine:
	// forked from the same Env as envs, so they share its indexes, but with
	// verdict memos of their own, which never reach a full result.
	counts []*Env
	// countOnly, when set, says before each block whether to judge it
	// count-only; see CountOnlyWhen.
	countOnly func() bool
}

// NewPlan plans the evaluation of the catalog over the estate on up to
// workers goroutines.
func NewPlan(e *estate.Estate, p *policy.Policy, now time.Time, catalog []*Rule, workers int) *Plan {
	now = now.UTC()
	pl := &Plan{p: p, now: now, subjects: subjectsOf(e, workers), active: activeRules(p, catalog)}
	env := newEnv(e, p, now)
	pl.envs = []*Env{env}
	for range max(1, workers) - 1 {
		pl.envs = append(pl.envs, env.fork())
	}
	for range pl.envs {
		pl.counts = append(pl.counts, env.forkCountOnly())
	}
	return pl
}

// CountOnlyWhen returns a plan that runs as pl does, except that a block is
// judged count-only when countOnly returns true: its Results have every
// field but Message and Evidence, which are left empty, and cost a fraction
// to make. The Evaluation (Summary, InScope, Notes) is the same either way,
// and a full run after count-only ones makes full results. countOnly is
// called before each block, on the goroutine that then judges it and hands
// it to process, so several goroutines may call it at once. A flag that
// stays set once set (a scan's "the first pass keeps no more blocks") also
// tells process about its block: read again there, it is set whenever the
// block was count-only. The plans share their Envs, so together they run one
// evaluation at a time.
func (pl *Plan) CountOnlyWhen(countOnly func() bool) *Plan {
	c := *pl
	c.countOnly = countOnly
	return &c
}

// EvaluatePlan runs a plan. The subjects, in Evaluate's order (by lower-case
// resource id, then rule id), are cut into blocks of consecutive resources.
// Each goroutine calls newProcess once, and hands every block it evaluates to
// the function it got, on that goroutine: work that can run in parallel
// (encoding) goes there; the Results are valid only during that call. What
// process returns reaches deliver on the calling goroutine, in block order.
// The returned Evaluation has everything but Results. When deliver returns an
// error, evaluation stops and EvaluatePlan returns the error.
//
// Each resource is judged by all its rules in turn, so the estate is walked
// once, in order; the rules run on the same subjects with the same inputs as
// they would one rule at a time.
func EvaluatePlan[T any](pl *Plan, newProcess func() func([]Result) T, deliver func(T) error) (Evaluation, error) {
	p, now, subjects, active, workers := pl.p, pl.now, pl.subjects, pl.active, len(pl.envs)

	type job struct {
		lo, hi int
		out    chan block[T]
	}
	jobs := make(chan job, workers)
	order := make(chan chan block[T], 2*workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for lo := 0; lo < len(subjects); {
			hi := min(lo+blockSubjects, len(subjects))
			for hi < len(subjects) && subjects[hi].again {
				hi++ // a resource's subjects stay in one block
			}
			j := job{lo, hi, make(chan block[T], 1)}
			select {
			case jobs <- j:
			case <-done:
				return
			}
			select {
			case order <- j.out:
			case <-done:
				return
			}
			lo = hi
		}
	})
	for g, full := range pl.envs {
		wg.Go(func() {
			process := newProcess()
			var results []Result
			for j := range jobs {
				b := block[T]{}
				env := full
				if pl.countOnly != nil && pl.countOnly() {
					env = pl.counts[g]
				}
				results = judgeBlock(env, active, subjects[j.lo:j.hi], results[:0], &b.tally)
				b.value = process(results)
				j.out <- b
			}
		})
	}

	out := Evaluation{InScope: map[*estate.Resource]bool{}}
	used := map[*policy.Waiver]bool{}
	var err error
	for ch := range order {
		b := <-ch
		out.Summary.add(b.tally.summary)
		for _, in := range b.tally.inScope {
			out.InScope[in.res] = in.compliant
		}
		for _, w := range b.tally.used {
			used[w] = true
		}
		if err = deliver(b.value); err != nil {
			break
		}
	}
	close(done)
	for range order {
		// Let the producer see done; the workers drain the closed jobs.
	}
	wg.Wait()
	if err != nil {
		return out, err
	}
	for _, w := range p.Waivers {
		switch {
		case !now.Before(w.Until()):
			out.Notes = append(out.Notes, fmt.Sprintf("policy line %d: waiver for %s on %s expired %s; the failures it covered are reported again",
				w.Line, w.Rule, w.Resource, w.Until().Format(time.DateOnly)))
		case !used[w]:
			out.Notes = append(out.Notes, fmt.Sprintf("policy line %d: waiver for %s on %s matched no failing result", w.Line, w.Rule, w.Resource))
		}
	}
	out.Summary.CompliancePercent = compliancePercent(out.Summary.Compliant, out.Summary.InScope)
	return out, nil
}

// block is one block of subjects evaluated: what process made of its results,
// and what the Evaluation takes from them.
type block[T any] struct {
	value T
	tally tally
}

// tally is what a block adds to the Evaluation: counts, the workloads in the
// KPI's scope, and the waivers that matched.
type tally struct {
	summary Summary
	inScope []scoped
	used    []*policy.Waiver
}

type scoped struct {
	res       *estate.Resource
	compliant bool
}

// judgeBlock judges subjects, which hold every subject of each of their
// resources, appending the results to results and counting them in t. A
// count-only env makes results without Message and Evidence: the rules that
// judge most subjects skip writing them, and the rest are dropped here.
func judgeBlock(env *Env, active []activeRule, subjects []subject, results []Result, t *tally) []Result {
	p := env.Policy
	workloads := 0
	for i := range subjects {
		if subjects[i].kind == workloadSubject {
			workloads++
		}
	}
	// At most one scoped per workload: made once, not grown block by block.
	t.inScope = make([]scoped, 0, workloads)
	for i := 0; i < len(subjects); {
		j := i + 1
		for j < len(subjects) && subjects[j].again {
			j++
		}
		group := subjects[i:j]
		judged, blocked := false, false
		for _, r := range active {
			for gi := range group {
				sub := &group[gi]
				if sub.kind != r.kind {
					continue
				}
				o := r.rule.judge(env, sub)
				if !o.Applies() {
					continue
				}
				res := Result{Rule: r.rule.ID, Resource: sub.res.ID, ResourceType: sub.res.Type, Status: o.Status, Severity: r.severity,
					Remediation: r.rule.Remediation, Frameworks: r.rule.Frameworks}
				if !env.countOnly {
					res.Message, res.Evidence = o.Message, o.Evidence
				}
				if o.Status == Fail {
					if w, inForce := p.Waiver(r.rule.ID, sub.res.ID, env.Now); w != nil {
						t.used = append(t.used, w)
						if inForce {
							res.Status = Waived
							res.WaiverReason = w.Reason
							res.WaiverExpires = w.Until().Format(time.RFC3339)
						}
					}
				}
				judged = true
				count(&t.summary, &res)
				if strings.HasPrefix(res.Rule, "cmk-") && (res.Status == Fail || res.Status == Unknown) {
					blocked = true
				}
				results = append(results, res)
			}
		}
		if judged {
			t.summary.Resources++
		}
		counted := false
		for gi := range group {
			if sub := &group[gi]; !counted && sub.kind == workloadSubject && classify(env, sub.w.Resource).Sensitive {
				counted = true
				t.inScope = append(t.inScope, scoped{sub.res, !blocked})
				t.summary.InScope++
				if !blocked {
					t.summary.Compliant++
				}
			}
		}
		i = j
	}
	return results
}

// subjectKind says which evaluate function of a rule judges a subject.
type subjectKind int

const (
	noSubject subjectKind = iota
	workloadSubject
	vaultSubject
	keySubject
	appSubject
)

// subject is one resource some rules judge.
type subject struct {
	kind subjectKind
	// again says the subject before it in the estate's order is the same
	// resource (its id is the same but for case).
	again bool
	res   *estate.Resource
	w     *estate.Workload
	v     *estate.Vault
	k     *estate.Key
}

// subjectsOf lists every workload, vault, key and app of the estate, sorted by
// lower-case id on up to workers goroutines; subjects with the same id keep
// the order of the lists.
func subjectsOf(e *estate.Estate, workers int) []subject {
	out := make([]subject, 0, len(e.Workloads)+len(e.Vaults)+len(e.Keys)+len(e.Apps))
	for _, w := range e.Workloads {
		out = append(out, subject{kind: workloadSubject, res: w.Resource, w: w})
	}
	for _, v := range e.Vaults {
		out = append(out, subject{kind: vaultSubject, res: v.Resource, v: v})
	}
	for _, k := range e.Keys {
		out = append(out, subject{kind: keySubject, res: k.Resource, k: k})
	}
	for _, a := range e.Apps {
		out = append(out, subject{kind: appSubject, res: a})
	}
	return sortByID(out, workers)
}

// minSortPart is the fewest subjects sortByID gives a goroutine of its own
// (a variable for tests): below it, starting one costs more than it saves.
var minSortPart = 4096

// sortByID sorts subjects by lower-case id, keeping the order of subjects
// with the same id, and marks each subject whose id is that of the one
// before it. The subjects are sorted in place, in the list given.
//
// A scan waits for it with its other cores idle, so it spreads over up to
// workers goroutines: each makes the lower-case ids of a part of the list
// and sorts the part, and sorted parts are merged two at a time, one
// goroutine from the front and one from the back. The lower-case ids are
// made once and dropped after the sort: comparing them is a memory
// compare, many times cheaper than lower-casing both ids on every
// comparison.
func sortByID(subjects []subject, workers int) []subject {
	keys := make([][]byte, len(subjects))
	order := make([]int32, len(subjects))
	for i := range order {
		order[i] = int32(i)
	}
	s := idSort{subjects: subjects, keys: keys}
	s.sort(order, make([]int32, len(order)), max(1, min(workers, len(order)/minSortPart)))
	for i, o := range order {
		subjects[o].again = i > 0 && bytes.Equal(keys[o], keys[order[i-1]])
	}
	permute(subjects, order)
	return subjects
}

// idSort sorts positions in subjects by the lower-case ids it makes into
// keys, then by position.
type idSort struct {
	subjects []subject
	keys     [][]byte
}

// compare orders positions a and b.
func (s *idSort) compare(a, b int32) int {
	return cmp.Or(bytes.Compare(s.keys[a], s.keys[b]), cmp.Compare(a, b))
}

// sort sorts order, positions whose keys are not made yet, on up to spread
// goroutines; scratch is as long as order.
func (s *idSort) sort(order, scratch []int32, spread int) {
	if spread <= 1 {
		size := 0
		for _, o := range order {
			size += len(s.subjects[o].res.ID)
		}
		buf := make([]byte, 0, size)
		for _, o := range order {
			start := len(buf)
			buf = estate.AppendLower(buf, s.subjects[o].res.ID)
			s.keys[o] = buf[start:len(buf):len(buf)]
		}
		slices.SortFunc(order, s.compare)
		return
	}
	mid := len(order) / 2
	var wg sync.WaitGroup
	wg.Go(func() { s.sort(order[:mid], scratch[:mid], spread/2) })
	s.sort(order[mid:], scratch[mid:], spread-spread/2)
	wg.Wait()
	a, b := scratch[:mid], scratch[mid:]
	copy(scratch, order)
	// The order is total (positions differ), so the half of the merge made
	// from the front and the half made from the back meet exactly.
	wg.Go(func() { s.mergeFront(order[:mid], a, b) })
	s.mergeBack(order[mid:], a, b)
	wg.Wait()
}

// mergeFront fills dst with the first len(dst) positions of sorted a and b
// merged.
func (s *idSort) mergeFront(dst, a, b []int32) {
	i, j := 0, 0
	for k := range dst {
		if j == len(b) || i < len(a) && s.compare(a[i], b[j]) < 0 {
			dst[k] = a[i]
			i++
		} else {
			dst[k] = b[j]
			j++
		}
	}
}

// mergeBack fills dst with the last len(dst) positions of sorted a and b
// merged.
func (s *idSort) mergeBack(dst, a, b []int32) {
	i, j := len(a)-1, len(b)-1
	for k := len(dst) - 1; k >= 0; k-- {
		if j < 0 || i >= 0 && s.compare(a[i], b[j]) > 0 {
			dst[k] = a[i]
			i--
		} else {
			dst[k] = b[j]
			j--
		}
	}
}

// permute moves s[order[i]] to s[i] for every i, in place, following each
// cycle of the permutation once. It marks the positions done in order,
// which it leaves unusable.
func permute(s []subject, order []int32) {
	for i := range s {
		if order[i] < 0 {
			continue // moved by an earlier cycle
		}
		first := s[i]
		j := i
		for {
			k := int(order[j])
			order[j] = -1
			if k == i {
				s[j] = first
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

// activeRule is a rule the policy leaves enabled, with its severity after
// the policy's override.
type activeRule struct {
	rule     *Rule
	kind     subjectKind
	severity Severity
}

// activeRules returns the enabled rules of the catalog sorted by id (rules
// with the same id keep catalog order), with their severities.
func activeRules(p *policy.Policy, catalog []*Rule) []activeRule {
	var out []activeRule
	for _, r := range catalog {
		ov, overridden := p.Override(r.ID)
		if overridden && ov.Disabled {
			continue
		}
		a := activeRule{rule: r, kind: r.subjectKind(), severity: r.Severity}
		if a.kind == noSubject {
			continue
		}
		if overridden && ov.Severity != "" {
			a.severity, _ = ParseSeverity(ov.Severity)
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b activeRule) int { return cmp.Compare(a.rule.ID, b.rule.ID) })
	return out
}

// subjectKind says which subjects the rule judges: the first of its
// evaluate functions that is set.
func (r *Rule) subjectKind() subjectKind {
	switch {
	case r.Workload != nil:
		return workloadSubject
	case r.Vault != nil:
		return vaultSubject
	case r.Key != nil:
		return keySubject
	case r.App != nil:
		return appSubject
	}
	return noSubject
}

// judge runs the rule's evaluate function for the subject's kind.
func (r *Rule) judge(env *Env, s *subject) Outcome {
	switch s.kind {
	case workloadSubject:
		return r.Workload(env, s.w)
	case vaultSubject:
		return r.Vault(env, s.v)
	case keySubject:
		return r.Key(env, s.k)
	default:
		return r.App(env, s.res)
	}
}
