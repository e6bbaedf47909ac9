package commission_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func capsProgram(caps commission.Caps) commission.Program {
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Caps = caps
	return p
}

func TestCapPerReward(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{PerReward: decp("20")}))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("big", "customer_123", "100"))
	require.NoError(t, err)
	r := tx.Rewards[0]
	requireDecimal(t, "20", r.Amount)
	require.Equal(t, []string{"per_reward"}, r.Explanation.Caps)
	requireDecimal(t, "30", *r.Explanation.Uncapped)

	tx, err = eng.CreateTransaction(ctx, sale("small", "customer_123", "50"))
	require.NoError(t, err)
	requireDecimal(t, "15", tx.Rewards[0].Amount)
	require.Empty(t, tx.Rewards[0].Explanation.Caps)
}

// monthTotal is what the partner's rewards that count (not reversed, not
// rejected) add up to in the month of at.
func monthTotal(t *testing.T, eng *commission.Engine, at time.Time) decimal.Decimal {
	t.Helper()
	total := decimal.Zero
	opts := commission.ListOptions{Limit: commission.MaxLimit}
	for {
		page, err := eng.Transactions(context.Background(), opts)
		require.NoError(t, err)
		for _, tx := range page.Transactions {
			for _, r := range tx.Rewards {
				if r.DeletedAt == nil && r.Status != commission.RewardRejected && r.CreatedAt.Format("2006-01") == at.Format("2006-01") {
					total = total.Add(r.Amount)
				}
			}
		}
		if page.NextCursor == "" {
			return total
		}
		opts.Cursor = page.NextCursor
	}
}

func TestCapPartnerMonth(t *testing.T) {
	ctx := context.Background()
	p := capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("50")}}})
	p.Rules.ReviewPeriod = 24 * time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	amounts := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			tx, err := eng.CreateTransaction(ctx, sale(k, "customer_123", "100"))
			require.NoError(t, err)
			out = append(out, rewardOrNone(tx))
		}
		return out
	}
	// A sale the limit leaves nothing for is stored with no reward.
	require.Equal(t, []string{"30", "20", "none"}, amounts("a", "b", "c"))
	b, err := eng.Transaction(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, []string{"partner.month"}, b.Rewards[0].Explanation.Caps)
	require.Equal(t, []string{"month"}, b.Rewards[0].Explanation.Counted)

	// A refund gives its reward back to the month; a rejection too.
	require.NoError(t, eng.DeleteTransaction(ctx, "a"))
	require.Equal(t, []string{"30"}, amounts("d"))
	require.NoError(t, eng.RejectReward(ctx, b.Rewards[0].ID, "fraud"))
	require.Equal(t, []string{"20", "none"}, amounts("e", "f"))
	requireDecimal(t, "50", monthTotal(t, eng, clock.Now()))

	// Archive gives back, restore takes again, even beyond the limit: a
	// restored sale was earned before.
	require.NoError(t, eng.ArchiveTransaction(ctx, "d"))
	require.Equal(t, []string{"30"}, amounts("g"))
	require.NoError(t, eng.RestoreTransaction(ctx, "d"))
	requireDecimal(t, "80", monthTotal(t, eng, clock.Now()))
	require.Equal(t, []string{"none"}, amounts("h"))

	// A new month starts afresh; a bulk sees its own earlier items.
	clock.Advance(31 * 24 * time.Hour)
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("i", "customer_123", "100"), sale("j", "customer_123", "100"), sale("k", "customer_123", "100")})
	require.NoError(t, err)
	for i, want := range []string{"30", "20", "none"} {
		require.Equal(t, want, rewardOrNone(txs[i]))
	}
	prev, err := eng.Preview(ctx, sale("l", "customer_123", "100"))
	require.NoError(t, err)
	require.Equal(t, "none", rewardOrNone(prev), "a preview sees the cap and counts nothing")
}

// rewardOrNone is the amount of a sale's one reward, or "none".
func rewardOrNone(tx *commission.Transaction) string {
	if len(tx.Rewards) == 0 {
		return "none"
	}
	return tx.Rewards[0].Amount.String()
}

