package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/commissionkit/commission/simulate"
)

func simulateTests() []subtest {
	return []subtest{
		{"simulating the rules in force gives every stored reward back", testSimulateEqualsReality},
		{"recorded lists in the order stored", testRecordedOrder},
	}
}

// history is a random program's history, made through the engine on the
// store under test, for simulate to replay.
type simHistory struct {
	eng       *commission.Engine
	prog      commission.Program
	clock     *clock
	partners  []string
	customers []string
	sales     []string
	ended     map[string]bool // sales deleted or archived
	// changed is set by a change other than a sale (a customer, a refund,
	// a deletion) until a sale dated now: the store does not keep when a
	// backdated sale was recorded, so simulate replays it right after the
	// sale recorded before it, and a history that simulate can replay
	// exactly backdates no sale in between.
	changed bool
	n       int
}

// testSimulateEqualsReality draws a program and a history of partners,
// customers, sales (backdated, converted, in custom units, by product
// line, in bulks), refunds, deletions and archivings, then simulates the
// program's own rules: every stored sale must come back with the same
// rewards, each paying the same.
func testSimulateEqualsReality(t *testing.T, h Harness) {
	s := h.New(t)
	check(t, h, func(rt *rapid.T) {
		hist := newHistory(rt, s)
		rt.Repeat(map[string]func(*rapid.T){
			"partner":  hist.partner,
			"customer": hist.customer,
			"sale":     hist.sale,
			"bulk":     hist.bulk,
			"refund":   hist.refund,
			"delete":   func(t *rapid.T) { hist.end(t, commission.TransactionDeleted) },
			"archive":  func(t *rapid.T) { hist.end(t, commission.TransactionArchived) },
			"advance":  hist.advance,
		})
		hist.requireSimulatedEqual(rt, s)
	})
}

func newHistory(t *rapid.T, s commission.Store) *simHistory {
	p := rapidgen.Program().Draw(t, "program")
	p.ID = newProgramID("sim")
	h := &simHistory{prog: p, clock: &clock{now: t0}, ended: map[string]bool{}}
	rates := modelRates{"EUR": dec("1.0837"), "GBP": rapidgen.Decimal(2, 6).Draw(t, "gbp")}
	if rates["GBP"].IsZero() {
		rates["GBP"] = dec("0.5")
	}
	var err error
	h.eng, err = commission.New(s, p, commission.WithClock(h.clock.Now), commission.WithRates(rates),
		commission.WithIDGenerator(idGenerator(p.ID+"_id")))
	require.NoError(t, err)
	h.partner(t)
	h.customer(t)
	return h
}

// tick moves the clock on by a microsecond before each change: the
// replay orders changes by time, and the store keeps times to the
// microsecond.
func (h *simHistory) tick() { h.clock.Advance(time.Microsecond) }

func (h *simHistory) advance(t *rapid.T) {
	h.clock.Advance(rapid.SampledFrom([]time.Duration{time.Second, time.Hour, 2 * 24 * time.Hour, 20 * 24 * time.Hour, 70 * 24 * time.Hour}).Draw(t, "by"))
}

func (h *simHistory) key(prefix string) string {
	h.n++
	return fmt.Sprintf("%s%d", prefix, h.n)
}

func (h *simHistory) partner(t *rapid.T) {
	if h.prog.Kind != commission.Affiliate {
		return
	}
	h.tick()
	in := commission.PartnerInput{Key: h.key("p"), Tags: rapidgen.Tags(rapidgen.PartnerTags).Draw(t, "tags")}
	if len(h.partners) > 0 && rapid.Bool().Draw(t, "has_parent") {
		in.ReferringPartner = &commission.PartnerRef{Key: rapid.SampledFrom(h.partners).Draw(t, "parent")}
	}
	_, err := h.eng.CreatePartner(ctx, in)
	require.NoError(t, err)
	h.partners = append(h.partners, in.Key)
}

