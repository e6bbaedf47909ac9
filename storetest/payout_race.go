package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Eight engines, each on a store of its own (as processes would be), run
// the money lifecycle at once for three partners: four sell and refund
// their sales in part and in full, four pay the partners out, pay some
// payouts, cancel some and race paying against canceling for others.
// Whatever the order, the books agree afterwards: no reward is in two
// live payouts, every reversal of a reward already in a payout is an
// adjustment that the balance or a later payout accounts for once, and
// every balance is the sum of its rewards and entries.

// The shape of testPayoutLifecycleRace.
const (
	lifeSellers  = 4 // goroutines that sell and refund, on engines 0 to 3
	lifePayers   = 4 // goroutines that pay out, on engines 4 to 7
	lifeSales    = 8 // sales per seller
	lifePayouts  = 8 // payouts each payer asks for
	lifePartners = 3
	lifeProgID   = "life"
)

// lifePartial is what the first refund of every sale but the last takes.
var lifePartial = dec("12.34")

// lifePartner is the key, and id, of partner p.
func lifePartner(p int) string { return fmt.Sprintf("life-p%d", p) }

// lifeCustomer is the key of partner p's customer c.
func lifeCustomer(p, c int) string { return fmt.Sprintf("life-c%d-%d", p, c) }

// lifeProgram pays 10% of every sale at once: there is no review period.
func lifeProgram() commission.Program {
	return commission.Program{ID: lifeProgID, Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(dec("10"))}}
}

// lifeEngines returns one engine per goroutine, each on a store of its
// own on s's database, all at limitRaceAt, and creates the partners, each
// with two customers.
func lifeEngines(t *testing.T, h Harness, s commission.Store) []*commission.Engine {
	t.Helper()
	all := stores(t, h, s, lifeSellers+lifePayers)
	engines := make([]*commission.Engine, len(all))
	for i, st := range all {
		var err error
		engines[i], err = commission.New(st, lifeProgram(), commission.WithClock(func() time.Time { return limitRaceAt }))
		require.NoError(t, err)
	}
	for p := range lifePartners {
		key := lifePartner(p)
		_, err := engines[0].CreatePartner(ctx, commission.PartnerInput{ID: key, Key: key})
		require.NoError(t, err)
		for c := range 2 {
			_, err := engines[0].CreateCustomer(ctx, commission.CustomerInput{Key: lifeCustomer(p, c),
				Partner: &commission.PartnerRef{Key: key}})
			require.NoError(t, err)
		}
	}
	return engines
}

// lifeTally counts what the payers' attempts came to.
type lifeTally struct {
	created, paid, canceled, below, inPayout atomic.Int64
}

// Four goroutines sell and refund while four pay out, pay and cancel, on
// eight engines; then the books are read and must agree (lifeBooks).
func testPayoutLifecycleRace(t *testing.T, h Harness) {
	s := h.New(t)
	engines := lifeEngines(t, h, s)
	var (
		sold atomic.Int64
		tl   lifeTally
		wg   sync.WaitGroup
	)
	for g := range lifeSellers {
		ops := sellerPlan(g)
		wg.Go(func() { runSeller(t, engines[g], ops, &sold) })
	}
	for g := range lifePayers {
		wg.Go(func() { runPayer(t, engines, g, &sold, &tl) })
	}
	wg.Wait()
	require.False(t, t.Failed())
	t.Logf("payouts: %d created (%d paid, %d canceled), %d below threshold, %d in payout",
		tl.created.Load(), tl.paid.Load(), tl.canceled.Load(), tl.below.Load(), tl.inPayout.Load())
	require.Positive(t, tl.created.Load(), "some payout was made")
	b := readBooks(t, s, engines[0])
	b.logAdjustments(t)
	b.requireLiveOnce(t)
	b.requireNetted(t)
	for p := range lifePartners {
		b.requireBalance(t, engines[p%len(engines)], lifePartner(p))
	}
}