// In a refer-a-friend program a spend limit is per rewarded customer:
// what it earns as a referrer and as a friend counts together, and a
// refund gives it back.
func TestCapPerCustomerReferAFriend(t *testing.T) {
	ctx := context.Background()
	p := commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Flat(dec("10")),
		Friend:  &commission.FriendReward{Commission: commission.Flat(dec("5"))},
		Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("20")}}},
	}}
	eng, _ := newEngine(t, p)
	for _, c := range []commission.CustomerInput{
		{ID: "r"},
		{ID: "f", ReferringCustomer: &commission.CustomerRef{ID: "r"}},
		{ID: "g", ReferringCustomer: &commission.CustomerRef{ID: "f"}},
	} {
		_, err := eng.CreateCustomer(ctx, c)
		require.NoError(t, err)
	}
	// earned returns what each sale paid whom.
	earned := func(key, buyer string) map[string]string {
		tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: decp("100"), Customer: commission.CustomerInput{ID: buyer}})
		require.NoError(t, err)
		out := map[string]string{}
		for _, r := range tx.Rewards {
			out[r.RewardedCustomerID] = r.Amount.String()
		}
		return out
	}
	require.Equal(t, map[string]string{"r": "10", "f": "5"}, earned("f1", "f")) // f: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g1", "g")) // f: 15
	require.Equal(t, map[string]string{"f": "5", "g": "5"}, earned("g2", "g"))  // f: 20, capped
	require.Equal(t, map[string]string{"r": "10"}, earned("f2", "f"))           // r: 20; f at the limit earns nothing
	require.Equal(t, map[string]string{}, earned("f3", "f"))                    // both at the limit
	require.NoError(t, eng.DeleteTransaction(ctx, "g1"))                        // f: 10, g: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g3", "g")) // f: 20, g: 10
	require.NoError(t, eng.ArchiveTransaction(ctx, "g3"))                       // f: 10, g: 5
	require.Equal(t, map[string]string{"f": "10", "g": "5"}, earned("g4", "g")) // f: 20, g: 10
	require.NoError(t, eng.RestoreTransaction(ctx, "g3"))                       // f: 30, g: 15
	require.Equal(t, map[string]string{"g": "5"}, earned("g5", "g"))            // g: 20
	require.Equal(t, map[string]string{}, earned("g6", "g"))
}

// Whatever the sales, refunds and rejections, and whatever the order, a
// partner's counted rewards never pass a spend limit in any period.
func TestPropSpendLimitNeverExceeded(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapidgen.Decimal(3, 2).Draw(rt, "limit")
		p := capsProgram(commission.Caps{Partner: []commission.SpendLimit{
			{Period: commission.CapDay, Amount: limit},
			{Period: commission.CapAllTime, Amount: limit.Mul(dec("3"))},
		}})
		p.Rules.ReviewPeriod = time.Hour
		eng, clock := newEngine(t, p)
		affiliateSetup(t, eng)
		var keys, rewards []string
		for i := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			switch rapid.IntRange(0, 5).Draw(rt, "action") {
			case 0, 1, 2:
				k := fmt.Sprintf("s%d", i)
				tx, err := eng.CreateTransaction(ctx, sale(k, "customer_123", rapidgen.Decimal(4, 2).Draw(rt, "amount").String()))
				require.NoError(rt, err)
				keys = append(keys, k)
				for _, r := range tx.Rewards {
					rewards = append(rewards, r.ID)
				}
			case 3:
				if len(keys) > 0 {
					eng.DeleteTransaction(ctx, rapid.SampledFrom(keys).Draw(rt, "delete")) // may be deleted already
				}
			case 4:
				if len(rewards) > 0 {
					eng.RejectReward(ctx, rapid.SampledFrom(rewards).Draw(rt, "reject"), "x") // may not be in review
				}
			case 5:
				clock.Advance(time.Duration(rapid.IntRange(1, 30).Draw(rt, "hours")) * time.Hour)
			}
		}
		byDay := map[string]decimal.Decimal{}
		all := decimal.Zero
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(rt, err)
		for _, tx := range page.Transactions {
			for _, r := range tx.Rewards {
				if r.DeletedAt == nil && r.Status != commission.RewardRejected {
					day := r.CreatedAt.Format(time.DateOnly)
					byDay[day] = byDay[day].Add(r.Amount)
					all = all.Add(r.Amount)
				}
			}
		}
		for day, sum := range byDay {
			require.Truef(rt, sum.Cmp(limit) <= 0, "%s: %s earned, the limit is %s", day, sum, limit)
		}
		require.Truef(rt, all.Cmp(limit.Mul(dec("3"))) <= 0, "all time: %s earned", all)
	})
}

