package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// The money lifecycle's indexes (rewards by earner, open and in review;
// entries by transaction and open adjustments; payouts and refunds in
// their orders) are kept write by write and undone with the unit of work.
// These tests draw random histories of every write, each unit of work
// committed, failed or panicking, and require after each one that the
// indexes equal indexes rebuilt from what is stored, that a unit of work
// that did not commit left the store as it was, and that the queries the
// indexes serve answer what a scan of everything would.

var (
	ctx   = context.Background()
	t0    = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	units = []string{"USD", "USD", "points"}
	// customer p1 shares partner p1's id, so that an index by id alone
	// is caught.
	testEarners = []commission.Earner{
		{Kind: commission.EarnerPartner, ID: "p1"},
		{Kind: commission.EarnerPartner, ID: "p2"},
		{Kind: commission.EarnerCustomer, ID: "p1"},
	}
	errFail = errors.New("the unit of work fails")
)

// panicked is what a panicking unit of work panics with.
type panicked struct{}

func TestIndexesFollowEveryWrite(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := New()
		p := s.program("a")
		var m history
		for range rapid.IntRange(1, 40).Draw(t, "units") {
			before, saved := snapshotOf(p), m.clone()
			end := rapid.SampledFrom([]string{"commit", "commit", "fail", "panic"}).Draw(t, "end")
			err := runUnit(s, func(tx commission.StoreTx) error {
				for range rapid.IntRange(1, 3).Draw(t, "writes") {
					if err := m.write(t, tx); err != nil {
						return err
					}
				}
				if end == "panic" {
					panic(panicked{})
				}
				if end == "fail" {
					return errFail
				}
				return nil
			})
			if err != nil {
				require.Equal(t, before, snapshotOf(p), "a unit of work that failed (%v) left something", err)
				m = saved
			}
			requireIndexesRebuilt(t, p)
			requireQueriesScan(t, s, p)
		}
	})
}

// runUnit runs fn in an Update of program "a", and returns an error when
// fn panics with panicked{}.
func runUnit(s *Store, fn func(commission.StoreTx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(panicked); !ok {
				panic(r) // rapid's own, or a bug
			}
			err = errors.New("the unit of work panicked")
		}
	}()
	return s.Update(ctx, "a", fn)
}

// history is what the writes drawn so far stored: the ids the next
// writes pick from, and a count that makes new ids.
type history struct {
	n                                int
	sales, rewards, entries, payouts []string
}

func (h history) clone() history {
	h.sales, h.rewards = slices.Clone(h.sales), slices.Clone(h.rewards)
	h.entries, h.payouts = slices.Clone(h.entries), slices.Clone(h.payouts)
	return h
}

func (h *history) newID(prefix string) string {
	h.n++
	return fmt.Sprintf("%s%d", prefix, h.n)
}

// pick draws one of ids, or a new id that names nothing once in a while.
func pick(t *rapid.T, ids []string, what string) string {
	if len(ids) == 0 || rapid.IntRange(0, 19).Draw(t, what+" unknown") == 0 {
		return "unknown-" + what
	}
	return rapid.SampledFrom(ids).Draw(t, what)
}

// at draws a time of the history: few, so that many rewards tie.
func at(t *rapid.T, what string) time.Time {
	return t0.Add(time.Duration(rapid.IntRange(0, 4).Draw(t, what)) * time.Hour)
}

func amount(t *rapid.T, what string, lo, hi int) decimal.Decimal {
	return decimal.New(int64(rapid.IntRange(lo, hi).Draw(t, what)), -2)
}

// write draws one write of the money lifecycle and makes it; the first
// is a sale, which the others need.
func (h *history) write(t *rapid.T, tx commission.StoreTx) error {
	write := 0
	if len(h.sales) > 0 {
		write = rapid.IntRange(0, 7).Draw(t, "write")
	}
	switch write {
	case 0:
		return h.insertSale(t, tx)
	case 1:
		return h.addRewards(t, tx)
	case 2:
		status := rapid.SampledFrom([]commission.RewardStatus{commission.RewardOK, commission.RewardInReview, commission.RewardRejected}).Draw(t, "status")
		return tx.SetRewardStatus(ctx, pick(t, h.rewards, "reward"), status, "why", at(t, "decided"))
	case 3:
		return h.insertEntries(t, tx)
	case 4:
		ids := []string{pick(t, h.entries, "entry"), pick(t, h.entries, "entry")}
		return tx.SetEntriesAdjustment(ctx, ids, rapid.Bool().Draw(t, "adjustment"))
	case 5:
		return h.insertPayout(t, tx)
	case 6:
		return h.updatePayout(t, tx)
	default:
		r := &commission.Refund{Key: h.newID("f"), TransactionKey: pick(t, h.sales, "sale"), Amount: amount(t, "refund", 1, 900),
			Lines: []commission.RefundLine{{ProductID: "line"}}, CreatedAt: at(t, "refunded")}
		left := commission.RefundedSale{Refunded: amount(t, "refunded", 0, 900), Qualified: rapid.Bool().Draw(t, "qualified")}
		return tx.InsertRefund(ctx, r, left)
	}
}

