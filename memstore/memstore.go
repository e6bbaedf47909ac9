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
	"sync"

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

	partners  people[commission.Partner]
	customers people[commission.Customer]

	txs  map[string]int32 // key → index in recs, deleted included
	recs chunked[txRec]
	// all, byCustomer and byPartner hold indexes in recs, oldest first by
	// (CreatedAt, Seq): listing walks them backwards.
	all        []int32
	byCustomer map[string][]int32
	byPartner  map[string][]int32
	rewards    map[string]rewardLoc
	earners    map[commission.Earner]*earnerRewards
	entries    entryStore
	refunds    refundStore
	payouts    payoutStore
	counters   map[commission.CounterKey]decimal.Decimal
	events     eventLog
	webhooks   webhookStore
	seq        int64
	scratch    []byte // encoding buffer, used under the write lock

	wtx tx // the Update in progress
}

func (s *Store) program(id string) *program {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.programs[id]
	if !ok {
		p = &program{
			partners:   newPeople((*commission.Partner).Clone, partnerFields),
			customers:  newPeople((*commission.Customer).Clone, customerFields),
			txs:        make(map[string]int32),
			byCustomer: make(map[string][]int32),
			byPartner:  make(map[string][]int32),
			rewards:    make(map[string]rewardLoc),
			earners:    make(map[commission.Earner]*earnerRewards),
			entries:    newEntryStore(),
			refunds:    newRefundStore(),
			payouts:    newPayoutStore(),
			counters:   make(map[commission.CounterKey]decimal.Decimal),
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
		t.forget()
	}()
	if err := fn(t); err != nil {
		return err
	}
	t.commit()
	p.events.mine = 0
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
