package commission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
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

func TestMultipleProducts(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Version = "v7"
	p.Rules.Products = []commission.ProductRule{
		{ID: "shoes-flat", ProductID: "shoes", Commission: commission.Flat(dec("5"))},
		{ProductType: "digital", Commission: commission.Percent(dec("10"))},
		{ProductID: "ebook", Commission: commission.Percent(dec("50"))},
	}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{
		"customer": {"key": "customer_123"}, "key": "order_1",
		"products": [
			{"product_id": "shoes", "product_price": 80},
			{"product_id": "course", "product_type": "digital", "product_price": 19.99},
			{"product_id": "ebook", "product_type": "digital", "product_price": 9.99},
			{"product_id": "mug", "product_price": 12.5}
		]}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "122.48", tx.Amount)
	require.Len(t, tx.Rewards, 4)
	want := []struct{ amount, rule, match, product string }{
		{"5", "shoes-flat", "product_id", "shoes"},
		{"1.999", "product_type:digital", "product_type", "course"},
		{"4.995", "product_id:ebook", "product_id", "ebook"},
		{"3.75", "default", "default", "mug"},
	}
	for i, w := range want {
		r := tx.Rewards[i]
		requireDecimal(t, w.amount, r.Amount, w.product)
		require.Equal(t, w.rule, r.Explanation.Rule)
		require.Equal(t, w.match, r.Explanation.Match)
		require.Equal(t, "v7", r.Explanation.RuleVersion)
		require.Equal(t, w.product, r.ProductID)
	}
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	ptd := doc["rewards"].([]any)[1].(map[string]any)["product_type_data"]
	require.Equal(t, map[string]any{"product_id": "course", "product_type": "digital"}, ptd)

	// An amount that disagrees with its lines is rejected.
	in.Key, in.Amount = "order_2", decp("100")
	_, err = eng.CreateTransaction(ctx, in)
	requireFields(t, err, "amount")
}

