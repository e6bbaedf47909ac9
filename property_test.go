package commission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Property-based tests (pgregory.net/rapid) of the reward arithmetic (SPEC
// §4.1-§4.3) and of bulk creation (§3.1). The key, delete and archive
// rules (§3.3-§3.5) are checked by the conformance suite's engine state
// machine (storetest's testEngineModel), on every store. Engines are built with newEngine (a fresh memstore, a
// test clock at t0, sequential ids); its setup failures go to the outer
// *testing.T because setup never depends on drawn data in a way that can
// fail.

// genDecimal and genRate are rapidgen's, under the names the root's other
// property tests (rounding, caps) call them by.
var (
	genDecimal = rapidgen.Decimal
	genRate    = rapidgen.Rate
)

// genCommission draws the root properties' commissions: a percent of
// rapidgen.Rate or, one time in four, a flat value with up to 6 digits and
// 4 places.
func genCommission() *rapid.Generator[commission.Commission] {
	return rapidgen.Commission(rapidgen.Rate(), rapidgen.Decimal(6, 4))
}

// wantReward is what c pays on a line of price, stored, computed with
// big.Rat apart from the engine's decimals.
func wantReward(c commission.Commission, price decimal.Decimal) *big.Rat {
	return rapidgen.Stored(rapidgen.Pays(c, price.Rat()))
}

func propRequireRat(t *rapid.T, what string, want *big.Rat, got decimal.Decimal) {
	t.Helper()
	if got.Rat().Cmp(want) != 0 {
		t.Fatalf("%s: want exactly %s, got %s", what, want.FloatString(30), got.String())
	}
}

func propRequireDec(t *rapid.T, what string, want, got decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s: want %s, got %s", what, want.String(), got.String())
	}
}

// propRequireJSONAmounts checks that the transaction's JSON prints its amount
// and every reward amount as plain, exact numbers (SPEC §3.2).
func propRequireJSONAmounts(t *rapid.T, tx *commission.Transaction) {
	t.Helper()
	b, err := json.Marshal(tx)
	require.NoError(t, err)
	var out struct {
		Amount  json.Number `json:"amount"`
		Rewards []struct {
			Amount json.Number `json:"amount"`
		} `json:"rewards"`
	}
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	check := func(what string, n json.Number, want decimal.Decimal) {
		if strings.ContainsAny(n.String(), "eE") {
			t.Fatalf("%s printed in exponent form: %s", what, n)
		}
		got, err := decimal.NewFromString(n.String())
		require.NoError(t, err, "%s: %s", what, n)
		propRequireDec(t, what+" in JSON", want, got)
	}
	check("amount", out.Amount, tx.Amount)
	require.Len(t, out.Rewards, len(tx.Rewards))
	for i := range tx.Rewards {
		check(fmt.Sprintf("rewards[%d].amount", i), out.Rewards[i].Amount, tx.Rewards[i].Amount)
	}
}

// TestPropPercentRewardIsExact: with a default percent rule, a sale earns
// exactly one reward of amount × rate / 100, with no rounding when that has
// at most 18 places (else rounded half-even to the 18 places of storage),
// for any valid amount (up to 20 integer digits, 18 places) and rate
// (0-100, 4 places),
// as created and as read back, and printed exactly in JSON.
func TestPropPercentRewardIsExact(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		rate := rapidgen.Rate().Draw(rt, "rate")
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, rate.String()))
		affiliateSetup(t, eng)
		amounts := rapid.SliceOfN(rapidgen.Amount(), 1, 4).Draw(rt, "amounts")
		for i, amount := range amounts {
			key := "sale_" + strconv.Itoa(i)
			a := amount
			created, err := eng.CreateTransaction(ctx, commission.TransactionInput{
				Key: key, Amount: &a, Customer: commission.CustomerInput{Key: "customer_123"},
			})
			require.NoError(rt, err, "amount %s", amount)
			read, err := eng.Transaction(ctx, key)
			require.NoError(rt, err)
			for _, tx := range []*commission.Transaction{created, read} {
				propRequireDec(rt, key+" amount", amount, tx.Amount)
				require.Len(rt, tx.Rewards, 1, key)
				r := tx.Rewards[0]
				propRequireRat(rt, key+" reward", wantReward(commission.Percent(rate), amount), r.Amount)
				propRequireDec(rt, key+" reward (decimal shift)", amount.Mul(rate).Shift(-2).RoundBank(18), r.Amount)
				if exact := amount.Mul(rate).Shift(-2); exact.Equal(exact.RoundBank(18)) {
					propRequireDec(rt, key+" reward exact", exact, r.Amount)
					require.Empty(rt, r.Explanation.Rounding)
				} else {
					require.Equal(rt, commission.StorageRounding, r.Explanation.Rounding)
				}
				require.Equal(rt, "default", r.Explanation.Match)
				require.Equal(rt, commission.PercentCommission, r.Explanation.Type)
				propRequireDec(rt, key+" explanation.base", amount, r.Explanation.Base)
				propRequireDec(rt, key+" explanation.value", rate, r.Explanation.Value)
				require.Equal(rt, commission.RewardOK, r.Status)
				require.Nil(rt, r.DeletedAt)
				propRequireJSONAmounts(rt, tx)
			}
		}
	})
}

