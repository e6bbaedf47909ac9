package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Property-based tests (pgregory.net/rapid) of the reward arithmetic (SPEC
// §4.1-§4.3), of bulk creation (§3.1) and of the key, delete and archive
// rules (§3.3-§3.5). Engines are built with newEngine (a fresh memstore, a
// test clock at t0, sequential ids); its setup failures go to the outer
// *testing.T because setup never depends on drawn data in a way that can
// fail.

var (
	propTen     = big.NewInt(10)
	propHundred = big.NewRat(100, 1)
)

// genDecimal draws a non-negative decimal with at most intDigits digits
// before the point and at most maxScale after it, built from an integer
// coefficient and an exponent, so it is always a valid input within those
// bounds. Edge values are drawn now and then.
func genDecimal(intDigits, maxScale int) *rapid.Generator[decimal.Decimal] {
	digits := rapid.Custom(func(t *rapid.T) decimal.Decimal {
		scale := rapid.IntRange(0, maxScale).Draw(t, "scale")
		n := rapid.IntRange(0, intDigits+scale).Draw(t, "ndigits")
		coef := new(big.Int)
		if n > 0 {
			for _, d := range rapid.SliceOfN(rapid.IntRange(0, 9), n, n).Draw(t, "coefficient") {
				coef.Mul(coef, propTen)
				coef.Add(coef, big.NewInt(int64(d)))
			}
		}
		return decimal.NewFromBigInt(coef, int32(-scale))
	})
	largest := decimal.NewFromBigInt(new(big.Int).Sub(new(big.Int).Exp(propTen, big.NewInt(int64(intDigits+maxScale)), nil), big.NewInt(1)), int32(-maxScale))
	edges := []decimal.Decimal{decimal.Zero, decimal.New(1, int32(-maxScale)), decimal.New(9999, -2), largest}
	return rapid.OneOf(digits, digits, digits, rapid.SampledFrom(edges))
}

// genAmount draws any valid amount: up to 20 integer digits and 18 places.
func genAmount() *rapid.Generator[decimal.Decimal] { return genDecimal(20, 18) }

// genRate draws a percent rate from 0 to 100 with up to 4 places.
func genRate() *rapid.Generator[decimal.Decimal] {
	return rapid.Custom(func(t *rapid.T) decimal.Decimal {
		places := rapid.IntRange(0, 4).Draw(t, "places")
		limit := int64(100)
		for i := 0; i < places; i++ {
			limit *= 10
		}
		return decimal.New(rapid.Int64Range(0, limit).Draw(t, "units"), int32(-places))
	})
}

// genCommission draws a percent commission (mostly) or a flat one.
func genCommission() *rapid.Generator[commission.Commission] {
	return rapid.Custom(func(t *rapid.T) commission.Commission {
		if rapid.IntRange(0, 3).Draw(t, "flat") == 0 {
			return commission.Flat(genDecimal(6, 4).Draw(t, "flat_value"))
		}
		return commission.Percent(genRate().Draw(t, "percent"))
	})
}

// wantPercent is amount × pct / 100, computed with big.Rat, independently
// of the engine's decimal arithmetic.
func wantPercent(amount, pct decimal.Decimal) *big.Rat {
	r := new(big.Rat).Mul(amount.Rat(), pct.Rat())
	return atStorageScale(r.Quo(r, propHundred))
}

// atStorageScale is r when it has at most 18 places after the point, else r
// rounded half-even to 18 places: the engine stores NUMERIC(38,18).
func atStorageScale(r *big.Rat) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	if scaled.IsInt() {
		return r
	}
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	switch c := new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(scaled.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(int64(m.Sign())))
	}
	return new(big.Rat).SetFrac(q, scale)
}

