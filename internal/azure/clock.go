package azure

import (
	"context"
	"time"
)

// Clock tells the time and waits. Collection paces and retries with it; tests
// pass a virtual clock so that quota windows and Retry-After hints pass
// without real waiting.
type Clock interface {
	Now() time.Time
	// SleepUntil returns when the clock reaches t, or ctx's error when ctx
	// ends first.
	SleepUntil(ctx context.Context, t time.Time) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// SleepUntil waits until t or until ctx ends.
func (RealClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
