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
// rules refuse (wrapped, naming it), and what opts.Each returns. Run
// reads the history in one read of the store (a snapshot on the SQL
// stores); should the store run that read again, Each and Progress see
// the sales again from the first.
func Run(ctx context.Context, store commission.Store, program commission.Program, opts Options) (*Report, error) {
	if _, err := newReplay(program, opts); err != nil { // the rules, checked before anything is read
		return nil, err
	}
	var rep *Report
	err := store.View(ctx, program.ID, func(tx commission.StoreTx) error {
		// A store may run a read again (after a serialization failure):
		// each run replays from the start.
		r, err := newReplay(program, opts)
		if err != nil {
			return err
		}
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