// lifeOp is one step of a seller: a sale, or a refund of one.
type lifeOp struct {
	key    string                       // the sale's key
	sale   *commission.TransactionInput // nil for a refund
	refund commission.RefundInput
}

// sellerPlan is seller g's steps: lifeSales sales for the partners in
// turn, each but the last refunded lifePartial after the next sale, and
// every other one refunded of what is left (in full) after the one after.
func sellerPlan(g int) []lifeOp {
	var ops []lifeOp
	amounts := make([]decimal.Decimal, lifeSales)
	for i := range lifeSales {
		key := fmt.Sprintf("life-s%d-%d", g, i)
		amounts[i] = decimal.New(int64(4000+707*i+13*g), -2) // 40.00 and up: 10% needs rounding
		ops = append(ops, lifeOp{key: key, sale: &commission.TransactionInput{Key: key, Amount: &amounts[i],
			Customer: commission.CustomerInput{Key: lifeCustomer((g+i)%lifePartners, i%2)}}})
		if i >= 1 {
			ops = append(ops, refundOp(g, i-1, "part", lifePartial))
		}
		if i >= 2 && i%2 == 0 {
			ops = append(ops, refundOp(g, i-2, "rest", amounts[i-2].Sub(lifePartial)))
		}
	}
	return ops
}

// refundOp refunds amount of seller g's sale i, by a refund named by what.
func refundOp(g, i int, what string, amount decimal.Decimal) lifeOp {
	key := fmt.Sprintf("life-s%d-%d", g, i)
	return lifeOp{key: key, refund: commission.RefundInput{Key: key + "-" + what, Amount: &amount}}
}

// runSeller runs ops on eng, counting the sales made in sold.
func runSeller(t *testing.T, eng *commission.Engine, ops []lifeOp, sold *atomic.Int64) {
	for _, op := range ops {
		if op.sale != nil {
			_, err := eng.CreateTransaction(ctx, *op.sale)
			assert.NoErrorf(t, err, "sale %s", op.key)
			sold.Add(1)
			continue
		}
		_, err := eng.RefundTransaction(ctx, op.key, op.refund)
		assert.NoErrorf(t, err, "refund %s", op.refund.Key)
	}
}

// runPayer is payer g: it asks lifePayouts times, on engine
// lifeSellers+g, for a payout of the partners in turn (payers g and g+3
// ask for the same partner at the same step), paced by the sales made,
// and settles each payout it gets as its step says (settleLife).
func runPayer(t *testing.T, engines []*commission.Engine, g int, sold *atomic.Int64, tl *lifeTally) {
	eng := engines[lifeSellers+g]
	other := engines[lifeSellers+(g+1)%lifePayers]
	for j := range lifePayouts {
		waitForSales(sold, int64((j+1)*lifeSellers*lifeSales/lifePayouts))
		partner := lifePartner((g + j) % lifePartners)
		po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: partner}})
		switch {
		case errors.Is(err, commission.ErrBelowThreshold):
			tl.below.Add(1)
			continue
		case errors.Is(err, commission.ErrInPayout):
			tl.inPayout.Add(1)
			continue
		case err != nil:
			t.Errorf("payout of %s: %v", partner, err)
			continue
		}
		tl.created.Add(1)
		settleLife(t, eng, other, po.ID, fmt.Sprintf("ref-%d-%d", g, j), j%4, tl)
	}
}

// waitForSales waits, a few seconds at most, until n sales were made.
func waitForSales(sold *atomic.Int64, n int64) {
	for deadline := time.Now().Add(10 * time.Second); sold.Load() < n && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond)
	}
}

