package estate

import "testing"

func TestChunkList(t *testing.T) {
	for _, n := range []int{0, 1, chunkLen - 1, chunkLen, chunkLen + 1, 3*chunkLen + 5} {
		var c chunkList[int]
		kept := make([]*int, n)
		for i := range n {
			kept[i] = c.add(i * 3)
		}
		for i := range n {
			// Entries stay where add put them as the list grows.
			if got := c.at(i); got != kept[i] || *got != i*3 {
				t.Fatalf("n=%d: at(%d) = %p (%d), add returned %p (%d)", n, i, got, *got, kept[i], i*3)
			}
		}
		if want := (n + chunkLen - 1) / chunkLen; len(c.chunks) != want {
			t.Errorf("n=%d: %d chunks, want %d", n, len(c.chunks), want)
		}
	}
}