// wantCommission is what c pays on a line of price, computed independently.
func wantCommission(c commission.Commission, price decimal.Decimal) *big.Rat {
	if c.Type == commission.FlatCommission {
		return c.Value.Rat()
	}
	return wantPercent(price, c.Value)
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
		rate := genRate().Draw(rt, "rate")
		eng, _ := newEngine(t, percentProgram(commission.Affiliate, rate.String()))
		affiliateSetup(t, eng)
		amounts := rapid.SliceOfN(genAmount(), 1, 4).Draw(rt, "amounts")
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
				propRequireRat(rt, key+" reward", wantPercent(amount, rate), r.Amount)
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
		byID := map[string]commission.Commission{}
		byType := map[string]commission.Commission{}
		prog := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD"}
		prog.Rules.Version = "v7"
		for _, id := range productIDs[:3] {
			if rapid.Bool().Draw(rt, "rule_"+id) {
				c := genCommission().Draw(rt, "commission_"+id)
				byID[id] = c
				prog.Rules.Products = append(prog.Rules.Products, commission.ProductRule{ProductID: id, Commission: c})
			}
		}
		for _, ty := range productTypes[:2] {
			if rapid.Bool().Draw(rt, "rule_"+ty) {
				c := genCommission().Draw(rt, "commission_"+ty)
				byType[ty] = c
				prog.Rules.Products = append(prog.Rules.Products, commission.ProductRule{ProductType: ty, Commission: c})
			}
		}
		hasDefault := rapid.Bool().Draw(rt, "has_default")
		if hasDefault {
			prog.Rules.Default = commission.Percent(genRate().Draw(rt, "default_rate"))
		}
		// ruleFor is the precedence of SPEC §4.2-§4.3, restated.
		ruleFor := func(id, ty string) (commission.Commission, string, string, bool) {
			if c, ok := byID[id]; ok && id != "" {
				return c, "product_id", "product_id:" + id, true
			}
			if c, ok := byType[ty]; ok && ty != "" {
				return c, "product_type", "product_type:" + ty, true
			}
			if hasDefault {
				return prog.Rules.Default, "default", "default", true
			}
			return commission.Commission{}, "", "", false
		}
		eng, _ := newEngine(t, prog)
		affiliateSetup(t, eng)

		in := commission.TransactionInput{Key: "sale_1", Customer: commission.CustomerInput{Key: "customer_123"}}
		in.ProductType = rapid.SampledFrom(append([]string{""}, productTypes...)).Draw(rt, "sale_product_type")
		type line struct {
			id, ty string
			price  decimal.Decimal
		}
		var lines []line
		mismatch := false
		if rapid.IntRange(0, 3).Draw(rt, "single") == 0 {
			// One line: the sale's own product_id and product_type.
			in.ProductID = rapid.SampledFrom(append([]string{""}, productIDs...)).Draw(rt, "sale_product_id")
			a := genAmount().Draw(rt, "amount")
			in.Amount = &a
			lines = []line{{in.ProductID, in.ProductType, a}}
		} else {
			n := rapid.IntRange(1, 5).Draw(rt, "lines")
			for i := 0; i < n; i++ {
				l := commission.ProductLine{
					ProductID:   rapid.SampledFrom(productIDs).Draw(rt, "line_product_id"),
					ProductType: rapid.SampledFrom(append([]string{""}, productTypes...)).Draw(rt, "line_product_type"),
					// 18 integer digits, so that 5 lines add up to a valid amount.
					ProductPrice: genDecimal(18, 18).Draw(rt, "price"),
				}
				in.Products = append(in.Products, l)
				ty := l.ProductType
				if ty == "" {
					ty = in.ProductType
				}
				lines = append(lines, line{l.ProductID, ty, l.ProductPrice})
			}
			sum := decimal.Zero
			for _, l := range lines {
				sum = sum.Add(l.price)
			}
			switch rapid.IntRange(0, 2).Draw(rt, "amount_mode") {
			case 1:
				a := sum
				in.Amount = &a
			case 2:
				a := sum.Add(decimal.New(1, -18))
				in.Amount = &a
				mismatch = true
			}
		}

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
			var want []int // indexes of rewarded lines
			for i, l := range lines {
				if _, _, _, ok := ruleFor(l.id, l.ty); ok {
					want = append(want, i)
				}
			}
			require.Len(rt, got.Rewards, len(want), "one reward per rewarded line")
			for j, i := range want {
				l, r := lines[i], got.Rewards[j]
				c, match, ruleID, _ := ruleFor(l.id, l.ty)
				what := fmt.Sprintf("line %d (%s/%s)", i, l.id, l.ty)
				propRequireRat(rt, what+" reward", wantCommission(c, l.price), r.Amount)
				require.Equal(rt, l.id, r.ProductID, what)
				require.Equal(rt, l.ty, r.ProductType, what)
				require.Equal(rt, match, r.Explanation.Match, what)
				require.Equal(rt, ruleID, r.Explanation.Rule, what)
				require.Equal(rt, "v7", r.Explanation.RuleVersion, what)
				require.Equal(rt, c.Type, r.Explanation.Type, what)
				propRequireDec(rt, what+" explanation.base", l.price, r.Explanation.Base)
				propRequireDec(rt, what+" explanation.value", c.Value, r.Explanation.Value)
				require.Equal(rt, in.Key, r.TransactionKey)
				require.Equal(rt, "partner_123", r.PartnerKey)
			}
			propRequireJSONAmounts(rt, got)
		}
	})
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
			a := genDecimal(12, 6).Draw(t, "amount")
			in.Amount = &a
			in.ProductID = rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(t, "product_id")
			in.ProductType = rapid.SampledFrom([]string{"", "t1", "t2"}).Draw(t, "product_type")
		case 1:
			n := rapid.IntRange(1, 3).Draw(t, "lines")
			for i := 0; i < n; i++ {
				in.Products = append(in.Products, commission.ProductLine{
					ProductID:    rapid.SampledFrom([]string{"p1", "p2", "p3"}).Draw(t, "line_product_id"),
					ProductType:  rapid.SampledFrom([]string{"", "t1", "t2"}).Draw(t, "line_product_type"),
					ProductPrice: genDecimal(12, 6).Draw(t, "price"),
				})
			}
		case 2:
			r := genDecimal(6, 4).Draw(t, "reward")
			in.Reward = &r
			if rapid.Bool().Draw(t, "with_amount") {
				a := genDecimal(12, 6).Draw(t, "amount")
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
		ra, rb := &a.Rewards[i], &b.Rewards[i]
		w := fmt.Sprintf("%s rewards[%d]", what, i)
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
		prog := commission.Program{ID: "prog_1", Kind: commission.Affiliate, Currency: "USD"}
		prog.Rules.Version = "2025-05"
		prog.Rules.Default = commission.Percent(genRate().Draw(rt, "default_rate"))
		prog.Rules.Products = []commission.ProductRule{
			{ProductID: "p1", Commission: genCommission().Draw(rt, "p1")},
			{ProductType: "t1", Commission: genCommission().Draw(rt, "t1")},
		}
		prog.Rules.ReviewPeriod = rapid.SampledFrom([]time.Duration{0, 48 * time.Hour}).Draw(rt, "review")

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
			var verr *commission.ValidationError
			require.ErrorAs(rt, err, &verr)
			_, ok := verr.Field(fmt.Sprintf("transactions[%d].amount", bad))
			require.True(rt, ok, "the error names the bad item: %v", err)
			require.Empty(rt, propListAll(rt, engB, commission.MaxLimit), "a failed bulk stores nothing")
			for _, c := range []string{"n1", "n2"} {
				_, err := engB.Customer(ctx, commission.CustomerRef{Key: c})
				require.ErrorIs(rt, err, commission.ErrNotFound, "a failed bulk creates no customer")
			}
			return
		}
		require.NoError(rt, err)
		require.Len(rt, bulk, n)
		for i := range ins {
			key := ins[i].Key
			propRequireSameTx(rt, key+" (created)", singles[i], bulk[i])
			readA, err := engA.Transaction(ctx, key)
			require.NoError(rt, err)
			readB, err := engB.Transaction(ctx, key)
			require.NoError(rt, err)
			propRequireSameTx(rt, key+" (read)", readA, readB)
			propRequireSameTx(rt, key+" (A created vs read)", singles[i], readA)
		}
		la, lb := propListAll(rt, engA, commission.MaxLimit), propListAll(rt, engB, commission.MaxLimit)
		require.Len(rt, lb, len(la))
		for i := range la {
			propRequireSameTx(rt, "listed "+la[i].Key, la[i], lb[i])
		}
	})
}