// settleLife settles payout id as step says: 0 pays it on eng (then
// canceling it on other is ErrPayoutSettled), 1 cancels it (then paying
// it is), 2 leaves it pending, 3 pays it on eng and cancels it on other
// at once: exactly one of them wins.
func settleLife(t *testing.T, eng, other *commission.Engine, id, ref string, step int, tl *lifeTally) {
	switch step {
	case 0:
		if _, err := eng.MarkPayoutPaid(ctx, id, ref); assert.NoErrorf(t, err, "pay %s", id) {
			tl.paid.Add(1)
		}
		_, err := other.CancelPayout(ctx, id)
		assert.ErrorIsf(t, err, commission.ErrPayoutSettled, "cancel paid %s", id)
	case 1:
		if _, err := eng.CancelPayout(ctx, id); assert.NoErrorf(t, err, "cancel %s", id) {
			tl.canceled.Add(1)
		}
		_, err := other.MarkPayoutPaid(ctx, id, ref)
		assert.ErrorIsf(t, err, commission.ErrPayoutSettled, "pay canceled %s", id)
	case 3:
		var paidErr, cancelErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, paidErr = eng.MarkPayoutPaid(ctx, id, ref) })
		wg.Go(func() { _, cancelErr = other.CancelPayout(ctx, id) })
		wg.Wait()
		switch {
		case paidErr == nil && errors.Is(cancelErr, commission.ErrPayoutSettled):
			tl.paid.Add(1)
		case cancelErr == nil && errors.Is(paidErr, commission.ErrPayoutSettled):
			tl.canceled.Add(1)
		default:
			t.Errorf("payout %s paid and canceled at once: pay: %v; cancel: %v", id, paidErr, cancelErr)
		}
	}
}

// lifeBooks is what is stored once the goroutines end: every payout, as
// Engine.Payouts lists them; every partner's rewards, as Engine.Rewards
// lists them; and their entries, as StoreTx.Entries reads them.
type lifeBooks struct {
	payouts map[string]*commission.Payout
	rewards map[string]*commission.Reward
	entries map[string][]commission.Entry // by reward id, in the order stored
	entry   map[string]commission.Entry   // by id
	holder  map[string]string             // reward or entry id → the live payout holding it
}

// readBooks reads the books of lifeProgram on s, through eng.
func readBooks(t *testing.T, s commission.Store, eng *commission.Engine) *lifeBooks {
	t.Helper()
	b := &lifeBooks{payouts: map[string]*commission.Payout{}, rewards: map[string]*commission.Reward{},
		entries: map[string][]commission.Entry{}, entry: map[string]commission.Entry{}}
	for _, po := range allPayouts(t, eng) {
		require.Nilf(t, b.payouts[po.ID], "payout %s listed twice", po.ID)
		b.payouts[po.ID] = po
	}
	sales := map[string]bool{}
	for p := range lifePartners {
		for _, r := range allRewards(t, eng, lifePartner(p)) {
			require.Nilf(t, b.rewards[r.ID], "reward %s listed twice", r.ID)
			require.Equal(t, lifePartner(p), r.PartnerID)
			b.rewards[r.ID], sales[r.TransactionKey] = r, true
		}
	}
	require.Len(t, sales, lifeSellers*lifeSales, "every sale rewarded")
	require.Len(t, b.rewards, lifeSellers*lifeSales, "one reward per sale")
	for key := range sales {
		for _, en := range entriesOf(t, s, lifeProgID, key) {
			require.Containsf(t, b.rewards, en.RewardID, "entry %s of an unknown reward", en.ID)
			b.entries[en.RewardID] = append(b.entries[en.RewardID], en)
			b.entry[en.ID] = en
		}
	}
	return b
}

// allPayouts lists every payout of eng's program, page by page.
func allPayouts(t *testing.T, eng *commission.Engine) []*commission.Payout {
	t.Helper()
	opts := commission.PayoutListOptions{Limit: 7}
	var all []*commission.Payout
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Payouts(ctx, opts)
		require.NoError(t, err)
		all = append(all, page.Payouts...)
		if page.NextCursor == "" {
			return all
		}
		opts.Cursor = page.NextCursor
	}
}

