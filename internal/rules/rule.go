// Package rules holds cmkguard's rule catalog and the engine that evaluates it
// over an estate. A rule is a value: id, severity, description, rationale,
// remediation, framework references and one evaluate function for the kind of
// subject it judges. Rules read only the estate model and the policy; they
// never parse files or call Azure.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// Status is the outcome of a rule on one resource.
type Status string

// Statuses (CONTRACT §4).
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Unknown Status = "unknown" // the snapshot lacks what is needed to decide
	Waived  Status = "waived"  // failed, but a waiver in the policy accepts it
)

// Severity orders findings; --fail-on compares against it.
type Severity int

// Severities, weakest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	if i := slices.Index(severityNames, strings.ToLower(strings.TrimSpace(s))); i >= 0 {
		return Severity(i), nil
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames, ", "))
}

// MarshalText renders the severity by name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name, so reports can be read back.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Rule is one check in the catalog. Exactly one of the evaluate functions is set;
// it says which subjects the rule judges.
type Rule struct {
	ID          string
	Title       string
	Severity    Severity
	Description string // what passes
	Rationale   string // why it matters
	Remediation string // the az command or template property that fixes it
	Frameworks  []string

	Workload func(*Env, *estate.Workload) Outcome // per CMK-capable workload
	Vault    func(*Env, *estate.Vault) Outcome    // per Key Vault and Managed HSM
	Key      func(*Env, *estate.Key) Outcome      // per key
	App      func(*Env, *estate.Resource) Outcome // per web or function app
}

// Subject names the kind of resource a rule judges.
func (r *Rule) Subject() string {
	switch {
	case r.Workload != nil:
		return "workload"
	case r.Vault != nil:
		return "vault"
	case r.Key != nil:
		return "key"
	default:
		return "app"
	}
}

// Env is what a rule may read.
type Env struct {
	Estate *estate.Estate
	Policy *policy.Policy
	Now    time.Time

	// indexes are answers that many subjects ask again, worked out once for
	// the whole evaluation and shared by every Env that fork makes. Nothing
	// in them depends on countOnly.
	indexes *indexes
	// countOnly says the outcomes are only counted: the engine drops their
	// Message and Evidence, so rules may leave them empty and skip the work
	// of writing them. Their Status must not depend on it. A count-only
	// Env's evidence and messages make nothing (see forkCountOnly), and its
	// verdicts, which lack reasons and evidence, are its own.
	countOnly bool
	// usable, recoverable and access remember the verdicts of
	// cmk-key-usable, cmk-key-recoverable and cmk-identity-access: the
	// disks behind one disk encryption set ask the same questions.
	usable      verdicts[usableQuestion, refVerdict]
	recoverable verdicts[recoverableQuestion, refVerdict]
	access      verdicts[accessQuestion, refVerdict]
	// usableRefs, recoverableRefs and accessRefs remember their outcomes on
	// workloads with one key reference (see judgeRefs).
	usableRefs, recoverableRefs, accessRefs verdicts[refsQuestion, Outcome]
	// shapes remember the outcomes of cmk-classified, cmk-overapplied and
	// cmk-required by the shape of the workload, and shape is the workload
	// whose shape was looked up last (see byShape).
	shapes verdicts[shapeQuestion, *shapeVerdicts]
	shape  struct {
		w *estate.Workload
		v *shapeVerdicts
	}
	// last is the classification of the resource classified last: the
	// engine judges a resource by all its rules in turn, and several ask.
	last struct {
		r *estate.Resource
		c classification
	}
	// evidence and messages hand out again the evidence maps and messages
	// this Env's outcomes repeat; refMaps and labels are buffers for
	// judgeRefs and cmk-tenant-isolation, grants for the rules that read
	// grants. Like access they are this Env's own, and fork starts them
	// empty.
	evidence evidence
	messages messages
	refMaps  []map[string]any
	labels   []string
	// grants is a buffer for the grants on the vault or key reference
	// judged last.
	grants []estate.Grant
	// label is the refLabel of the reference labelled last: the key rules
	// judge a workload in turn, and each names its references.
	label struct {
		ref *estate.KeyRef
		s   string
	}
}

