package storetest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The fixtures, reads and comparisons of the money lifecycle's tests:
// entries, refunds, payouts and the balances they make.

// The earners of the money tests. customerP1 has partnerP1's id, so that
// a store that filters by id alone, not by kind, is caught.
var (
	partnerP1  = commission.Earner{Kind: commission.EarnerPartner, ID: "p1"}
	partnerP2  = commission.Earner{Kind: commission.EarnerPartner, ID: "p2"}
	customerP1 = commission.Earner{Kind: commission.EarnerCustomer, ID: "p1"}
)

// earnedBy returns saleFixture's sale key of customer "buyer", made at at,
// with one reward per id, all paying e, on lines 1, 2, ... Its rewards are
// in review until 30 days after at, as saleFixture's are.
func earnedBy(key string, e commission.Earner, at time.Time, ids ...string) *commission.Transaction {
	partnerID := ""
	if e.Kind == commission.EarnerPartner {
		partnerID = e.ID
	}
	tr := saleFixture(key, "buyer", partnerID, at, ids...)
	for i := range tr.Rewards {
		r := &tr.Rewards[i]
		r.Line = i + 1
		if e.Kind == commission.EarnerCustomer {
			r.RewardedCustomerID, r.RewardedCustomerKey = e.ID, "key-"+e.ID
		}
	}
	return tr
}

// released makes every reward of tr stored ok, with no review.
func released(tr *commission.Transaction) *commission.Transaction {
	for i := range tr.Rewards {
		tr.Rewards[i].Status, tr.Rewards[i].ReviewEndsAt = commission.RewardOK, nil
	}
	return tr
}

// earnerOf is whom r pays: its partner when it has one, else its rewarded
// customer.
func earnerOf(r *commission.Reward) commission.Earner {
	if r.PartnerID != "" {
		return commission.Earner{Kind: commission.EarnerPartner, ID: r.PartnerID}
	}
	return commission.Earner{Kind: commission.EarnerCustomer, ID: r.RewardedCustomerID}
}

// entryOf returns an entry id against r of amount, made at at: a refund's
// entry, not an adjustment.
func entryOf(id string, r *commission.Reward, amount string, at time.Time) commission.Entry {
	return commission.Entry{
		ID: id, RewardID: r.ID, TransactionKey: r.TransactionKey, Reason: commission.EntryRefund,
		RefundKey: "refund-" + id, Earner: earnerOf(r), Units: r.AmountUnits,
		Amount: dec(amount), CreatedAt: at,
	}
}

// adjustmentOf is entryOf made while r was in a payout: an adjustment.
func adjustmentOf(id string, r *commission.Reward, amount string, at time.Time) commission.Entry {
	e := entryOf(id, r, amount, at)
	e.Adjustment = true
	return e
}

// payoutOf returns a pending payout id to e in USD, of the rewards and
// entries named, created at at.
func payoutOf(id string, e commission.Earner, at time.Time, rewardIDs, entryIDs []string) *commission.Payout {
	return &commission.Payout{
		ID: id, Earner: e, EarnerKey: "key-" + e.ID, Units: "USD", Amount: dec("1.5"),
		State: commission.PayoutPending, RewardIDs: rewardIDs, EntryIDs: entryIDs, CreatedAt: at,
	}
}

// idsOf returns the ids of rewards.
func idsOf(rewards []*commission.Reward) []string {
	out := []string{}
	for _, r := range rewards {
		out = append(out, r.ID)
	}
	return out
}

// entryIDs returns the ids of entries.
func entryIDs(entries []commission.Entry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

// payoutIDs returns the ids of payouts.
func payoutIDs(payouts []*commission.Payout) []string {
	out := []string{}
	for _, p := range payouts {
		out = append(out, p.ID)
	}
	return out
}

// Reads, each in a View of its own on program prog, that must succeed.

func entriesOf(t *testing.T, s commission.Store, prog, txKey string) []commission.Entry {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]commission.Entry, error) { return tx.Entries(ctx, txKey) })
	require.NoError(t, err)
	return out
}

func openAdjustments(t *testing.T, s commission.Store, prog string, e commission.Earner, units string) []commission.Entry {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]commission.Entry, error) {
		return tx.OpenAdjustments(ctx, e, units)
	})
	require.NoError(t, err)
	return out
}

func pendingSum(t *testing.T, s commission.Store, prog string, e commission.Earner, units string, after time.Time) decimal.Decimal {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) (decimal.Decimal, error) {
		return tx.PendingSum(ctx, e, units, after)
	})
	require.NoError(t, err)
	return out
}

func payable(t *testing.T, s commission.Store, prog string, e commission.Earner, units string, asOf time.Time) []*commission.Reward {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Reward, error) {
		return tx.PayableRewards(ctx, e, units, asOf)
	})
	require.NoError(t, err)
	return out
}

func listRewards(t *testing.T, s commission.Store, prog string, q commission.RewardQuery) []*commission.Reward {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Reward, error) { return tx.Rewards(ctx, q) })
	require.NoError(t, err)
	return out
}

func listPayouts(t *testing.T, s commission.Store, prog string, q commission.PayoutQuery) []*commission.Payout {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Payout, error) { return tx.Payouts(ctx, q) })
	require.NoError(t, err)
	return out
}

func refundsOf(t *testing.T, s commission.Store, prog, txKey string) []*commission.Refund {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Refund, error) { return tx.Refunds(ctx, txKey) })
	require.NoError(t, err)
	return out
}

// Reads that may fail, for the caller to check.

