package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
)

func (t *tx) Transaction(_ context.Context, key string) (*commission.Transaction, error) {
	i, ok := t.p.txs[key]
	if !ok {
		return nil, &notFound{"transaction", key}
	}
	return t.read(i)
}

func (t *tx) InsertTransaction(_ context.Context, in *commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	pr := t.p
	if _, ok := pr.txs[in.Key]; ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrDuplicateKey, in.Key)
	}
	if err := pr.rewardIDsFree(in.Rewards); err != nil {
		return err
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
	pr.index(ri, in)
	key, customerID, partnerID := in.Key, in.CustomerID, in.PartnerID
	t.onRollback(func() {
		pr.unindex(ri, key, customerID, partnerID)
		// Undo runs newest first, so this record is the last.
		pr.recs.pop()
		pr.seq--
	})
	return nil
}

// index makes record ri, which holds tr, found by its key, in the lists,
// and by its rewards' ids, and lists its rewards for their earners.
func (p *program) index(ri int32, tr *commission.Transaction) {
	p.txs[tr.Key] = ri
	p.all = p.insertSorted(p.all, ri)
	p.byCustomer[tr.CustomerID] = p.insertSorted(p.byCustomer[tr.CustomerID], ri)
	if tr.PartnerID != "" {
		p.byPartner[tr.PartnerID] = p.insertSorted(p.byPartner[tr.PartnerID], ri)
	}
	for i := range tr.Rewards {
		loc := rewardLoc{rec: ri, i: int32(i)}
		p.rewards[tr.Rewards[i].ID] = loc
		p.indexReward(&tr.Rewards[i], loc)
	}
}

// unindex undoes index: the record's transaction had key, customerID and
// partnerID.
func (p *program) unindex(ri int32, key, customerID, partnerID string) {
	delete(p.txs, key)
	p.all = p.remove(p.all, ri)
	p.byCustomer[customerID] = p.remove(p.byCustomer[customerID], ri)
	if partnerID != "" {
		p.byPartner[partnerID] = p.remove(p.byPartner[partnerID], ri)
	}
	// The record was encoded by this Update, so it decodes.
	if tr, err := p.decode(ri); err == nil {
		for i := range tr.Rewards {
			delete(p.rewards, tr.Rewards[i].ID)
			p.unindexReward(&tr.Rewards[i], rewardLoc{rec: ri, i: int32(i)})
		}
	}
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

func (t *tx) SetTransactionState(_ context.Context, key string, state commission.TransactionState, deletedAt *time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	ri, ok := t.p.txs[key]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, key)
	}
	was, err := t.read(ri)
	if err != nil {
		return err
	}
	deletedAt = copyTime(deletedAt) // the caller's may change
	tr := editable(was)
	tr.State, tr.DeletedAt = state, deletedAt
	for i := range tr.Rewards {
		tr.Rewards[i].DeletedAt = deletedAt
	}
	t.rewrite(ri, tr)
	return nil
}