func TestCapsAreValidatedAtNew(t *testing.T) {
	_, err := commission.New(memstoreNew(), capsProgram(commission.Caps{PerReward: decp("-1"), Partner: []commission.SpendLimit{
		{Period: "fortnight", Amount: dec("1")}, {Period: commission.CapDay, Amount: dec("-2")}, {Period: commission.CapDay, Amount: dec("3")},
	}}))
	requireFields(t, err, "rules.caps.per_reward", "rules.caps.partner[0].period", "rules.caps.partner[1].amount", "rules.caps.partner[2].period")
}

// A weekly spend limit counts ISO 8601 weeks (UTC) of the sale's
// created_at: 2024-12-30 to 2025-01-05 is one week (2025-W01) across the
// year boundary, and a Sunday and the Monday after are in different weeks.
func TestCapWeekIsISOWeek(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapWeek, Amount: dec("50")}}}))
	affiliateSetup(t, eng)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	steps := []struct {
		key  string
		at   time.Time
		want string
		why  string
	}{
		{"sun-w52", day(2024, 12, 29), "30", "2024-W52: first sale"},
		{"mon-w01", day(2024, 12, 30), "30", "Monday 2024-12-30 starts 2025-W01"},
		{"thu-w01", day(2025, 1, 2), "20", "2025-W01 across the new year: 50 - 30"},
		{"sat-w52", day(2024, 12, 28), "20", "back in 2024-W52: 50 - 30"},
		{"sun-w01", day(2025, 1, 5).Add(11*time.Hour + 59*time.Minute + 59*time.Second), "0", "Sunday 23:59:59 is still 2025-W01"},
		{"sun-w01-cet", time.Date(2025, 1, 6, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "0", "Monday 00:30 CET is Sunday 23:30 UTC, 2025-W01"},
		{"mon-w02", day(2025, 1, 6).Add(-12 * time.Hour), "30", "Monday 00:00 starts 2025-W02"},
		{"mon-w02-est", time.Date(2025, 1, 5, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "20", "Sunday 20:00 EST is Monday 01:00 UTC, 2025-W02: 50 - 30"},
	}
	for _, s := range steps {
		tx, err := eng.CreateTransaction(ctx, backdated(s.key, "customer_123", "100", s.at))
		require.NoError(t, err, s.key)
		if s.want == "0" {
			require.Empty(t, tx.Rewards, "%s: %s: the week's limit leaves nothing, and no reward is kept", s.key, s.why)
			continue
		}
		require.Len(t, tx.Rewards, 1, s.key)
		r := tx.Rewards[0]
		requireDecimal(t, s.want, r.Amount, s.key, ": ", s.why)
		require.Equal(t, []string{"week"}, r.Explanation.Counted, s.key)
		if s.want != "30" {
			require.Equal(t, []string{"partner.week"}, r.Explanation.Caps, s.key)
			requireDecimal(t, "30", *r.Explanation.Uncapped, s.key)
		} else {
			require.Empty(t, r.Explanation.Caps, s.key)
		}
	}
	// A refund gives back to its own week only.
	require.NoError(t, eng.DeleteTransaction(ctx, "mon-w01"))
	tx, err := eng.CreateTransaction(ctx, backdated("fri-w01", "customer_123", "100", day(2025, 1, 3)))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount, "2025-W01 has 30 back")
	tx, err = eng.CreateTransaction(ctx, backdated("tue-w02", "customer_123", "100", day(2025, 1, 7)))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "2025-W02 is full")
}

