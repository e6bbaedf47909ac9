package commission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// A bulk reads and writes counters through its own overlay, flushed once:
// it must earn exactly what the same sales earn one by one, tiers, goals
// and spend limits included, with customers created inside it.
func TestBulkCountsLikeSingles(t *testing.T) {
	ctx := context.Background()
	p := customersTiers()
	p.Rules.Goals = []commission.Goal{
		{ID: "rev", Metric: commission.MetricRevenue, Target: dec("250"), Every: true, Bonus: dec("3")},
		{ID: "signups", Metric: commission.MetricSignups, Target: dec("2"), Every: true, Bonus: dec("1")},
	}
	p.Rules.Tiers[0].When[0].Above = decp("2")
	p.Rules.Tiers[1].When[0].Above = decp("4")
	p.Rules.Tiers = append(p.Rules.Tiers, commission.Tier{ID: "recruiter", When: []commission.Condition{
		{Metric: commission.MetricSignups, Months: 1, AtLeast: decp("6")}}, Commission: commission.Percent(dec("40"))})
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("150")}}
	var ins []commission.TransactionInput
	for i := range 40 {
		in := sale("s"+strconv.Itoa(i), "c"+strconv.Itoa(i%7), strconv.Itoa(20+i*3))
		in.Options.CreateCustomer = true
		in.Customer.Partner = &commission.PartnerRef{Key: "p"}
		ins = append(ins, in)
	}
	run := func(bulk bool) []byte {
		eng, _ := newEngine(t, p)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(t, err)
		if bulk {
			_, err = eng.CreateTransactions(ctx, ins)
			require.NoError(t, err)
		} else {
			for _, in := range ins {
				_, err = eng.CreateTransaction(ctx, in)
				require.NoError(t, err)
			}
		}
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(t, err)
		// The bulk stores its signups before its sales: compare by key.
		slices.SortFunc(page.Transactions, func(a, b *commission.Transaction) int { return strings.Compare(a.Key, b.Key) })
		out, err := json.Marshal(page.Transactions)
		require.NoError(t, err)
		return out
	}
	single := run(false)
	require.Contains(t, string(single), `"match":"goal"`)
	require.Contains(t, string(single), `"rule":"recruiter"`)
	require.Contains(t, string(single), `"rule":"silver"`)
	require.Contains(t, string(single), `"caps":["partner.month"]`)
	require.JSONEq(t, string(single), string(run(true)))
}

// propBulkSetup creates partners pa, pb and pc (archived later), and customers
// c1 (pa), c2 (pb), c3 (pa, suspended) and c4 (pc).
func propBulkSetup(t *testing.T, eng *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []string{"pa", "pb", "pc"} {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: p, Email: p + "@example.com"})
		require.NoError(t, err)
	}
	for c, p := range map[string]string{"c1": "pa", "c2": "pb", "c3": "pa", "c4": "pc"} {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: c, Partner: &commission.PartnerRef{Key: p}})
		require.NoError(t, err)
	}
	_, err := eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "c3"}, commission.CustomerSuspended)
	require.NoError(t, err)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "pc"}, commission.PartnerArchived)
	require.NoError(t, err)
}

