package commissiontest

import (
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// allStates lists transactions in every state.
var allStates = []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}

// refresh reads back every transaction, partner and payout, oldest first.
func (r *runner) refresh() error {
	var err error
	if r.txs, err = r.listTransactions(); err != nil {
		return fmt.Errorf("listing transactions: %w", err)
	}
	r.partners = nil // read when asked for
	if r.payouts, err = r.listPayouts(); err != nil {
		return fmt.Errorf("listing payouts: %w", err)
	}
	return nil
}

func (r *runner) listTransactions() ([]*commission.Transaction, error) {
	var out []*commission.Transaction
	opts := commission.ListOptions{Limit: commission.MaxLimit, States: allStates}
	for {
		page, err := r.eng.Transactions(r.ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Transactions...)
		if opts.Cursor = page.NextCursor; opts.Cursor == "" {
			slices.Reverse(out)
			return out, nil
		}
	}
}

func (r *runner) listPartners() ([]*commission.Partner, error) {
	var out []*commission.Partner
	opts := commission.PartnerListOptions{Limit: commission.MaxLimit, Statuses: []commission.PartnerStatus{
		commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived, commission.PartnerDeleted}}
	for {
		page, err := r.eng.Partners(r.ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Partners...)
		if opts.Cursor = page.NextCursor; opts.Cursor == "" {
			slices.Reverse(out)
			return out, nil
		}
	}
}

func (r *runner) listPayouts() ([]*commission.Payout, error) {
	var out []*commission.Payout
	opts := commission.PayoutListOptions{Limit: commission.MaxLimit}
	for {
		page, err := r.eng.Payouts(r.ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Payouts...)
		if opts.Cursor = page.NextCursor; opts.Cursor == "" {
			slices.Reverse(out)
			return out, nil
		}
	}
}