// A reward set by the input counts towards, and is clamped by, a spend
// limit like any other: a cap is never exceeded.
func TestSetRewardIsCapped(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("100")}}}))
	affiliateSetup(t, eng)
	in := sale("manual", "customer_123", "10")
	in.Reward = decp("1000")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "100", tx.Rewards[0].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("next", "customer_123", "100"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "the month's limit is used up")
}

// capKey is one partner's spend in one period's bucket, as the caps model
// counts it.
type capKey struct {
	partner string
	period  commission.CapPeriod
	bucket  string
}

// capBucket names the bucket of period that holds at, in UTC: its day, ISO
// 8601 week, month, or "" for all time.
func capBucket(period commission.CapPeriod, at time.Time) string {
	at = at.UTC()
	switch period {
	case commission.CapDay:
		return at.Format(time.DateOnly)
	case commission.CapWeek:
		y, w := at.ISOWeek()
		return fmt.Sprintf("%d/%d", y, w)
	case commission.CapMonth:
		return at.Format("2006-01")
	}
	return ""
}

// capReward is a reward the caps model expects: to whom, before and after
// the caps, and whether it was rejected later.
type capReward struct {
	id              string
	partner         string
	uncapped, final decimal.Decimal
	rejected        bool
}

// capSale is a sale the caps model knows.
type capSale struct {
	key     string
	at      time.Time
	rewards []*capReward
	deleted bool
}

// Several partners, a per-reward cap and partner spend limits per day,
// week, month and all time (any subset, in any order), multi-line and
// manual sales at random times, with multi-level rewards, refunds and
// rejections: each reward is what the rules pay, lowered to the per-reward
// cap and to what every limit of its partner has left in the buckets of
// the sale's created_at, one reward after the other in the sale's order;
// refunded and rejected rewards give their amount back. Whatever happens,
// no partner's live rewards pass a limit in any bucket, and no reward
// passes the per-reward cap.
func TestPropCapsFollowModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newCapModel(t, rt)
		for step := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			m.invariants()
			now := m.clock.Now()
			switch rapid.IntRange(0, 7).Draw(rt, "action") {
			case 0:
				m.clock.Advance(time.Duration(rapid.Int64Range(1, 10*24*60).Draw(rt, "advance_min")) * time.Minute)
			case 1:
				m.refund()
			case 2:
				m.reject(now)
			default:
				m.sell("s"+strconv.Itoa(step), now)
			}
		}
		m.invariants()
	})
}

// capModelReview is how long the caps property holds rewards in review.
const capModelReview = time.Hour

// capModel is a check of TestPropCapsFollowModel: the program drawn, its
// engine, and the model of the sales, their rewards and what each partner
// used of its limits.
type capModel struct {
	rt        *rapid.T
	eng       *commission.Engine
	clock     *testClock
	def, flat commission.Commission
	levels    []commission.Commission
	perReward *decimal.Decimal
	limits    map[commission.CapPeriod]decimal.Decimal
	referrer  []int // partner i's referrer, -1 for none

	used    map[capKey]decimal.Decimal
	sales   []*capSale
	rewards []*capReward
	saleOf  map[*capReward]*capSale
}

