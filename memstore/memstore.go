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

	txs  map[string]int32 // key → index in recs, deleted included
	recs records
	// all, byCustomer and byPartner hold indexes in recs, oldest first by
	// (CreatedAt, Seq): listing walks them backwards.
	all        []int32
	byCustomer map[string][]int32
	byPartner  map[string][]int32
	rewards    map[string]rewardLoc
	counters   map[commission.CounterKey]decimal.Decimal
	seq        int64
	scratch    []byte // encoding buffer, used under the write lock

	wtx tx // the Update in progress
}

// txRec is a stored transaction: its encoding (see codec.go) and the
// fields that ordering, filtering and history read without decoding it.
type txRec struct {
	enc       []byte
	createdAt int64 // Unix microseconds
	seq       int64
	partnerID string
	state     commission.TransactionState
	qualified bool
}

// records is an append-only list of txRec in fixed-size chunks, so that it
// grows without ever copying what it holds.
type records struct {
	chunks []*[recChunk]txRec
	n      int32
}

const recChunk = 1024

func (r *records) at(i int32) *txRec { return &r.chunks[i/recChunk][i%recChunk] }

func (r *records) add(rec txRec) int32 {
	i := r.n
	if int(i/recChunk) == len(r.chunks) {
		r.chunks = append(r.chunks, new([recChunk]txRec))
	}
	*r.at(i) = rec
	r.n++
	return i
}

// pop removes the last record (a rolled-back insert).
func (r *records) pop() {
	r.n--
	*r.at(r.n) = txRec{}
}

