package azure

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress renders a one-line progress display while collecting. With no
// writer it only counts.
type progress struct {
	w     io.Writer
	pacer *Pacer
	start time.Time

	pages, rows, subs       atomic.Int64
	vaultsTotal, vaultsDone atomic.Int64

	stop chan struct{}
	done sync.WaitGroup
}

func newProgress(w io.Writer, p *Pacer) *progress {
	pr := &progress{w: w, pacer: p, start: time.Now(), stop: make(chan struct{})}
	if w != nil {
		pr.done.Add(1)
		go pr.run()
	}
	return pr
}

func (p *progress) run() {
	defer p.done.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.render()
			fmt.Fprintln(p.w)
			return
		case <-t.C:
			p.render()
		}
	}
}

// render draws the line; the rate is real requests per real second.
func (p *progress) render() {
	s := p.pacer.Stats()
	reqs := s.GraphRequests + s.ARMRequests
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(reqs) / el
	}
	fmt.Fprintf(p.w, "\rcollect: %d pages, %d resources · %d subscriptions · vaults %d/%d · %d requests (%.1f/s, %d throttled)  ",
		p.pages.Load(), p.rows.Load(), p.subs.Load(), p.vaultsDone.Load(), p.vaultsTotal.Load(), reqs, rate, s.Throttled)
}

// finish stops the display, leaving its last line.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
}