func TestRewardSetDirectlyAndFlags(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)

	in := sale("manual", "customer_123", "100")
	in.Reward = decp("7.5")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "7.5", tx.Rewards[0].Amount)
	require.Equal(t, "manual", tx.Rewards[0].Explanation.Rule)

	in = commission.TransactionInput{Key: "reward_only", Reward: decp("3"), Customer: commission.CustomerInput{Email: ""}}
	in.Customer.Key = "customer_123"
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Amount)
	requireDecimal(t, "3", tx.Rewards[0].Amount)

	in = sale("imported", "customer_123", "100")
	in.Rewarded = true
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.True(t, tx.Qualified, "an imported sale counts towards limits")

	no := false
	in = sale("unrewardable", "customer_123", "100")
	in.Rewardable = &no
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.False(t, tx.Qualified)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"rewards":[]`)
}

func TestSuspendedCustomerAndArchivedPartner(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.CustomerRef{Key: "customer_123"}

	_, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerSuspended)
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err, "a suspended customer's sale is recorded")
	require.Empty(t, tx.Rewards)

	_, err = eng.SetCustomerStatus(ctx, ref, commission.CustomerActive)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "10"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "approving the customer resumes rewards")

	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "10"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "an archived partner earns nothing")

	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "nobody"}, commission.CustomerSuspended)
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, "gone")
	require.ErrorIs(t, err, commission.ErrInvalid)
}

// A flat commission of 20.00 pays exactly 20.00 on every sale, whatever its
// amount, and its explanation says flat 20.
func TestFlatTwentyPerSale(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = commission.Flat(dec("20.00"))
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	for i, amount := range []string{"100", "0.01", "0", "19.99", "12345678.9"} {
		key := "flat" + strconv.Itoa(i)
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", amount))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1, amount)
		r := tx.Rewards[0]
		requireDecimal(t, "20.00", r.Amount, amount)
		require.Equal(t, "USD", r.AmountUnits)
		require.True(t, r.IsCurrency)
		require.Equal(t, commission.FlatCommission, r.Explanation.Type)
		requireDecimal(t, "20", r.Explanation.Value, amount)
		requireDecimal(t, amount, r.Explanation.Base, amount)
		require.Equal(t, "default", r.Explanation.Rule)

		stored, err := eng.Transaction(ctx, key)
		require.NoError(t, err)
		requireDecimal(t, "20", stored.Rewards[0].Amount, "stored ", amount)
		b, err := json.Marshal(stored.Rewards[0])
		require.NoError(t, err)
		requireJSONSubset(t, decodeJSON(t, []byte(`{"amount":20,"is_currency":true,"explanation":{"type":"flat","value":20}}`)),
			decodeJSON(t, b), "reward")
	}
}

// Five levels of partners above the seller each earn their own level's
// percentage, a partner a sixth level up earns nothing, and a program
// with six levels is refused at New naming rules.levels.
func TestMultiLevelFiveLevels(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	pcts := []string{"10", "5", "4", "2.5", "1.25"}
	for _, pct := range pcts {
		p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec(pct)))
	}
	eng, _ := newEngine(t, p)
	// up6 ← up5 ← up4 ← up3 ← up2 ← up1 ← seller: up6 is beyond the
	// fifth level.
	for i := 6; i >= 0; i-- {
		in := commission.PartnerInput{Key: "up" + strconv.Itoa(i)}
		if i == 0 {
			in.Key = "seller"
		}
		if i < 6 {
			in.ReferringPartner = &commission.PartnerRef{Key: "up" + strconv.Itoa(i+1)}
		}
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
	}
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 6, "the seller and five levels, not the sixth")
	want := []struct{ partner, amount string }{
		{"seller", "20"}, {"up1", "10"}, {"up2", "5"}, {"up3", "4"}, {"up4", "2.5"}, {"up5", "1.25"},
	}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey, i)
		requireDecimal(t, w.amount, r.Amount, w.partner)
		require.Equal(t, i, r.Explanation.Level, w.partner)
		if i > 0 {
			require.Equal(t, "level:"+strconv.Itoa(i), r.Explanation.Rule)
			require.Equal(t, "level", r.Explanation.Match)
			requireDecimal(t, pcts[i-1], r.Explanation.Value, w.partner)
			requireDecimal(t, "100", r.Explanation.Base, w.partner)
		}
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "42.75", total)
	for _, r := range tx.Rewards {
		require.NotEqual(t, "up6", r.PartnerKey)
	}

	p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec("1")))
	_, err = commission.New(memstoreNew(), p)
	verr := requireFields(t, err, "rules.levels")
	require.Contains(t, verr.Fields[0].Message, "5")
}

// Changing the rules never changes stored rewards: an engine with new
// rules on the same store reads the old rewards with their old amounts,
// explanations and rule version, and applies the new rules to new sales.
func TestRuleChangeKeepsStoredRewards(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := newClock(t0)
	ids := seqIDs()
	p1 := percentProgram(commission.Affiliate, "30")
	p1.Rules.Version = "v1"
	eng1, err := commission.New(store, p1, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	affiliateSetup(t, eng1)
	old, err := eng1.CreateTransaction(ctx, sale("old", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "29.997", old.Rewards[0].Amount)
	before, err := eng1.Transaction(ctx, "old")
	require.NoError(t, err)
	beforeJSON, err := json.Marshal(before)
	require.NoError(t, err)

	p2 := percentProgram(commission.Affiliate, "10")
	p2.Rules.Version = "v2"
	p2.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Mode: commission.Up}
	p2.Rules.Tiers = []commission.Tier{{ID: "big", When: []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: decp("50")}}, Commission: commission.Percent(dec("15"))}}
	eng2, err := commission.New(store, p2, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	clock.Advance(time.Hour)

	for name, eng := range map[string]*commission.Engine{"old engine": eng1, "new engine": eng2} {
		got, err := eng.Transaction(ctx, "old")
		require.NoError(t, err, name)
		require.Len(t, got.Rewards, 1, name)
		r := got.Rewards[0]
		requireDecimal(t, "29.997", r.Amount, name)
		require.Equal(t, "v1", r.Explanation.RuleVersion, name)
		require.Equal(t, "default", r.Explanation.Rule, name)
		require.Equal(t, commission.PercentCommission, r.Explanation.Type, name)
		requireDecimal(t, "30", r.Explanation.Value, name)
		requireDecimal(t, "99.99", r.Explanation.Base, name)
		require.Empty(t, r.Explanation.Rounding, name)
		require.Nil(t, r.Explanation.Exact, name)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.JSONEq(t, string(beforeJSON), string(gotJSON), name)
	}
	page, err := eng2.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 1)
	requireDecimal(t, "29.997", page.Transactions[0].Rewards[0].Amount, "listed")

	// A preview and a new sale use the new rules: 15% of 99.99 = 14.9985,
	// rounded up to 15.00.
	prev, err := eng2.Preview(ctx, sale("preview", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "15", prev.Rewards[0].Amount, "preview")
	tx, err := eng2.CreateTransaction(ctx, sale("new", "customer_123", "99.99"))
	require.NoError(t, err)
	r := tx.Rewards[0]
	requireDecimal(t, "15", r.Amount)
	require.Equal(t, "v2", r.Explanation.RuleVersion)
	require.Equal(t, "big", r.Explanation.Rule)
	require.Equal(t, "up:2", r.Explanation.Rounding)
	requireDecimal(t, "14.9985", *r.Explanation.Exact)
	tx, err = eng2.CreateTransaction(ctx, sale("small", "customer_123", "10.01"))
	require.NoError(t, err)
	requireDecimal(t, "1.01", tx.Rewards[0].Amount, "the new default, 10% of 10.01 rounded up")
	require.Equal(t, "default", tx.Rewards[0].Explanation.Rule)

	// The old engine, too, still reads the new sale as the new rules made it.
	got, err := eng1.Transaction(ctx, "new")
	require.NoError(t, err)
	requireDecimal(t, "15", got.Rewards[0].Amount)
	require.Equal(t, "v2", got.Rewards[0].Explanation.RuleVersion)
}

// levelsSetup makes a chain top ← mid ← seller, and a customer of seller's.
func levelsSetup(t *testing.T, eng *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)
}

// The documented example: on a 100.00 sale the selling partner earns 20%,
// level 1 10% and level 2 5%: 20.00 + 10.00 + 5.00, 35.00 in all.
func TestMultiLevelDocumentedExample(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)
	want := []struct {
		partner, amount string
		level           int
	}{{"seller", "20", 0}, {"mid", "10", 1}, {"top", "5", 2}}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey)
		requireDecimal(t, w.amount, r.Amount)
		require.Equal(t, w.level, r.Explanation.Level)
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "35", total)

	// An archived partner's level pays nothing; the one above still earns.
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "mid"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, "top", tx.Rewards[1].PartnerKey)
	requireDecimal(t, "5", tx.Rewards[1].Amount)
}

// Each partner's rewards are capped and rounded on their own.
func TestMultiLevelCapsAndRoundingPerPartner(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "33.3333")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("33.3333"))}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	p.Rules.Caps = commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("5")}}}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "3.33", tx.Rewards[0].Amount)
	requireDecimal(t, "3.33", tx.Rewards[1].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "1.67", tx.Rewards[0].Amount, "seller's cap: 5 - 3.33")
	requireDecimal(t, "1.67", tx.Rewards[1].Amount, "mid's own cap")
}

// Double-sided refer-a-friend: the referring customer and the referred
// friend are both rewarded, each with its own commission and review
// period.
func TestFriendIsRewardedToo(t *testing.T) {
	ctx := context.Background()
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"raf","kind":"refer_a_friend","currency":"USD","rules":{
		"default":{"type":"percent","value":10},
		"friend":{"commission":{"type":"flat","value":5,"for":{"times":1}},"review_period":"14d"}}}`), &p))
	require.Equal(t, 14*24*time.Hour, p.Rules.Friend.ReviewPeriod)
	eng, clock := newEngine(t, p)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "friend", ReferringCustomer: &commission.CustomerRef{ID: "referrer"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t1", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	referrer, friend := tx.Rewards[0], tx.Rewards[1]
	require.Equal(t, "referrer", referrer.RewardedCustomerKey)
	requireDecimal(t, "8", referrer.Amount)
	require.Equal(t, commission.RewardOK, referrer.Status)
	require.Equal(t, "friend", friend.RewardedCustomerKey)
	requireDecimal(t, "5", friend.Amount)
	require.Equal(t, commission.RewardInReview, friend.Status, "the friend's own review period")
	require.Equal(t, "friend", friend.Explanation.Rule)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	r1 := doc["rewards"].([]any)[1].(map[string]any)
	require.Equal(t, "friend", r1["customer"])
	require.Equal(t, "friend", r1["referred_customer"])

	clock.Advance(time.Hour)
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t2", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "the friend's reward was for its first sale only")

	p.Kind = commission.Affiliate
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.friend")
}