// allRewards lists every reward of partner key, page by page.
func allRewards(t *testing.T, eng *commission.Engine, key string) []*commission.Reward {
	t.Helper()
	opts := commission.RewardListOptions{Beneficiary: commission.Beneficiary{Key: key}, Limit: 9}
	var all []*commission.Reward
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Rewards(ctx, opts)
		require.NoError(t, err)
		all = append(all, page.Rewards...)
		if page.NextCursor == "" {
			return all
		}
		opts.Cursor = page.NextCursor
	}
}

// logAdjustments logs how many entries were made, how many of them were
// adjustments and how many of those a payout netted.
func (b *lifeBooks) logAdjustments(t *testing.T) {
	adjustments, netted := 0, 0
	for _, en := range b.entry {
		if en.Adjustment {
			adjustments++
			if en.PayoutID != "" {
				netted++
			}
		}
	}
	t.Logf("entries: %d, of which %d adjustments, %d of them netted", len(b.entry), adjustments, netted)
}

// live reports whether po is pending or paid.
func live(po *commission.Payout) bool { return po.State != commission.PayoutCanceled }

// requireLiveOnce requires every reward and adjustment of a live payout
// (pending or paid) to be its earner's and in no other live payout, and
// the store to agree: a reward's (or entry's) PayoutID is the live payout
// that holds it, or "" when none does; a reward is paid exactly when that
// payout is; only adjustments are ever netted.
func (b *lifeBooks) requireLiveOnce(t *testing.T) {
	b.holder = map[string]string{}
	for _, po := range b.payouts {
		if !live(po) {
			continue
		}
		for _, id := range held(po) {
			require.Emptyf(t, b.holder[id], "%s is in live payouts %s and %s", id, b.holder[id], po.ID)
			b.holder[id] = po.ID
		}
		for _, id := range po.RewardIDs {
			require.Containsf(t, b.rewards, id, "payout %s of an unknown reward", po.ID)
			require.Equalf(t, po.Earner.ID, b.rewards[id].PartnerID, "payout %s pays another's reward", po.ID)
		}
		for _, id := range po.EntryIDs {
			require.Containsf(t, b.entry, id, "payout %s nets an unknown entry", po.ID)
			require.Truef(t, b.entry[id].Adjustment, "payout %s nets entry %s, not an adjustment", po.ID, id)
		}
	}
	for id, r := range b.rewards {
		require.Equalf(t, b.holder[id], r.PayoutID, "the payout of reward %s", id)
		want := commission.RewardOK
		if r.PayoutID != "" && b.payouts[r.PayoutID].State == commission.PayoutPaid {
			want = commission.RewardPaid
		}
		require.Equalf(t, want, r.Status, "reward %s", id)
	}
	for id, en := range b.entry {
		require.Equalf(t, b.holder[id], en.PayoutID, "the payout that netted entry %s", id)
	}
}