// newCapModel draws the program (a default percent, a flat fee on product
// f, up to two levels, a per-reward cap and spend limits, each maybe) and
// one to three partners, each maybe referred by an earlier one, with
// customer ci of partner pi.
func newCapModel(t *testing.T, rt *rapid.T) *capModel {
	m := &capModel{rt: rt, limits: map[commission.CapPeriod]decimal.Decimal{}, used: map[capKey]decimal.Decimal{}, saleOf: map[*capReward]*capSale{},
		def:  commission.Percent(rapidgen.Cents(1, 10000).Draw(rt, "default_pct")),
		flat: commission.Flat(rapidgen.Cents(0, 5000).Draw(rt, "flat")),
	}
	p := periodProgram(m.def)
	p.Rules.ReviewPeriod = capModelReview
	p.Rules.Products = []commission.ProductRule{{ProductID: "f", Commission: m.flat}}
	for range rapid.IntRange(0, 2).Draw(rt, "levels") {
		m.levels = append(m.levels, commission.Percent(rapidgen.Cents(0, 10000).Draw(rt, "level_pct")))
	}
	p.Rules.Levels = m.levels
	if rapid.Bool().Draw(rt, "per_reward") {
		d := rapidgen.Cents(0, 5000).Draw(rt, "per_reward_cap")
		m.perReward, p.Rules.Caps.PerReward = &d, &d
	}
	periods := []commission.CapPeriod{commission.CapDay, commission.CapWeek, commission.CapMonth, commission.CapAllTime}
	for _, period := range rapid.Permutation(periods).Draw(rt, "periods") {
		if rapid.Bool().Draw(rt, "limited") {
			l := rapidgen.Cents(0, 20000).Draw(rt, "limit")
			m.limits[period] = l
			p.Rules.Caps.Partner = append(p.Rules.Caps.Partner, commission.SpendLimit{Period: period, Amount: l})
		}
	}
	m.eng, m.clock = newEngine(t, p)
	m.createPartners()
	return m
}

// createPartners creates one to three partners, partner i maybe referred
// by an earlier one, and customer ci of partner pi.
func (m *capModel) createPartners() {
	ctx := context.Background()
	n := rapid.IntRange(1, 3).Draw(m.rt, "partners")
	m.referrer = make([]int, n)
	for i := range n {
		in := commission.PartnerInput{Key: "p" + strconv.Itoa(i)}
		m.referrer[i] = -1
		if i > 0 && rapid.Bool().Draw(m.rt, "referred") {
			m.referrer[i] = rapid.IntRange(0, i-1).Draw(m.rt, "referrer")
			in.ReferringPartner = &commission.PartnerRef{Key: "p" + strconv.Itoa(m.referrer[i])}
		}
		_, err := m.eng.CreatePartner(ctx, in)
		require.NoError(m.rt, err)
		_, err = m.eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), Partner: &commission.PartnerRef{Key: in.Key}})
		require.NoError(m.rt, err)
	}
}

// count adds (sign 1) or gives back (sign -1) a reward's amount to what
// its partner used of each limit, in the buckets of at.
func (m *capModel) count(r *capReward, at time.Time, sign int64) {
	for period := range m.limits {
		k := capKey{r.partner, period, capBucket(period, at)}
		m.used[k] = m.used[k].Add(r.final.Mul(decimal.NewFromInt(sign)))
	}
}

// newSale draws a sale made at now or backdated, with the rewards the
// model expects of it, capped by what the sales before it used.
func (m *capModel) newSale(key string, now time.Time) (commission.TransactionInput, *capSale) {
	rt := m.rt
	who := rapid.IntRange(0, len(m.referrer)-1).Draw(rt, "customer")
	s := &capSale{key: key, at: now}
	if rapid.Bool().Draw(rt, "backdated") {
		days := time.Duration(rapid.IntRange(0, 40).Draw(rt, "backdate_days")) * 24 * time.Hour
		s.at = now.Add(-days - time.Duration(rapid.IntRange(0, 24*60).Draw(rt, "backdate_min"))*time.Minute)
	}
	in := commission.TransactionInput{Key: s.key, Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(who)}, CreatedAt: &s.at}
	for _, amount := range m.drawPayload(&in) {
		s.rewards = append(s.rewards, &capReward{partner: "p" + strconv.Itoa(who), uncapped: amount})
	}
	for level, up := 0, m.referrer[who]; level < len(m.levels) && up >= 0; level, up = level+1, m.referrer[up] {
		s.rewards = append(s.rewards, &capReward{partner: "p" + strconv.Itoa(up),
			uncapped: in.Amount.Mul(m.levels[level].Value).Shift(-2)})
	}
	// The caps, reward by reward in the sale's order.
	for _, r := range s.rewards {
		r.final = r.uncapped
		if m.perReward != nil {
			r.final = decimal.Min(r.final, *m.perReward)
		}
		for period, limit := range m.limits {
			left := decimal.Max(decimal.Zero, limit.Sub(m.used[capKey{r.partner, period, capBucket(period, s.at)}]))
			r.final = decimal.Min(r.final, left)
		}
		m.count(r, s.at, 1)
	}
	// A reward the caps (or its rule) leave nothing of is not kept.
	s.rewards = slices.DeleteFunc(s.rewards, func(r *capReward) bool { return r.final.IsZero() })
	m.sales = append(m.sales, s)
	return in, s
}