// Precedence: the partner's custom commission, then product_id, then
// product_type, then the default; product rules first when the program
// says so. Percent and flat are never compared by their numbers: the
// order alone decides.
func TestPrecedence(t *testing.T) {
	ctx := context.Background()
	for _, productsFirst := range []bool{false, true} {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.ProductsOverPartner = productsFirst
		p.Rules.Products = []commission.ProductRule{
			{ProductID: "book", Commission: commission.Flat(dec("1"))},
			{ProductType: "digital", Commission: commission.Percent(dec("50"))},
			{ProductID: "book", PartnerTags: []string{"vip"}, Commission: commission.Flat(dec("7"))},
		}
		eng, _ := newEngine(t, p)
		custom := commission.Percent(dec("25"))
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "custom", Commission: &custom})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "plain"})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "vip", Tags: []string{"vip"}})
		require.NoError(t, err)
		for _, k := range []string{"custom", "plain", "vip"} {
			_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c_" + k, Partner: &commission.PartnerRef{Key: k}})
			require.NoError(t, err)
		}
		earn := func(customer, productID, productType string) (string, string) {
			in := sale("", customer, "100")
			in.ProductID, in.ProductType = productID, productType
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(t, err)
			return tx.Rewards[0].Amount.String(), tx.Rewards[0].Explanation.Match
		}
		type want struct{ amount, match string }
		cases := []struct {
			customer, id, typ string
			partnerFirst      want
			productsFirst     want
		}{
			{"c_custom", "book", "digital", want{"25", "partner"}, want{"1", "product_id"}},
			{"c_custom", "mug", "digital", want{"25", "partner"}, want{"50", "product_type"}},
			{"c_custom", "mug", "", want{"25", "partner"}, want{"25", "partner"}},
			{"c_plain", "book", "digital", want{"1", "product_id"}, want{"1", "product_id"}},
			{"c_plain", "mug", "digital", want{"50", "product_type"}, want{"50", "product_type"}},
			{"c_plain", "mug", "", want{"10", "default"}, want{"10", "default"}},
			{"c_vip", "book", "", want{"7", "product_id"}, want{"7", "product_id"}}, // the tagged rule fits
		}
		for _, c := range cases {
			w := c.partnerFirst
			if productsFirst {
				w = c.productsFirst
			}
			amount, match := earn(c.customer, c.id, c.typ)
			require.Equal(t, w, want{amount, match}, "%+v, products first: %v", c, productsFirst)
		}
	}
}

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