func (h *simHistory) customer(t *rapid.T) {
	h.tick()
	_, err := h.eng.CreateCustomer(ctx, h.newCustomer(t))
	require.NoError(t, err)
	h.changed = true
}

// newCustomer is a new customer's input, attributed to a partner or
// (refer-a-friend, now and then) referred by a customer.
func (h *simHistory) newCustomer(t *rapid.T) commission.CustomerInput {
	in := commission.CustomerInput{Key: h.key("c")}
	switch {
	case h.prog.Kind == commission.Affiliate:
		in.Partner = &commission.PartnerRef{Key: rapid.SampledFrom(h.partners).Draw(t, "partner")}
	case len(h.customers) > 0 && !rapidgen.OneIn(t, "unreferred", 4):
		in.ReferringCustomer = &commission.CustomerRef{Key: rapid.SampledFrom(h.customers).Draw(t, "referrer")}
	}
	h.customers = append(h.customers, in.Key)
	return in
}

// sale records one to three sales, one after the other.
func (h *simHistory) sale(t *rapid.T) {
	for range rapid.IntRange(1, 3).Draw(t, "sales") {
		h.tick()
		in := h.saleInput(t)
		if _, err := h.eng.CreateTransaction(ctx, in); err == nil {
			h.sales = append(h.sales, in.Key)
			h.recorded(in)
		} else {
			h.requireRefusal(t, err)
		}
	}
}

func (h *simHistory) bulk(t *rapid.T) {
	h.tick()
	ins := make([]commission.TransactionInput, rapid.IntRange(2, 4).Draw(t, "bulk"))
	for i := range ins {
		ins[i] = h.saleInput(t)
	}
	if _, err := h.eng.CreateTransactions(ctx, ins); err == nil {
		for _, in := range ins {
			h.sales = append(h.sales, in.Key)
			h.recorded(in)
		}
	} else {
		h.requireRefusal(t, err)
	}
}

// recorded notes a sale stored: one dated now ends a change's effect on
// backdating.
func (h *simHistory) recorded(in commission.TransactionInput) {
	if in.CreatedAt == nil {
		h.changed = false
	}
}

// requireRefusal accepts what the engine refuses for what the history
// draws (a bulk naming a new customer twice, an amount too large for its
// rewards, a refund of a deleted sale), and nothing else.
func (h *simHistory) requireRefusal(t *rapid.T, err error) {
	var verr *commission.ValidationError
	var item *commission.ItemError
	switch {
	case errors.As(err, &verr), errors.As(err, &item), errors.Is(err, commission.ErrAlreadyDeleted),
		errors.Is(err, commission.ErrAlreadyArchived), errors.Is(err, commission.ErrRefunded):
		return
	}
	t.Fatalf("refused: %v", err)
}

// saleInput draws a sale: an existing customer or a new one, an amount in
// the program's currency, a converted one or its custom unit, a product
// or product lines, now or backdated.
func (h *simHistory) saleInput(t *rapid.T) commission.TransactionInput {
	in := commission.TransactionInput{Key: h.key("s")}
	if len(h.customers) == 0 || rapidgen.OneIn(t, "new_customer", 5) {
		in.Customer = h.newCustomer(t)
		in.Options.CreateCustomer = true
	} else {
		in.Customer = commission.CustomerInput{Key: rapid.SampledFrom(h.customers).Draw(t, "customer")}
	}
	units := append([]string{"", "", "EUR", "GBP"}, h.prog.CustomUnits...)
	in.AmountUnits = rapid.SampledFrom(units).Draw(t, "units")
	if rapidgen.OneIn(t, "lines", 4) {
		for i := range rapid.IntRange(1, 3).Draw(t, "lines") {
			in.Products = append(in.Products, commission.ProductLine{
				ProductID:    fmt.Sprintf("%s-%d", rapid.SampledFrom(rapidgen.ProductIDs).Draw(t, "line_product"), i),
				ProductType:  rapid.SampledFrom(rapidgen.ProductTypes).Draw(t, "line_type"),
				ProductPrice: rapidgen.Cents(1, 50000).Draw(t, "price")})
		}
	} else {
		amount := rapidgen.Cents(0, 100000).Draw(t, "amount")
		in.Amount = &amount
		in.ProductID = rapid.SampledFrom(append([]string{""}, rapidgen.ProductIDs...)).Draw(t, "product")
		in.ProductType = rapid.SampledFrom(append([]string{""}, rapidgen.ProductTypes...)).Draw(t, "type")
	}
	if !h.changed && rapidgen.OneIn(t, "backdated", 5) {
		at := h.clock.Now().Add(-rapid.SampledFrom([]time.Duration{time.Hour, 10 * 24 * time.Hour}).Draw(t, "back"))
		in.CreatedAt = &at
	}
	return in
}