// A sale in the key state machine: a customer and either an amount or
// product lines.
type smLine struct {
	id    string
	price decimal.Decimal
}

type smSale struct {
	customer string
	amount   decimal.Decimal // unused when lines are given
	lines    []smLine
}

func (s smSale) total() decimal.Decimal {
	if len(s.lines) == 0 {
		return s.amount
	}
	t := decimal.Zero
	for _, l := range s.lines {
		t = t.Add(l.price)
	}
	return t
}

func (s smSale) input(key string) commission.TransactionInput {
	in := commission.TransactionInput{Key: key, Customer: commission.CustomerInput{Key: s.customer}}
	if len(s.lines) == 0 {
		a := s.amount
		in.Amount = &a
		return in
	}
	for _, l := range s.lines {
		in.Products = append(in.Products, commission.ProductLine{ProductID: l.id, ProductPrice: l.price})
	}
	return in
}

// sameSale is what "identical input" means for these sales: same customer,
// equal amounts, same lines with equal prices.
func (s smSale) sameSale(o smSale) bool {
	if s.customer != o.customer || !s.total().Equal(o.total()) || len(s.lines) != len(o.lines) {
		return false
	}
	for i := range s.lines {
		if s.lines[i].id != o.lines[i].id || !s.lines[i].price.Equal(o.lines[i].price) {
			return false
		}
	}
	return true
}

