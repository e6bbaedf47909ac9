package simulate

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// replay is one simulation: an engine under the candidate rules on a
// private memory store, and what it has replayed so far.
type replay struct {
	opts    Options
	eng     *commission.Engine
	scratch *memstore.Store
	program string

	now  time.Time        // the private engine's clock
	at   time.Time        // the latest created_at replayed: the replay's time
	rate *decimal.Decimal // the stored rate of the sale being replayed
	ids  int64            // ids given by the private engine

	customers []*commission.Customer // oldest first
	byID      map[string]*commission.Customer
	next      int             // customers[:next] are created
	created   map[string]bool // customer ids created

	actions     actionHeap
	orders      int64
	waiting     map[string]*waiting // reported sales with actions to come
	signups     []*newSignup        // signups the private engine recorded
	signupByKey map[string]*newSignup
	tally       *tally
	replayed    int64
	reported    int64
}

// waiting is a reported sale whose refunds or deletion are still to be
// replayed: it is tallied after the last of them.
type waiting struct {
	stored *commission.Transaction
	order  int64
	left   int
}

func newReplay(p commission.Program, opts Options) (*replay, error) {
	r := &replay{opts: opts, scratch: memstore.New(), program: p.ID, created: make(map[string]bool),
		waiting: make(map[string]*waiting), signupByKey: make(map[string]*newSignup), tally: newTally(opts.Top)}
	candidate := p
	candidate.Rules = opts.Rules
	eng, err := commission.New(r.scratch, candidate, commission.WithClock(func() time.Time { return r.now }),
		commission.WithoutEvents(), commission.WithRates(storedRate{r}), commission.WithIDGenerator(r.newID))
	if err != nil {
		return nil, err
	}
	r.eng = eng
	return r, nil
}

// newID gives the private engine's rewards, entries and refunds short
// ids: they are never stored anywhere else.
func (r *replay) newID() string {
	r.ids++
	return "sim-" + strconv.FormatInt(r.ids, 10)
}

// storedRate gives the private engine the rate each stored sale was
// converted at, so that a replayed sale is converted as it was.
type storedRate struct{ r *replay }

func (s storedRate) Rate(_ context.Context, from, to string, _ time.Time) (decimal.Decimal, error) {
	if s.r.rate == nil {
		return decimal.Zero, fmt.Errorf("the stored sale in %s has no rate to %s", from, to)
	}
	return *s.r.rate, nil
}

// run replays the program's history as tx reads it.
func (r *replay) run(ctx context.Context, tx commission.StoreTx) error {
	ppl, err := readPeople(ctx, tx)
	if err != nil {
		return fmt.Errorf("simulate: reading partners and customers: %w", err)
	}
	if err := r.addPartners(ctx, ppl.partners); err != nil {
		return err
	}
	r.customers = ppl.customers
	r.byID = make(map[string]*commission.Customer, len(ppl.customers))
	for _, c := range ppl.customers {
		r.byID[c.ID] = c
	}
	return r.replayHistory(ctx, tx)
}

// addPartners stores the program's partners in the private store, as
// they stand (replayedPartner).
func (r *replay) addPartners(ctx context.Context, partners []*commission.Partner) error {
	return r.scratch.Update(ctx, r.program, func(tx commission.StoreTx) error {
		for _, p := range partners {
			if err := tx.InsertPartner(ctx, replayedPartner(p)); err != nil {
				return fmt.Errorf("simulate: partner %q: %w", p.Key, err)
			}
		}
		return nil
	})
}

// sale replays one stored transaction, after what happened before it.
func (r *replay) sale(ctx context.Context, s stored) error {
	t := s.t
	// A backdated sale was recorded after the sales before it.
	at := later(t.CreatedAt, r.at)
	r.at = at
	if err := r.catchUp(ctx, at); err != nil {
		return err
	}
	simulated, err := r.record(ctx, t)
	if err != nil {
		return err
	}
	acts := r.later(s)
	r.replayed++
	if r.inRange(t) {
		r.reported++
		if len(acts) == 0 {
			err = r.report(t, simulated, r.replayed)
		} else {
			r.waiting[t.Key] = &waiting{stored: t, order: r.replayed, left: len(acts)}
		}
	}
	r.progress(false)
	return err
}

// inRange reports a sale created within From and To.
func (r *replay) inRange(t *commission.Transaction) bool {
	return !t.CreatedAt.Before(r.opts.From) && (r.opts.To.IsZero() || t.CreatedAt.Before(r.opts.To))
}

// catchUp replays, in time order, the actions due before at and creates
// the customers created before it. A customer created at at itself is
// created when a sale needs it, or later: one created by a sale
// (options.create_customer) was created after the sales before it in its
// bulk.
func (r *replay) catchUp(ctx context.Context, at time.Time) error {
	for {
		a, due := r.actions.peek(at)
		c := r.nextCustomer(at)
		switch {
		case c != nil && (!due || !a.at.Before(c.CreatedAt)):
			if err := r.createCustomer(ctx, c); err != nil {
				return err
			}
		case due:
			heap.Pop(&r.actions)
			if err := r.act(ctx, a); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// later queues what was done to a sale after it was recorded.
func (r *replay) later(s stored) []action {
	acts := storedActions(s.refunds, s.t)
	for i := range acts {
		r.orders++
		acts[i].order = r.orders
		heap.Push(&r.actions, acts[i])
	}
	return acts
}

// finish replays the actions left and creates the customers left, in
// time order, and reports.
func (r *replay) finish(ctx context.Context) (*Report, error) {
	if err := r.catchUp(ctx, endOfTime); err != nil {
		return nil, err
	}
	if err := r.reportNewSignups(ctx); err != nil {
		return nil, err
	}
	r.progress(true)
	rep := &Report{RuleVersion: r.opts.Rules.Version, From: r.opts.From, To: r.opts.To,
		Replayed: r.replayed, Sales: r.reported}
	r.tally.report(rep)
	return rep, nil
}

// endOfTime is after every change.
var endOfTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// report tallies a reported sale and hands it to Options.Each.
func (r *replay) report(stored, simulated *commission.Transaction, order int64) error {
	r.tally.add(stored, simulated, order)
	if r.opts.Each == nil {
		return nil
	}
	return r.opts.Each(stored, simulated)
}

func (r *replay) progress(done bool) {
	if r.opts.Progress == nil || (!done && r.replayed%ProgressEvery != 0) {
		return
	}
	r.opts.Progress(Progress{Replayed: r.replayed, Reported: r.reported, At: r.at, Done: done})
}
