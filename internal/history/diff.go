package history

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// pair is a (rule, resource) pair, the resource by its lower-case id.
type pair struct{ rule, key string }

// Change is what differs between the previous recorded scan and this one.
type Change struct {
	PreviousID int64
	PreviousAt time.Time
	// NewlyFailing are results that fail now and did not fail before (passed,
	// were unknown or waived, or did not exist).
	NewlyFailing []Finding
	// Fixed are results that failed before and pass now.
	Fixed []Finding
	// NewResources were judged now and not before; RemovedResources the other way.
	NewResources     []string
	RemovedResources []string
}

// Finding names one rule's result on one resource.
type Finding struct {
	Rule     string
	Resource string
}

// Since compares results with the most recent scan recorded at or before at.
// It returns nil when there is none.
func Since(ctx context.Context, st Store, at time.Time, results []rules.Result) (*Change, error) {
	prev, err := st.Last(ctx, at)
	if err != nil || prev == nil {
		return nil, err
	}
	return Compare(ctx, st, prev, results)
}

// Compare compares results with those of the recorded scan prev: what fails
// now and did not then, what failed then and passes now, and which resources
// came and went. The dashboard compares two recorded scans with it.
func Compare(ctx context.Context, st Store, prev *ScanInfo, results []rules.Result) (*Change, error) {
	before := map[pair]rules.Status{}
	resBefore := map[string]string{}
	err := st.States(ctx, prev.ID, func(s State) error {
		before[pair{s.Rule, s.Key}] = s.Status
		resBefore[s.Key] = s.Resource
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &Change{PreviousID: prev.ID, PreviousAt: prev.At}
	resNow := map[string]bool{}
	for _, r := range results {
		key := estate.Lower(r.Resource)
		if !resNow[key] {
			resNow[key] = true
			if _, ok := resBefore[key]; !ok {
				c.NewResources = append(c.NewResources, r.Resource)
			}
		}
		was, ok := before[pair{r.Rule, key}]
		switch {
		case r.Status == rules.Fail && (!ok || was != rules.Fail):
			c.NewlyFailing = append(c.NewlyFailing, Finding{r.Rule, r.Resource})
		case r.Status == rules.Pass && ok && was == rules.Fail:
			c.Fixed = append(c.Fixed, Finding{r.Rule, r.Resource})
		}
	}
	for key, id := range resBefore {
		if !resNow[key] {
			c.RemovedResources = append(c.RemovedResources, id)
		}
	}
	byRes := func(a, b Finding) int {
		return cmp.Or(cmp.Compare(estate.Lower(a.Resource), estate.Lower(b.Resource)), cmp.Compare(a.Rule, b.Rule))
	}
	slices.SortFunc(c.NewlyFailing, byRes)
	slices.SortFunc(c.Fixed, byRes)
	byID := func(a, b string) int { return cmp.Compare(estate.Lower(a), estate.Lower(b)) }
	slices.SortFunc(c.NewResources, byID)
	slices.SortFunc(c.RemovedResources, byID)
	return c, nil
}
