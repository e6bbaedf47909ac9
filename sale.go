package commission

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CreateTransaction records a sale and the rewards it earns, atomically.
//
// Errors: *ValidationError (every bad field), ErrCustomerNotFound,
// ErrPartnerNotFound, ErrAlreadyDeleted when the customer is deleted
// (DeleteCustomer), and *DuplicateError (ErrDuplicateKey) when the key
// was ever used in the program, deleted transactions included; it carries
// the stored transaction and whether the input is identical to it.
func (e *Engine) CreateTransaction(ctx context.Context, in TransactionInput) (_ *Transaction, err error) {
	defer func() { e.logOp(ctx, "CreateTransaction", &err, "key", in.Key) }()
	now := e.clock()
	if err := e.prepare(ctx, &in, now); err != nil {
		return nil, err
	}
	var t *Transaction
	err = e.update(ctx, func(tx StoreTx) error {
		w := &work{tx: tx, now: now}
		var err error
		if t, err = e.build(ctx, w, &in); err != nil {
			return err
		}
		recordSale(w.tx, t)
		if err := writeEvents(ctx, w.tx); err != nil {
			return err
		}
		if err := w.tx.InsertTransaction(ctx, t); err != nil {
			if errors.Is(err, ErrDuplicateKey) {
				return &keyTakenError{key: t.Key, err: err}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, e.explainDuplicate(ctx, err, []TransactionInput{in}, false, now)
	}
	return e.present(t, now), nil
}

// Preview computes the transaction and rewards in would create under the
// current rules, without storing anything (the key is not checked).
func (e *Engine) Preview(ctx context.Context, in TransactionInput) (*Transaction, error) {
	now := e.clock()
	if err := e.prepare(ctx, &in, now); err != nil {
		return nil, err
	}
	t, err := viewValue(ctx, e, func(tx StoreTx) (*Transaction, error) {
		return e.build(ctx, &work{tx: tx, now: now, dry: true, batch: newBatch()}, &in)
	})
	if err != nil {
		return nil, err
	}
	return e.present(t, now), nil
}

// prepare validates in and fills its defaults, looks up the rate of a
// sale in another currency (before the unit of work: a rate source may be
// slow), and gives a keyless sale a key.
func (e *Engine) prepare(ctx context.Context, in *TransactionInput, now time.Time) error {
	v := &validator{}
	in.normalize(v, &e.prog, now)
	e.checkConvertible(v, in)
	if err := v.err(); err != nil {
		return err
	}
	return e.prepared(ctx, in, now)
}

// prepared completes a validated input: its rate and its key.
func (e *Engine) prepared(ctx context.Context, in *TransactionInput, now time.Time) error {
	if err := e.convert(ctx, in, now); err != nil {
		return err
	}
	if in.Key == "" {
		in.Key = e.newID()
	}
	return nil
}

// MaxBulk is how many sales one CreateTransactions call records at the
// most. A bulk holds its program's lock (or its rows' locks) until it is
// stored: 1,000 sales take 60 to 100 ms on SQLite, PostgreSQL or MySQL
// and about 20 ms in memory, on a 2-core machine. Record more in several
// calls.
const MaxBulk = 1000

// CreateTransactions records several sales atomically: every input is
// validated first (errors name transactions[i]), then either all are stored
// with their rewards or none is. A failure of one item is an *ItemError
// carrying its index. More than MaxBulk sales are refused, with a
// *ValidationError naming transactions.
func (e *Engine) CreateTransactions(ctx context.Context, ins []TransactionInput) (_ []*Transaction, err error) {
	defer e.logOp(ctx, "CreateTransactions", &err, "sales", len(ins))
	now := e.clock()
	ins, err = e.prepareBulk(ctx, ins, now)
	if err != nil {
		return nil, err
	}
	var out []*Transaction
	err = e.update(ctx, func(tx StoreTx) error {
		var err error
		// Most bulks are one customer's: the batch reads it once.
		out, err = e.storeBulk(ctx, &work{tx: tx, now: now, batch: newBatch()}, ins)
		return err
	})
	if err != nil {
		return nil, e.explainDuplicate(ctx, err, ins, true, now)
	}
	for _, t := range out {
		e.present(t, now)
	}
	return out, nil
}

// prepareBulk validates every item of a bulk at once, each under
// transactions[i], with the keys it repeats, then prepares each; it
// returns the prepared copies.
func (e *Engine) prepareBulk(ctx context.Context, ins []TransactionInput, now time.Time) ([]TransactionInput, error) {
	v := &validator{}
	switch {
	case len(ins) == 0:
		v.add("transactions", "is empty")
	case len(ins) > MaxBulk:
		// Not worth validating item by item.
		return nil, fieldError("transactions", fmt.Sprintf("has %d sales, more than %d", len(ins), MaxBulk))
	}
	ins = append([]TransactionInput(nil), ins...)
	seen := make(map[string]int, len(ins))
	for i := range ins {
		v.prefix = "transactions[" + itoa(i) + "]."
		ins[i].normalize(v, &e.prog, now)
		e.checkConvertible(v, &ins[i])
		if k := ins[i].Key; k != "" {
			if j, dup := seen[k]; dup {
				v.addf("key", "duplicates transactions[%d].key", j)
			}
			seen[k] = i
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	for i := range ins {
		if err := e.prepared(ctx, &ins[i], now); err != nil {
			var verr *ValidationError
			if errors.As(err, &verr) {
				return nil, verr.under("transactions[" + itoa(i) + "].")
			}
			return nil, &ItemError{Index: i, Err: err}
		}
	}
	return ins, nil
}

// storeBulk builds every sale of a bulk in w's batch, then writes the
// counters they add and the sales, with the signups of the customers
// they create in the order they were built, in as few calls as the store
// can.
func (e *Engine) storeBulk(ctx context.Context, w *work, ins []TransactionInput) ([]*Transaction, error) {
	out := make([]*Transaction, len(ins))
	for i := range ins {
		t, err := e.build(ctx, w, &ins[i])
		if err != nil {
			return nil, e.bulkItemErr(ctx, w.tx, ins[:i], i, err)
		}
		out[i] = t
		w.batch.built = append(w.batch.built, t)
	}
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	for _, t := range w.batch.built {
		recordSale(w.tx, t)
	}
	if err := w.tx.InsertTransactions(ctx, w.batch.built); err != nil {
		if errors.Is(err, ErrDuplicateKey) {
			return nil, &keyTakenError{index: -1, err: err}
		}
		return nil, err
	}
	return out, nil
}

// bulkItemErr is the error of a bulk whose item i failed to build with
// err. Keys are checked when the bulk is inserted, so an earlier item
// whose key is taken is the first failure.
func (e *Engine) bulkItemErr(ctx context.Context, tx StoreTx, before []TransactionInput, i int, err error) error {
	for j := range before {
		if _, terr := tx.Transaction(ctx, before[j].Key); terr == nil {
			return &keyTakenError{index: j, key: before[j].Key, err: ErrDuplicateKey}
		}
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		return verr.under("transactions[" + itoa(i) + "].")
	}
	return &ItemError{Index: i, Err: err}
}

// keyTakenError marks a transaction insert that found its key taken.
type keyTakenError struct {
	index int // the bulk item, -1 when the store did not say which
	key   string
	err   error
}

func (e *keyTakenError) Error() string { return e.err.Error() }
func (e *keyTakenError) Unwrap() error { return e.err }

// explainDuplicate turns a lost key into a *DuplicateError carrying the
// stored transaction, read after the failed unit of work rolled back; in a
// bulk, wrapped in the *ItemError naming the item.
func (e *Engine) explainDuplicate(ctx context.Context, err error, ins []TransactionInput, bulk bool, now time.Time) error {
	var kt *keyTakenError
	if !errors.As(err, &kt) {
		return err
	}
	dup := &DuplicateError{Key: kt.key}
	verr := e.view(ctx, func(tx StoreTx) error {
		existing, err := takenKey(ctx, tx, kt, ins)
		if err != nil {
			return err
		}
		in := &ins[kt.index]
		c, err := tx.Customer(ctx, in.Customer.Ref())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if dup.Key == "" { // a batch insert did not say which key
			dup.Key = existing.Key
		}
		dup.Identical = existing.sameSale(in, c)
		dup.Existing = e.present(existing.Clone(), now)
		return nil
	})
	if errors.Is(verr, errNoKeyTaken) {
		return kt.err
	}
	if verr != nil {
		return fmt.Errorf("%w (reading the stored transaction: %v)", err, verr)
	}
	if bulk {
		return &ItemError{Index: kt.index, Err: dup}
	}
	return dup
}

// takenKey reads the stored transaction whose key kt lost, finding it
// (and setting kt.index) when a batch insert did not say which: the
// first of ins that is stored.
func takenKey(ctx context.Context, tx StoreTx, kt *keyTakenError, ins []TransactionInput) (*Transaction, error) {
	if kt.index >= 0 {
		return tx.Transaction(ctx, kt.key)
	}
	for i := range ins {
		t, err := tx.Transaction(ctx, ins[i].Key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		kt.index = i
		return t, nil
	}
	return nil, errNoKeyTaken // a reward id was: no key to explain
}

var errNoKeyTaken = errors.New("commission: no key of the bulk is taken")

// buyer returns the customer in names, with its partner and referrer,
// creating it (unless w is dry) when options.create_customer asks.
func (e *Engine) buyer(ctx context.Context, w *work, in *TransactionInput) (*Buyer, error) {
	ref := in.Customer.Ref()
	if b, ok := w.knownBuyer(ref); ok {
		return b, nil
	}
	b, err := w.tx.Buyer(ctx, ref, customerCounterNames)
	switch {
	case errors.Is(err, ErrNotFound) && in.Options.CreateCustomer:
		ci := in.Customer
		if in.Options.ReferralURL != "" {
			ci.ReferralURL = in.Options.ReferralURL
		}
		if b, err = e.newCustomer(ctx, w, ci, "customer."); err != nil {
			if errors.Is(err, ErrDuplicateKey) {
				return nil, &customerRaceError{err: err}
			}
			return nil, err
		}
	case errors.Is(err, ErrNotFound):
		return nil, customerErr(err, "customer", ref)
	case err != nil:
		return nil, err
	case b.Customer.Status == CustomerDeleted:
		return nil, deletedBuyer(b.Customer)
	}
	w.knowBuyer(ref, b)
	return b, nil
}

// build makes the transaction in describes, with its rewards, ready to
// store (its customer is stored already, when options.create_customer made
// one and w is not dry).
func (e *Engine) build(ctx context.Context, w *work, in *TransactionInput) (*Transaction, error) {
	b, err := e.buyer(ctx, w, in)
	if err != nil {
		return nil, err
	}
	t := e.newTransaction(in, b.Customer, w.now)
	if err := e.earn(ctx, w, &earning{t: t, b: b, rate: t.Rate, referralURL: in.Options.ReferralURL}); err != nil {
		return nil, err
	}
	w.built(t)
	return t, nil
}

// newTransaction is the transaction in describes, bought by c, recorded
// at now, with no rewards yet.
func (e *Engine) newTransaction(in *TransactionInput, c *Customer, now time.Time) *Transaction {
	t := &Transaction{
		Key: in.Key, Action: in.Action, Amount: *in.Amount, Reward: in.Reward,
		AmountUnits: in.AmountUnits, IsCurrency: !e.prog.customUnit(in.AmountUnits), Rate: in.rate,
		Credit:    e.prog.Rules.Credit,
		ProductID: in.ProductID, ProductType: in.ProductType, Products: in.Products,
		Rewarded: in.Rewarded, Rewardable: *in.Rewardable,
		CustomerID: c.ID, CustomerKey: c.Key, PartnerID: c.PartnerID, PartnerKey: c.PartnerKey,
		ReferringCustomerID: c.ReferringCustomerID, ReferringCustomerKey: c.ReferringCustomerKey,
		CreatedAt: now, State: TransactionActive, Kind: e.prog.Kind,
	}
	if in.CreatedAt != nil {
		t.CreatedAt, t.Backdated = *in.CreatedAt, true
	}
	return t
}