// propRequireJSONAmounts checks that the transaction's JSON prints its amount
// and every reward amount as plain, exact numbers.
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
				if want := wantReward(commission.Percent(rate), amount); want.Sign() == 0 {
					require.Empty(rt, tx.Rewards, "%s: a reward of 0 is not kept", key)
					continue
				}
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

// ruleFor is the precedence of product rules and the default, restated: the commission
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
		if c, _, _, ok := r.ruleFor(l.id, l.ty); ok && wantReward(c, l.price).Sign() != 0 {
			want = append(want, i) // a reward of 0 is not kept
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

// modelTags draws the partner tags a partner, product rule or tier may have:
// none, or some of gold and silver in any order (one set listed in two
// orders is the same set).
var modelTags = rapid.OneOf(rapid.Just([]string(nil)), rapidgen.Tags([]string{"gold", "silver"}))

// tagsFit reports whether a rule limited to tags applies to a partner with
// ptags: it has no tags, or the partner has one of them.
func tagsFit(tags, ptags []string) bool {
	if len(tags) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(ptags, t) {
			return true
		}
	}
	return false
}

// modelRule is the model of a rule: what it pays and how the explanation
// names it.
type modelRule struct {
	id, match string
	c         commission.Commission
}

// modelProduct is the model of a product rule.
type modelProduct struct {
	modelRule
	byType bool
	name   string
	tags   []string
}