// TestPropProductRuleRewards: each sale line is rewarded by exactly one
// rule, most specific first (product_id, then product_type, the line's own
// or else the sale's, then the default), one reward per rewarded line in
// line order, each equal to price × rate / 100 (or the flat value) exactly
// and carrying the line's product data. A line no rule matches (no default)
// earns nothing. The sale amount is the sum of the prices; a given amount
// that differs from it is a validation error that stores nothing.
func TestPropProductRuleRewards(t *testing.T) {
	ctx := context.Background()
	productIDs := []string{"p1", "p2", "p3", "p4"}
	productTypes := []string{"t1", "t2", "t3"}
	rapid.Check(t, func(rt *rapid.T) {
		prog := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD"}
		prog.Rules.Version = "v7"
		rules := drawProductRules(rt, &prog, productIDs[:3], productTypes[:2])
		eng, _ := newEngine(t, prog)
		affiliateSetup(t, eng)

		in, lines, mismatch := drawProductSale(rt, productIDs, productTypes)
		tx, err := eng.CreateTransaction(ctx, in)
		if mismatch {
			var verr *commission.ValidationError
			require.ErrorAs(rt, err, &verr)
			_, ok := verr.Field("amount")
			require.True(rt, ok, "want an amount error, got %v", err)
			_, err = eng.Transaction(ctx, in.Key)
			require.ErrorIs(rt, err, commission.ErrNotFound)
			return
		}
		require.NoError(rt, err)
		wantAmount := new(big.Rat)
		for _, l := range lines {
			wantAmount.Add(wantAmount, l.price.Rat())
		}
		propRequireRat(rt, "transaction amount", wantAmount, tx.Amount)

		read, err := eng.Transaction(ctx, in.Key)
		require.NoError(rt, err)
		for _, got := range []*commission.Transaction{tx, read} {
			rules.requireRewards(rt, in.Key, got, lines)
			propRequireJSONAmounts(rt, got)
		}
	})
}

// productRules are the product rules and default of a program that
// TestPropProductRuleRewards drew.
type productRules struct {
	byID, byType map[string]commission.Commission
	def          *commission.Commission // nil for none
}

// drawProductRules draws a rule for some of ids and of types, and maybe a
// default percent, into prog.
func drawProductRules(rt *rapid.T, prog *commission.Program, ids, types []string) productRules {
	r := productRules{byID: map[string]commission.Commission{}, byType: map[string]commission.Commission{}}
	for _, id := range ids {
		if rapid.Bool().Draw(rt, "rule_"+id) {
			c := genCommission().Draw(rt, "commission_"+id)
			r.byID[id] = c
			prog.Rules.Products = append(prog.Rules.Products, commission.ProductRule{ProductID: id, Commission: c})
		}
	}
	for _, ty := range types {
		if rapid.Bool().Draw(rt, "rule_"+ty) {
			c := genCommission().Draw(rt, "commission_"+ty)
			r.byType[ty] = c
			prog.Rules.Products = append(prog.Rules.Products, commission.ProductRule{ProductType: ty, Commission: c})
		}
	}
	if rapid.Bool().Draw(rt, "has_default") {
		prog.Rules.Default = commission.Percent(rapidgen.Rate().Draw(rt, "default_rate"))
		r.def = &prog.Rules.Default
	}
	return r
}