// rewardCount and rewardTotal are what the sale earns at pct percent by
// the default rule: one reward per line.
func (s smSale) rewardCount() int {
	if len(s.lines) == 0 {
		return 1
	}
	return len(s.lines)
}

func (s smSale) rewardTotal(pct decimal.Decimal) decimal.Decimal {
	return s.total().Mul(pct).Shift(-2).RoundBank(18)
}

var smAmounts = []string{"0", "10", "10.00", "19.99", "0.000000000000000001", "99999999999999999999.999999999999999999"}

func genSmSale() *rapid.Generator[smSale] {
	return rapid.Custom(func(t *rapid.T) smSale {
		s := smSale{customer: rapid.SampledFrom([]string{"customer_123", "customer_456"}).Draw(t, "customer")}
		if rapid.IntRange(0, 2).Draw(t, "with_lines") == 0 {
			n := rapid.IntRange(1, 2).Draw(t, "lines")
			for i := 0; i < n; i++ {
				s.lines = append(s.lines, smLine{
					id:    rapid.SampledFrom([]string{"p1", "p2"}).Draw(t, "product_id"),
					price: dec(rapid.SampledFrom(smAmounts[:4]).Draw(t, "price")),
				})
			}
			return s
		}
		s.amount = dec(rapid.SampledFrom(smAmounts).Draw(t, "amount"))
		return s
	})
}

type smEntry struct {
	state commission.TransactionState
	sale  smSale
	in    commission.TransactionInput // exactly what was sent, for retries
}

// keyMachine is the plain-Go model of TestPropKeyNeverRewardedTwice.
type keyMachine struct {
	ctx   context.Context
	eng   *commission.Engine
	clock *testClock
	rate  decimal.Decimal
	pool  []string
	model map[string]*smEntry
}

// requireCreated checks a created transaction's rewards against the model.
func (m *keyMachine) requireCreated(t *rapid.T, tx *commission.Transaction, s smSale) {
	t.Helper()
	require.Len(t, tx.Rewards, s.rewardCount(), tx.Key)
	for i, r := range tx.Rewards {
		base := s.amount
		if len(s.lines) > 0 {
			base = s.lines[i].price
		}
		propRequireRat(t, fmt.Sprintf("%s rewards[%d]", tx.Key, i), wantPercent(base, m.rate), r.Amount)
		require.Nil(t, r.DeletedAt)
	}
}

