package rules

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/estategen"
	"github.com/cmkguard/cmkguard/internal/policy"
)

// judgement is one rule judging one subject, for comparing evaluations.
type judgement struct {
	rule *Rule
	sub  subject
}

// judgements lists every rule of the catalog on every subject it judges,
// resource by resource as the engine goes.
func judgements(e *estate.Estate) []judgement {
	var out []judgement
	for _, s := range subjectsOf(e, 1) {
		for _, r := range Catalog() {
			if r.subjectKind() == s.kind {
				out = append(out, judgement{r, s})
			}
		}
	}
	return out
}

// TestForkedEnvsJudgeAlike runs the catalog on several goroutines at once,
// each with an Env forked from one (so they share its indexes, built by
// whichever needs one first), each in another order, and checks that every
// outcome equals the one a single Env gives. Run with -race, it also checks
// that the shared indexes and the outcomes built from them are only read.
func TestForkedEnvsJudgeAlike(t *testing.T) {
	example, err := policy.Load("../../examples/policy.yaml", PolicyCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		e    *estate.Estate
		p    *policy.Policy
	}{
		{"example estate", readTestEstate(t, "../../examples/estate"), example},
		{"generated estate", readBytes(t, "estate.ndjson", estategen.Bytes(3000, 17)), policy.Default()},
		{"crowded keys", readBytes(t, "shared.ndjson", sharedKeysEstate(9, 400, 3, "", "acme", "globex")), policy.Default()},
		{"alert rules", readBytes(t, "alerts.ndjson", alertedEstate(9, 60, 120)), policy.Default()},
	}
	for _, c := range cases {
		js := judgements(c.e)
		want := make([]Outcome, len(js))
		single := newEnv(c.e, c.p, fixtureNow)
		for i, j := range js {
			want[i] = j.rule.judge(single, &j.sub)
		}
		const goroutines = 4
		env := newEnv(c.e, c.p, fixtureNow)
		envs := []*Env{env}
		for len(envs) < goroutines {
			envs = append(envs, env.fork())
		}
		// Each goroutine starts elsewhere in the list; the last goes rule by
		// rule instead of resource by resource, as no engine does, so that
		// what an Env remembers of the subject it judged last is asked out
		// of turn.
		orders := make([][]int, goroutines)
		for g := range orders {
			for k := range js {
				orders[g] = append(orders[g], (k+g*len(js)/goroutines)%len(js))
			}
		}
		rank := map[*Rule]int{}
		for i, r := range Catalog() {
			rank[r] = i
		}
		slices.SortStableFunc(orders[goroutines-1], func(a, b int) int { return rank[js[a].rule] - rank[js[b].rule] })
		got := make([][]Outcome, goroutines)
		var wg sync.WaitGroup
		for g, env := range envs {
			got[g] = make([]Outcome, len(js))
			wg.Go(func() {
				for _, i := range orders[g] {
					got[g][i] = js[i].rule.judge(env, &js[i].sub)
				}
			})
		}
		wg.Wait()
		for g := range got {
			for i, j := range js {
				if !reflect.DeepEqual(got[g][i], want[i]) {
					t.Errorf("%s, goroutine %d: %s on %s:\n got %s %q %v\nwant %s %q %v", c.name, g, j.rule.ID, j.sub.res.ID,
						got[g][i].Status, got[g][i].Message, got[g][i].Evidence, want[i].Status, want[i].Message, want[i].Evidence)
				}
			}
		}
	}
}