func (h *simHistory) refund(t *rapid.T) {
	if len(h.sales) == 0 {
		return
	}
	h.tick()
	key := rapid.SampledFrom(h.sales).Draw(t, "sale")
	sale, err := h.eng.Transaction(ctx, key)
	require.NoError(t, err)
	left := sale.Amount.Sub(sale.Refunded)
	in := commission.RefundInput{Key: h.key("r")}
	if len(sale.Products) > 0 && rapid.Bool().Draw(t, "by_line") {
		l := rapid.SampledFrom(sale.Products).Draw(t, "line")
		part := l.ProductPrice.Div(decimal.NewFromInt(2)).RoundDown(2)
		in.Products = []commission.RefundLine{{ProductID: l.ProductID, Amount: &part}}
		h.refunded(t, key, in)
		return
	}
	if left.IsPositive() && !rapid.Bool().Draw(t, "full") {
		part := left.Div(decimal.NewFromInt(int64(rapid.IntRange(2, 5).Draw(t, "part")))).RoundDown(2)
		if part.IsPositive() {
			left = part
		}
	}
	in.Amount = &left
	h.refunded(t, key, in)
}

// refunded refunds a sale, or accepts why the engine would not.
func (h *simHistory) refunded(t *rapid.T, key string, in commission.RefundInput) {
	if _, err := h.eng.RefundTransaction(ctx, key, in); err != nil {
		h.requireRefusal(t, err)
	}
	h.changed = true
}

// end deletes or archives a sale, once: the store keeps when a sale was
// deleted, not when it was archived before (simulate's documentation
// lists what it cannot replay).
func (h *simHistory) end(t *rapid.T, state commission.TransactionState) {
	if len(h.sales) == 0 {
		return
	}
	h.tick()
	key := rapid.SampledFrom(h.sales).Draw(t, "sale")
	if h.ended[key] {
		return
	}
	h.ended[key] = true
	var err error
	if state == commission.TransactionDeleted {
		err = h.eng.DeleteTransaction(ctx, key)
	} else {
		err = h.eng.ArchiveTransaction(ctx, key)
	}
	if err != nil {
		h.requireRefusal(t, err)
	}
	h.changed = true
}

// requireSimulatedEqual simulates the program's own rules over the whole
// history: every stored sale is reported, with the rewards it has.
func (h *simHistory) requireSimulatedEqual(t *rapid.T, s commission.Store) {
	reported := 0
	rep, err := simulate.Run(ctx, s, h.eng.Program(), simulate.Options{Rules: h.prog.Rules,
		Each: func(stored, simulated *commission.Transaction) error {
			reported++
			requireSameRewards(t, stored, simulated)
			return nil
		}})
	require.NoError(t, err)
	require.Equal(t, reported, int(rep.Sales))
	require.Empty(t, rep.Changes, "a sale changes under its own rules")
	for _, tot := range rep.Totals {
		require.Truef(t, tot.Difference.IsZero(), "%s %s: %s, simulated %s", tot.Beneficiary.Key, tot.Units, tot.Old, tot.New)
	}
	all, err := h.eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit,
		States: []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}})
	require.NoError(t, err)
	if len(all.Transactions) < commission.MaxLimit {
		require.Len(t, all.Transactions, reported, "every stored transaction is reported")
		h.requireRange(t, s, all.Transactions)
	}
}

