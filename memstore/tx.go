package memstore

import (
	"errors"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// tx is one unit of work on a program, with the log that undoes its
// writes.
type tx struct {
	p           *program
	write       bool
	undo        []func()
	counterUndo []counterUndo
	// cache and recUndo: see cache.go.
	cache   map[int32]cached
	recUndo []recUndo
}

var errReadOnly = errors.New("memstore: write in a read-only unit of work")

func (t *tx) writable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) onRollback(f func()) { t.undo = append(t.undo, f) }

// counterUndo is a counter's value before a unit of work changed it:
// counters are written on every sale, so their undo log is kept apart,
// without a closure each.
type counterUndo struct {
	key     commission.CounterKey
	old     decimal.Decimal
	existed bool
}

// rollback undoes t's writes: counters and records' fields (which nothing
// else depends on) and the rest, each log newest first.
func (t *tx) rollback() {
	t.rollbackRecords()
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