// modelTier is the model of a tier: it applies to a partner with one of its
// tags (any partner without tags) when the sale's amount is at least
// atLeast (any sale when nil).
type modelTier struct {
	modelRule
	tags    []string
	atLeast *decimal.Decimal
}

// precedenceModel is the model of the rules' precedence for one program.
type precedenceModel struct {
	productsFirst bool
	def           *modelRule
	products      []modelProduct
	tiers         []modelTier
}

// product is the product rule of a line: by product_id, then by
// product_type; for each, a rule whose partner tags fit before one without
// tags, and among those the first listed.
func (m *precedenceModel) product(id, typ string, ptags []string) *modelRule {
	for _, byType := range []bool{false, true} {
		name := id
		if byType {
			name = typ
		}
		if name == "" {
			continue
		}
		for _, tagged := range []bool{true, false} {
			for i := range m.products {
				pr := &m.products[i]
				if pr.byType == byType && pr.name == name && (len(pr.tags) > 0) == tagged && tagsFit(pr.tags, ptags) {
					return &pr.modelRule
				}
			}
		}
	}
	return nil
}

// tier is the last listed tier that applies, nil for none.
func (m *precedenceModel) tier(amount decimal.Decimal, ptags []string) *modelRule {
	for i := len(m.tiers) - 1; i >= 0; i-- {
		tr := &m.tiers[i]
		if tagsFit(tr.tags, ptags) && (tr.atLeast == nil || amount.Cmp(*tr.atLeast) >= 0) {
			return &tr.modelRule
		}
	}
	return nil
}

// rule is the one rule that pays a line, nil for none: the partner's custom
// commission, then product rules (the two swapped when products come
// first), then the tier, then the default.
func (m *precedenceModel) rule(id, typ string, amount decimal.Decimal, ptags []string, custom *modelRule) *modelRule {
	groups := []*modelRule{custom, m.product(id, typ, ptags)}
	if m.productsFirst {
		groups[0], groups[1] = groups[1], groups[0]
	}
	groups = append(groups, m.tier(amount, ptags), m.def)
	for _, r := range groups {
		if r != nil {
			return r
		}
	}
	return nil
}

// modelPartner is a partner of the precedence property, with its custom
// commission as the model sees it.
type modelPartner struct {
	key    string
	tags   []string
	custom *modelRule
}

// customModelRule is the model of partner key's custom commission c.
func customModelRule(key string, c *commission.Commission) *modelRule {
	if c == nil {
		return nil
	}
	return &modelRule{id: "partner:" + key, match: "partner", c: *c}
}

// Whatever the program's default, product rules (some limited to partner
// tags), tiers, partners' custom commissions (set at creation, changed or
// removed later) and products-over-partner setting, every line of a sale
// earns exactly one base reward, by the rule the precedence model picks,
// paying that rule's percent of the line or its flat amount; a line no
// rule matches earns nothing.
func TestPropPrecedenceFollowsModel(t *testing.T) {
	ctx := context.Background()
	ids, types := []string{"a", "b", "c"}, []string{"x", "y"}
	rapid.Check(t, func(rt *rapid.T) {
		p, m := drawPrecedenceProgram(rt, ids, types)
		eng, err := commission.New(memstoreNew(), p, commission.WithClock(newClock(t0).Now), commission.WithIDGenerator(seqIDs()))
		require.NoError(rt, err)
		partners := createModelPartners(rt, eng)

		genID := rapid.SampledFrom(append([]string{"zzz"}, ids...))
		genType := rapid.SampledFrom(append([]string{"", "zzz"}, types...))
		for step := range rapid.IntRange(1, 12).Draw(rt, "steps") {
			who := rapid.IntRange(0, len(partners)-1).Draw(rt, "partner")
			pp := partners[who]
			if rapid.IntRange(0, 4).Draw(rt, "set_custom") == 0 {
				c := rapid.Ptr(genCommission(), true).Draw(rt, "new_custom")
				_, err := eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: pp.key}, c)
				require.NoError(rt, err)
				pp.custom = customModelRule(pp.key, c)
				continue
			}
			in, lines := drawPrecedenceSale(rt, "s"+strconv.Itoa(step), "c"+strconv.Itoa(who), genID, genType)
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(rt, err)
			m.requireRewards(rt, in.Key, tx, lines, pp)
		}
	})
}