// genBulkInput draws a valid transaction input for propBulkSetup's program:
// known, suspended, archived-partner or new customers (created with the
// sale, attributed by partner key or referral URL), an amount, product
// lines or a reward set directly, flags, units, actions and backdating.
func genBulkInput(key string) *rapid.Generator[commission.TransactionInput] {
	return rapid.Custom(func(t *rapid.T) commission.TransactionInput {
		in := commission.TransactionInput{Key: key}
		cust := rapid.SampledFrom([]string{"c1", "c2", "c3", "c4", "n1", "n2"}).Draw(t, "customer")
		in.Customer.Key = cust
		if strings.HasPrefix(cust, "n") {
			in.Options.CreateCustomer = true
			if rapid.Bool().Draw(t, "by_url") {
				in.Options.ReferralURL = "https://shop.example/landing?aff=" + rapid.SampledFrom([]string{"pa", "pb"}).Draw(t, "url_partner")
			} else {
				in.Customer.Partner = &commission.PartnerRef{Key: rapid.SampledFrom([]string{"pa", "pb"}).Draw(t, "partner")}
			}
		}
		switch rapid.IntRange(0, 2).Draw(t, "payload") {
		case 0:
			a := rapidgen.Decimal(12, 6).Draw(t, "amount")
			in.Amount = &a
			in.ProductID = rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(t, "product_id")
			in.ProductType = rapid.SampledFrom([]string{"", "t1", "t2"}).Draw(t, "product_type")
		case 1:
			n := rapid.IntRange(1, 3).Draw(t, "lines")
			for i := 0; i < n; i++ {
				in.Products = append(in.Products, commission.ProductLine{
					ProductID:    rapid.SampledFrom([]string{"p1", "p2", "p3"}).Draw(t, "line_product_id"),
					ProductType:  rapid.SampledFrom([]string{"", "t1", "t2"}).Draw(t, "line_product_type"),
					ProductPrice: rapidgen.Decimal(12, 6).Draw(t, "price"),
				})
			}
		case 2:
			r := rapidgen.Decimal(6, 4).Draw(t, "reward")
			in.Reward = &r
			if rapid.Bool().Draw(t, "with_amount") {
				a := rapidgen.Decimal(12, 6).Draw(t, "amount")
				in.Amount = &a
			}
		}
		switch rapid.IntRange(0, 4).Draw(t, "rewardable") {
		case 0:
			f := false
			in.Rewardable = &f
		case 1:
			tr := true
			in.Rewardable = &tr
		}
		in.Rewarded = rapid.IntRange(0, 5).Draw(t, "rewarded") == 0
		in.Action = rapid.SampledFrom([]string{"", "sale", "upgrade"}).Draw(t, "action")
		in.AmountUnits = rapid.SampledFrom([]string{"", "USD", "usd", "POINTS"}).Draw(t, "units")
		if rapid.Bool().Draw(t, "backdated") {
			at := t0.Add(-time.Duration(rapid.Int64Range(0, 100*int64(time.Hour)/int64(time.Microsecond)).Draw(t, "backdate_us")) * time.Microsecond)
			in.CreatedAt = &at
		}
		return in
	})
}

// propRequireSameTx compares two stored transactions field by field,
// amounts as decimals, reward ids excepted.
func propRequireSameTx(t *rapid.T, what string, a, b *commission.Transaction) {
	t.Helper()
	require.Equal(t, a.Key, b.Key, what)
	require.Equal(t, a.Action, b.Action, what)
	propRequireDec(t, what+" amount", a.Amount, b.Amount)
	require.Equal(t, a.Reward == nil, b.Reward == nil, what+" reward set")
	if a.Reward != nil {
		propRequireDec(t, what+" reward", *a.Reward, *b.Reward)
	}
	require.Equal(t, a.AmountUnits, b.AmountUnits, what)
	require.Equal(t, a.Rate == nil, b.Rate == nil, what+" rate set")
	if a.Rate != nil {
		propRequireDec(t, what+" rate", *a.Rate, *b.Rate)
	}
	require.Equal(t, a.IsCurrency, b.IsCurrency, what)
	require.Equal(t, a.Credit, b.Credit, what)
	require.Equal(t, a.ProductID, b.ProductID, what)
	require.Equal(t, a.ProductType, b.ProductType, what)
	require.Equal(t, a.Rewarded, b.Rewarded, what)
	require.Equal(t, a.Rewardable, b.Rewardable, what)
	require.Equal(t, a.Qualified, b.Qualified, what)
	require.Equal(t, a.CustomerKey, b.CustomerKey, what)
	require.Equal(t, a.PartnerKey, b.PartnerKey, what)
	require.True(t, a.CreatedAt.Equal(b.CreatedAt), "%s created_at %v vs %v", what, a.CreatedAt, b.CreatedAt)
	require.Equal(t, a.Backdated, b.Backdated, what)
	require.Equal(t, a.State, b.State, what)
	require.True(t, propTimeEqual(a.DeletedAt, b.DeletedAt), what+" deleted_at")
	require.Len(t, b.Products, len(a.Products), what)
	for i := range a.Products {
		pa, pb := a.Products[i], b.Products[i]
		require.Equal(t, pa.ProductID, pb.ProductID, what)
		require.Equal(t, pa.ProductType, pb.ProductType, what)
		propRequireDec(t, fmt.Sprintf("%s products[%d].product_price", what, i), pa.ProductPrice, pb.ProductPrice)
	}
	require.Len(t, b.Rewards, len(a.Rewards), what+" rewards")
	for i := range a.Rewards {
		propRequireSameReward(t, fmt.Sprintf("%s rewards[%d]", what, i), &a.Rewards[i], &b.Rewards[i])
	}
}