// requireRange simulates the sales of a random range of the history:
// those created within it are reported, every one, and no other.
func (h *simHistory) requireRange(t *rapid.T, s commission.Store, all []*commission.Transaction) {
	span := h.clock.Now().Sub(t0)
	from := t0.Add(time.Duration(rapid.Int64Range(0, int64(span)).Draw(t, "from")))
	to := from.Add(time.Duration(rapid.Int64Range(1, int64(span)+1).Draw(t, "length")))
	want := map[string]bool{}
	for _, tr := range all {
		if !tr.CreatedAt.Before(from) && tr.CreatedAt.Before(to) {
			want[tr.Key] = true
		}
	}
	got := map[string]bool{}
	rep, err := simulate.Run(ctx, s, h.eng.Program(), simulate.Options{Rules: h.prog.Rules, From: from, To: to,
		Each: func(stored, simulated *commission.Transaction) error {
			got[stored.Key] = true
			requireSameRewards(t, stored, simulated)
			return nil
		}})
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.EqualValues(t, len(want), rep.Sales)
	require.EqualValues(t, len(all), rep.Replayed)
}

// requireSameRewards requires a simulated sale to earn what the stored
// one earned, reward by reward.
func requireSameRewards(t *rapid.T, stored, simulated *commission.Transaction) {
	if simulated == nil {
		require.Emptyf(t, stored.Rewards, "%s is not recorded by the simulation", stored.Key)
		return
	}
	require.Equalf(t, len(stored.Rewards), len(simulated.Rewards), "%s: rewards", stored.Key)
	for i := range stored.Rewards {
		a, b := &stored.Rewards[i], &simulated.Rewards[i]
		what := fmt.Sprintf("%s reward %d", stored.Key, i)
		require.Truef(t, a.Amount.Equal(b.Amount), "%s: amount %s, simulated %s", what, a.Amount, b.Amount)
		require.Truef(t, a.Reversed.Equal(b.Reversed), "%s: reversed %s, simulated %s", what, a.Reversed, b.Reversed)
		require.Equal(t, []any{a.PartnerID, a.RewardedCustomerID, a.AmountUnits, a.Line, a.Explanation.Rule, a.Explanation.Step},
			[]any{b.PartnerID, b.RewardedCustomerID, b.AmountUnits, b.Line, b.Explanation.Rule, b.Explanation.Step}, what)
		require.Equal(t, a.Status == commission.RewardRejected, b.Status == commission.RewardRejected, what+": rejected")
	}
}

// testRecordedOrder checks StoreTx.Recorded: every transaction of the
// program, deleted ones included, by Seq, page after page.
func testRecordedOrder(t *testing.T, h Harness) {
	s := h.New(t)
	p := newProgramID("recorded")
	var keys []string
	require.NoError(t, s.Update(ctx, p, func(tx commission.StoreTx) error {
		for i := range 7 {
			key := fmt.Sprintf("r%d", i)
			// Created out of order: Recorded is by Seq, not created_at.
			at := t0.Add(time.Duration((i*5)%7) * time.Hour)
			if err := tx.InsertTransaction(ctx, saleFixture(key, "c0", "p0", at, "rw-"+key)); err != nil {
				return err
			}
			keys = append(keys, key)
		}
		return tx.SetTransactionState(ctx, "r3", commission.TransactionDeleted, &t0)
	}))
	var got []string
	var after int64
	for {
		var page []*commission.Transaction
		require.NoError(t, s.View(ctx, p, func(tx commission.StoreTx) error {
			var err error
			page, err = tx.Recorded(ctx, after, 3)
			return err
		}))
		for _, tr := range page {
			require.Greater(t, tr.Seq, after)
			require.Len(t, tr.Rewards, 1, tr.Key)
			got = append(got, tr.Key)
			after = tr.Seq
		}
		if len(page) < 3 {
			break
		}
	}
	require.Equal(t, keys, got)
}
