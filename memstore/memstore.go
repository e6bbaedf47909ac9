// Package memstore is an in-memory commission.Store, for tests and for
// single-process applications that keep nothing across restarts.
//
// Every program has its own lock: an Update holds it exclusively for its
// whole unit of work, so its reads are race-free, and a View shares it.
// A unit of work that fails is rolled back from an undo log, so it leaves
// nothing behind.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// Store is an in-memory commission.Store, safe for concurrent use. The zero
// value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	programs map[string]*program
}

// New returns an empty store.
func New() *Store {
	return &Store{programs: make(map[string]*program)}
}

var _ commission.Store = (*Store)(nil)

type program struct {
	mu sync.RWMutex

	partners        map[string]*commission.Partner // by id
	partnerByKey    map[string]string
	partnerByEmail  map[string]string
	customers       map[string]*commission.Customer // by id
	customerByKey   map[string]string
	customerByEmail map[string]string

	txs map[string]*commission.Transaction // by key, deleted included
	// all, byCustomer and byPartner hold transactions oldest first by
	// (CreatedAt, Seq): listing walks them backwards.
	all        []*commission.Transaction
	byCustomer map[string][]*commission.Transaction
	byPartner  map[string][]*commission.Transaction
	rewards    map[string]rewardLoc
	counters   map[commission.CounterKey]decimal.Decimal
	seq        int64

	wtx tx // the Update in progress
}

type rewardLoc struct {
	t *commission.Transaction
	i int
}

func (s *Store) program(id string) *program {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.programs[id]
	if !ok {
		p = &program{
			partners:        make(map[string]*commission.Partner),
			partnerByKey:    make(map[string]string),
			partnerByEmail:  make(map[string]string),
			customers:       make(map[string]*commission.Customer),
			customerByKey:   make(map[string]string),
			customerByEmail: make(map[string]string),
			txs:             make(map[string]*commission.Transaction),
			byCustomer:      make(map[string][]*commission.Transaction),
			byPartner:       make(map[string][]*commission.Transaction),
			rewards:         make(map[string]rewardLoc),
			counters:        make(map[commission.CounterKey]decimal.Decimal),
		}
		s.programs[id] = p
	}
	return p
}

// Update runs fn with the program locked exclusively. When fn returns an
// error or panics, everything it wrote is undone.
func (s *Store) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.program(programID)
	p.mu.Lock()
	defer p.mu.Unlock()
	// One Update at a time holds the lock, so its tx is reused.
	t := &p.wtx
	t.p, t.write, t.undo = p, true, t.undo[:0]
	committed := false
	defer func() {
		if !committed {
			for i := len(t.undo) - 1; i >= 0; i-- {
				t.undo[i]()
			}
		}
		clear(t.undo)
	}()
	if err := fn(t); err != nil {
		return err
	}
	committed = true
	return nil
}

// View runs fn with the program locked for reading.
func (s *Store) View(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.program(programID)
	p.mu.RLock()
	defer p.mu.RUnlock()
	return fn(&tx{p: p})
}

type tx struct {
	p     *program
	write bool
	undo  []func()
}

var errReadOnly = errors.New("memstore: write in a read-only unit of work")

func (t *tx) writable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) onRollback(f func()) { t.undo = append(t.undo, f) }

// lookup resolves an id, key or email reference to an id.
func lookup(id, key, email string, byKey, byEmail map[string]string) string {
	switch {
	case id != "":
		return id
	case key != "":
		return byKey[key]
	case email != "":
		return byEmail[email]
	}
	return ""
}

func (t *tx) Partner(_ context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	p, ok := t.p.partners[lookup(ref.ID, ref.Key, ref.Email, t.p.partnerByKey, t.p.partnerByEmail)]
	if !ok {
		return nil, fmt.Errorf("%w: partner %+v", commission.ErrNotFound, ref)
	}
	return p, nil // read-only; SetPartnerStatus replaces it
}

func (t *tx) InsertPartner(_ context.Context, p *commission.Partner) error {
	if err := t.writable(); err != nil {
		return err
	}
	pr := t.p
	if err := taken("partner", p.ID, p.Key, p.Email, pr.partners[p.ID] != nil, pr.partnerByKey, pr.partnerByEmail); err != nil {
		return err
	}
	p = p.Clone() // the caller's value may change after this returns
	pr.partners[p.ID] = p
	pr.partnerByKey[p.Key] = p.ID
	if p.Email != "" {
		pr.partnerByEmail[p.Email] = p.ID
	}
	t.onRollback(func() {
		delete(pr.partners, p.ID)
		delete(pr.partnerByKey, p.Key)
		if p.Email != "" {
			delete(pr.partnerByEmail, p.Email)
		}
	})
	return nil
}