// requireDuplicate checks err is the duplicate of stored key, identical iff
// s is the stored sale.
func (m *keyMachine) requireDuplicate(t *rapid.T, err error, key string, s smSale) {
	t.Helper()
	e := m.model[key]
	require.ErrorIs(t, err, commission.ErrDuplicateKey, "key %q is %s", key, e.state)
	var dup *commission.DuplicateError
	require.ErrorAs(t, err, &dup)
	require.Equal(t, key, dup.Key)
	require.NotNil(t, dup.Existing)
	require.Equal(t, key, dup.Existing.Key)
	require.Equal(t, e.state, dup.Existing.State, "existing %q", key)
	propRequireDec(t, "existing amount", e.sale.total(), dup.Existing.Amount)
	require.Equal(t, e.sale.sameSale(s), dup.Identical,
		"key %q: stored %+v, new %+v", key, e.sale, s)
}

func (m *keyMachine) create(t *rapid.T) {
	key := rapid.SampledFrom(m.pool).Draw(t, "key")
	s := genSmSale().Draw(t, "sale")
	in := s.input(key)
	tx, err := m.eng.CreateTransaction(m.ctx, in)
	if _, used := m.model[key]; used {
		m.requireDuplicate(t, err, key, s)
		return
	}
	require.NoError(t, err)
	m.requireCreated(t, tx, s)
	m.model[key] = &smEntry{state: commission.TransactionActive, sale: s, in: in}
}

// retry sends a stored sale's input again, as a retried webhook would.
func (m *keyMachine) retry(t *rapid.T) {
	var used []string
	for _, k := range m.pool {
		if _, ok := m.model[k]; ok {
			used = append(used, k)
		}
	}
	if len(used) == 0 {
		t.Skip("no key used yet")
	}
	key := rapid.SampledFrom(used).Draw(t, "key")
	_, err := m.eng.CreateTransaction(m.ctx, m.model[key].in)
	m.requireDuplicate(t, err, key, m.model[key].sale)
	var dup *commission.DuplicateError
	require.ErrorAs(t, err, &dup)
	require.True(t, dup.Identical, "a retry is identical")
}

func (m *keyMachine) bulk(t *rapid.T) {
	n := rapid.IntRange(1, 3).Draw(t, "n")
	keys := make([]string, n)
	sales := make([]smSale, n)
	ins := make([]commission.TransactionInput, n)
	for i := range ins {
		keys[i] = rapid.SampledFrom(m.pool).Draw(t, "key")
		sales[i] = genSmSale().Draw(t, "sale")
		ins[i] = sales[i].input(keys[i])
	}
	out, err := m.eng.CreateTransactions(m.ctx, ins)
	seen := map[string]int{}
	for i, k := range keys {
		if j, ok := seen[k]; ok {
			var verr *commission.ValidationError
			require.ErrorAs(t, err, &verr, "transactions[%d] repeats transactions[%d]'s key", i, j)
			_, ok := verr.Field(fmt.Sprintf("transactions[%d].key", i))
			require.True(t, ok, "%v", err)
			return
		}
		seen[k] = i
	}
	for i, k := range keys {
		if _, used := m.model[k]; used {
			m.requireDuplicate(t, err, k, sales[i])
			if n > 1 {
				// (A one-item bulk is checked by TestPropBulkFailureNamesItem.)
				var ie *commission.ItemError
				require.ErrorAs(t, err, &ie)
				require.Equal(t, i, ie.Index, "the first used key's item")
			}
			return // the invariant checks nothing was stored
		}
	}
	require.NoError(t, err)
	require.Len(t, out, n)
	for i, tx := range out {
		m.requireCreated(t, tx, sales[i])
		m.model[keys[i]] = &smEntry{state: commission.TransactionActive, sale: sales[i], in: ins[i]}
	}
}

func (m *keyMachine) delete(t *rapid.T) {
	key := rapid.SampledFrom(m.pool).Draw(t, "key")
	err := m.eng.DeleteTransaction(m.ctx, key)
	e, used := m.model[key]
	if !used || e.state == commission.TransactionDeleted {
		require.ErrorIs(t, err, commission.ErrNotFound)
		return
	}
	require.NoError(t, err)
	e.state = commission.TransactionDeleted
}

