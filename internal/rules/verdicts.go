package rules

// verdicts remembers a rule's verdicts by the question each answers:
// everything the rule reads to reach the verdict. The subjects that ask a
// question again (the disks behind one disk encryption set, the workloads of
// one service and classification) share its verdict, reason and evidence,
// which are only read. A verdict is a key rule's refVerdict on one
// reference, or a rule's whole Outcome. An Env serves one goroutine, so
// each has its own, and fork starts them empty.
type verdicts[Q comparable, V any] struct{ m map[Q]V }

// maxVerdicts bounds the verdicts an Env remembers for one rule. Most
// questions are asked once (a system-assigned identity is one workload's);
// the ones asked again come together, by the disks of one encryption set or
// the resources of one group. Forgetting them all when the bound is reached
// keeps memory flat.
const maxVerdicts = 4096

// answer returns the verdict on q, judging it when it is not remembered.
func (c *verdicts[Q, V]) answer(q Q, judge func(Q) V) V {
	if v, ok := c.m[q]; ok {
		return v
	}
	return c.remember(q, judge(q))
}

// lookup returns the verdict on q when it is remembered: answer in two
// steps, for a caller whose judge would be a closure.
func (c *verdicts[Q, V]) lookup(q Q) (V, bool) {
	v, ok := c.m[q]
	return v, ok
}

// remember keeps v as the verdict on q and returns it.
func (c *verdicts[Q, V]) remember(q Q, v V) V {
	if c.m == nil {
		c.m = make(map[Q]V)
	}
	if len(c.m) >= maxVerdicts {
		clear(c.m)
	}
	c.m[q] = v
	return v
}