func taken(what, id, key, email string, idTaken bool, byKey, byEmail map[string]string) error {
	_, keyTaken := byKey[key]
	_, emailTaken := byEmail[email]
	switch {
	case idTaken:
		return fmt.Errorf("%w: %s id %q", commission.ErrDuplicateKey, what, id)
	case keyTaken:
		return fmt.Errorf("%w: %s key %q", commission.ErrDuplicateKey, what, key)
	case email != "" && emailTaken:
		return fmt.Errorf("%w: %s email %q", commission.ErrDuplicateKey, what, email)
	}
	return nil
}

func (t *tx) SetPartnerStatus(_ context.Context, id string, status commission.PartnerStatus) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := t.p.partners[id]
	if !ok {
		return fmt.Errorf("%w: partner id %q", commission.ErrNotFound, id)
	}
	p := old.Clone()
	p.Status = status
	t.p.partners[id] = p
	t.onRollback(func() { t.p.partners[id] = old })
	return nil
}

func (t *tx) Customer(_ context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	c, ok := t.p.customers[lookup(ref.ID, ref.Key, ref.Email, t.p.customerByKey, t.p.customerByEmail)]
	if !ok {
		return nil, fmt.Errorf("%w: customer %+v", commission.ErrNotFound, ref)
	}
	return c, nil // read-only; SetCustomerStatus replaces it
}

func (t *tx) InsertCustomer(_ context.Context, c *commission.Customer) error {
	if err := t.writable(); err != nil {
		return err
	}
	pr := t.p
	if err := taken("customer", c.ID, c.Key, c.Email, pr.customers[c.ID] != nil, pr.customerByKey, pr.customerByEmail); err != nil {
		return err
	}
	c = c.Clone() // the caller's value may change after this returns
	pr.customers[c.ID] = c
	pr.customerByKey[c.Key] = c.ID
	if c.Email != "" {
		pr.customerByEmail[c.Email] = c.ID
	}
	t.onRollback(func() {
		delete(pr.customers, c.ID)
		delete(pr.customerByKey, c.Key)
		if c.Email != "" {
			delete(pr.customerByEmail, c.Email)
		}
	})
	return nil
}

func (t *tx) SetCustomerStatus(_ context.Context, id string, status commission.CustomerStatus) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := t.p.customers[id]
	if !ok {
		return fmt.Errorf("%w: customer id %q", commission.ErrNotFound, id)
	}
	c := old.Clone()
	c.Status = status
	t.p.customers[id] = c
	t.onRollback(func() { t.p.customers[id] = old })
	return nil
}

func (t *tx) Transaction(_ context.Context, key string) (*commission.Transaction, error) {
	tr, ok := t.p.txs[key]
	if !ok {
		return nil, fmt.Errorf("%w: transaction %q", commission.ErrNotFound, key)
	}
	return tr.Clone(), nil
}

func (t *tx) InsertTransaction(_ context.Context, in *commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	pr := t.p
	if _, ok := pr.txs[in.Key]; ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrDuplicateKey, in.Key)
	}
	for i := range in.Rewards {
		id := in.Rewards[i].ID
		_, taken := pr.rewards[id]
		for j := range i {
			taken = taken || in.Rewards[j].ID == id
		}
		if taken {
			return fmt.Errorf("%w: reward id %q", commission.ErrDuplicateKey, id)
		}
	}
	pr.seq++
	in.Seq = pr.seq
	tr := in.Clone()
	pr.txs[tr.Key] = tr
	pr.all = insertSorted(pr.all, tr)
	pr.byCustomer[tr.CustomerID] = insertSorted(pr.byCustomer[tr.CustomerID], tr)
	if tr.PartnerID != "" {
		pr.byPartner[tr.PartnerID] = insertSorted(pr.byPartner[tr.PartnerID], tr)
	}
	for i := range tr.Rewards {
		pr.rewards[tr.Rewards[i].ID] = rewardLoc{t: tr, i: i}
	}
	t.onRollback(func() {
		delete(pr.txs, tr.Key)
		pr.all = remove(pr.all, tr)
		pr.byCustomer[tr.CustomerID] = remove(pr.byCustomer[tr.CustomerID], tr)
		if tr.PartnerID != "" {
			pr.byPartner[tr.PartnerID] = remove(pr.byPartner[tr.PartnerID], tr)
		}
		for i := range tr.Rewards {
			delete(pr.rewards, tr.Rewards[i].ID)
		}
		pr.seq--
	})
	return nil
}