func (m *keyMachine) archive(t *rapid.T) {
	key := rapid.SampledFrom(m.pool).Draw(t, "key")
	err := m.eng.ArchiveTransaction(m.ctx, key)
	e, used := m.model[key]
	switch {
	case !used || e.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case e.state == commission.TransactionArchived:
		require.ErrorIs(t, err, commission.ErrAlreadyArchived)
	default:
		require.NoError(t, err)
		e.state = commission.TransactionArchived
	}
}

func (m *keyMachine) restore(t *rapid.T) {
	key := rapid.SampledFrom(m.pool).Draw(t, "key")
	err := m.eng.RestoreTransaction(m.ctx, key)
	e, used := m.model[key]
	switch {
	case !used || e.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case e.state == commission.TransactionActive:
		require.ErrorIs(t, err, commission.ErrNotArchived)
	default:
		require.NoError(t, err)
		e.state = commission.TransactionActive
	}
}

func (m *keyMachine) advance(t *rapid.T) {
	m.clock.Advance(rapid.SampledFrom([]time.Duration{0, time.Microsecond, time.Second, time.Hour}).Draw(t, "by"))
}

// check is the invariant: the listing holds exactly the keys not deleted,
// each once, newest first; the rewards that count add up to the model's
// active sales; a deleted key is not found.
func (m *keyMachine) check(t *rapid.T) {
	wantSum := decimal.Zero
	wantListed := 0
	for _, e := range m.model {
		if e.state != commission.TransactionDeleted {
			wantListed++
		}
		if e.state == commission.TransactionActive {
			wantSum = wantSum.Add(e.sale.rewardTotal(m.rate))
		}
	}
	for _, limit := range []int{commission.MaxLimit, 2} {
		list := propListAll(t, m.eng, limit)
		seen := map[string]bool{}
		sum := decimal.Zero
		for i, tx := range list {
			require.False(t, seen[tx.Key], "key %q listed twice (limit %d)", tx.Key, limit)
			seen[tx.Key] = true
			e, ok := m.model[tx.Key]
			require.True(t, ok, "unknown key %q listed", tx.Key)
			require.NotEqual(t, commission.TransactionDeleted, e.state, "deleted key %q listed", tx.Key)
			require.Equal(t, e.state, tx.State, tx.Key)
			archived := e.state == commission.TransactionArchived
			require.Equal(t, archived, tx.DeletedAt != nil, "%s deleted_at", tx.Key)
			require.Len(t, tx.Rewards, e.sale.rewardCount(), tx.Key)
			for _, r := range tx.Rewards {
				require.Equal(t, archived, r.DeletedAt != nil, "%s reward deleted_at", tx.Key)
				if r.DeletedAt == nil {
					sum = sum.Add(r.Amount)
				}
			}
			if i > 0 {
				require.True(t, list[i-1].Position().Before(tx.Position()), "newest first")
			}
		}
		require.Len(t, seen, wantListed, "limit %d", limit)
		propRequireDec(t, fmt.Sprintf("rewards that count (limit %d)", limit), wantSum, sum)
	}
	for _, key := range m.pool {
		tx, err := m.eng.Transaction(m.ctx, key)
		e, used := m.model[key]
		if !used || e.state == commission.TransactionDeleted {
			require.ErrorIs(t, err, commission.ErrNotFound, key)
			continue
		}
		require.NoError(t, err)
		propRequireDec(t, key+" amount", e.sale.total(), tx.Amount)
		require.Equal(t, e.state == commission.TransactionArchived, tx.DeletedAt != nil, key)
	}
}

