package simulate

import (
	"context"
	"fmt"

	"github.com/commissionkit/commission"
)

// stored is a stored sale with its refunds, as the reader hands it to
// the replay.
type stored struct {
	t       *commission.Transaction
	refunds []*commission.Refund
}

// readHistory reads the program's sales in the order they were stored,
// page by page, each with its refunds, and sends the pages on out, which
// it closes when it is done. It runs on its own goroutine, so that the
// store reads the next page while the replay replays this one; only it
// uses tx.
func readHistory(ctx context.Context, tx commission.StoreTx, out chan<- []stored) error {
	defer close(out)
	var after int64
	for {
		page, err := tx.Recorded(ctx, after, pageSize)
		if err != nil {
			return fmt.Errorf("simulate: reading sales: %w", err)
		}
		items := make([]stored, len(page))
		for i, t := range page {
			items[i].t = t
			if t.Refunded.Sign() > 0 {
				if items[i].refunds, err = tx.Refunds(ctx, t.Key); err != nil {
					return fmt.Errorf("simulate: reading the refunds of %q: %w", t.Key, err)
				}
			}
		}
		select {
		case out <- items:
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

// replayHistory replays what readHistory reads, as it reads it. However
// it ends (an error, a panic in Options.Each), it stops the reader and
// waits for it: tx is not used after the store's read ends.
func (r *replay) replayHistory(ctx context.Context, tx commission.StoreTx) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan []stored, 2)
	read := make(chan error, 1)
	go func() { read <- readHistory(ctx, tx, pages) }()
	defer func() {
		cancel()
		for range pages { // let the reader end
		}
		if rerr := <-read; err == nil {
			err = rerr
		}
	}()
	for page := range pages {
		for _, s := range page {
			if err := r.sale(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}
