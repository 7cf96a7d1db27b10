package rules

// verdicts remembers a key rule's verdicts by the question each answers:
// everything the rule reads of a reference it can follow. The references
// that ask a question again (the disks behind one disk encryption set) share
// its verdict, reason and evidence, which judgeRefs only reads. An Env
// serves one goroutine, so each has its own, and fork starts them empty.
type verdicts[Q comparable] struct{ m map[Q]refVerdict }

// maxVerdicts bounds the verdicts an Env remembers for one rule. Most
// questions are asked once (a system-assigned identity is one workload's);
// the ones asked again come together, by the disks of one encryption set.
// Forgetting them all when the bound is reached keeps memory flat.
const maxVerdicts = 4096

// answer returns the verdict on q, judging it when it is not remembered.
func (c *verdicts[Q]) answer(q Q, judge func(Q) refVerdict) refVerdict {
	if v, ok := c.m[q]; ok {
		return v
	}
	v := judge(q)
	if c.m == nil {
		c.m = make(map[Q]refVerdict)
	}
	if len(c.m) >= maxVerdicts {
		clear(c.m)
	}
	c.m[q] = v
	return v
}