// TestPropKeyNeverRewardedTwice: whatever sequence of creates (keys from a
// small pool, so they collide), retries, bulk creates, deletes, archives,
// restores and clock moves, a key is accepted once: a second create is a
// *DuplicateError naming the stored transaction, identical iff it is the
// same sale; a bulk with a used key stores nothing; and the listing and
// the rewards that count always match the model.
func TestPropKeyNeverRewardedTwice(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rate := genRate().Draw(rt, "rate")
		eng, clock := newEngine(t, percentProgram(commission.Affiliate, rate.String()))
		affiliateSetup(t, eng)
		_, err := eng.CreateCustomer(context.Background(), commission.CustomerInput{Key: "customer_456", Partner: &commission.PartnerRef{Key: "partner_123"}})
		require.NoError(rt, err)
		m := &keyMachine{
			ctx: context.Background(), eng: eng, clock: clock, rate: rate,
			pool:  []string{"k0", "k1", "k2", "k3", "k4", "k5"},
			model: map[string]*smEntry{},
		}
		rt.Repeat(map[string]func(*rapid.T){
			"create":  m.create,
			"retry":   m.retry,
			"bulk":    m.bulk,
			"delete":  m.delete,
			"archive": m.archive,
			"restore": m.restore,
			"advance": m.advance,
			"":        m.check,
		})
	})
}