// drawPrecedenceProgram draws the program of TestPropPrecedenceFollowsModel, with
// its model: a default (mostly), product rules on ids and types (some for
// partner tags), tiers, and whether products come before partners.
func drawPrecedenceProgram(rt *rapid.T, ids, types []string) (commission.Program, *precedenceModel) {
	m := &precedenceModel{productsFirst: rapid.Bool().Draw(rt, "products_first")}
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = commission.Commission{}
	p.Rules.ProductsOverPartner = m.productsFirst
	if rapid.IntRange(0, 3).Draw(rt, "no_default") > 0 {
		p.Rules.Default = genCommission().Draw(rt, "default")
		m.def = &modelRule{id: "default", match: "default", c: p.Rules.Default}
	}
	for i := range rapid.IntRange(0, 8).Draw(rt, "products") {
		if pr, ok := m.drawProduct(rt, i, ids, types); ok {
			p.Rules.Products = append(p.Rules.Products, pr)
		}
	}
	for i := range rapid.IntRange(0, 2).Draw(rt, "tiers") {
		tr := commission.Tier{PartnerTags: modelTags.Draw(rt, "tier_tags"), Commission: genCommission().Draw(rt, "tier_commission")}
		mt := modelTier{modelRule: modelRule{id: "tier:" + strconv.Itoa(i+1), match: "tier", c: tr.Commission}, tags: tr.PartnerTags}
		if len(tr.PartnerTags) == 0 || rapid.Bool().Draw(rt, "tier_on_amount") {
			at := decimal.NewFromInt(int64(rapid.IntRange(0, 300).Draw(rt, "tier_at_least")))
			tr.When, mt.atLeast = []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: &at}}, &at
		}
		p.Rules.Tiers = append(p.Rules.Tiers, tr)
		m.tiers = append(m.tiers, mt)
	}
	return p, m
}

// drawProduct draws the i-th product rule, by product id or type, and adds
// it to the model; false when the model has a rule for that product and
// set of tags already (New rejects a second one).
func (m *precedenceModel) drawProduct(rt *rapid.T, i int, ids, types []string) (commission.ProductRule, bool) {
	pr := commission.ProductRule{
		PartnerTags: modelTags.Draw(rt, "rule_tags"),
		Commission:  genCommission().Draw(rt, "rule_commission"),
	}
	mp := modelProduct{byType: rapid.Bool().Draw(rt, "by_type"), tags: pr.PartnerTags}
	mp.c = pr.Commission
	if mp.byType {
		mp.name, mp.match = rapid.SampledFrom(types).Draw(rt, "rule_type"), "product_type"
		pr.ProductType = mp.name
	} else {
		mp.name, mp.match = rapid.SampledFrom(ids).Draw(rt, "rule_id"), "product_id"
		pr.ProductID = mp.name
	}
	if slices.ContainsFunc(m.products, func(o modelProduct) bool {
		return o.byType == mp.byType && o.name == mp.name && sameSet(o.tags, mp.tags)
	}) {
		return pr, false
	}
	mp.id = mp.match + ":" + mp.name
	if len(mp.tags) > 0 {
		mp.id += "[" + strings.Join(mp.tags, ",") + "]"
	}
	if rapid.Bool().Draw(rt, "named_rule") {
		pr.ID = "rule" + strconv.Itoa(i)
		mp.id = pr.ID
	}
	m.products = append(m.products, mp)
	return pr, true
}

