package report

import (
	"slices"

	"github.com/cmkguard/cmkguard/internal/rules"
)

// A report holds a result for every rule and resource, and much of each
// result is the same for all results of its rule: the rule id, the
// remediation and the frameworks. An encoder encodes those once per rule and
// copies the bytes after. The copies belong to the encoder, so encoders on
// different goroutines share nothing.

// ruleFragments are the encoded parts of a rule's results that do not depend
// on the resource.
type ruleFragments struct {
	// head opens a result and holds its "rule" member, up to the name of
	// the "resource" member.
	head []byte
	// remediation and frameworks are what tail was encoded from; a result
	// whose own differ is encoded member by member.
	remediation string
	frameworks  []string
	// tail holds the "remediation" and "frameworks" members, each with the
	// comma before it, or nothing when both are omitted.
	tail []byte
}

// Member names of a result with the indentation before them: a result is an
// element of "results", at depth 2, so its members are at depth 3.
const (
	resultOpen          = "{\n      \"rule\": "
	resultResource      = ",\n      \"resource\": "
	resultResourceType  = ",\n      \"resourceType\": "
	resultStatus        = ",\n      \"status\": "
	resultSeverity      = ",\n      \"severity\": "
	resultMessage       = ",\n      \"message\": "
	resultEvidence      = ",\n      \"evidence\": "
	resultRemediation   = ",\n      \"remediation\": "
	resultFrameworks    = ",\n      \"frameworks\": "
	resultWaiverReason  = ",\n      \"waiverReason\": "
	resultWaiverExpires = ",\n      \"waiverExpires\": "
	resultClose         = "\n    }"
)

// result writes one result at depth 2 (an element of "results").
func (e *jsonEncoder) result(r *rules.Result) {
	f := e.fragments(r)
	e.b = append(e.b, f.head...)
	e.b = appendJSONString(e.b, r.Resource)
	e.b = append(e.b, resultResourceType...)
	e.b = appendJSONString(e.b, r.ResourceType)
	e.b = append(e.b, resultStatus...)
	e.b = appendJSONString(e.b, string(r.Status))
	e.b = append(e.b, resultSeverity...)
	e.b = appendJSONString(e.b, r.Severity.String()) // as its MarshalText
	e.b = append(e.b, resultMessage...)
	e.b = appendJSONString(e.b, r.Message)
	if len(r.Evidence) > 0 {
		e.b = append(e.b, resultEvidence...)
		e.evidence(r.Evidence)
	}
	e.b = append(e.b, f.tail...)
	if r.WaiverReason != "" {
		e.b = append(e.b, resultWaiverReason...)
		e.b = appendJSONString(e.b, r.WaiverReason)
	}
	if r.WaiverExpires != "" {
		e.b = append(e.b, resultWaiverExpires...)
		e.b = appendJSONString(e.b, r.WaiverExpires)
	}
	e.b = append(e.b, resultClose...)
}

// fragments returns the encoded parts of r's rule, encoding them when the
// rule is new to the encoder or r's remediation or frameworks are not those
// encoded last for it.
func (e *jsonEncoder) fragments(r *rules.Result) *ruleFragments {
	f := e.rules[r.Rule]
	if f != nil && f.remediation == r.Remediation && slices.Equal(f.frameworks, r.Frameworks) {
		return f
	}
	if f == nil {
		if e.rules == nil {
			e.rules = map[string]*ruleFragments{}
		}
		f = &ruleFragments{}
		f.head = append(f.head, resultOpen...)
		f.head = appendJSONString(f.head, r.Rule)
		f.head = append(f.head, resultResource...)
		e.rules[r.Rule] = f
	}
	// The frameworks are copied: the cache must not change if the
	// result's slice does.
	f.remediation, f.frameworks = r.Remediation, slices.Clone(r.Frameworks)
	f.tail = f.tail[:0]
	if r.Remediation != "" {
		f.tail = append(f.tail, resultRemediation...)
		f.tail = appendJSONString(f.tail, r.Remediation)
	}
	if len(r.Frameworks) > 0 {
		f.tail = append(f.tail, resultFrameworks...)
		// Encoded by an encoder of its own, which appends to tail.
		fe := jsonEncoder{b: f.tail}
		fe.strs(r.Frameworks, 3)
		f.tail = fe.b
	}
	return f
}