func getPayout(t *testing.T, s commission.Store, prog, id string) (*commission.Payout, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Payout, error) { return tx.Payout(ctx, id) })
}

func getRefund(t *testing.T, s commission.Store, prog, key string) (*commission.Refund, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Refund, error) { return tx.Refund(ctx, key) })
}

// mustReward reads reward id, which must exist.
func mustReward(t *testing.T, s commission.Store, prog, id string) *commission.Reward {
	t.Helper()
	r, err := getReward(t, s, prog, id)
	require.NoError(t, err, "reward %s", id)
	return r
}

// mustPayout reads payout id, which must exist.
func mustPayout(t *testing.T, s commission.Store, prog, id string) *commission.Payout {
	t.Helper()
	p, err := getPayout(t, s, prog, id)
	require.NoError(t, err, "payout %s", id)
	return p
}

// requirePayoutsIn requires program prog to hold exactly the payouts
// want, newest first, read by Payout and listed by Payouts.
func requirePayoutsIn(t *testing.T, s commission.Store, prog string, want ...*commission.Payout) {
	t.Helper()
	listed := listPayouts(t, s, prog, commission.PayoutQuery{Limit: 10})
	require.Len(t, listed, len(want))
	for i, w := range want {
		requireSamePayout(t, w, mustPayout(t, s, prog, w.ID))
		requireSamePayout(t, w, listed[i])
	}
}

// requireInPayout requires each reward of ids, read by id, to be in
// payout (none when payout is "").
func requireInPayout(t *testing.T, s commission.Store, prog, payout string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		require.Equal(t, payout, mustReward(t, s, prog, id).PayoutID, "reward %s's payout", id)
	}
}

// requireReversed requires reward id, read by id, to have reversed want.
func requireReversed(t *testing.T, s commission.Store, prog, id, want string) {
	t.Helper()
	requireDecimal(t, dec(want), mustReward(t, s, prog, id).Reversed, "reward "+id+" Reversed")
}

// Comparisons of the money lifecycle's fields, which requireSameReward
// and requireSameTx leave out.

// requireSameEarned is requireSameReward with Line, Reversed and PayoutID.
func requireSameEarned(t tb, want, got *commission.Reward) {
	t.Helper()
	requireSameReward(t, want, got)
	what := "reward " + want.ID
	require.Equal(t, want.Line, got.Line, what+" Line")
	requireDecimal(t, want.Reversed, got.Reversed, what+" Reversed")
	require.Equal(t, want.PayoutID, got.PayoutID, what+" PayoutID")
}

// requireSameSale is requireSameTx with Refunded and each reward's
// money fields.
func requireSameSale(t tb, want, got *commission.Transaction) {
	t.Helper()
	requireSameTx(t, want, got)
	requireDecimal(t, want.Refunded, got.Refunded, "transaction "+want.Key+" Refunded")
	for i := range want.Rewards {
		requireSameEarned(t, &want.Rewards[i], &got.Rewards[i])
	}
}

func requireSameEntry(t tb, want, got commission.Entry) {
	t.Helper()
	what := "entry " + want.ID
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.RewardID, got.RewardID, what)
	require.Equal(t, want.TransactionKey, got.TransactionKey, what)
	require.Equal(t, want.Reason, got.Reason, what)
	require.Equal(t, want.RefundKey, got.RefundKey, what)
	require.Equal(t, want.Earner, got.Earner, what)
	require.Equal(t, want.Units, got.Units, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	require.Equal(t, want.Adjustment, got.Adjustment, what+" Adjustment")
	require.Equal(t, want.PayoutID, got.PayoutID, what+" PayoutID")
}

func requireSameEntries(t tb, want, got []commission.Entry) {
	t.Helper()
	require.Equal(t, entryIDs(want), entryIDs(got), "entries, in order")
	for i := range want {
		requireSameEntry(t, want[i], got[i])
	}
}

// requireSameRefund compares every stored field of a refund, and requires
// the read one to carry no Entries.
func requireSameRefund(t tb, want, got *commission.Refund) {
	t.Helper()
	what := "refund " + want.Key
	require.NotNil(t, got, what)
	require.Equal(t, want.Key, got.Key, what)
	require.Equal(t, want.TransactionKey, got.TransactionKey, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	require.Len(t, got.Lines, len(want.Lines), what+" Lines")
	for i, l := range want.Lines {
		require.Equal(t, l.ProductID, got.Lines[i].ProductID, what)
		require.NotNil(t, got.Lines[i].Amount, what+" line amount")
		requireDecimal(t, *l.Amount, *got.Lines[i].Amount, what+" line "+l.ProductID)
	}
	require.Nil(t, got.Entries, what+": a store returns no Entries")
}

func requireSamePayout(t tb, want, got *commission.Payout) {
	t.Helper()
	what := "payout " + want.ID
	require.NotNil(t, got, what)
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.Earner, got.Earner, what)
	require.Equal(t, want.EarnerKey, got.EarnerKey, what)
	require.Equal(t, want.Units, got.Units, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	require.Equal(t, want.State, got.State, what)
	requireStrings(t, want.RewardIDs, got.RewardIDs, what+" RewardIDs")
	requireStrings(t, want.EntryIDs, got.EntryIDs, what+" EntryIDs")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	requireTimePtr(t, want.PaidAt, got.PaidAt, what+" PaidAt")
	requireTimePtr(t, want.CanceledAt, got.CanceledAt, what+" CanceledAt")
	require.Equal(t, want.Reference, got.Reference, what)
}
