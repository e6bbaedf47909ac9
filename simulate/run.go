package simulate

import (
	"context"

	"github.com/commissionkit/commission"
)

// Run replays the stored history of program (read from store, which it
// does not write to) under opts.Rules and reports how the rewards of the
// sales created within opts.From and opts.To would differ from those
// stored. See the package documentation for what is replayed.
//
// Errors: a *commission.ValidationError naming the bad fields of
// opts.Rules (under "rules."), the store's errors, a sale the candidate
// rules refuse (wrapped, naming it), and what opts.Each returns.
func Run(ctx context.Context, store commission.Store, program commission.Program, opts Options) (*Report, error) {
	r, err := newReplay(program, opts)
	if err != nil {
		return nil, err
	}
	var rep *Report
	err = store.View(ctx, program.ID, func(tx commission.StoreTx) error {
		if err := r.run(ctx, tx); err != nil {
			return err
		}
		rep, err = r.finish(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
