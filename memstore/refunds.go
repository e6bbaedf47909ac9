package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// refundStore holds a program's refunds by key; each transaction's
// record holds its own, oldest first (recMoney). A stored refund never
// changes; reads return copies of it.
type refundStore struct {
	byKey map[string]*commission.Refund
}

func newRefundStore() refundStore {
	return refundStore{byKey: make(map[string]*commission.Refund)}
}

// recMoney is what a transaction's record holds of the money lifecycle:
// nil until the transaction has a refund or an entry, so that a sale that
// has neither costs one pointer.
type recMoney struct {
	refunds []*commission.Refund // oldest first
	entries []int32              // indexes in entryStore.list, ascending
}

// money returns record ri's recMoney, making it if the record has none
// (and dropping it again on rollback).
func (t *tx) money(ri int32) *recMoney {
	rec := t.p.recs.at(ri)
	if rec.money == nil {
		rec.money = &recMoney{}
		t.onRollback(func() { rec.money = nil })
	}
	return rec.money
}

// moneyOf returns the recMoney of the transaction with key; nil if it has
// none or the key is unknown.
func (p *program) moneyOf(key string) *recMoney {
	if ri, ok := p.txs[key]; ok {
		return p.recs.at(ri).money
	}
	return nil
}

func (t *tx) InsertRefund(_ context.Context, in *commission.Refund, left commission.RefundedSale) error {
	if err := t.writable(); err != nil {
		return err
	}
	rs := &t.p.refunds
	if _, taken := rs.byKey[in.Key]; taken {
		return fmt.Errorf("%w: refund %q", commission.ErrDuplicateKey, in.Key)
	}
	ri, ok := t.p.txs[in.TransactionKey]
	if !ok {
		return fmt.Errorf("%w: transaction %q", commission.ErrNotFound, in.TransactionKey)
	}
	was, err := t.read(ri)
	if err != nil {
		return err
	}
	tr := *was // its rewards do not change
	tr.Refunded, tr.Qualified = left.Refunded, left.Qualified
	t.rewrite(ri, &tr)
	r := cloneRefund(in)
	rs.byKey[r.Key] = r
	m := t.money(ri)
	list := m.refunds
	// After those created at the same time: they were stored first.
	i := len(list)
	for i > 0 && list[i-1].CreatedAt.After(r.CreatedAt) {
		i--
	}
	m.refunds = slices.Insert(list, i, r)
	t.onRollback(func() {
		delete(rs.byKey, r.Key)
		m.refunds = slices.DeleteFunc(m.refunds, func(x *commission.Refund) bool { return x == r })
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
	m := t.p.moneyOf(transactionKey)
	if m == nil || len(m.refunds) == 0 {
		return nil, nil
	}
	list := m.refunds
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