// propRequireSameReward compares two stored rewards field by field, ids
// excepted.
func propRequireSameReward(t *rapid.T, w string, ra, rb *commission.Reward) {
	t.Helper()
	propRequireDec(t, w+" amount", ra.Amount, rb.Amount)
	require.Equal(t, ra.Status, rb.Status, w)
	require.Equal(t, ra.TransactionKey, rb.TransactionKey, w)
	require.Equal(t, ra.Action, rb.Action, w)
	require.Equal(t, ra.PartnerKey, rb.PartnerKey, w)
	require.Equal(t, ra.CustomerKey, rb.CustomerKey, w)
	require.Equal(t, ra.AmountUnits, rb.AmountUnits, w)
	require.Equal(t, ra.IsCurrency, rb.IsCurrency, w)
	require.Equal(t, ra.Credit, rb.Credit, w)
	require.Equal(t, ra.ProductID, rb.ProductID, w)
	require.Equal(t, ra.ProductType, rb.ProductType, w)
	require.Equal(t, ra.Reason, rb.Reason, w)
	require.True(t, ra.CreatedAt.Equal(rb.CreatedAt), w+" created_at")
	require.True(t, propTimeEqual(ra.ReviewEndsAt, rb.ReviewEndsAt), w+" review_ends_at")
	require.True(t, propTimeEqual(ra.DeletedAt, rb.DeletedAt), w+" deleted_at")
	ea, eb := ra.Explanation, rb.Explanation
	require.Equal(t, ea.Rule, eb.Rule, w)
	require.Equal(t, ea.RuleVersion, eb.RuleVersion, w)
	require.Equal(t, ea.Match, eb.Match, w)
	require.Equal(t, ea.Type, eb.Type, w)
	propRequireDec(t, w+" explanation.base", ea.Base, eb.Base)
	propRequireDec(t, w+" explanation.value", ea.Value, eb.Value)
}

// TestPropBulkEqualsSingle: a list of sales gets the same rewards whether
// each is created alone (engine A) or all in one bulk (engine B, same setup
// on a fresh store): same amounts, statuses, product data, explanations,
// per transaction key, as returned and as read back. When one item is
// invalid, the bulk stores nothing at all, not even the customers that
// other items would have created, and names the item.
func TestPropBulkEqualsSingle(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		prog := drawBulkProgram(rt)
		n := rapid.IntRange(1, 8).Draw(rt, "n")
		ins := make([]commission.TransactionInput, n)
		for i := range ins {
			ins[i] = genBulkInput("k"+strconv.Itoa(i)).Draw(rt, "input")
		}
		bad := -1
		if rapid.IntRange(0, 7).Draw(rt, "with_invalid") == 0 {
			bad = rapid.IntRange(0, n-1).Draw(rt, "invalid_index")
			neg := decimal.New(-1, 0)
			ins[bad].Amount = &neg
		}

		engA, _ := newEngine(t, prog)
		propBulkSetup(t, engA)
		engB, _ := newEngine(t, prog)
		propBulkSetup(t, engB)

		singles := make([]*commission.Transaction, n)
		for i, in := range ins {
			tx, err := engA.CreateTransaction(ctx, in)
			if i == bad {
				require.ErrorIs(rt, err, commission.ErrInvalid)
				continue
			}
			require.NoError(rt, err, "transactions[%d]", i)
			singles[i] = tx
		}
		bulk, err := engB.CreateTransactions(ctx, ins)
		if bad >= 0 {
			requireBulkStoredNothing(rt, engB, err, bad)
			return
		}
		require.NoError(rt, err)
		require.Len(rt, bulk, n)
		requireBulkEqualsSingles(rt, engA, engB, ins, singles, bulk)
	})
}

