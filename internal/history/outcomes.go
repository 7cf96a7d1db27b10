package history

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// Outcomes are one scan's results reduced to what the KPIs read across many
// scans: which rule judged which resource, and how. Resources are named by
// handle, a number the store gives each resource once and keeps across scans,
// so a history of millions of results is compared without handling its ids.
type Outcomes struct {
	Rules []string // the rules of this scan's results
	Items []Outcome
}

// Outcome is one result: Rule indexes Outcomes.Rules.
type Outcome struct {
	Resource int64
	Rule     int
	Status   rules.Status
}

// statusCodes number the statuses in the encoding; never renumber them.
var statusCodes = []rules.Status{rules.Pass, rules.Fail, rules.Unknown, rules.Waived}

// outcomesVersion is the first byte of an encoding.
const outcomesVersion = 1

// EncodeOutcomes is how stores keep a scan's outcomes: one value per scan,
// a few bytes a result. The items are sorted by resource handle; each is the
// handle's difference from the previous one, the rule index and the status
// code, as unsigned varints.
func EncodeOutcomes(o *Outcomes) ([]byte, error) {
	items := slices.Clone(o.Items)
	slices.SortFunc(items, func(a, b Outcome) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Rule, b.Rule))
	})
	buf := make([]byte, 0, 16+len(items)*4)
	buf = append(buf, outcomesVersion)
	buf = binary.AppendUvarint(buf, uint64(len(o.Rules)))
	for _, r := range o.Rules {
		buf = binary.AppendUvarint(buf, uint64(len(r)))
		buf = append(buf, r...)
	}
	buf = binary.AppendUvarint(buf, uint64(len(items)))
	var prev int64
	for _, it := range items {
		code := slices.Index(statusCodes, it.Status)
		if code < 0 || it.Resource < prev || it.Rule < 0 || it.Rule >= len(o.Rules) {
			return nil, fmt.Errorf("encode outcomes: result of rule %d on resource %d with status %q cannot be encoded", it.Rule, it.Resource, it.Status)
		}
		buf = binary.AppendUvarint(buf, uint64(it.Resource-prev))
		buf = binary.AppendUvarint(buf, uint64(it.Rule))
		buf = append(buf, byte(code))
		prev = it.Resource
	}
	return buf, nil
}

var errOutcomes = errors.New("stored outcomes are corrupt")

// DecodeOutcomes reverses EncodeOutcomes.
func DecodeOutcomes(b []byte) (*Outcomes, error) {
	if len(b) == 0 || b[0] != outcomesVersion {
		return nil, fmt.Errorf("decode outcomes: unknown encoding: %w", errOutcomes)
	}
	b = b[1:]
	next := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, fmt.Errorf("decode outcomes: %w", errOutcomes)
		}
		b = b[n:]
		return v, nil
	}
	nRules, err := next()
	if err != nil || nRules > uint64(len(b)) {
		return nil, fmt.Errorf("decode outcomes: %w", errOutcomes)
	}
	o := &Outcomes{Rules: make([]string, 0, nRules)}
	for range nRules {
		n, err := next()
		if err != nil || n > uint64(len(b)) {
			return nil, fmt.Errorf("decode outcomes: %w", errOutcomes)
		}
		o.Rules = append(o.Rules, string(b[:n]))
		b = b[n:]
	}
	nItems, err := next()
	if err != nil || nItems > uint64(len(b)) {
		return nil, fmt.Errorf("decode outcomes: %w", errOutcomes)
	}
	o.Items = make([]Outcome, 0, nItems)
	var res int64
	for range nItems {
		delta, err := next()
		if err != nil {
			return nil, err
		}
		rule, err := next()
		if err != nil {
			return nil, err
		}
		if len(b) == 0 || int(b[0]) >= len(statusCodes) || rule >= nRules {
			return nil, fmt.Errorf("decode outcomes: %w", errOutcomes)
		}
		res += int64(delta)
		o.Items = append(o.Items, Outcome{Resource: res, Rule: int(rule), Status: statusCodes[b[0]]})
		b = b[1:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("decode outcomes: %d bytes left over: %w", len(b), errOutcomes)
	}
	return o, nil
}

// OutcomesOf reduces results to outcomes, given the handle of each resource
// by lower-case ARM id.
func OutcomesOf(results []rules.Result, handle func(key string) int64) *Outcomes {
	o := &Outcomes{Items: make([]Outcome, 0, len(results))}
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Rule]
		if !ok {
			i = len(o.Rules)
			index[r.Rule] = i
			o.Rules = append(o.Rules, r.Rule)
		}
		o.Items = append(o.Items, Outcome{Resource: handle(estate.Lower(r.Resource)), Rule: i, Status: r.Status})
	}
	return o
}