// before orders transactions oldest first.
func before(a, b *commission.Transaction) bool {
	return b.Position().Before(a.Position())
}

func insertSorted(s []*commission.Transaction, t *commission.Transaction) []*commission.Transaction {
	if n := len(s); n == 0 || before(s[n-1], t) {
		return append(s, t)
	}
	i, _ := slices.BinarySearchFunc(s, t, cmpPosition)
	return slices.Insert(s, i, t)
}

func remove(s []*commission.Transaction, t *commission.Transaction) []*commission.Transaction {
	i, found := slices.BinarySearchFunc(s, t, cmpPosition)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

func cmpPosition(a, b *commission.Transaction) int {
	switch {
	case before(a, b):
		return -1
	case before(b, a):
		return 1
	}
	return 0
}

func (t *tx) SetTransactionState(_ context.Context, key string, state commission.TransactionState, deletedAt *time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	tr, ok := t.p.txs[key]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, key)
	}
	oldState, oldAt := tr.State, tr.DeletedAt
	oldRewardAt := make([]*time.Time, len(tr.Rewards))
	tr.State, tr.DeletedAt = state, copyTime(deletedAt)
	for i := range tr.Rewards {
		oldRewardAt[i] = tr.Rewards[i].DeletedAt
		tr.Rewards[i].DeletedAt = copyTime(deletedAt)
	}
	t.onRollback(func() {
		tr.State, tr.DeletedAt = oldState, oldAt
		for i := range tr.Rewards {
			tr.Rewards[i].DeletedAt = oldRewardAt[i]
		}
	})
	return nil
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func (t *tx) Transactions(_ context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	list := t.p.all
	switch {
	case q.CustomerID != "":
		list = t.p.byCustomer[q.CustomerID]
	case q.PartnerID != "":
		list = t.p.byPartner[q.PartnerID]
	}
	end := len(list)
	if q.After != nil {
		after := *q.After
		end, _ = slices.BinarySearchFunc(list, after, func(tr *commission.Transaction, p commission.Position) int {
			if p.Before(tr.Position()) {
				return -1
			}
			return 1
		})
	}
	var out []*commission.Transaction
	skip := q.Offset
	for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
		tr := list[i]
		if tr.State == commission.TransactionDeleted ||
			(q.PartnerID != "" && tr.PartnerID != q.PartnerID) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, tr.Clone())
	}
	return out, nil
}

func (t *tx) Reward(_ context.Context, id string) (*commission.Reward, error) {
	loc, ok := t.p.rewards[id]
	if !ok {
		return nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	return loc.t.Rewards[loc.i].Clone(), nil
}

func (t *tx) SetRewardStatus(_ context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	loc, ok := t.p.rewards[id]
	if !ok {
		return fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	r := &loc.t.Rewards[loc.i]
	old := *r
	r.Status, r.Reason, r.DecidedAt = status, reason, &at
	t.onRollback(func() { *r = old })
	return nil
}

func (t *tx) CustomerHistory(_ context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	var h commission.CustomerHistory
	for _, tr := range t.p.byCustomer[customerID] {
		if !tr.CreatedAt.Before(before) {
			break
		}
		if tr.Qualified && tr.State == commission.TransactionActive {
			if h.Count == 0 {
				h.First = tr.CreatedAt
			}
			h.Count++
		}
	}
	return h, nil
}

func (t *tx) Counters(_ context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	out := make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		out[i] = t.p.counters[k]
	}
	return out, nil
}

func (t *tx) AddCounters(_ context.Context, deltas []commission.CounterDelta) error {
	if err := t.writable(); err != nil {
		return err
	}
	for _, d := range deltas {
		k := d.Key
		old, existed := t.p.counters[k]
		t.p.counters[k] = old.Add(d.Delta)
		t.onRollback(func() {
			if existed {
				t.p.counters[k] = old
			} else {
				delete(t.p.counters, k)
			}
		})
	}
	return nil
}