// drawBulkProgram draws TestPropBulkEqualsSingle's program: a default
// percent, rules on product p1 and type t1, and a review period or none.
func drawBulkProgram(rt *rapid.T) commission.Program {
	prog := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD", CustomUnits: []string{"POINTS"}}
	prog.Rules.Version = "2025-05"
	prog.Rules.Default = commission.Percent(rapidgen.Rate().Draw(rt, "default_rate"))
	prog.Rules.Products = []commission.ProductRule{
		{ProductID: "p1", Commission: genCommission().Draw(rt, "p1")},
		{ProductType: "t1", Commission: genCommission().Draw(rt, "t1")},
	}
	prog.Rules.ReviewPeriod = rapid.SampledFrom([]time.Duration{0, 48 * time.Hour}).Draw(rt, "review")
	return prog
}

// requireBulkStoredNothing checks that a bulk whose item bad is invalid
// failed naming it, and stored no sale and no customer.
func requireBulkStoredNothing(rt *rapid.T, eng *commission.Engine, err error, bad int) {
	ctx := context.Background()
	var verr *commission.ValidationError
	require.ErrorAs(rt, err, &verr)
	_, ok := verr.Field(fmt.Sprintf("transactions[%d].amount", bad))
	require.True(rt, ok, "the error names the bad item: %v", err)
	require.Empty(rt, propListAll(rt, eng, commission.MaxLimit), "a failed bulk stores nothing")
	for _, c := range []string{"n1", "n2"} {
		_, err := eng.Customer(ctx, commission.CustomerRef{Key: c})
		require.ErrorIs(rt, err, commission.ErrNotFound, "a failed bulk creates no customer")
	}
}

// requireBulkEqualsSingles compares the sales of ins that engA created one
// by one with those engB created in one bulk: as returned, as read back
// and as listed.
func requireBulkEqualsSingles(rt *rapid.T, engA, engB *commission.Engine, ins []commission.TransactionInput, singles, bulk []*commission.Transaction) {
	ctx := context.Background()
	for i, single := range singles {
		key := ins[i].Key
		propRequireSameTx(rt, key+" (created)", single, bulk[i])
		readA, err := engA.Transaction(ctx, key)
		require.NoError(rt, err)
		readB, err := engB.Transaction(ctx, key)
		require.NoError(rt, err)
		propRequireSameTx(rt, key+" (read)", readA, readB)
		propRequireSameTx(rt, key+" (A created vs read)", single, readA)
	}
	la, lb := propListAll(rt, engA, commission.MaxLimit), propListAll(rt, engB, commission.MaxLimit)
	require.Len(rt, lb, len(la))
	for i := range la {
		propRequireSameTx(rt, "listed "+la[i].Key, la[i], lb[i])
	}
}

// A bulk stores the signups of the customers it creates among its sales
// in the order their rewards were computed, so that the order the store
// records them in (StoreTx.Recorded, which simulations replay) is the
// order the engine decided them in.
func TestBulkStoresSignupsInTurn(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	p := rafProgram(commission.RuleSet{Trigger: commission.TriggerSignup, Default: commission.Flat(dec("10"))})
	eng, err := commission.New(store, p, commission.WithClock(newClock(t0).Now), commission.WithIDGenerator(seqIDs()))
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "old", ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
	require.NoError(t, err)
	friend := sale("s-new", "new", "20")
	friend.Options.CreateCustomer = true
	friend.Customer.ReferringCustomer = &commission.CustomerRef{Key: "referrer"}
	out, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("s-old", "old", "10"), friend})
	require.NoError(t, err)

	var keys []string
	require.NoError(t, store.View(ctx, p.ID, func(tx commission.StoreTx) error {
		page, err := tx.Recorded(ctx, 0, 10)
		for _, tr := range page {
			keys = append(keys, tr.Key)
		}
		return err
	}))
	newID := out[1].CustomerID
	require.Len(t, keys, 4)
	require.Equal(t, []string{"s-old", "signup:" + newID, "s-new"}, keys[1:])
}