// TestPropDeletedRewardsNeverCount: after random creates (alone or in
// bulks, with one or several rewards each) and random deletes, archives and
// restores, the rewards without deleted_at over the listing add up to what
// the model's active sales earn; deleted transactions are not listed nor
// found, and each of their rewards, read by id, has deleted_at; every reward
// of a listed archived transaction has deleted_at; and creating a deleted
// key again earns nothing.
func TestPropDeletedRewardsNeverCount(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		rate := genRate().Draw(rt, "rate")
		flat := genDecimal(4, 2).Draw(rt, "flat_p2")
		prog := percentProgram(commission.Affiliate, rate.String())
		prog.Rules.Products = []commission.ProductRule{{ProductID: "p2", Commission: commission.Flat(flat)}}
		eng, clock := newEngine(t, prog)
		affiliateSetup(t, eng)
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_456", Partner: &commission.PartnerRef{Key: "partner_123"}})
		require.NoError(rt, err)

		// earns is what a sale earns, restated: p2 lines the flat value,
		// every other line or amount the default percent.
		earns := func(s smSale) decimal.Decimal {
			if len(s.lines) == 0 {
				return s.amount.Mul(rate).Shift(-2).RoundBank(18)
			}
			sum := decimal.Zero
			for _, l := range s.lines {
				if l.id == "p2" {
					sum = sum.Add(flat)
				} else {
					sum = sum.Add(l.price.Mul(rate).Shift(-2).RoundBank(18))
				}
			}
			return sum
		}

		n := rapid.IntRange(1, 10).Draw(rt, "n")
		keys := make([]string, n)
		sales := make([]smSale, n)
		for i := range keys {
			keys[i] = "tx_" + strconv.Itoa(i)
			sales[i] = genSmSale().Draw(rt, "sale")
		}
		rewardIDs := map[string][]string{}
		record := func(i int, tx *commission.Transaction) {
			require.Len(rt, tx.Rewards, sales[i].rewardCount(), keys[i])
			got := decimal.Zero
			for _, r := range tx.Rewards {
				got = got.Add(r.Amount)
				rewardIDs[keys[i]] = append(rewardIDs[keys[i]], r.ID)
			}
			propRequireDec(rt, keys[i]+" rewards", earns(sales[i]), got)
		}
		for i := 0; i < n; {
			size := rapid.IntRange(1, n-i).Draw(rt, "chunk")
			if size == 1 && rapid.Bool().Draw(rt, "alone") {
				tx, err := eng.CreateTransaction(ctx, sales[i].input(keys[i]))
				require.NoError(rt, err)
				record(i, tx)
			} else {
				ins := make([]commission.TransactionInput, size)
				for j := range ins {
					ins[j] = sales[i+j].input(keys[i+j])
				}
				out, err := eng.CreateTransactions(ctx, ins)
				require.NoError(rt, err)
				for j, tx := range out {
					record(i+j, tx)
				}
			}
			i += size
			clock.Advance(rapid.SampledFrom([]time.Duration{0, time.Microsecond, time.Minute}).Draw(rt, "advance"))
		}

		state := map[string]commission.TransactionState{}
		for _, k := range keys {
			state[k] = commission.TransactionActive
		}
		type op struct {
			key  string
			fate int
		}
		var ops []op
		for _, k := range keys {
			// 0 keep, 1 archive, 2 delete, 3 archive then delete,
			// 4 archive then restore.
			switch fate := rapid.IntRange(0, 4).Draw(rt, "fate_"+k); fate {
			case 1, 2:
				ops = append(ops, op{k, fate})
			case 3:
				ops = append(ops, op{k, 1}, op{k, 2})
			case 4:
				ops = append(ops, op{k, 1}, op{k, 4})
			}
		}
		// Interleave the operations in any order that keeps each key's own
		// sequence (archive before its delete or restore).
		perm := rapid.Permutation(ops).Draw(rt, "order")
		done := map[op]bool{}
		for len(done) < len(ops) {
			progressed := false
			for _, o := range perm {
				if done[o] {
					continue
				}
				if (o.fate == 2 || o.fate == 4) && state[o.key] == commission.TransactionActive && propHasOp(ops, op{o.key, 1}) && !done[op{o.key, 1}] {
					continue // its archive comes first
				}
				var err error
				switch o.fate {
				case 1:
					err = eng.ArchiveTransaction(ctx, o.key)
					state[o.key] = commission.TransactionArchived
				case 2:
					err = eng.DeleteTransaction(ctx, o.key)
					state[o.key] = commission.TransactionDeleted
				case 4:
					err = eng.RestoreTransaction(ctx, o.key)
					state[o.key] = commission.TransactionActive
				}
				require.NoError(rt, err, "%+v", o)
				done[o] = true
				progressed = true
				clock.Advance(time.Second)
			}
			require.True(rt, progressed)
		}

		// A deleted key created again is a duplicate and earns nothing.
		for i, k := range keys {
			if state[k] == commission.TransactionDeleted {
				_, err := eng.CreateTransaction(ctx, sales[i].input(k))
				require.ErrorIs(rt, err, commission.ErrDuplicateKey, k)
			}
		}

		wantSum := decimal.Zero
		wantListed := map[string]bool{}
		for i, k := range keys {
			if state[k] == commission.TransactionActive {
				wantSum = wantSum.Add(earns(sales[i]))
			}
			if state[k] != commission.TransactionDeleted {
				wantListed[k] = true
			}
		}
		sum := decimal.Zero
		listed := map[string]bool{}
		for _, tx := range propListAll(rt, eng, commission.MaxLimit) {
			require.False(rt, listed[tx.Key], "listed twice: %s", tx.Key)
			listed[tx.Key] = true
			require.NotEqual(rt, commission.TransactionDeleted, state[tx.Key], "deleted %s listed", tx.Key)
			for _, r := range tx.Rewards {
				if state[tx.Key] == commission.TransactionArchived {
					require.NotNil(rt, r.DeletedAt, "reward of archived %s", tx.Key)
				}
				if r.DeletedAt == nil {
					sum = sum.Add(r.Amount)
				}
			}
		}
		require.Equal(rt, wantListed, listed)
		propRequireDec(rt, "rewards that count", wantSum, sum)

		for _, k := range keys {
			_, err := eng.Transaction(ctx, k)
			if state[k] == commission.TransactionDeleted {
				require.ErrorIs(rt, err, commission.ErrNotFound, k)
			} else {
				require.NoError(rt, err, k)
			}
			for _, id := range rewardIDs[k] {
				r, err := eng.Reward(ctx, id)
				if errors.Is(err, commission.ErrNotFound) && state[k] == commission.TransactionDeleted {
					continue // a reversed reward may be hidden
				}
				require.NoError(rt, err, "reward %s of %s", id, k)
				require.Equal(rt, state[k] != commission.TransactionActive, r.DeletedAt != nil,
					"reward %s of %s (%s) deleted_at", id, k, state[k])
			}
		}
	})
}

func propHasOp[T comparable](ops []T, o T) bool {
	for _, x := range ops {
		if x == o {
			return true
		}
	}
	return false
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
			l := commission.ProductLine{ProductID: "p" + strconv.Itoa(i), ProductPrice: genAmount().Draw(rt, "price")}
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