// reward draws a new reward of sale key, created at created.
func (h *history) reward(t *rapid.T, key string, created time.Time) commission.Reward {
	r := commission.Reward{
		ID: h.newID("r"), TransactionKey: key, Status: commission.RewardOK,
		Amount: amount(t, "amount", 1, 500), AmountUnits: rapid.SampledFrom(units).Draw(t, "units"), CreatedAt: created,
	}
	if e := rapid.SampledFrom(testEarners).Draw(t, "earner"); e.Kind == commission.EarnerPartner {
		r.PartnerID = e.ID
	} else {
		r.RewardedCustomerID = e.ID
	}
	switch rapid.IntRange(0, 2).Draw(t, "held") {
	case 1:
		ends := created.Add(time.Duration(rapid.IntRange(0, 4).Draw(t, "review")) * time.Hour)
		r.Status, r.ReviewEndsAt = commission.RewardInReview, &ends
	case 2:
		r.Status = commission.RewardRejected
	}
	h.rewards = append(h.rewards, r.ID)
	return r
}

func (h *history) insertSale(t *rapid.T, tx commission.StoreTx) error {
	tr := &commission.Transaction{Key: h.newID("s"), CustomerID: "buyer", CreatedAt: at(t, "created"), State: commission.TransactionActive}
	for range rapid.IntRange(1, 3).Draw(t, "rewards") {
		tr.Rewards = append(tr.Rewards, h.reward(t, tr.Key, tr.CreatedAt))
	}
	h.sales = append(h.sales, tr.Key)
	return tx.InsertTransaction(ctx, tr)
}

func (h *history) addRewards(t *rapid.T, tx commission.StoreTx) error {
	stored, err := tx.Transaction(ctx, pick(t, h.sales, "sale"))
	if err != nil {
		return err
	}
	tr := stored.Clone() // the store's is read-only
	from := len(tr.Rewards)
	tr.Rewards = append(tr.Rewards, h.reward(t, tr.Key, at(t, "made rewardable")))
	return tx.AddRewards(ctx, tr, from)
}

func (h *history) insertEntries(t *rapid.T, tx commission.StoreTx) error {
	var entries []commission.Entry
	for range rapid.IntRange(1, 3).Draw(t, "entries") {
		r, err := tx.Reward(ctx, pick(t, h.rewards, "reward"))
		if err != nil {
			return err
		}
		id := h.newID("e")
		if len(h.entries) > 0 && rapid.IntRange(0, 9).Draw(t, "entry id taken") == 0 {
			id = rapid.SampledFrom(h.entries).Draw(t, "taken id")
		}
		entries = append(entries, commission.Entry{
			ID: id, RewardID: r.ID, TransactionKey: r.TransactionKey, Reason: commission.EntryRefund,
			Earner: earnerOf(r), Units: r.AmountUnits, Amount: amount(t, "entry", -300, 100),
			CreatedAt: at(t, "entered"), Adjustment: rapid.Bool().Draw(t, "adjustment"),
		})
		h.entries = append(h.entries, id)
	}
	_, err := tx.InsertEntries(ctx, entries)
	return err
}

// insertPayout pays an earner's payable rewards and open adjustments,
// and now and then one of any earner's, which may be in a payout.
func (h *history) insertPayout(t *rapid.T, tx commission.StoreTx) error {
	e := rapid.SampledFrom(testEarners).Draw(t, "payee")
	u := rapid.SampledFrom(units).Draw(t, "payout units")
	rewards, err := tx.PayableRewards(ctx, e, u, at(t, "as of"))
	if err != nil {
		return err
	}
	adjustments, err := tx.OpenAdjustments(ctx, e, u)
	if err != nil {
		return err
	}
	p := &commission.Payout{ID: h.newID("o"), Earner: e, Units: u, Amount: decimal.NewFromInt(1),
		State: commission.PayoutPending, CreatedAt: at(t, "paid out")}
	for _, r := range rewards {
		p.RewardIDs = append(p.RewardIDs, r.ID)
	}
	for _, a := range adjustments {
		p.EntryIDs = append(p.EntryIDs, a.ID)
	}
	if rapid.IntRange(0, 4).Draw(t, "any reward") == 0 {
		p.RewardIDs = append(p.RewardIDs, pick(t, h.rewards, "reward"))
	}
	h.payouts = append(h.payouts, p.ID)
	return tx.InsertPayout(ctx, p)
}

func (h *history) updatePayout(t *rapid.T, tx commission.StoreTx) error {
	p, err := tx.Payout(ctx, pick(t, h.payouts, "payout"))
	if err != nil {
		return err
	}
	when := at(t, "updated")
	if rapid.Bool().Draw(t, "paid") {
		p.State, p.PaidAt, p.Reference = commission.PayoutPaid, &when, "bank"
	} else {
		p.State, p.CanceledAt = commission.PayoutCanceled, &when
	}
	return tx.UpdatePayout(ctx, p)
}