type rewardLoc struct {
	rec int32 // index in recs
	i   int32 // index in the transaction's rewards
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
			txs:             make(map[string]int32),
			byCustomer:      make(map[string][]int32),
			byPartner:       make(map[string][]int32),
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
	t.p, t.write, t.undo, t.counterUndo = p, true, t.undo[:0], t.counterUndo[:0]
	committed := false
	defer func() {
		if !committed {
			t.rollback()
		}
		clear(t.undo)
		clear(t.counterUndo)
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
	p           *program
	write       bool
	undo        []func()
	counterUndo []counterUndo
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

func (t *tx) SetPartnerCommission(_ context.Context, id string, c *commission.Commission) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := t.p.partners[id]
	if !ok {
		return fmt.Errorf("%w: partner id %q", commission.ErrNotFound, id)
	}
	p := old.Clone()
	p.Commission = c
	t.p.partners[id] = p.Clone() // the caller keeps c
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

func (t *tx) Buyer(ctx context.Context, ref commission.CustomerRef) (*commission.Buyer, error) {
	c, err := t.Customer(ctx, ref)
	if err != nil {
		return nil, err
	}
	// Read-only values, shared as Partner and Customer share them.
	b := &commission.Buyer{Customer: c, Partner: t.p.partners[c.PartnerID]}
	if c.ReferringCustomerID != "" {
		b.Referrer = t.p.customers[c.ReferringCustomerID]
	}
	return b, nil
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
	i, ok := t.p.txs[key]
	if !ok {
		return nil, fmt.Errorf("%w: transaction %q", commission.ErrNotFound, key)
	}
	return t.p.decode(i)
}

func (p *program) decode(i int32) (*commission.Transaction, error) {
	tr, err := decodeTransaction(p.recs.at(i).enc)
	if err != nil {
		return nil, fmt.Errorf("memstore: transaction #%d: %w", i, err)
	}
	return tr, nil
}

// encode returns tr's encoding in a slice of its own.
func (p *program) encode(tr *commission.Transaction) []byte {
	p.scratch = encodeTransaction(p.scratch[:0], tr)
	return append([]byte(nil), p.scratch...)
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
	ri := pr.recs.add(txRec{
		enc:       pr.encode(in),
		createdAt: in.CreatedAt.UnixMicro(),
		seq:       in.Seq,
		partnerID: in.PartnerID,
		state:     in.State,
		qualified: in.Qualified,
	})
	key, customerID, partnerID := in.Key, in.CustomerID, in.PartnerID
	pr.txs[key] = ri
	pr.all = pr.insertSorted(pr.all, ri)
	pr.byCustomer[customerID] = pr.insertSorted(pr.byCustomer[customerID], ri)
	if partnerID != "" {
		pr.byPartner[partnerID] = pr.insertSorted(pr.byPartner[partnerID], ri)
	}
	for i := range in.Rewards {
		pr.rewards[in.Rewards[i].ID] = rewardLoc{rec: ri, i: int32(i)}
	}
	t.onRollback(func() {
		delete(pr.txs, key)
		pr.all = pr.remove(pr.all, ri)
		pr.byCustomer[customerID] = pr.remove(pr.byCustomer[customerID], ri)
		if partnerID != "" {
			pr.byPartner[partnerID] = pr.remove(pr.byPartner[partnerID], ri)
		}
		// The record was encoded by this Update, so it decodes.
		if tr, err := pr.decode(ri); err == nil {
			for i := range tr.Rewards {
				delete(pr.rewards, tr.Rewards[i].ID)
			}
		}
		// Undo runs newest first, so this record is the last.
		pr.recs.pop()
		pr.seq--
	})
	return nil
}

// InsertTransactions inserts one by one: in memory a batch saves nothing.
func (t *tx) InsertTransactions(ctx context.Context, ts []*commission.Transaction) error {
	for _, in := range ts {
		if err := t.InsertTransaction(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// cmp orders records oldest first by (CreatedAt, Seq).
func (p *program) cmp(a, b int32) int {
	ra, rb := p.recs.at(a), p.recs.at(b)
	if ra.createdAt != rb.createdAt {
		return cmpInt(ra.createdAt, rb.createdAt)
	}
	return cmpInt(ra.seq, rb.seq)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p *program) insertSorted(s []int32, ri int32) []int32 {
	if n := len(s); n == 0 || p.cmp(s[n-1], ri) < 0 {
		return append(s, ri)
	}
	i, _ := slices.BinarySearchFunc(s, ri, p.cmp)
	return slices.Insert(s, i, ri)
}

func (p *program) remove(s []int32, ri int32) []int32 {
	i, found := slices.BinarySearchFunc(s, ri, p.cmp)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

// rewrite replaces record ri with tr, changed by the caller, and undoes
// that on rollback.
func (t *tx) rewrite(ri int32, tr *commission.Transaction) {
	rec := t.p.recs.at(ri)
	old := *rec
	rec.enc = t.p.encode(tr)
	rec.state, rec.qualified = tr.State, tr.Qualified
	t.onRollback(func() { *t.p.recs.at(ri) = old })
}

func (t *tx) AddRewards(_ context.Context, in *commission.Transaction, from int) error {
	if err := t.writable(); err != nil {
		return err
	}
	ri, ok := t.p.txs[in.Key]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, in.Key)
	}
	tr, err := t.p.decode(ri)
	if err != nil {
		return err
	}
	rewards := in.Rewards[from:]
	for i := range rewards {
		id := rewards[i].ID
		_, taken := t.p.rewards[id]
		for j := range i {
			taken = taken || rewards[j].ID == id
		}
		if taken {
			return fmt.Errorf("%w: reward id %q", commission.ErrDuplicateKey, id)
		}
	}
	first := len(tr.Rewards)
	for i := range rewards {
		tr.Rewards = append(tr.Rewards, *rewards[i].Clone())
	}
	tr.Rewardable, tr.Qualified = in.Rewardable, in.Qualified
	t.rewrite(ri, tr)
	for i := range rewards {
		t.p.rewards[rewards[i].ID] = rewardLoc{rec: ri, i: int32(first + i)}
	}
	t.onRollback(func() {
		for i := range rewards {
			delete(t.p.rewards, rewards[i].ID)
		}
	})
	return nil
}

func (t *tx) SetTransactionState(_ context.Context, key string, state commission.TransactionState, deletedAt *time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	ri, ok := t.p.txs[key]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, key)
	}
	tr, err := t.p.decode(ri)
	if err != nil {
		return err
	}
	tr.State, tr.DeletedAt = state, deletedAt
	for i := range tr.Rewards {
		tr.Rewards[i].DeletedAt = deletedAt
	}
	t.rewrite(ri, tr)
	return nil
}

func (t *tx) Transactions(_ context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	pr := t.p
	list := pr.all
	switch {
	case q.CustomerID != "":
		list = pr.byCustomer[q.CustomerID]
	case q.PartnerID != "":
		list = pr.byPartner[q.PartnerID]
	}
	end := len(list)
	if q.After != nil {
		at, seq := q.After.CreatedAt.UnixMicro(), q.After.Seq
		end, _ = slices.BinarySearchFunc(list, q.After, func(ri int32, _ *commission.Position) int {
			r := pr.recs.at(ri)
			if r.createdAt < at || (r.createdAt == at && r.seq < seq) {
				return -1
			}
			return 1
		})
	}
	var out []*commission.Transaction
	skip := q.Offset
	for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
		if r := pr.recs.at(list[i]); r.state == commission.TransactionDeleted ||
			(q.PartnerID != "" && r.partnerID != q.PartnerID) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		tr, err := pr.decode(list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}

func (t *tx) Reward(_ context.Context, id string) (*commission.Reward, error) {
	loc, ok := t.p.rewards[id]
	if !ok {
		return nil, fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	tr, err := t.p.decode(loc.rec)
	if err != nil {
		return nil, err
	}
	return &tr.Rewards[loc.i], nil
}

func (t *tx) SetRewardStatus(_ context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	loc, ok := t.p.rewards[id]
	if !ok {
		return fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	tr, err := t.p.decode(loc.rec)
	if err != nil {
		return err
	}
	r := &tr.Rewards[loc.i]
	r.Status, r.Reason, r.DecidedAt = status, reason, &at
	t.rewrite(loc.rec, tr)
	return nil
}

func (t *tx) CustomerHistory(_ context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	var h commission.CustomerHistory
	for _, ri := range t.p.byCustomer[customerID] {
		r := t.p.recs.at(ri)
		if !time.UnixMicro(r.createdAt).Before(before) {
			break
		}
		if r.qualified && r.state == commission.TransactionActive {
			if h.Count == 0 {
				h.First = time.UnixMicro(r.createdAt).UTC()
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
		old, existed := t.p.counters[d.Key]
		t.p.counters[d.Key] = old.Add(d.Delta)
		t.counterUndo = append(t.counterUndo, counterUndo{d.Key, old, existed})
	}
	return nil
}

// counterUndo is a counter's value before a unit of work changed it:
// counters are written on every sale, so their undo log is kept apart,
// without a closure each.
type counterUndo struct {
	key     commission.CounterKey
	old     decimal.Decimal
	existed bool
}

// rollback undoes t's writes: counters (which nothing else depends on)
// and the rest, each log newest first.
func (t *tx) rollback() {
	for i := len(t.counterUndo) - 1; i >= 0; i-- {
		u := &t.counterUndo[i]
		if u.existed {
			t.p.counters[u.key] = u.old
		} else {
			delete(t.p.counters, u.key)
		}
	}
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
}
