package history_test

import (
	"reflect"
	"testing"

	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/rules"
)

func TestOutcomesRoundTrip(t *testing.T) {
	o := &history.Outcomes{Rules: []string{"cmk-required", "key-rotation-due", ""}}
	for i := range 1000 {
		o.Items = append(o.Items, history.Outcome{Resource: int64((i * 7919) % 1013), Rule: i % 3,
			Status: []rules.Status{rules.Pass, rules.Fail, rules.Unknown, rules.Waived}[i%4]})
	}
	o.Items = append(o.Items, history.Outcome{Resource: 1 << 40, Rule: 1, Status: rules.Fail})
	b, err := history.EncodeOutcomes(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 4*len(o.Items) {
		t.Errorf("%d results take %d bytes", len(o.Items), len(b))
	}
	got, err := history.DecodeOutcomes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rules, o.Rules) {
		t.Errorf("rules %q, want %q", got.Rules, o.Rules)
	}
	count := func(items []history.Outcome) map[history.Outcome]int {
		m := map[history.Outcome]int{}
		for _, it := range items {
			m[it]++
		}
		return m
	}
	if !reflect.DeepEqual(count(got.Items), count(o.Items)) {
		t.Error("decoded outcomes differ from the encoded ones")
	}
	for cut := range len(b) {
		if _, err := history.DecodeOutcomes(b[:cut]); err == nil {
			t.Fatalf("decoding the first %d of %d bytes succeeded", cut, len(b))
		}
	}
	if _, err := history.DecodeOutcomes(append(b, 0)); err == nil {
		t.Error("decoding with a byte left over succeeded")
	}
	bad := &history.Outcomes{Rules: []string{"r"}, Items: []history.Outcome{{Resource: 1, Rule: 0, Status: "broken"}}}
	if _, err := history.EncodeOutcomes(bad); err == nil {
		t.Error("encoding an unknown status succeeded")
	}
}

func TestResultsRoundTrip(t *testing.T) {
	rs := []rules.Result{
		{Rule: "a", Resource: "/x", Status: rules.Fail, Severity: rules.High, Message: "m", Evidence: map[string]any{"n": 1.5, "s": "v"},
			Remediation: "fix", Frameworks: []string{"F1", "F2"}},
		{Rule: "a", Resource: "/y", Status: rules.Waived, Remediation: "fix", Frameworks: []string{"F1", "F2"}, WaiverReason: "r", WaiverExpires: "e"},
		{Rule: "a", Resource: "/z", Status: rules.Pass, Remediation: "other"},
		{Rule: "b", Resource: "/z", Status: rules.Unknown},
	}
	b, err := history.EncodeResults(rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := history.DecodeResults(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rs) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, rs)
	}
}
