package commissiontest

import (
	"sync"
	"time"
)

// start is when every history begins: the fake clock of each run, and of
// a replayed regression test, starts at it.
var start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is the fake clock the engine of a history runs on (it is passed
// with commission.WithClock): it stands still until Advance moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at 2025-01-01 00:00 UTC, where every history
// starts.
func NewClock() *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
