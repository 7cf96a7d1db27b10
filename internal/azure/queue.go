package azure

import (
	"context"
	"sync"
)

// workQueue runs tasks on a fixed number of workers. Tasks may add tasks; the
// queue is unbounded so that a worker adding work never waits for itself.
type workQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	tasks   []func(context.Context)
	closed  bool
	pending sync.WaitGroup // tasks added and not finished
	workers sync.WaitGroup
}

func newWorkQueue(ctx context.Context, workers int) *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	for range max(workers, 1) {
		q.workers.Add(1)
		go q.work(ctx)
	}
	return q
}

// add queues a task.
func (q *workQueue) add(task func(context.Context)) {
	q.pending.Add(1)
	q.mu.Lock()
	q.tasks = append(q.tasks, task)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *workQueue) work(ctx context.Context) {
	defer q.workers.Done()
	for {
		q.mu.Lock()
		for len(q.tasks) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.tasks) == 0 {
			q.mu.Unlock()
			return
		}
		task := q.tasks[0]
		q.tasks[0] = nil
		q.tasks = q.tasks[1:]
		q.mu.Unlock()
		if ctx.Err() == nil {
			task(ctx)
		}
		q.pending.Done()
	}
}

// finish waits until every task (and every task they added) has run, then
// stops the workers. Call it once, after the last add from outside a task.
func (q *workQueue) finish() {
	q.pending.Wait()
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	q.workers.Wait()
}
