package rules

import (
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// TestRememberedOutcomes checks which workloads share an outcome a full Env
// remembers: byShape's by the workload's shape, judgeRefs's by a reference
// reached through another resource. Every workload is judged by a full Env
// and by a count-only one, which judges every workload's shape again.
func TestRememberedOutcomes(t *testing.T) {
	svc, other := &estate.Service{Name: "Storage account"}, &estate.Service{Name: "Managed disk"}
	ev := map[string]string{"keySource": "Microsoft.Storage"}
	shared := &estate.KeyRef{Raw: "shared", Via: []string{"des"}, ParseErr: "bad"}
	workload := func(id string, s *estate.Service, ev map[string]string, refs ...*estate.KeyRef) *estate.Workload {
		return &estate.Workload{Resource: &estate.Resource{ID: id, Name: id}, Service: s, CMK: estate.CMKPlatform, Evidence: ev, KeyRefs: refs}
	}
	sameShape := []*estate.Workload{workload("a", svc, ev), workload("b", svc, ev), workload("c", svc, ev)}
	tests := []struct {
		name      string
		workloads []*estate.Workload
		refs      bool // judge by judgeRefs, else by byShape
		judged    int  // times a full Env judges
	}{
		{"one shape", sameShape, false, 1},
		{"another service", []*estate.Workload{workload("a", svc, ev), workload("b", other, ev)}, false, 2},
		{"another evidence map", []*estate.Workload{workload("a", svc, ev), workload("b", svc, map[string]string{"keySource": "Microsoft.Storage"})}, false, 2},
		{"a shared reference", []*estate.Workload{workload("a", svc, ev, shared), workload("b", svc, ev, shared)}, true, 1},
		{"references of their own", []*estate.Workload{
			workload("a", svc, ev, &estate.KeyRef{Raw: "a", ParseErr: "bad"}), workload("b", svc, ev, &estate.KeyRef{Raw: "a", ParseErr: "bad"})}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full := newEnv(&estate.Estate{}, policy.Default(), fixtureNow)
			for _, env := range []*Env{full, full.forkCountOnly()} {
				judged := 0
				var first Outcome
				for i, w := range tt.workloads {
					var o Outcome
					if tt.refs {
						o = judgeRefs(env, w, &env.usableRefs, func(*estate.KeyRef) refVerdict {
							judged++
							return refVerdict{Status: Fail, Reason: "bad"}
						})
					} else {
						o = byShape(env, requiredRule, w, classification{TagsKnown: true}, func(env *Env, w *estate.Workload, _ classification) Outcome {
							judged++
							return env.Failf(Ev("service", w.Service.Name), "%s", "platform-managed keys")
						})
					}
					if i == 0 {
						first = o
					} else if o.Status != first.Status || o.Message != first.Message {
						t.Errorf("workload %s: %+v, want %+v", w.ID, o, first)
					}
				}
				want := tt.judged // a count-only Env remembers statuses by reference too
				if env.countOnly && !tt.refs {
					want = len(tt.workloads)
				}
				if judged != want {
					t.Errorf("count-only %v: judged %d times, want %d", env.countOnly, judged, want)
				}
			}
		})
	}
}
