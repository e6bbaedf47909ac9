package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// entryStore holds a program's entries in the order they were stored,
// found by id, by transaction (each transaction's record lists its own,
// recMoney) and, while they are open adjustments (no payout has netted
// them), by earner and units. Entries are few beside
// sales, so they are kept as values, not encoded.
type entryStore struct {
	list chunked[commission.Entry]
	byID map[string]int32 // id → index in list
	// open holds indexes in list, ascending.
	open map[adjustmentKey][]int32
}

type adjustmentKey struct {
	earner commission.Earner
	units  string
}

func newEntryStore() entryStore {
	return entryStore{byID: make(map[string]int32), open: make(map[adjustmentKey][]int32)}
}

// isOpen reports whether e is an adjustment that the next payout nets.
func isOpen(e *commission.Entry) bool { return e.Adjustment && e.PayoutID == "" }

func (t *tx) InsertEntries(_ context.Context, in []commission.Entry) ([]commission.RewardPlace, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	es := &t.p.entries
	rewardIDs := make([]string, len(in))
	for k := range in {
		if err := es.idFree(in[:k], in[k].ID); err != nil {
			return nil, err
		}
		rewardIDs[k] = in[k].RewardID
	}
	rewards, err := t.readRewards(rewardIDs)
	if err != nil {
		return nil, err
	}
	places := make([]commission.RewardPlace, len(in))
	for k := range in {
		r := rewards.at(k)
		places[k] = commission.RewardPlace{PayoutID: r.PayoutID, Status: r.Status}
		es.add(in[k], t.money(rewards.refs[k].loc.rec))
	}
	n := len(in)
	t.onRollback(func() {
		for range n {
			es.pop(t.p)
		}
	})
	t.changeRewards(rewards, func(k int, r *commission.Reward) { r.Reversed = r.Reversed.Sub(in[k].Amount) })
	return places, nil
}

// idFree is ErrDuplicateKey when id is stored or one of earlier has it.
func (es *entryStore) idFree(earlier []commission.Entry, id string) error {
	_, taken := es.byID[id]
	for j := range earlier {
		taken = taken || earlier[j].ID == id
	}
	if taken {
		return fmt.Errorf("%w: entry id %q", commission.ErrDuplicateKey, id)
	}
	return nil
}

// add stores e, listing it in m, its transaction's.
func (es *entryStore) add(e commission.Entry, m *recMoney) {
	i := es.list.add(e)
	es.byID[e.ID] = i
	m.entries = append(m.entries, i)
	if isOpen(&e) {
		k := adjustmentKey{e.Earner, e.Units}
		es.open[k] = append(es.open[k], i)
	}
}

// pop removes the entry added last, as it was added: the undo log runs
// newest first, so any later change of it has been undone.
func (es *entryStore) pop(p *program) {
	i := es.list.n - 1
	e := es.list.at(i)
	delete(es.byID, e.ID)
	m := p.recs.at(p.rewards[e.RewardID].rec).money
	m.entries = dropIndex(m.entries, i)
	if isOpen(e) {
		k := adjustmentKey{e.Earner, e.Units}
		es.open[k] = dropIndex(es.open[k], i)
	}
	es.list.pop()
}

func (t *tx) Entries(_ context.Context, transactionKey string) ([]commission.Entry, error) {
	m := t.p.moneyOf(transactionKey)
	if m == nil {
		return nil, nil
	}
	return t.p.entries.copies(m.entries), nil
}

func (t *tx) OpenAdjustments(_ context.Context, e commission.Earner, units string) ([]commission.Entry, error) {
	return t.p.entries.copies(t.p.entries.open[adjustmentKey{e, units}]), nil
}

// copies returns the entries at indexes, copied for the caller to keep.
func (es *entryStore) copies(indexes []int32) []commission.Entry {
	if len(indexes) == 0 {
		return nil
	}
	out := make([]commission.Entry, len(indexes))
	for k, i := range indexes {
		out[k] = *es.list.at(i)
	}
	return out
}

func (t *tx) SetEntriesAdjustment(_ context.Context, ids []string, adjustment bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	indexes, err := t.p.entries.find(ids)
	if err != nil {
		return err
	}
	for _, i := range indexes {
		t.changeEntry(i, func(e *commission.Entry) { e.Adjustment = adjustment })
	}
	return nil
}

// find returns the indexes of the entries with ids. ErrNotFound if one is
// unknown.
func (es *entryStore) find(ids []string) ([]int32, error) {
	out := make([]int32, len(ids))
	for k, id := range ids {
		i, ok := es.byID[id]
		if !ok {
			return nil, fmt.Errorf("%w: entry %q", commission.ErrNotFound, id)
		}
		out[k] = i
	}
	return out, nil
}

// changeEntry lets edit change entry i, keeps the open adjustments up to
// date, and puts the entry back on rollback.
func (t *tx) changeEntry(i int32, edit func(*commission.Entry)) {
	es := &t.p.entries
	e := es.list.at(i)
	old := *e
	edit(e)
	es.reopen(i, &old, e)
	t.onRollback(func() {
		changed := *e
		*e = old
		es.reopen(i, &changed, &old)
	})
}

// reopen moves entry i into or out of the open adjustments as it changed
// from was to now (whose earner and units are was's).
func (es *entryStore) reopen(i int32, was, now *commission.Entry) {
	k := adjustmentKey{now.Earner, now.Units}
	switch {
	case isOpen(now) && !isOpen(was):
		j, _ := slices.BinarySearch(es.open[k], i)
		es.open[k] = slices.Insert(es.open[k], j, i)
	case isOpen(was) && !isOpen(now):
		es.open[k] = dropIndex(es.open[k], i)
	}
}

// dropIndex removes i from s, ascending, deleting nothing if it is not
// there.
func dropIndex(s []int32, i int32) []int32 {
	if j, found := slices.BinarySearch(s, i); found {
		return slices.Delete(s, j, j+1)
	}
	return s
}