// createModelPartners creates partners p0, p1 and p2, each with drawn tags
// and maybe a custom commission, and customer ci of partner pi.
func createModelPartners(rt *rapid.T, eng *commission.Engine) []*modelPartner {
	ctx := context.Background()
	partners := make([]*modelPartner, 3)
	for i := range partners {
		pp := &modelPartner{key: "p" + strconv.Itoa(i), tags: modelTags.Draw(rt, "partner_tags")}
		c := rapid.Ptr(genCommission(), true).Draw(rt, "partner_custom")
		pp.custom = customModelRule(pp.key, c)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: pp.key, Tags: pp.tags, Commission: c})
		require.NoError(rt, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: pp.key}})
		require.NoError(rt, err)
		partners[i] = pp
	}
	return partners
}

// modelLine is a line of a sale as the precedence model sees it: a line with
// no product_type has the sale's.
type modelLine struct {
	id, typ string
	price   decimal.Decimal
}

// drawPrecedenceSale draws sale key of customer: one line (an amount, maybe a
// product id) or up to three product lines.
func drawPrecedenceSale(rt *rapid.T, key, customer string, genID, genType *rapid.Generator[string]) (commission.TransactionInput, []modelLine) {
	in := commission.TransactionInput{Key: key, Customer: commission.CustomerInput{Key: customer}}
	in.ProductType = genType.Draw(rt, "sale_type")
	n := rapid.IntRange(0, 3).Draw(rt, "lines")
	if n == 0 {
		amount := rapidgen.Decimal(3, 2).Draw(rt, "amount")
		in.Amount = &amount
		if rapid.Bool().Draw(rt, "sale_has_id") {
			in.ProductID = genID.Draw(rt, "sale_id")
		}
		return in, []modelLine{{in.ProductID, in.ProductType, amount}}
	}
	var lines []modelLine
	for range n {
		l := commission.ProductLine{ProductID: genID.Draw(rt, "line_id"), ProductType: genType.Draw(rt, "line_type"), ProductPrice: rapidgen.Decimal(3, 2).Draw(rt, "price")}
		in.Products = append(in.Products, l)
		typ := l.ProductType
		if typ == "" {
			typ = in.ProductType
		}
		lines = append(lines, modelLine{l.ProductID, typ, l.ProductPrice})
	}
	return in, lines
}

// requireRewards checks sale key's rewards against the model: one per
// line a rule matches, in line order, paid and explained by that rule.
func (m *precedenceModel) requireRewards(rt *rapid.T, key string, tx *commission.Transaction, lines []modelLine, pp *modelPartner) {
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.price)
	}
	next := 0
	for i, l := range lines {
		want := m.rule(l.id, l.typ, total, pp.tags, pp.custom)
		what := fmt.Sprintf("sale %s line %d (%s/%s, partner %s %v)", key, i, l.id, l.typ, pp.key, pp.tags)
		if want == nil || wantReward(want.c, l.price).Sign() == 0 {
			continue // no rule, or it pays 0: no reward is kept
		}
		require.Greaterf(rt, len(tx.Rewards), next, "%s: no reward, want one by %s", what, want.id)
		r := tx.Rewards[next]
		next++
		require.Equalf(rt, want.id, r.Explanation.Rule, "%s: rule", what)
		require.Equalf(rt, want.match, r.Explanation.Match, "%s: match", what)
		require.Equalf(rt, want.c.Type, r.Explanation.Type, "%s: type", what)
		propRequireDec(rt, what+": value", want.c.Value, r.Explanation.Value)
		propRequireDec(rt, what+": base", l.price, r.Explanation.Base)
		propRequireRat(rt, what+": amount", wantReward(want.c, l.price), r.Amount)
		require.Equalf(rt, pp.key, r.PartnerKey, "%s: partner", what)
		require.Equalf(rt, [2]string{l.id, l.typ}, [2]string{r.ProductID, r.ProductType}, "%s: product", what)
		require.Zerof(rt, r.Explanation.Step, "%s: a commission with no period has no step", what)
	}
	require.Lenf(rt, tx.Rewards, next, "sale %s: one reward per line a rule matches, no more", key)
}

// sameSet reports whether a and b hold the same tags, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