// requireNetted requires each reward's Reversed to be what its entries
// took back, and the books to net every reversal once. A live payout
// pays its rewards' Amounts plus their entries that are not adjustments
// (made before it gathered them; those made since are adjustments, and a
// canceled payout's are netted in place again), plus the adjustments it
// nets. An adjustment is against a reward in a live payout; when a payout
// nets it, that is another payout, and the reward's is paid (a pending
// payout's adjustments wait for it). So a reversal of a paid reward is
// either netted by exactly one later live payout or still open, and
// requireBalance finds the open ones in the clawback.
func (b *lifeBooks) requireNetted(t *testing.T) {
	for _, po := range b.payouts {
		if !live(po) {
			continue
		}
		want := decimal.Zero
		for _, id := range po.RewardIDs {
			want = want.Add(b.rewards[id].Amount)
			for _, en := range b.entries[id] {
				if !en.Adjustment {
					want = want.Add(en.Amount)
				}
			}
		}
		for _, id := range po.EntryIDs {
			want = want.Add(b.entry[id].Amount)
		}
		requireDecimal(t, want, po.Amount, "the amount of payout "+po.ID)
	}
	for _, r := range b.rewards {
		reversed := decimal.Zero
		for _, en := range b.entries[r.ID] {
			reversed = reversed.Sub(en.Amount)
			if !en.Adjustment {
				continue
			}
			require.NotEmptyf(t, r.PayoutID, "adjustment %s of reward %s, which is in no payout", en.ID, r.ID)
			if en.PayoutID != "" {
				require.NotEqualf(t, r.PayoutID, en.PayoutID, "adjustment %s netted by its reward's own payout", en.ID)
				require.Equalf(t, commission.PayoutPaid, b.payouts[r.PayoutID].State,
					"adjustment %s netted before its reward's payout %s was paid", en.ID, r.PayoutID)
			}
		}
		requireDecimal(t, reversed, r.Reversed, "what reward "+r.ID+"'s entries took back")
	}
}

// expected is partner key's balance as the books have it: Paid the sum
// of its paid payouts; InPayout the sum of its pending payouts less what
// was reversed of their rewards since (their open adjustments); Clawback
// what the open adjustments of its paid rewards take back; NotPaid what
// its rewards in no payout pay now; nothing pending. It returns too what
// its rewards earned less all that their entries took back.
func (b *lifeBooks) expected(key string) (want commission.Balance, net decimal.Decimal) {
	for _, po := range b.payouts {
		switch {
		case po.Earner.ID != key:
		case po.State == commission.PayoutPaid:
			want.Paid = want.Paid.Add(po.Amount)
		case po.State == commission.PayoutPending:
			want.InPayout = want.InPayout.Add(po.Amount)
		}
	}
	for _, r := range b.rewards {
		if r.PartnerID != key {
			continue
		}
		net = net.Add(r.Amount)
		if r.PayoutID == "" {
			want.NotPaid = want.NotPaid.Add(r.Amount.Sub(r.Reversed))
		}
		for _, en := range b.entries[r.ID] {
			net = net.Add(en.Amount)
			switch {
			case !en.Adjustment || en.PayoutID != "":
			case b.payouts[r.PayoutID].State == commission.PayoutPending:
				want.InPayout = want.InPayout.Add(en.Amount)
			case en.Amount.Sign() < 0:
				want.Clawback = want.Clawback.Sub(en.Amount)
			default: // a credit: not made here, but unpaid if it were
				want.NotPaid = want.NotPaid.Add(en.Amount)
			}
		}
	}
	return want, net
}

// requireBalance requires partner key's Balance, read through eng, to be
// what the books say (expected), Payable to be NotPaid less Clawback, and
// Pending + NotPaid + InPayout + Paid - Clawback to be what its rewards
// earned less all that their entries took back.
func (b *lifeBooks) requireBalance(t *testing.T, eng *commission.Engine, key string) {
	want, net := b.expected(key)
	got, err := eng.Balance(ctx, commission.Beneficiary{Key: key}, "")
	require.NoError(t, err)
	requireDecimal(t, decimal.Zero, got.Pending, key+" pending")
	requireDecimal(t, want.NotPaid, got.NotPaid, key+" not paid")
	requireDecimal(t, want.InPayout, got.InPayout, key+" in payout")
	requireDecimal(t, want.Paid, got.Paid, key+" paid")
	requireDecimal(t, want.Clawback, got.Clawback, key+" clawback")
	requireDecimal(t, got.NotPaid.Sub(got.Clawback), got.Payable, key+" payable")
	sum := got.Pending.Add(got.NotPaid).Add(got.InPayout).Add(got.Paid).Sub(got.Clawback)
	requireDecimal(t, net, sum, key+": Pending + NotPaid + InPayout + Paid - Clawback")
}