// drawPayload draws what in sells (a reward set by the input, an amount
// of product f or none, or one to three lines of products f and g), and
// returns what the seller's rules pay for it, reward by reward, uncapped.
func (m *capModel) drawPayload(in *commission.TransactionInput) []decimal.Decimal {
	rt := m.rt
	pays := func(product string, price decimal.Decimal) decimal.Decimal {
		if product == "f" {
			return m.flat.Value
		}
		return price.Mul(m.def.Value).Shift(-2)
	}
	switch lines := rapid.IntRange(-1, 3).Draw(rt, "lines"); lines {
	case -1: // a reward set by the input
		in.Amount, in.Reward = decp(rapidgen.Cents(0, 100000).Draw(rt, "amount").String()), decp(rapidgen.Cents(0, 10000).Draw(rt, "reward").String())
		return []decimal.Decimal{*in.Reward}
	case 0:
		in.Amount = decp(rapidgen.Cents(0, 100000).Draw(rt, "amount").String())
		in.ProductID = rapid.SampledFrom([]string{"", "f"}).Draw(rt, "product")
		return []decimal.Decimal{pays(in.ProductID, *in.Amount)}
	default:
		var out []decimal.Decimal
		total := decimal.Zero
		for range lines {
			l := commission.ProductLine{ProductID: rapid.SampledFrom([]string{"g", "f"}).Draw(rt, "line_product"), ProductPrice: rapidgen.Cents(0, 100000).Draw(rt, "price")}
			in.Products = append(in.Products, l)
			total = total.Add(l.ProductPrice)
			out = append(out, pays(l.ProductID, l.ProductPrice))
		}
		in.Amount = &total
		return out
	}
}

// check checks a created sale's rewards against the model, and records
// their ids.
func (m *capModel) check(s *capSale, tx *commission.Transaction) {
	rt := m.rt
	require.Lenf(rt, tx.Rewards, len(s.rewards), "sale %s: rewards", s.key)
	for i, r := range s.rewards {
		got := tx.Rewards[i]
		what := fmt.Sprintf("sale %s reward %d (%s)", s.key, i, r.partner)
		require.Equalf(rt, r.partner, got.PartnerKey, "%s: partner", what)
		propRequireDec(rt, what+": amount", r.final, got.Amount)
		if r.final.LessThan(r.uncapped) {
			require.NotNilf(rt, got.Explanation.Uncapped, "%s: a capped reward records what it was", what)
			propRequireDec(rt, what+": uncapped", r.uncapped, *got.Explanation.Uncapped)
			require.NotEmptyf(rt, got.Explanation.Caps, "%s: a capped reward names its caps", what)
		} else {
			require.Nilf(rt, got.Explanation.Uncapped, "%s: not capped", what)
		}
		r.id = got.ID
		m.rewards = append(m.rewards, r)
		m.saleOf[r] = s
	}
}

// invariants checks what the engine stores against the limits and the
// model's counters.
func (m *capModel) invariants() {
	rt := m.rt
	live := map[capKey]decimal.Decimal{}
	page, err := m.eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(rt, err)
	require.Empty(rt, page.NextCursor, "every transaction on one page")
	for _, tx := range page.Transactions {
		for _, r := range tx.Rewards {
			if m.perReward != nil {
				require.Truef(rt, r.Amount.Cmp(*m.perReward) <= 0, "reward %s: %s passes the per-reward cap %s", r.ID, r.Amount, *m.perReward)
			}
			if r.DeletedAt != nil || r.Status == commission.RewardRejected {
				continue
			}
			for period := range m.limits {
				k := capKey{r.PartnerKey, period, capBucket(period, r.CreatedAt)}
				live[k] = live[k].Add(r.Amount)
			}
		}
	}
	for k, sum := range live {
		require.Truef(rt, sum.Cmp(m.limits[k.period]) <= 0, "%+v: %s earned, the limit is %s", k, sum, m.limits[k.period])
	}
	for k, u := range m.used {
		propRequireDec(rt, fmt.Sprintf("%+v: earned, as the model counts it", k), u, live[k])
	}
}

