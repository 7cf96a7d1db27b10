package estate

// chunkLen is how many entries each chunk of a chunkList holds.
const chunkLen = 1 << 10

// chunkList is a list that grows by whole chunks. A slice grown by append
// copies what it holds each time it outgrows its array, so that a long one
// has allocated about five times its final size by the end; a chunkList
// allocates each entry once, and an entry stays where it was put, so
// pointers to it stay good. The Builder keeps one entry a resource in them.
type chunkList[T any] struct {
	chunks [][]T
	n      int
}

// add appends v and returns where it is kept.
func (c *chunkList[T]) add(v T) *T {
	if c.n%chunkLen == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return &(*last)[len(*last)-1]
}

// at returns where entry i is kept; i must be below len.
func (c *chunkList[T]) at(i int) *T { return &c.chunks[i/chunkLen][i%chunkLen] }
