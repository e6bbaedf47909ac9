package commission

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Engine records transactions for one program and computes, holds and
// reverses their rewards, persisting through a Store. It is safe for
// concurrent use, and several Engines (in one process or many) may share a
// store: the store's Update makes every operation atomic and race-free.
type Engine struct {
	store Store
	prog  Program
	rules *rules
	now   func() time.Time
	newID func() string
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

// New returns an engine for program p on store. A program that cannot be
// evaluated (an unknown kind or currency, an invalid or ambiguous rule) is
// a *ValidationError naming every bad field.
func New(store Store, p Program, opts ...Option) (*Engine, error) {
	if store == nil {
		return nil, errors.New("commission: New: nil store")
	}
	p.Rules.Products = append([]ProductRule(nil), p.Rules.Products...)
	rs, err := p.validate()
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

// maxRaceRetries bounds how often an operation is retried after losing a
// race to create the same customer in another process.
const maxRaceRetries = 3

// update runs fn in a store Update, again when it lost a race to create a
// customer (the retry then finds the winner's customer).
func (e *Engine) update(ctx context.Context, fn func(StoreTx) error) error {
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

// keyTakenError marks a transaction insert that found its key taken.
type keyTakenError struct {
	index int
	key   string
	err   error
}

func (e *keyTakenError) Error() string { return e.err.Error() }
func (e *keyTakenError) Unwrap() error { return e.err }

// CreatePartner creates a partner. ErrDuplicateKey if its id, key or email
// is taken; ErrPartnerNotFound if its referring partner does not exist.
func (e *Engine) CreatePartner(ctx context.Context, in PartnerInput) (*Partner, error) {
	v := &validator{}
	in.validate(v, &e.prog)
	if err := v.err(); err != nil {
		return nil, err
	}
	p := &Partner{
		ID: in.ID, Key: in.Key, Email: in.Email, Name: in.Name, Surname: in.Surname,
		Tags: append([]string(nil), in.Tags...), Status: in.Status, CreatedAt: e.clock(),
		Commission: in.Commission.clone(),
	}
	p.ID, p.Key = e.idAndKey(p.ID, p.Key)
	if p.Status == "" {
		p.Status = PartnerActive
	}
	err := e.update(ctx, func(tx StoreTx) error {
		if in.ReferringPartner != nil {
			rp, err := tx.Partner(ctx, *in.ReferringPartner)
			if err != nil {
				return partnerErr(err, *in.ReferringPartner)
			}
			p.ReferringPartnerID = rp.ID
		}
		return taken(tx.InsertPartner(ctx, p), "partner", p.ID, p.Key, p.Email)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// idAndKey fills an absent id or key from the other, or both from a new id.
func (e *Engine) idAndKey(id, key string) (string, string) {
	switch {
	case id == "" && key == "":
		id = e.newID()
		return id, id
	case id == "":
		return key, key
	case key == "":
		return id, id
	}
	return id, key
}

// Partner returns the partner ref names. ErrNotFound if there is none.
func (e *Engine) Partner(ctx context.Context, ref PartnerRef) (*Partner, error) {
	p, err := viewValue(ctx, e, func(tx StoreTx) (*Partner, error) { return tx.Partner(ctx, ref) })
	if err != nil {
		return nil, err
	}
	return p.Clone(), nil
}

// SetPartnerStatus changes a partner's status; an archived partner earns
// nothing on later sales. ErrNotFound if there is no such partner.
func (e *Engine) SetPartnerStatus(ctx context.Context, ref PartnerRef, status PartnerStatus) (*Partner, error) {
	if !status.valid() {
		return nil, &ValidationError{Fields: []FieldError{{Path: "status", Message: fmt.Sprintf("unknown partner status %q", status)}}}
	}
	return updateValue(ctx, e, func(tx StoreTx) (*Partner, error) {
		p, err := tx.Partner(ctx, ref)
		if err != nil {
			return nil, err
		}
		p = p.Clone()
		p.Status = status
		return p, tx.SetPartnerStatus(ctx, p.ID, status)
	})
}

// SetPartnerCommission sets a partner's custom commission, or with nil
// removes it. Later sales use it; stored rewards never change.
func (e *Engine) SetPartnerCommission(ctx context.Context, ref PartnerRef, c *Commission) (*Partner, error) {
	if c != nil {
		v := &validator{}
		steps(*c, v, "commission", &e.prog)
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	return updateValue(ctx, e, func(tx StoreTx) (*Partner, error) {
		p, err := tx.Partner(ctx, ref)
		if err != nil {
			return nil, err
		}
		p = p.Clone()
		p.Commission = c.clone()
		return p, tx.SetPartnerCommission(ctx, p.ID, p.Commission)
	})
}

// CreateCustomer creates a customer, attributed to a partner (affiliate:
// in.Partner or in.ReferralURL) or to its referring customer
// (refer-a-friend). ErrDuplicateKey if its id, key or email is taken;
// ErrPartnerNotFound or ErrCustomerNotFound if attribution names nobody.
func (e *Engine) CreateCustomer(ctx context.Context, in CustomerInput) (*Customer, error) {
	now := e.clock()
	v := &validator{}
	validateKey(v, "id", in.ID, false)
	validateKey(v, "key", in.Key, false)
	validateEmail(v, "email", in.Email)
	in.validateNew(v, "", "referral_url", &e.prog, now)
	if err := v.err(); err != nil {
		return nil, err
	}
	var b *Buyer
	err := e.update(ctx, func(tx StoreTx) error {
		var err error
		b, err = e.newCustomer(ctx, tx, in, "", now, false, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b.Customer, nil
}

// newCustomer builds the customer in describes, resolves its attribution
// and, unless dry, stores it. fieldPrefix is where the customer sits in the
// request.
func (e *Engine) newCustomer(ctx context.Context, tx StoreTx, in CustomerInput, fieldPrefix string, now time.Time, dry bool, bt *batch) (*Buyer, error) {
	c := &Customer{
		ID: in.ID, Key: in.Key, Email: in.Email, Name: in.Name, Surname: in.Surname,
		Tags: append([]string(nil), in.Tags...), Status: CustomerActive, CreatedAt: now,
	}
	c.ID, c.Key = e.idAndKey(c.ID, c.Key)
	if in.CreatedAt != nil {
		c.CreatedAt = in.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	b := &Buyer{Customer: c}
	switch e.prog.Kind {
	case Affiliate:
		var ref PartnerRef
		if in.Partner != nil {
			ref = *in.Partner
		}
		if ref.IsZero() {
			// validateNew has checked that a URL names a key.
			ref.Key, _ = referralKey(in.ReferralURL, e.prog.ReferralParam)
		}
		if ref.IsZero() {
			// Checked here rather than in validateNew: with
			// options.create_customer, a returning customer needs none.
			return nil, &ValidationError{Fields: []FieldError{{Path: fieldPrefix + "partner",
				Message: "a partner key, id or email, or a referral URL, is required to attribute a new customer"}}}
		}
		p, err := tx.Partner(ctx, ref)
		if err != nil {
			return nil, partnerErr(err, ref)
		}
		c.PartnerID, c.PartnerKey, b.Partner = p.ID, p.Key, p
	case ReferAFriend:
		if in.ReferringCustomer != nil {
			rc, err := tx.Customer(ctx, *in.ReferringCustomer)
			if err != nil {
				return nil, customerErr(err, "referring customer", *in.ReferringCustomer)
			}
			c.ReferringCustomerID, c.ReferringCustomerKey, b.Referrer = rc.ID, rc.Key, rc
		}
	}
	if dry {
		return b, nil
	}
	if err := tx.InsertCustomer(ctx, c); err != nil {
		return nil, taken(err, "customer", c.ID, c.Key, c.Email)
	}
	if err := e.signedUp(ctx, tx, b, bt); err != nil {
		return nil, err
	}
	return b, nil
}

// signedUp counts a new customer towards its beneficiary's signups and,
// when the rules reward signups (a signup trigger or goal), records the
// signup as a transaction with the rewards it earns, if any.
func (e *Engine) signedUp(ctx context.Context, tx StoreTx, b *Buyer, bt *batch) error {
	c := b.Customer
	who := e.beneficiary(c.PartnerID, c.ReferringCustomerID)
	if who == "" {
		return nil
	}
	if !e.rules.signupEvents {
		return bt.addCounters(ctx, tx, signupDeltas(who, c))
	}
	t := &Transaction{
		Key: signupKey(c.ID), Action: TriggerSignup, AmountUnits: e.prog.Currency, IsCurrency: true, Credit: e.prog.Rules.Credit,
		Rewardable: true, CustomerID: c.ID, CustomerKey: c.Key, PartnerID: c.PartnerID, PartnerKey: c.PartnerKey,
		ReferringCustomerID: c.ReferringCustomerID, ReferringCustomerKey: c.ReferringCustomerKey,
		CreatedAt: c.CreatedAt, State: TransactionActive, Kind: e.prog.Kind,
	}
	if err := e.compute(ctx, tx, t, b, false, bt, nil, true); err != nil {
		return err
	}
	if len(t.Rewards) == 0 {
		return nil
	}
	return tx.InsertTransaction(ctx, t)
}

// taken words a store's duplicate error the same way whichever store
// found it; other errors pass through.
func taken(err error, what, id, key, email string) error {
	if !errors.Is(err, ErrDuplicateKey) {
		return err
	}
	if email == "" {
		return fmt.Errorf("%w: a %s with id %q or key %q exists", ErrDuplicateKey, what, id, key)
	}
	return fmt.Errorf("%w: a %s with id %q, key %q or email %q exists", ErrDuplicateKey, what, id, key, email)
}

func partnerErr(err error, ref PartnerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrPartnerNotFound, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}

func customerErr(err error, who string, ref CustomerRef) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s %s", ErrCustomerNotFound, who, describeRef(ref.ID, ref.Key, ref.Email))
	}
	return err
}

func describeRef(id, key, email string) string {
	switch {
	case id != "":
		return "id " + strconv.Quote(id)
	case key != "":
		return "key " + strconv.Quote(key)
	}
	return "email " + strconv.Quote(email)
}

// Customer returns the customer ref names. ErrNotFound if there is none.
func (e *Engine) Customer(ctx context.Context, ref CustomerRef) (*Customer, error) {
	c, err := viewValue(ctx, e, func(tx StoreTx) (*Customer, error) { return tx.Customer(ctx, ref) })
	if err != nil {
		return nil, err
	}
	return c.Clone(), nil
}

// SetCustomerStatus suspends a customer (later sales earn nothing) or
// approves it again. ErrNotFound if there is no such customer.
func (e *Engine) SetCustomerStatus(ctx context.Context, ref CustomerRef, status CustomerStatus) (*Customer, error) {
	if !status.valid() {
		return nil, &ValidationError{Fields: []FieldError{{Path: "status", Message: fmt.Sprintf("unknown customer status %q", status)}}}
	}
	return updateValue(ctx, e, func(tx StoreTx) (*Customer, error) {
		c, err := tx.Customer(ctx, ref)
		if err != nil {
			return nil, err
		}
		c = c.Clone()
		c.Status = status
		return c, tx.SetCustomerStatus(ctx, c.ID, status)
	})
}

// CreateTransaction records a sale and the rewards it earns, atomically.
//
// Errors: *ValidationError (every bad field), ErrCustomerNotFound,
// ErrPartnerNotFound, and *DuplicateError (ErrDuplicateKey) when the key
// was ever used in the program, deleted transactions included; it carries
// the stored transaction and whether the input is identical to it.
func (e *Engine) CreateTransaction(ctx context.Context, in TransactionInput) (*Transaction, error) {
	now := e.clock()
	v := &validator{}
	in.normalize(v, &e.prog, now)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := e.convert(ctx, &in, now); err != nil {
		return nil, err
	}
	if in.Key == "" {
		in.Key = e.newID()
	}
	var t *Transaction
	err := e.update(ctx, func(tx StoreTx) error {
		var err error
		if t, err = e.build(ctx, tx, &in, now, false, nil); err != nil {
			return err
		}
		if err := tx.InsertTransaction(ctx, t); err != nil {
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

// CreateTransactions records several sales atomically: every input is
// validated first (errors name transactions[i]), then either all are stored
// with their rewards or none is. A failure of one item is an *ItemError
// carrying its index.
func (e *Engine) CreateTransactions(ctx context.Context, ins []TransactionInput) ([]*Transaction, error) {
	now := e.clock()
	v := &validator{}
	if len(ins) == 0 {
		v.add("transactions", "is empty")
	}
	ins = append([]TransactionInput(nil), ins...)
	seen := make(map[string]int, len(ins))
	for i := range ins {
		v.prefix = "transactions[" + itoa(i) + "]."
		ins[i].normalize(v, &e.prog, now)
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
		if err := e.convert(ctx, &ins[i], now); err != nil {
			return nil, &ItemError{Index: i, Err: err}
		}
		if ins[i].Key == "" {
			ins[i].Key = e.newID()
		}
	}
	out := make([]*Transaction, len(ins))
	err := e.update(ctx, func(tx StoreTx) error {
		bt := newBatch() // most bulks are one customer's: it is read once
		for i := range ins {
			t, err := e.build(ctx, tx, &ins[i], now, false, bt)
			if err != nil {
				// Keys are checked when the batch is inserted: an earlier
				// item whose key is taken is the first failure.
				for j := range i {
					if _, terr := tx.Transaction(ctx, ins[j].Key); terr == nil {
						return &keyTakenError{index: j, key: ins[j].Key, err: ErrDuplicateKey}
					}
				}
				var verr *ValidationError
				if errors.As(err, &verr) {
					return verr.under("transactions[" + itoa(i) + "].")
				}
				return &ItemError{Index: i, Err: err}
			}
			out[i] = t
		}
		if err := bt.flush(ctx, tx); err != nil {
			return err
		}
		if err := tx.InsertTransactions(ctx, out); err != nil {
			if errors.Is(err, ErrDuplicateKey) {
				return &keyTakenError{index: -1, err: err}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, e.explainDuplicate(ctx, err, ins, true, now)
	}
	for _, t := range out {
		e.present(t, now)
	}
	return out, nil
}

// Preview computes the transaction and rewards in would create under the
// current rules, without storing anything (the key is not checked).
func (e *Engine) Preview(ctx context.Context, in TransactionInput) (*Transaction, error) {
	now := e.clock()
	v := &validator{}
	in.normalize(v, &e.prog, now)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := e.convert(ctx, &in, now); err != nil {
		return nil, err
	}
	if in.Key == "" {
		in.Key = e.newID()
	}
	var t *Transaction
	err := e.view(ctx, func(tx StoreTx) error {
		var err error
		t, err = e.build(ctx, tx, &in, now, true, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e.present(t, now), nil
}

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
		var existing *Transaction
		if kt.index < 0 {
			// A batch insert does not say which key was taken: the
			// first stored one is.
			for i := range ins {
				t, err := tx.Transaction(ctx, ins[i].Key)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				kt.index, dup.Key, existing = i, t.Key, t
				break
			}
			if existing == nil {
				return errNoKeyTaken // a reward id was: no key to explain
			}
		} else {
			var err error
			if existing, err = tx.Transaction(ctx, kt.key); err != nil {
				return err
			}
		}
		in := &ins[kt.index]
		c, err := tx.Customer(ctx, in.Customer.Ref())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
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

var errNoKeyTaken = errors.New("commission: no key of the bulk is taken")

// batch is what one unit of work creating several transactions knows
// that its store does not show yet: the buyers it read or created, and the
// sales it built, not stored until the batch is.
type batch struct {
	buyers map[CustomerRef]*Buyer
	sales  map[string][]batchSale // by customer id
	// values are the counters the batch has read, with what it added
	// since; pending is what it has added and not written yet. The store
	// is written once, before the transactions are.
	values  map[CounterKey]decimal.Decimal
	pending map[CounterKey]decimal.Decimal
}

// batchSale is a sale a batch has built: its time, and whether it is
// qualified (counts towards its customer's history).
type batchSale struct {
	at        time.Time
	qualified bool
}

func newBatch() *batch {
	return &batch{buyers: make(map[CustomerRef]*Buyer), sales: make(map[string][]batchSale),
		values: make(map[CounterKey]decimal.Decimal), pending: make(map[CounterKey]decimal.Decimal)}
}

// counters reads keys from the store (locking them, in an Update), each
// once per batch, with what the batch has added to them; straight from
// the store without a batch.
func (bt *batch) counters(ctx context.Context, tx StoreTx, keys []CounterKey) ([]decimal.Decimal, error) {
	if bt == nil {
		return tx.Counters(ctx, keys)
	}
	var missing []CounterKey
	for _, k := range keys {
		if _, ok := bt.values[k]; !ok && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		vals, err := tx.Counters(ctx, missing)
		if err != nil {
			return nil, err
		}
		for i, k := range missing {
			bt.values[k] = vals[i].Add(bt.pending[k])
		}
	}
	out := make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		out[i] = bt.values[k]
	}
	return out, nil
}

// addCounters adds deltas: in the batch, written by flush; straight to
// the store without one.
func (bt *batch) addCounters(ctx context.Context, tx StoreTx, deltas []CounterDelta) error {
	if bt == nil {
		return tx.AddCounters(ctx, deltas)
	}
	for _, d := range deltas {
		bt.pending[d.Key] = bt.pending[d.Key].Add(d.Delta)
		if v, ok := bt.values[d.Key]; ok {
			bt.values[d.Key] = v.Add(d.Delta)
		}
	}
	return nil
}

// flush writes what the batch added to counters, in one call, in key
// order.
func (bt *batch) flush(ctx context.Context, tx StoreTx) error {
	if len(bt.pending) == 0 {
		return nil
	}
	deltas := make([]CounterDelta, 0, len(bt.pending))
	for k, d := range bt.pending {
		deltas = append(deltas, CounterDelta{Key: k, Delta: d})
	}
	slices.SortFunc(deltas, func(a, b CounterDelta) int { return a.Key.Compare(b.Key) })
	clear(bt.pending)
	return tx.AddCounters(ctx, deltas)
}

// history is what the rules know of a customer's rewarded sales as of at,
// at included (a sale recorded earlier in the same microsecond counts): the
// store's, and the batch's own.
func (e *Engine) history(ctx context.Context, tx StoreTx, customerID string, at time.Time, bt *batch) (CustomerHistory, error) {
	h, err := tx.CustomerHistory(ctx, customerID, at.Add(time.Microsecond)) // times are kept to the microsecond
	if err != nil || bt == nil {
		return h, err
	}
	for _, s := range bt.sales[customerID] {
		if s.qualified && !s.at.After(at) {
			if h.Count == 0 || s.at.Before(h.First) {
				h.First = s.at
			}
			h.Count++
		}
	}
	return h, nil
}

// buyer returns the customer in names, with its partner and referrer,
// creating it (unless dry) when options.create_customer asks.
func (e *Engine) buyer(ctx context.Context, tx StoreTx, in *TransactionInput, now time.Time, dry bool, bt *batch) (*Buyer, error) {
	ref := in.Customer.Ref()
	if bt != nil {
		if b, ok := bt.buyers[ref]; ok {
			return b, nil
		}
	}
	b, err := tx.Buyer(ctx, ref)
	switch {
	case errors.Is(err, ErrNotFound) && in.Options.CreateCustomer:
		ci := in.Customer
		if in.Options.ReferralURL != "" {
			ci.ReferralURL = in.Options.ReferralURL
		}
		if b, err = e.newCustomer(ctx, tx, ci, "customer.", now, dry, bt); err != nil {
			if errors.Is(err, ErrDuplicateKey) {
				return nil, &customerRaceError{err: err}
			}
			return nil, err
		}
	case errors.Is(err, ErrNotFound):
		return nil, customerErr(err, "customer", ref)
	case err != nil:
		return nil, err
	}
	if bt != nil {
		bt.buyers[ref] = b
	}
	return b, nil
}

// build makes the transaction in describes, with its rewards, ready to
// store (its customer is stored already, when options.create_customer made
// one and not dry).
func (e *Engine) build(ctx context.Context, tx StoreTx, in *TransactionInput, now time.Time, dry bool, bt *batch) (*Transaction, error) {
	b, err := e.buyer(ctx, tx, in, now, dry, bt)
	if err != nil {
		return nil, err
	}
	c := b.Customer
	t := &Transaction{
		Key:         in.Key,
		Action:      in.Action,
		Amount:      *in.Amount,
		Reward:      in.Reward,
		AmountUnits: in.AmountUnits,
		IsCurrency:  !e.prog.customUnit(in.AmountUnits),
		Rate:        in.rate,
		Credit:      e.prog.Rules.Credit,
		ProductID:   in.ProductID,
		ProductType: in.ProductType,
		Products:    in.Products,
		Rewarded:    in.Rewarded,
		Rewardable:  *in.Rewardable,
		CustomerID:  c.ID,
		CustomerKey: c.Key,
		PartnerID:   c.PartnerID,
		PartnerKey:  c.PartnerKey,
		CreatedAt:   now,
		State:       TransactionActive,
		Kind:        e.prog.Kind,
	}
	t.ReferringCustomerID, t.ReferringCustomerKey = c.ReferringCustomerID, c.ReferringCustomerKey
	if in.CreatedAt != nil {
		t.CreatedAt, t.Backdated = *in.CreatedAt, true
	}
	if err := e.compute(ctx, tx, t, b, dry, bt, in.rate, true); err != nil {
		return nil, err
	}
	if bt != nil {
		bt.sales[c.ID] = append(bt.sales[c.ID], batchSale{t.CreatedAt, t.Qualified})
	}
	return t, nil
}

// compute gives t its rewards by the rules (and, for a new transaction,
// the fraud protection), with the goal bonuses it earns, capped; unless
// dry, it counts t towards its beneficiary's metrics, goals and spend
// limits. isNew is false when MakeRewardable rewards a stored transaction.
func (e *Engine) compute(ctx context.Context, tx StoreTx, t *Transaction, b *Buyer, dry bool, bt *batch, rate *decimal.Decimal, isNew bool) error {
	var custom *rule
	var uplines []*Partner
	var err error
	if e.prog.Kind == Affiliate {
		custom = partnerRule(b.Partner)
		if uplines, err = e.uplines(ctx, tx, b.Partner); err != nil {
			return err
		}
	}
	m, err := e.measure(ctx, tx, t, bt)
	if err != nil {
		return err
	}
	if m != nil && t.signup() && !isNew {
		m.uncountSignup(e.rules.slots) // as of before it, like a new one
	}
	var h CustomerHistory
	loaded := (e.rules.history || custom != nil && custom.scheduled()) && t.Reward == nil
	if loaded {
		if h, err = e.history(ctx, tx, b.Customer.ID, t.CreatedAt, bt); err != nil {
			return err
		}
	}
	first, err := e.firstSale(ctx, tx, t, m, h, loaded, isNew, bt)
	if err != nil {
		return err
	}
	e.reward(t, b, h, custom, e.tierOf(t, b, m, rate, first), uplines, rate)
	reason := ""
	if isNew && len(t.Rewards) > 0 {
		if reason, err = e.fraudReason(ctx, tx, t, b, bt); err != nil {
			return err
		}
	}
	// What t adds to its beneficiary's metrics: a signup when it is one
	// (counted when it is new), a qualified sale's revenue and customer.
	var deltas []CounterDelta
	var add added
	switch {
	case m == nil:
	case t.signup():
		t.Qualified = false // a signup is not a sale: no period counts it
		if isNew {
			add.signups = one
			deltas = signupDeltas(m.beneficiary, b.Customer)
		}
	case t.Qualified && reason == "":
		deltas, add = e.countSale(t, m, 1)
	}
	if reason != "" {
		// Rejected rewards pay nothing: they count towards no cap, no
		// commission period, no metric and no goal.
		reject(t, reason)
		t.Qualified = false
	} else {
		if m != nil {
			deltas = append(deltas, e.rewardGoals(t, b, m, &add)...)
		}
		if err := e.capRewards(ctx, tx, t, dry, bt); err != nil {
			return err
		}
	}
	if dry || len(deltas) == 0 {
		return nil
	}
	return bt.addCounters(ctx, tx, deltas)
}

// firstSale tells whether t is its customer's first qualified sale as of
// its created_at, for the tiers that ask: from the customer's count of
// qualified sales, or, when the customer has some and t may be dated
// before them (backdated, or stored earlier and made rewardable now), from
// its history h (read here unless loaded).
func (e *Engine) firstSale(ctx context.Context, tx StoreTx, t *Transaction, m *measures, h CustomerHistory, loaded, isNew bool, bt *batch) (bool, error) {
	switch {
	case !e.rules.firstSale || m == nil || t.Reward != nil:
		return false, nil
	case m.sales.Sign() == 0:
		return true, nil
	case isNew && !t.Backdated:
		return false, nil // the others are all dated before it
	}
	if !loaded {
		var err error
		if h, err = e.history(ctx, tx, t.CustomerID, t.CreatedAt, bt); err != nil {
			return false, err
		}
	}
	return h.Count == 0, nil
}

// tierOf returns the rule of the highest tier t qualifies for, nil for
// none.
func (e *Engine) tierOf(t *Transaction, b *Buyer, m *measures, rate *decimal.Decimal, first bool) *rule {
	if len(e.rules.tiers) == 0 || t.Reward != nil {
		return nil
	}
	f := saleFacts{at: t.CreatedAt, amount: t.Amount, m: m, customerSince: b.Customer.CreatedAt, first: first}
	if rate != nil {
		f.amount = t.Amount.Mul(*rate)
	}
	switch {
	case b.Partner != nil:
		f.partnerSince = b.Partner.CreatedAt
	case b.Referrer != nil:
		f.partnerSince = b.Referrer.CreatedAt
	}
	return e.rules.tier(&f, b.Partner)
}

// ErrRewarded reports making rewardable a sale that has rewards that
// count, or that was rewarded elsewhere.
var ErrRewarded = errors.New("commission: transaction already rewarded")

// MakeRewardable creates the rewards of a sale that earned none: one
// recorded with rewardable false, or whose rewards the fraud protection
// rejected (those stay, for audit). The rewards are computed now by the
// current rules, as of the sale's created_at, with no fraud check: this
// is the decision that overrides it (SPEC §4.10). When the rules give the
// sale nothing, nothing changes. ErrRewarded if the sale earned rewards,
// even ones since rejected by RejectReward: that rejection is a decision
// on the reward, which this does not override.
func (e *Engine) MakeRewardable(ctx context.Context, key string) (*Transaction, error) {
	now := e.clock()
	var rate *decimal.Decimal
	if e.rates != nil { // the rate the sale was stored with, else looked up before the unit of work
		t, err := e.Transaction(ctx, key)
		if err != nil {
			return nil, err
		}
		rate = t.Rate
		if rate == nil {
			in := TransactionInput{AmountUnits: t.AmountUnits, CreatedAt: &t.CreatedAt}
			if err := e.convert(ctx, &in, now); err != nil {
				return nil, err
			}
			rate = in.rate
		}
	}
	var out *Transaction
	err := e.update(ctx, func(tx StoreTx) error {
		t, err := tx.Transaction(ctx, key)
		if err != nil {
			return err
		}
		switch {
		case t.State == TransactionDeleted:
			return fmt.Errorf("%w: transaction %q was deleted", ErrNotFound, key)
		case t.State == TransactionArchived:
			return fmt.Errorf("%w: restore %q first", ErrAlreadyArchived, key)
		case t.Rewarded:
			return fmt.Errorf("%w: %q was rewarded elsewhere", ErrRewarded, key)
		case t.Qualified:
			// It earned its rewards and counts towards periods, tiers
			// and goals; a reward rejected since was rejected by decision.
			return fmt.Errorf("%w: %q earned its rewards; those rejected were rejected by RejectReward", ErrRewarded, key)
		}
		for _, r := range t.Rewards {
			if r.Status != RewardRejected {
				return fmt.Errorf("%w: %q has reward %q", ErrRewarded, key, r.ID)
			}
		}
		b, err := tx.Buyer(ctx, CustomerRef{ID: t.CustomerID})
		if err != nil {
			return err
		}
		nt := t.Clone()
		nt.Rewards, nt.Rewardable = nil, true
		if err := e.compute(ctx, tx, nt, b, false, nil, rate, false); err != nil {
			return err
		}
		out = t.Clone()
		if len(nt.Rewards) == 0 {
			return nil
		}
		out.Rewards = append(out.Rewards, nt.Rewards...)
		out.Rewardable, out.Qualified = nt.Rewardable, nt.Qualified
		return tx.AddRewards(ctx, out, len(t.Rewards))
	})
	if err != nil {
		return nil, err
	}
	return e.present(out, now), nil
}

// reward computes t's rewards (SPEC §4): none for a sale that is not
// rewardable, already rewarded, by a suspended customer, or whose
// beneficiary cannot earn; else the set reward, or one reward per line by
// the line's rule.
func (e *Engine) reward(t *Transaction, b *Buyer, h CustomerHistory, custom, tier *rule, uplines []*Partner, rate *decimal.Decimal) {
	t.Qualified = false
	if !e.rules.triggers(t) {
		return
	}
	t.Qualified = t.Rewarded
	if !t.Rewardable || t.Rewarded || b.Customer.Status != CustomerActive {
		return
	}
	tmpl, ok := e.rewardTo(t, b)
	if !ok {
		return
	}
	tmpl.AmountUnits, tmpl.IsCurrency = t.AmountUnits, t.IsCurrency
	// A sale in another currency is rewarded in the program's, converted.
	conv := func(d decimal.Decimal) decimal.Decimal { return d }
	if rate != nil {
		conv = func(d decimal.Decimal) decimal.Decimal { return d.Mul(*rate) }
		tmpl.AmountUnits, tmpl.IsCurrency = e.prog.Currency, true
	}
	amount := conv(t.Amount)
	if t.Reward != nil {
		r := tmpl
		r.ID = e.newID()
		r.Amount = conv(*t.Reward)
		r.ProductID, r.ProductType = t.ProductID, t.ProductType
		r.Explanation = Explanation{Rule: matchManual, RuleVersion: e.rules.version, Match: matchManual, Base: amount, Value: *t.Reward}
		roundForStorage(&r) // converted, it may be finer than storage holds
		t.Rewards = []Reward{r}
	} else if len(t.Products) == 0 {
		e.rewardLine(t, &tmpl, ProductLine{ProductID: t.ProductID, ProductType: t.ProductType, ProductPrice: amount}, 1, h, b.Partner, custom, tier)
	} else {
		for _, l := range t.Products {
			l.ProductPrice = conv(l.ProductPrice)
			e.rewardLine(t, &tmpl, l, len(t.Products), h, b.Partner, custom, tier)
		}
	}
	if len(t.Rewards) > 0 {
		e.rewardLevels(t, &tmpl, uplines, amount)
	}
	if t.Reward == nil {
		e.rewardFriend(t, &tmpl, b.Customer, h, amount)
	}
	if rate != nil {
		for i := range t.Rewards {
			t.Rewards[i].Explanation.Rate, t.Rewards[i].Explanation.From = rate, t.AmountUnits
		}
	}
	if t.Reward == nil {
		e.round(t)
	}
	t.Qualified = len(t.Rewards) > 0
}

// places is how many places the program rounds r to, and whether it
// rounds it at all: amounts in custom units get no currency rounding.
func (e *Engine) places(r *Reward) (int32, bool) {
	ro := e.rules.rounding
	if ro.To == RoundToCurrency && !r.IsCurrency {
		return 0, false
	}
	places, ok, _ := ro.places(r.AmountUnits) // normalize and New checked the units
	return places, ok
}

// paid sets a reward's amount by a commission step, and its units when
// the step pays in units of its own.
func (e *Engine) paid(r *Reward, st *step, base decimal.Decimal) {
	r.Amount = st.apply(base)
	if u := st.c.Units; u != "" {
		r.AmountUnits, r.IsCurrency = u, !e.prog.customUnit(u)
	}
}

// rewardTo is a reward of t to its beneficiary (the buyer's partner, or
// its referring customer), with no amount or units, held for review when
// the program has a review period; false when the beneficiary cannot
// earn: none, an archived partner, or a referring customer not active.
func (e *Engine) rewardTo(t *Transaction, b *Buyer) (Reward, bool) {
	r := Reward{
		TransactionKey: t.Key, Action: t.Action,
		CustomerID: t.CustomerID, CustomerKey: t.CustomerKey,
		Credit: e.prog.Rules.Credit, CreatedAt: t.CreatedAt, Status: RewardOK, Kind: t.Kind,
	}
	switch e.prog.Kind {
	case Affiliate:
		p := b.Partner
		if p == nil || p.Status == PartnerArchived {
			return r, false
		}
		r.PartnerID, r.PartnerKey = p.ID, p.Key
	case ReferAFriend:
		rc := b.Referrer
		if rc == nil || rc.Status != CustomerActive {
			return r, false
		}
		r.RewardedCustomerID, r.RewardedCustomerKey = rc.ID, rc.Key
	}
	if review := e.rules.review; review > 0 {
		ends := t.CreatedAt.Add(review)
		r.Status, r.ReviewEndsAt = RewardInReview, &ends
	}
	return r, true
}

// rewardFriend appends the referred customer's own reward on its sale,
// when the program has one (double-sided refer-a-friend, SPEC §4.9).
func (e *Engine) rewardFriend(t *Transaction, tmpl *Reward, buyer *Customer, h CustomerHistory, amount decimal.Decimal) {
	if e.rules.friend == nil {
		return
	}
	i, ok := stepAt(e.rules.friend, h, t.CreatedAt)
	if !ok {
		return
	}
	st := &e.rules.friend[i]
	r := *tmpl
	r.ID = e.newID()
	r.RewardedCustomerID, r.RewardedCustomerKey = buyer.ID, buyer.Key
	r.Status, r.ReviewEndsAt = RewardOK, nil
	if review := e.rules.friendReview; review > 0 {
		ends := t.CreatedAt.Add(review)
		r.Status, r.ReviewEndsAt = RewardInReview, &ends
	}
	e.paid(&r, st, amount)
	r.ProductID, r.ProductType = t.ProductID, t.ProductType
	r.Explanation = Explanation{Rule: matchFriend, RuleVersion: e.rules.version, Match: matchFriend,
		Base: amount, Type: st.c.Type, Value: st.c.Value}
	if len(e.rules.friend) > 1 || !e.rules.friend[0].lifetime {
		r.Explanation.Step = i + 1
	}
	t.Rewards = append(t.Rewards, r)
}

// uplines returns the partners above p, one per level the program pays;
// fewer when the chain ends.
func (e *Engine) uplines(ctx context.Context, tx StoreTx, p *Partner) ([]*Partner, error) {
	var out []*Partner
	for p != nil && p.ReferringPartnerID != "" && len(out) < len(e.rules.levels) {
		up, err := tx.Partner(ctx, PartnerRef{ID: p.ReferringPartnerID})
		if err != nil {
			return nil, err
		}
		// A chain cannot loop (a referrer exists before those it
		// refers); stop all the same if a store says otherwise.
		if slices.ContainsFunc(out, func(q *Partner) bool { return q.ID == up.ID }) {
			break
		}
		out = append(out, up)
		p = up
	}
	return out, nil
}

// rewardLevels appends one reward per level for the partners above the
// selling one, each a commission on the sale's amount (SPEC §4.6). An
// archived partner's level pays nothing; the levels above it still do.
func (e *Engine) rewardLevels(t *Transaction, tmpl *Reward, uplines []*Partner, amount decimal.Decimal) {
	for i, up := range uplines {
		if up.Status == PartnerArchived {
			continue
		}
		st := &e.rules.levels[i]
		r := *tmpl
		r.ID = e.newID()
		r.PartnerID, r.PartnerKey = up.ID, up.Key
		e.paid(&r, st, amount)
		r.ProductID, r.ProductType = t.ProductID, t.ProductType
		r.Explanation = Explanation{
			Rule: "level:" + itoa(i+1), RuleVersion: e.rules.version, Match: matchLevel, Level: i + 1,
			Base: amount, Type: st.c.Type, Value: st.c.Value,
		}
		t.Rewards = append(t.Rewards, r)
	}
}

// roundForStorage rounds a reward finer than the 18 places of storage
// half-even to them, recording StorageRounding.
func roundForStorage(r *Reward) {
	if r.Amount.Exponent() >= -maxScale {
		return // the common case, with no rounding to do
	}
	if y := r.Amount.RoundBank(maxScale); !y.Equal(r.Amount) {
		r.Amount, r.Explanation.Rounding = y, StorageRounding
	}
}

// round applies the program's rounding to a sale's exact computed
// rewards, once, so that they add up to their rounded total, and records
// it on each. Without program rounding, a reward finer than the 18 places
// of storage is rounded half-even to them (StorageRounding).
func (e *Engine) round(t *Transaction) {
	ro := e.rules.rounding
	// Each beneficiary's rewards of the sale in one unit add up to their
	// rounded sum.
	done := make([]bool, len(t.Rewards))
	for i := range t.Rewards {
		if done[i] {
			continue
		}
		places, ok := e.places(&t.Rewards[i])
		if !ok {
			done[i] = true
			roundForStorage(&t.Rewards[i])
			continue
		}
		var group []int
		for j := i; j < len(t.Rewards); j++ {
			rj, ri := &t.Rewards[j], &t.Rewards[i]
			if !done[j] && rj.PartnerID == ri.PartnerID && rj.RewardedCustomerID == ri.RewardedCustomerID && rj.AmountUnits == ri.AmountUnits {
				group, done[j] = append(group, j), true
			}
		}
		exact := make([]decimal.Decimal, len(group))
		for k, j := range group {
			exact[k] = t.Rewards[j].Amount
		}
		for k, amount := range ro.allocate(exact, places) {
			r := &t.Rewards[group[k]]
			r.Amount = amount
			r.Explanation.Rounding, r.Explanation.Exact = ro.label(places), &exact[k]
		}
	}
}

// rewardLine appends the reward of one line, by the rule that matches it,
// if any does; lines is how many the sale has.
func (e *Engine) rewardLine(t *Transaction, tmpl *Reward, l ProductLine, lines int, h CustomerHistory, p *Partner, custom, tier *rule) {
	ru := e.rules.match(l.ProductID, l.ProductType, p, custom, tier)
	if ru == nil {
		return
	}
	i, ok := stepAt(ru.steps, h, t.CreatedAt)
	if !ok { // the commission period is over for this customer
		return
	}
	st := &ru.steps[i]
	if t.Rewards == nil {
		t.Rewards = make([]Reward, 0, lines)
	}
	r := *tmpl
	r.ID = e.newID()
	e.paid(&r, st, l.ProductPrice)
	r.ProductID, r.ProductType = l.ProductID, l.ProductType
	r.Explanation = Explanation{
		Rule: ru.id, RuleVersion: e.rules.version, Match: ru.match,
		Base: l.ProductPrice, Type: st.c.Type, Value: st.c.Value,
	}
	if ru.scheduled() {
		r.Explanation.Step = i + 1
	}
	t.Rewards = append(t.Rewards, r)
}

// present prepares a transaction for the caller: the program kind for its
// JSON, and each reward's status as of now. It changes t, so a value read
// from the store (read-only) is cloned first.
func (e *Engine) present(t *Transaction, now time.Time) *Transaction {
	t.Kind = e.prog.Kind
	for i := range t.Rewards {
		e.presentReward(&t.Rewards[i], now)
	}
	return t
}

func (e *Engine) presentReward(r *Reward, now time.Time) {
	r.Kind = e.prog.Kind
	r.Status = r.statusAt(now)
}

// Transaction returns the transaction with key. A deleted transaction is
// ErrNotFound; an archived one is returned with its DeletedAt set.
func (e *Engine) Transaction(ctx context.Context, key string) (*Transaction, error) {
	now := e.clock()
	var t *Transaction
	err := e.view(ctx, func(tx StoreTx) error {
		var err error
		t, err = tx.Transaction(ctx, key)
		if err == nil && t.State == TransactionDeleted {
			err = fmt.Errorf("%w: transaction %q was deleted", ErrNotFound, key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return e.present(t.Clone(), now), nil
}

// Paging limits of Transactions.
const (
	DefaultLimit = 15
	MaxLimit     = 250
	// MaxPage bounds Page; walk further with Cursor.
	MaxPage = 1_000_000
)

// ListOptions selects a page of transactions.
type ListOptions struct {
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Page is the 1-based page number; 1 when zero. Deep pages cost more
	// than early ones; use Cursor to walk a large program.
	Page int `json:"page,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
	// PartnerKey and CustomerKey filter by the attributed partner and by
	// the buyer.
	PartnerKey  string `json:"partner,omitempty"`
	CustomerKey string `json:"customer,omitempty"`
}

// TransactionPage is one page of transactions, newest first.
type TransactionPage struct {
	Transactions []*Transaction `json:"data"`
	Limit        int            `json:"limit"`
	Page         int            `json:"page"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Transactions lists the transactions that are not deleted, newest first
// (archived ones included, with their DeletedAt).
func (e *Engine) Transactions(ctx context.Context, opts ListOptions) (*TransactionPage, error) {
	now := e.clock()
	v := &validator{}
	if opts.Limit == 0 {
		opts.Limit = DefaultLimit
	} else if opts.Limit < 1 || opts.Limit > MaxLimit {
		v.addf("limit", "must be between 1 and %d", MaxLimit)
	}
	if opts.Page == 0 {
		opts.Page = 1
	} else if opts.Page < 1 || opts.Page > MaxPage {
		v.addf("page", "must be between 1 and %d", MaxPage)
	}
	q := TransactionQuery{Limit: opts.Limit + 1, Offset: (opts.Page - 1) * opts.Limit}
	if opts.Cursor != "" {
		pos, ok := decodeCursor(opts.Cursor)
		if !ok {
			v.add("cursor", "is not a cursor this engine returned")
		}
		if opts.Page > 1 {
			v.add("page", "cannot be combined with cursor")
		}
		q.After, q.Offset = &pos, 0
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var list []*Transaction
	err := e.view(ctx, func(tx StoreTx) error {
		if opts.PartnerKey != "" {
			p, err := tx.Partner(ctx, PartnerRef{Key: opts.PartnerKey})
			if err != nil {
				return partnerErr(err, PartnerRef{Key: opts.PartnerKey})
			}
			q.PartnerID = p.ID
		}
		if opts.CustomerKey != "" {
			c, err := tx.Customer(ctx, CustomerRef{Key: opts.CustomerKey})
			if err != nil {
				return customerErr(err, "customer", CustomerRef{Key: opts.CustomerKey})
			}
			q.CustomerID = c.ID
		}
		var err error
		list, err = tx.Transactions(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	page := &TransactionPage{Limit: opts.Limit, Page: opts.Page}
	if len(list) > opts.Limit {
		list = list[:opts.Limit]
		page.NextCursor = encodeCursor(list[len(list)-1].Position())
	}
	page.Transactions = make([]*Transaction, len(list))
	for i, t := range list {
		page.Transactions[i] = e.present(t.Clone(), now)
	}
	return page, nil
}

func encodeCursor(p Position) string {
	s := strconv.FormatInt(p.CreatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(p.Seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(c string) (Position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Position{}, false
	}
	at, seq, ok := strings.Cut(string(b), ".")
	if !ok {
		return Position{}, false
	}
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return Position{}, false
	}
	return Position{CreatedAt: time.UnixMicro(us).UTC(), Seq: n}, true
}

// DeleteTransaction reverses a transaction (a refund or chargeback): it and
// its rewards get deleted_at and stop counting, and it is no longer found.
// Its key stays reserved, so a retried create can never pay twice.
func (e *Engine) DeleteTransaction(ctx context.Context, key string) error {
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		return TransactionDeleted, &now, nil
	})
}

// ArchiveTransaction soft-deletes a transaction: its rewards are reversed
// until it is restored. ErrAlreadyArchived if it is archived.
func (e *Engine) ArchiveTransaction(ctx context.Context, key string) error {
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		if t.State == TransactionArchived {
			return "", nil, fmt.Errorf("%w: %q", ErrAlreadyArchived, key)
		}
		return TransactionArchived, &now, nil
	})
}

// RestoreTransaction returns an archived transaction and its rewards to
// their former state. ErrNotArchived if it is not archived.
func (e *Engine) RestoreTransaction(ctx context.Context, key string) error {
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		if t.State != TransactionArchived {
			return "", nil, fmt.Errorf("%w: %q", ErrNotArchived, key)
		}
		return TransactionActive, nil, nil
	})
}

func (e *Engine) changeState(ctx context.Context, key string, next func(*Transaction, time.Time) (TransactionState, *time.Time, error)) error {
	now := e.clock()
	return e.update(ctx, func(tx StoreTx) error {
		t, err := tx.Transaction(ctx, key)
		if err != nil {
			return err
		}
		if t.State == TransactionDeleted {
			return fmt.Errorf("%w: transaction %q was deleted", ErrNotFound, key)
		}
		state, at, err := next(t, now)
		if err != nil {
			return err
		}
		if err := tx.SetTransactionState(ctx, key, state, at); err != nil {
			return err
		}
		// The metrics after the state is stored, so that the customer's
		// history they may read no longer holds (or holds again) t. Then
		// the spend limits, which an active transaction's rewards count
		// towards: leaving that state gives their amount back, returning
		// takes it. Counters are locked in the order a sale locks them:
		// the customer's and metrics before spend limits.
		var sign int64
		switch {
		case t.State == TransactionActive && state != TransactionActive:
			sign = -1
		case t.State != TransactionActive && state == TransactionActive:
			sign = 1
		default:
			return nil
		}
		if err := e.recount(ctx, tx, t, sign); err != nil {
			return err
		}
		return releaseSpend(ctx, tx, t.Rewards, sign)
	})
}

// Reward returns the reward with id, its status as of the engine's clock.
func (e *Engine) Reward(ctx context.Context, id string) (*Reward, error) {
	now := e.clock()
	r, err := viewValue(ctx, e, func(tx StoreTx) (*Reward, error) { return tx.Reward(ctx, id) })
	if err != nil {
		return nil, err
	}
	r = r.Clone()
	e.presentReward(r, now)
	return r, nil
}

// ApproveReward releases a reward held in its review period before the
// period ends. ErrNotInReview if it is not held.
func (e *Engine) ApproveReward(ctx context.Context, id string) error {
	return e.decide(ctx, id, RewardOK, "")
}

// RejectReward rejects a reward held in its review period, with a reason.
// ErrNotInReview if it is not held. The rejected amount no longer counts
// towards spend limits; the sale itself still counts towards commission
// periods, tiers and goals (to reverse a sale, delete or archive it).
func (e *Engine) RejectReward(ctx context.Context, id, reason string) error {
	v := &validator{}
	switch {
	case len(reason) > maxReasonLen:
		v.addf("reason", "longer than %d bytes", maxReasonLen)
	case !validUTF8(reason):
		v.add("reason", "is not valid UTF-8")
	case strings.IndexByte(reason, 0) >= 0:
		v.add("reason", "contains a NUL byte")
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.decide(ctx, id, RewardRejected, reason)
}

func (e *Engine) decide(ctx context.Context, id string, status RewardStatus, reason string) error {
	now := e.clock()
	return e.update(ctx, func(tx StoreTx) error {
		// A reward changes with its transaction, whose row a SQL store
		// locks: read it through the transaction, as a refund does, so
		// that the two take turns.
		found, err := tx.Reward(ctx, id)
		if err != nil {
			return err
		}
		t, err := tx.Transaction(ctx, found.TransactionKey)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Rewards, func(r Reward) bool { return r.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: reward %q", ErrNotFound, id)
		}
		r := &t.Rewards[i]
		if r.DeletedAt != nil || r.statusAt(now) != RewardInReview {
			return fmt.Errorf("%w: reward %q is %s", ErrNotInReview, id, describeStatus(r, now))
		}
		if status == RewardRejected {
			if err := releaseSpend(ctx, tx, []Reward{*r}, -1); err != nil {
				return err
			}
		}
		return tx.SetRewardStatus(ctx, id, status, reason, now)
	})
}

func describeStatus(r *Reward, now time.Time) string {
	if r.DeletedAt != nil {
		return "reversed"
	}
	return string(r.statusAt(now))
}
