package storetest

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// What the tests that go through an Engine share: a clock, ids and a
// whole listing.

// clock is a test clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// idGenerator makes ids prefix1, prefix2, ...
func idGenerator(prefix string) func() string {
	var n atomic.Int64
	return func() string { return prefix + strconv.FormatInt(n.Add(1), 10) }
}

// listAll walks every page of a listing through NextCursor.
func listAll(t tb, eng *commission.Engine, opts commission.ListOptions) []*commission.Transaction {
	t.Helper()
	var all []*commission.Transaction
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Transactions), opts.Limit)
		all = append(all, page.Transactions...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Transactions, "a page with a next cursor is not empty")
		opts.Cursor = page.NextCursor
	}
}
