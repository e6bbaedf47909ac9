package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// refundStore holds a program's refunds by key, and by transaction oldest
// first. A stored refund never changes; reads return copies of it.
type refundStore struct {
	byKey map[string]*commission.Refund
	byTx  map[string][]*commission.Refund
}

func newRefundStore() refundStore {
	return refundStore{byKey: make(map[string]*commission.Refund), byTx: make(map[string][]*commission.Refund)}
}

func (t *tx) InsertRefund(_ context.Context, in *commission.Refund) error {
	if err := t.writable(); err != nil {
		return err
	}
	rs := &t.p.refunds
	if _, taken := rs.byKey[in.Key]; taken {
		return fmt.Errorf("%w: refund %q", commission.ErrDuplicateKey, in.Key)
	}
	r := cloneRefund(in)
	rs.byKey[r.Key] = r
	list := rs.byTx[r.TransactionKey]
	// After those created at the same time: they were stored first.
	i := len(list)
	for i > 0 && list[i-1].CreatedAt.After(r.CreatedAt) {
		i--
	}
	rs.byTx[r.TransactionKey] = slices.Insert(list, i, r)
	t.onRollback(func() {
		delete(rs.byKey, r.Key)
		rs.byTx[r.TransactionKey] = slices.DeleteFunc(rs.byTx[r.TransactionKey], func(x *commission.Refund) bool { return x == r })
	})
	return nil
}

func (t *tx) Refund(_ context.Context, key string) (*commission.Refund, error) {
	r, ok := t.p.refunds.byKey[key]
	if !ok {
		return nil, &notFound{"refund", key}
	}
	return cloneRefund(r), nil
}

func (t *tx) Refunds(_ context.Context, transactionKey string) ([]*commission.Refund, error) {
	list := t.p.refunds.byTx[transactionKey]
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]*commission.Refund, len(list))
	for i, r := range list {
		out[i] = cloneRefund(r)
	}
	return out, nil
}

// cloneRefund returns a deep copy of r without its Entries, which a store
// does not keep.
func cloneRefund(r *commission.Refund) *commission.Refund {
	c := *r
	c.Entries = nil
	if r.Lines != nil {
		c.Lines = make([]commission.RefundLine, len(r.Lines))
		for i, l := range r.Lines {
			if l.Amount != nil {
				a := *l.Amount
				l.Amount = &a
			}
			c.Lines[i] = l
		}
	}
	return &c
}
