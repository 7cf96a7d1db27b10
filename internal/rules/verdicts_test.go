package rules

import "testing"

func TestVerdictsRemember(t *testing.T) {
	var c verdicts[int, refVerdict]
	asked := 0
	judge := func(q int) refVerdict {
		asked++
		return refVerdict{Status: Pass, Reason: "question " + string(rune('a'+q%26))}
	}
	tests := []struct {
		q     int
		asked int
	}{{1, 1}, {1, 1}, {2, 2}, {1, 2}, {2, 2}, {3, 3}}
	for _, tt := range tests {
		if v := c.answer(tt.q, judge); v.Reason != judge(tt.q).Reason {
			t.Errorf("answer(%d) = %q", tt.q, v.Reason)
		}
		asked-- // the check above asked once more
		if asked != tt.asked {
			t.Errorf("after answer(%d) judged %d questions, want %d", tt.q, asked, tt.asked)
		}
	}
	for q := range 3 * maxVerdicts {
		c.answer(q, judge)
		if len(c.m) > maxVerdicts {
			t.Fatalf("remembers %d verdicts, want at most %d", len(c.m), maxVerdicts)
		}
	}
}