// refund deletes a sale: its rewards not rejected give their amounts
// back; refunding it again is ErrNotFound.
func (m *capModel) refund() {
	if len(m.sales) == 0 {
		return
	}
	s := rapid.SampledFrom(m.sales).Draw(m.rt, "refund")
	err := m.eng.DeleteTransaction(context.Background(), s.key)
	if s.deleted {
		require.ErrorIsf(m.rt, err, commission.ErrAlreadyDeleted, "refunding %s again", s.key)
		return
	}
	require.NoError(m.rt, err)
	s.deleted = true
	for _, r := range s.rewards {
		if !r.rejected {
			m.count(r, s.at, -1)
		}
	}
}

// reject rejects a reward, which gives its amount back if it was still
// held in review at now.
func (m *capModel) reject(now time.Time) {
	if len(m.rewards) == 0 {
		return
	}
	r := rapid.SampledFrom(m.rewards).Draw(m.rt, "reject")
	s := m.saleOf[r]
	err := m.eng.RejectReward(context.Background(), r.id, "no")
	if s.deleted || r.rejected || !now.Before(s.at.Add(capModelReview)) {
		require.ErrorIsf(m.rt, err, commission.ErrNotInReview, "rejecting %s of %s, refunded %v, rejected %v", r.id, s.key, s.deleted, r.rejected)
		return
	}
	require.NoError(m.rt, err)
	r.rejected = true
	m.count(r, s.at, -1)
}

// sell creates sale key alone or, one time in four, a bulk of two or three
// sales, whose caps each see the ones before it.
func (m *capModel) sell(key string, now time.Time) {
	ctx := context.Background()
	if rapid.IntRange(0, 3).Draw(m.rt, "bulk") == 0 {
		var ins []commission.TransactionInput
		var ss []*capSale
		for j := range rapid.IntRange(2, 3).Draw(m.rt, "bulk_size") {
			in, s := m.newSale(key+"_"+strconv.Itoa(j), now)
			ins, ss = append(ins, in), append(ss, s)
		}
		txs, err := m.eng.CreateTransactions(ctx, ins)
		require.NoError(m.rt, err)
		for j, s := range ss {
			m.check(s, txs[j])
		}
		return
	}
	in, s := m.newSale(key, now)
	tx, err := m.eng.CreateTransaction(ctx, in)
	require.NoError(m.rt, err)
	m.check(s, tx)
}

// Caps are amounts in the program currency: a reward in another currency
// (here a flat one paid in JPY) is neither clamped by them nor counted
// towards them, so it never uses up the program currency's limit.
func TestCapsCountOnlyTheProgramCurrency(t *testing.T) {
	ctx := context.Background()
	p := capsProgram(commission.Caps{
		PerReward: decp("100"),
		Partner:   []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("150")}},
	})
	p.Rules.Products = []commission.ProductRule{{ProductID: "jp",
		Commission: commission.Commission{Type: commission.FlatCommission, Value: dec("100000"), Units: "JPY"}}}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	jp := sale("jp", "customer_123", "10")
	jp.ProductID = "jp"
	tx, err := eng.CreateTransaction(ctx, jp)
	require.NoError(t, err)
	require.Equal(t, "JPY", tx.Rewards[0].AmountUnits)
	requireDecimal(t, "100000", tx.Rewards[0].Amount, "no USD cap applies to JPY")
	require.Empty(t, tx.Rewards[0].Explanation.Counted)
	for _, c := range []struct{ key, want string }{{"usd1", "100"}, {"usd2", "50"}, {"usd3", "none"}} {
		tx, err := eng.CreateTransaction(ctx, sale(c.key, "customer_123", "1000"))
		require.NoError(t, err)
		require.Equal(t, c.want, rewardOrNone(tx), c.key+": the JPY reward took nothing of the month's 150")
	}
}