// indexes hold what rules look up across the estate for each subject, built
// once per evaluation so that judging a subject does not walk estate-wide
// lists. The goroutines of an evaluation share them: each index is built
// under its sync.Once by whichever goroutine needs it first, and is read-only
// after.
type indexes struct {
	sharersOnce sync.Once
	sharers     map[keyQuery]*keySharers // see sharersOf

	alertsOnce sync.Once
	alerts     expiryAlerts // see expiryAlertsOf

	// holders are the privileged holders of the vaults judged so far, by
	// vault (see holdersOf): goroutines judge different vaults at once.
	holdersMu sync.Mutex
	holders   map[*estate.Vault][]holder
}

// newEnv returns the Env an evaluation starts with.
func newEnv(e *estate.Estate, p *policy.Policy, now time.Time) *Env {
	return &Env{Estate: e, Policy: p, Now: now.UTC(), indexes: &indexes{}}
}

// fork returns an Env for another goroutine of the same evaluation: it reads
// the same estate, policy and time, and shares the indexes, which are built
// once and safe to read from several goroutines.
func (env *Env) fork() *Env {
	return &Env{Estate: env.Estate, Policy: env.Policy, Now: env.Now, indexes: env.ix()}
}

// forkCountOnly returns an Env as fork does, whose outcomes are only
// counted (see Env.countOnly).
func (env *Env) forkCountOnly() *Env {
	c := env.fork()
	c.countOnly, c.evidence.off, c.messages.off = true, true, true
	return c
}

// ix returns the evaluation's indexes, making them first for an Env that was
// written as a literal rather than made by newEnv.
func (env *Env) ix() *indexes {
	if env.indexes == nil {
		env.indexes = &indexes{}
	}
	return env.indexes
}

// Outcome is a rule's verdict on one subject. The zero Outcome means the rule
// does not apply to the subject and produces no result.
type Outcome struct {
	Status   Status
	Message  string
	Evidence map[string]any
}

// Applies reports whether the outcome is a result.
func (o Outcome) Applies() bool { return o.Status != "" }

// Passf, Failf and Unknownf build outcomes; evidence is given as key, value
// pairs. For a count-only Env (see Plan.CountOnlyWhen) they give the status
// alone, without formatting the message or making the evidence map.
func (env *Env) Passf(ev []any, format string, args ...any) Outcome {
	return env.outcome(Pass, ev, format, args)
}

// Failf builds a failing outcome.
func (env *Env) Failf(ev []any, format string, args ...any) Outcome {
	return env.outcome(Fail, ev, format, args)
}

// Unknownf builds an outcome for a subject the snapshot cannot judge.
func (env *Env) Unknownf(ev []any, format string, args ...any) Outcome {
	return env.outcome(Unknown, ev, format, args)
}

// NotApplicable is the outcome of a rule that does not apply to a subject.
var NotApplicable = Outcome{}

// Ev collects evidence pairs for the outcome builders.
func Ev(kv ...any) []any { return kv }

func (env *Env) outcome(s Status, ev []any, format string, args []any) Outcome {
	if env.countOnly {
		return Outcome{Status: s}
	}
	msg, plain := plainMessage(format, args)
	if !plain {
		msg = fmt.Sprintf(format, args...)
	}
	return said(s, ev, msg)
}

// said builds an outcome whose message is written already: the rules that
// judge every workload write theirs without fmt.
func said(s Status, ev []any, msg string) Outcome {
	o := Outcome{Status: s, Message: msg}
	if len(ev) > 0 {
		o.Evidence = make(map[string]any, len(ev)/2)
		for i := 0; i+1 < len(ev); i += 2 {
			o.Evidence[evidenceKey(ev[i])] = ev[i+1]
		}
	}
	return o
}

// plainMessage returns the message a format of "%s" makes of one string,
// which needs no formatting.
func plainMessage(format string, args []any) (string, bool) {
	if format != "%s" || len(args) != 1 {
		return "", false
	}
	m, ok := args[0].(string)
	return m, ok
}

// evidenceKey renders an evidence key. Rules write them as strings, which
// need no formatting.
func evidenceKey(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return fmt.Sprint(k)
}
