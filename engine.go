package commission

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// Engine records transactions for one program and computes, holds and
// reverses their rewards, persisting through a Store. It is safe for
// concurrent use, and several Engines (in one process or many) may share a
// store: the store's Update makes every operation atomic and race-free.
//
// The operations are grouped by what they act on: partners and customers
// (CreatePartner, CreateCustomer, ...), sales (CreateTransaction,
// CreateTransactions, Preview), a sale's later life (MakeRewardable,
// DeleteTransaction, ArchiveTransaction, RestoreTransaction,
// ApproveReward, RejectReward) and reads (Transaction, Transactions,
// Reward).
type Engine struct {
	store Store
	prog  Program
	rules *rules
	now   func() time.Time
	newID func() string
	// noEvents: WithoutEvents.
	noEvents bool
	// log is WithLogger's; nil logs nothing.
	log   *slog.Logger
	rates RateSource
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the engine's clock, read for every timestamp it records
// and for the review-period status it reports. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithIDGenerator sets how the engine makes ids for partners, customers,
// rewards and keyless transactions. The default is a random UUID.
func WithIDGenerator(newID func() string) Option { return func(e *Engine) { e.newID = newID } }

// WithoutEvents makes the engine write no events (Engine.Events): for an
// application that reads none, every change costs a little less.
func WithoutEvents() Option { return func(e *Engine) { e.noEvents = true } }

// New returns an engine for program p on store. A program that cannot be
// evaluated (an unknown kind or currency, an invalid or ambiguous rule) is
// a *ValidationError naming every bad field.
func New(store Store, p Program, opts ...Option) (*Engine, error) {
	if store == nil {
		return nil, errors.New("commission: New: nil store")
	}
	p.Rules.Products = append([]ProductRule(nil), p.Rules.Products...)
	rs, err := p.compile()
	if err != nil {
		return nil, err
	}
	e := &Engine{store: store, prog: p, rules: rs, now: time.Now, newID: uuid.NewString}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Program returns the engine's program, with its defaults filled in.
func (e *Engine) Program() Program {
	p := e.prog
	p.Rules.Products = append([]ProductRule(nil), p.Rules.Products...)
	return p
}

// clock is the engine's time as stored: UTC, to the microsecond.
func (e *Engine) clock() time.Time { return e.now().UTC().Truncate(time.Microsecond) }

// Now is the time by the engine's clock (WithClock), in UTC to the
// microsecond, as the engine stores times.
func (e *Engine) Now() time.Time { return e.clock() }

// work is one unit of work: the store transaction it runs in, the time it
// runs at, whether it only computes what it would store (a preview), and,
// in a bulk or a preview, the batch of what it has built and not stored
// yet. Its methods (batch.go) read and write counters and a customer's
// history through the batch, so that the reward pipeline never asks
// whether there is one.
type work struct {
	tx  StoreTx
	now time.Time
	// dry units of work store nothing: a preview. Their batch holds what
	// they would have written, for what they read after it.
	dry   bool
	batch *batch // nil outside a bulk or a preview
}

// maxRaceRetries bounds how often an operation is retried after losing a
// race to create the same customer in another process.
const maxRaceRetries = 3

// update runs fn in a store Update, again when it lost a race to create a
// customer (the retry then finds the winner's customer).
func (e *Engine) update(ctx context.Context, fn func(StoreTx) error) error {
	if !e.noEvents {
		inner := fn
		fn = func(tx StoreTx) error {
			et := &eventTx{StoreTx: tx, e: e}
			if err := inner(et); err != nil {
				return err
			}
			return et.write(ctx, e.clock())
		}
	}
	for attempt := 0; ; attempt++ {
		err := e.store.Update(ctx, e.prog.ID, fn)
		if err == nil {
			return nil
		}
		var lost *customerRaceError
		if errors.As(err, &lost) && attempt < maxRaceRetries {
			continue
		}
		return err
	}
}

func (e *Engine) view(ctx context.Context, fn func(StoreTx) error) error {
	return e.store.View(ctx, e.prog.ID, fn)
}

// viewValue returns what read reads in a View.
func viewValue[T any](ctx context.Context, e *Engine, read func(StoreTx) (T, error)) (T, error) {
	var v T
	err := e.view(ctx, func(tx StoreTx) error {
		var err error
		v, err = read(tx)
		return err
	})
	return v, err
}

// updateValue returns what write returns in an Update that commits.
func updateValue[T any](ctx context.Context, e *Engine, write func(StoreTx) (T, error)) (T, error) {
	var v T
	err := e.update(ctx, func(tx StoreTx) error {
		var err error
		v, err = write(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// customerRaceError marks a customer insert that found its key taken
// during a transaction create: another writer created it first.
type customerRaceError struct{ err error }

func (e *customerRaceError) Error() string { return e.err.Error() }
func (e *customerRaceError) Unwrap() error { return e.err }

// readCopy returns a copy of what read reads in a View: a store's values
// are read-only.
func readCopy[T interface{ Clone() T }](ctx context.Context, e *Engine, read func(StoreTx) (T, error)) (T, error) {
	v, err := viewValue(ctx, e, read)
	if err != nil {
		var zero T
		return zero, err
	}
	return v.Clone(), nil
}

// amend reads a stored value in an Update, lets change modify a copy of it
// and store the change, and returns the copy.
func amend[T interface{ Clone() T }](ctx context.Context, e *Engine, read func(StoreTx) (T, error), change func(StoreTx, T) error) (T, error) {
	return updateValue(ctx, e, func(tx StoreTx) (T, error) {
		v, err := read(tx)
		if err != nil {
			return v, err
		}
		v = v.Clone()
		return v, change(tx, v)
	})
}
