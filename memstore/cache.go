package memstore

import (
	"slices"

	"github.com/commissionkit/commission"
)

// An Update decodes each transaction it reads once: the decoded value is
// kept in its cache and returned again to later reads in the same unit of
// work, shared, as the store contract allows. A write never modifies a
// cached value (its holder may still read it): it caches a changed copy
// in its place, and the record is encoded once, when the unit of work
// commits. Until then a record keeps its committed encoding, which the
// unit of work reads only through its cache, so a rollback has nothing to
// undo but the record's own fields, and drops the cache. A View caches
// nothing: it decodes a fresh value on every read.

// cached is a transaction as an Update now has it, and whether it changed
// since it was read.
type cached struct {
	tr      *commission.Transaction
	changed bool
}

// recUndo is a record's fields (those read without decoding) before the
// unit of work first changed it.
type recUndo struct {
	ri        int32
	state     commission.TransactionState
	qualified bool
}

// read returns record ri's transaction as this unit of work has it,
// decoding it once per Update. The value is shared: the caller must not
// modify it.
func (t *tx) read(ri int32) (*commission.Transaction, error) {
	if c, ok := t.cache[ri]; ok {
		return c.tr, nil
	}
	tr, err := t.p.decode(ri)
	if err != nil || !t.write {
		return tr, err
	}
	if t.cache == nil {
		t.cache = make(map[int32]cached)
	}
	t.cache[ri] = cached{tr: tr}
	return tr, nil
}

// peek is read without caching what it decodes: for reads that walk many
// records and keep none.
func (t *tx) peek(ri int32) (*commission.Transaction, error) {
	if c, ok := t.cache[ri]; ok {
		return c.tr, nil
	}
	return t.p.decode(ri)
}

// editable returns a copy of tr that the caller may change by assigning
// its fields and its rewards' fields (never what their pointers point
// to), before passing it to rewrite.
func editable(tr *commission.Transaction) *commission.Transaction {
	c := *tr
	c.Rewards = slices.Clone(tr.Rewards)
	return &c
}

// rewrite makes tr, a changed copy (see editable) that the store keeps
// from now on, record ri's transaction: at once for this unit of work, in
// the record's encoding at commit.
func (t *tx) rewrite(ri int32, tr *commission.Transaction) {
	rec := t.p.recs.at(ri)
	if !t.cache[ri].changed {
		t.recUndo = append(t.recUndo, recUndo{ri, rec.state, rec.qualified})
	}
	if t.cache == nil {
		t.cache = make(map[int32]cached)
	}
	t.cache[ri] = cached{tr: tr, changed: true}
	rec.state, rec.qualified = tr.State, tr.Qualified
}

// commit encodes the records the unit of work changed.
func (t *tx) commit() {
	for _, u := range t.recUndo {
		t.p.recs.at(u.ri).enc = t.p.encode(t.cache[u.ri].tr)
	}
}

// rollbackRecords puts back the fields of the records the unit of work
// changed; their encodings it never changed.
func (t *tx) rollbackRecords() {
	for i := len(t.recUndo) - 1; i >= 0; i-- {
		u := &t.recUndo[i]
		rec := t.p.recs.at(u.ri)
		rec.state, rec.qualified = u.state, u.qualified
	}
}

// forget empties the cache for the next unit of work, dropping a large
// one rather than clearing it: clearing costs what the map once held.
func (t *tx) forget() {
	if len(t.cache) > 64 {
		t.cache = nil
	} else {
		clear(t.cache)
	}
	if cap(t.recUndo) > 1024 {
		t.recUndo = nil
	} else {
		t.recUndo = t.recUndo[:0]
	}
}