// ruleFor is the precedence of SPEC §4.2-§4.3, restated: the commission
// that pays a line of product id and type, its match and rule id, and
// false when none does.
func (r productRules) ruleFor(id, ty string) (commission.Commission, string, string, bool) {
	if c, ok := r.byID[id]; ok && id != "" {
		return c, "product_id", "product_id:" + id, true
	}
	if c, ok := r.byType[ty]; ok && ty != "" {
		return c, "product_type", "product_type:" + ty, true
	}
	if r.def != nil {
		return *r.def, "default", "default", true
	}
	return commission.Commission{}, "", "", false
}

// requireRewards checks the rewards of sale key: one per line a rule pays,
// in line order, each exactly what the rule pays and explained by it.
func (r productRules) requireRewards(rt *rapid.T, key string, got *commission.Transaction, lines []productLine) {
	var want []int // indexes of rewarded lines
	for i, l := range lines {
		if _, _, _, ok := r.ruleFor(l.id, l.ty); ok {
			want = append(want, i)
		}
	}
	require.Len(rt, got.Rewards, len(want), "one reward per rewarded line")
	for j, i := range want {
		l, rw := lines[i], got.Rewards[j]
		c, match, ruleID, _ := r.ruleFor(l.id, l.ty)
		what := fmt.Sprintf("line %d (%s/%s)", i, l.id, l.ty)
		propRequireRat(rt, what+" reward", wantReward(c, l.price), rw.Amount)
		require.Equal(rt, l.id, rw.ProductID, what)
		require.Equal(rt, l.ty, rw.ProductType, what)
		require.Equal(rt, match, rw.Explanation.Match, what)
		require.Equal(rt, ruleID, rw.Explanation.Rule, what)
		require.Equal(rt, "v7", rw.Explanation.RuleVersion, what)
		require.Equal(rt, c.Type, rw.Explanation.Type, what)
		propRequireDec(rt, what+" explanation.base", l.price, rw.Explanation.Base)
		propRequireDec(rt, what+" explanation.value", c.Value, rw.Explanation.Value)
		require.Equal(rt, key, rw.TransactionKey)
		require.Equal(rt, "partner_123", rw.PartnerKey)
	}
}

// productLine is a line of a sale as the rules see it: a line with no
// product_type has the sale's.
type productLine struct {
	id, ty string
	price  decimal.Decimal
}

// drawProductSale draws sale_1 of customer_123: one line (the sale's own
// product_id and product_type) or one to five product lines, and whether
// its given amount differs from the lines' sum.
func drawProductSale(rt *rapid.T, ids, types []string) (in commission.TransactionInput, lines []productLine, mismatch bool) {
	in = commission.TransactionInput{Key: "sale_1", Customer: commission.CustomerInput{Key: "customer_123"}}
	in.ProductType = rapid.SampledFrom(append([]string{""}, types...)).Draw(rt, "sale_product_type")
	if rapid.IntRange(0, 3).Draw(rt, "single") == 0 {
		in.ProductID = rapid.SampledFrom(append([]string{""}, ids...)).Draw(rt, "sale_product_id")
		a := rapidgen.Amount().Draw(rt, "amount")
		in.Amount = &a
		return in, []productLine{{in.ProductID, in.ProductType, a}}, false
	}
	sum := decimal.Zero
	for range rapid.IntRange(1, 5).Draw(rt, "lines") {
		l := commission.ProductLine{
			ProductID:   rapid.SampledFrom(ids).Draw(rt, "line_product_id"),
			ProductType: rapid.SampledFrom(append([]string{""}, types...)).Draw(rt, "line_product_type"),
			// 18 integer digits, so that 5 lines add up to a valid amount.
			ProductPrice: rapidgen.Decimal(18, 18).Draw(rt, "price"),
		}
		in.Products = append(in.Products, l)
		ty := l.ProductType
		if ty == "" {
			ty = in.ProductType
		}
		lines = append(lines, productLine{l.ProductID, ty, l.ProductPrice})
		sum = sum.Add(l.ProductPrice)
	}
	switch rapid.IntRange(0, 2).Draw(rt, "amount_mode") {
	case 1:
		in.Amount = &sum
	case 2:
		a := sum.Add(decimal.New(1, -18))
		in.Amount, mismatch = &a, true
	}
	return in, lines, mismatch
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
		in.AmountUnits = rapid.SampledFrom([]string{"", "USD", "EUR"}).Draw(t, "units")
		if rapid.Bool().Draw(t, "backdated") {
			at := t0.Add(-time.Duration(rapid.Int64Range(0, 100*int64(time.Hour)/int64(time.Microsecond)).Draw(t, "backdate_us")) * time.Microsecond)
			in.CreatedAt = &at
		}
		return in
	})
}

func propTimeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
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

// propListAll walks every page of the listing through NextCursor.
func propListAll(t *rapid.T, eng *commission.Engine, limit int) []*commission.Transaction {
	t.Helper()
	ctx := context.Background()
	var all []*commission.Transaction
	opts := commission.ListOptions{Limit: limit}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Transactions), limit)
		all = append(all, page.Transactions...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Transactions, "a page with a next cursor is not empty")
		opts.Cursor = page.NextCursor
	}
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
	prog := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD"}
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

// TestPropDerivedAmountFitsNumeric: a sale whose amount is derived from its
// products[] is accepted exactly when the same sale with that amount given
// explicitly is, so a stored amount always fits NUMERIC(38,18) (SPEC
// §3.1, §3.6): at most 20 digits before the point, 18 after. Each price is
// valid on its own; only their sum can overflow.
func TestPropDerivedAmountFitsNumeric(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
		affiliateSetup(t, eng)
		n := rapid.IntRange(1, 4).Draw(rt, "lines")
		var lines []commission.ProductLine
		sum := decimal.Zero
		for i := 0; i < n; i++ {
			l := commission.ProductLine{ProductID: "p" + strconv.Itoa(i), ProductPrice: rapidgen.Amount().Draw(rt, "price")}
			lines = append(lines, l)
			sum = sum.Add(l.ProductPrice)
		}
		explicit := commission.TransactionInput{Key: "explicit", Amount: &sum, Products: lines, Customer: commission.CustomerInput{Key: "customer_123"}}
		derived := commission.TransactionInput{Key: "derived", Products: lines, Customer: commission.CustomerInput{Key: "customer_123"}}
		_, errExplicit := eng.CreateTransaction(ctx, explicit)
		tx, errDerived := eng.CreateTransaction(ctx, derived)
		fits := sum.IsZero() || sum.NumDigits()+int(sum.Exponent()) <= 20
		if fits {
			require.NoError(rt, errExplicit)
			require.NoError(rt, errDerived)
			propRequireDec(rt, "derived amount", sum, tx.Amount)
			return
		}
		require.ErrorIs(rt, errExplicit, commission.ErrInvalid, "explicit amount %s", sum)
		require.ErrorIs(rt, errDerived, commission.ErrInvalid,
			"products adding up to %s (more than 20 integer digits) were accepted; the explicit amount was rejected with: %v", sum, errExplicit)
	})
}

// TestPropBulkFailureNamesItem: when one item of a bulk fails after
// validation (its key was already used, or its customer does not exist),
// the error is an *ItemError carrying that item's index, whatever the size
// of the bulk (CreateTransactions' contract), a used key is also a
// *DuplicateError, and nothing of the bulk is stored.
func TestPropBulkFailureNamesItem(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
		affiliateSetup(t, eng)
		_, err := eng.CreateTransaction(ctx, sale("used", "customer_123", "10"))
		require.NoError(rt, err)

		n := rapid.IntRange(1, 4).Draw(rt, "n")
		bad := rapid.IntRange(0, n-1).Draw(rt, "bad")
		dupKey := rapid.Bool().Draw(rt, "duplicate_key")
		ins := make([]commission.TransactionInput, n)
		for i := range ins {
			ins[i] = sale("new_"+strconv.Itoa(i), "customer_123", "5")
		}
		if dupKey {
			ins[bad].Key = "used"
		} else {
			ins[bad].Customer.Key = "nobody"
		}
		_, err = eng.CreateTransactions(ctx, ins)
		if dupKey {
			var dup *commission.DuplicateError
			require.ErrorAs(rt, err, &dup)
			require.Equal(rt, "used", dup.Existing.Key)
		} else {
			require.ErrorIs(rt, err, commission.ErrCustomerNotFound)
		}
		var ie *commission.ItemError
		require.ErrorAs(rt, err, &ie, "a bulk of %d item(s) whose item %d fails: got %T %v", n, bad, err, err)
		require.Equal(rt, bad, ie.Index)
		list := propListAll(rt, eng, commission.MaxLimit)
		require.Len(rt, list, 1, "only the earlier sale is stored")
	})
}
