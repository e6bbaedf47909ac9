package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The Engine on the store under test, driven by a rapid state machine whose
// oracle is a plain Go model: partners, customers, sales alone and in bulk
// (in the program's currency or converted through a rate source), deletes,
// archives, restores, approvals, rejections, clock moves, new exchange
// rates and retries, refunds, payouts paid and canceled (model_money.go),
// with the listing, the rewards and their statuses, and every partner's
// balance in each unit checked against the model after every step.
func engineTests() []subtest {
	return []subtest{
		{"state machine against a model", testEngineModel},
	}
}

// The model's program pays a percent drawn per check by default, a flat
// fee drawn per check on product "flat" and a flat number of points (a
// custom unit) on product "pts", and holds rewards for a week.
var (
	modelReview = 7 * 24 * time.Hour

	modelPartners = []string{"p0", "p1", "p2"}
	// modelPartnerRefs are the partners a new customer may name, one of
	// them never created.
	modelPartnerRefs = append([]string{"nobody"}, modelPartners...)
	modelCustomers   = []string{"c0", "c1", "c2", "c3"}
	modelKeys        = []string{"k0", "k1", "k2", "k3", "k4", "k5"}

	// modelPercent draws the program's percent: any of rapidgen.Rate's,
	// or 50, which halves the smallest amount into a tie at the 19th
	// place (rounded half-even, to 0).
	modelPercent = rapid.OneOf(rapidgen.Rate(), rapidgen.Rate(), rapidgen.Rate(), rapid.Just(dec("50")))
)

func modelProgram(pct, flat, points decimal.Decimal) commission.Program {
	return commission.Program{
		ID: newProgramID("model"), Kind: commission.Affiliate, Currency: modelCurrency,
		CustomUnits: []string{modelPoints},
		Rules: commission.RuleSet{
			Version: "v1",
			Default: commission.Percent(pct),
			Products: []commission.ProductRule{
				{ProductID: "flat", Commission: commission.Flat(flat)},
				{ProductID: "pts", Commission: modelPointsPaid(points)},
			},
			ReviewPeriod: modelReview,
		},
	}
}

type modelReward struct {
	id      string
	pay     modelPay
	decided commission.RewardStatus // "" until approved or rejected
	// The money lifecycle (model_money.go): the entries against it, the
	// payout it is in (pending or paid), what its sale's archive took.
	entries []*modelEntry
	payout  *modelPayout
	took    decimal.Decimal
}

type modelTx struct {
	sale    modelSale
	in      commission.TransactionInput // exactly what was sent, for retries
	partner string
	rate    *decimal.Decimal // the exchange rate, nil in the program's currency
	state   commission.TransactionState
	created time.Time
	rewards []*modelReward
	// refunded is what refunds took back of the sale's amount.
	refunded decimal.Decimal
}

// statusAt is the reward's status as of now.
func (t *modelTx) statusAt(r *modelReward, now time.Time) commission.RewardStatus {
	switch {
	case r.paid():
		return commission.RewardPaid
	case r.decided != "":
		return r.decided
	case now.Before(t.created.Add(modelReview)):
		return commission.RewardInReview
	}
	return commission.RewardOK
}

// counts reports whether the reward counts towards its partner's balance.
func (t *modelTx) counts(r *modelReward) bool {
	return t.state == commission.TransactionActive && r.decided != commission.RewardRejected
}

type engineModel struct {
	eng    *commission.Engine // writes
	reader *commission.Engine // reads, on a peer store when there is one
	clock  *clock
	rates  modelRates // the engine's rate source

	pct, flat decimal.Decimal // the program's default percent and flat fee
	points    decimal.Decimal // the points product "pts" pays
	spent     decimal.Decimal // the sales stored, converted (see modelAmount)

	partners  map[string]bool
	customers map[string]string // key → partner key
	txs       map[string]*modelTx

	minimum decimal.Decimal // the program's payout minimum
	refunds map[string]*modelRefund
	payouts []*modelPayout // in the order they were created
}

// outcome is what the model expects of sale s given the customers and keys
// that earlier items of the same bulk added: the partner the sale is
// attributed to, whether it creates its customer, and the sentinel error
// it fails with, if any. A sale that cannot be converted fails before its
// customer and key are looked at.
func (m *engineModel) outcome(s modelSale, newCustomers map[string]string, newKeys map[string]bool) (partner string, creates bool, err error) {
	if _, ok := m.rateOf(s.units); !ok {
		return "", false, commission.ErrNoRate
	}
	partner, known := m.customers[s.customer]
	if !known {
		partner, known = newCustomers[s.customer]
	}
	if !known {
		switch {
		case !s.create:
			return "", false, commission.ErrCustomerNotFound
		case !m.partners[s.partner]:
			return "", false, commission.ErrPartnerNotFound
		}
		partner, creates = s.partner, true
	}
	if m.txs[s.key] != nil || newKeys[s.key] {
		return "", false, commission.ErrDuplicateKey
	}
	return partner, creates, nil
}

// record adds a stored sale to the model, with the reward ids the Engine
// returned, after checking what it returned.
func (m *engineModel) record(t *rapid.T, s modelSale, in commission.TransactionInput, partner string, tx *commission.Transaction) {
	t.Helper()
	rate, _ := m.rateOf(s.units)
	mt := &modelTx{sale: s, in: in, partner: partner, rate: rate, state: commission.TransactionActive, created: m.clock.Now()}
	pays := m.pays(s, rate)
	require.Len(t, tx.Rewards, len(pays), s.key)
	for i, r := range tx.Rewards {
		require.NotContains(t, m.rewardIDs(), r.ID, "reward id given twice")
		mt.rewards = append(mt.rewards, &modelReward{id: r.ID, pay: pays[i]})
	}
	m.requireTx(t, mt, tx, mt.created)
	m.txs[s.key] = mt
	m.spent = m.spent.Add(m.converted(s))
}

func (m *engineModel) rewardIDs() []string {
	var ids []string
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			ids = append(ids, r.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// requireDuplicate checks that err is the *DuplicateError of stored key,
// identical as the model says.
func (m *engineModel) requireDuplicate(t *rapid.T, err error, key string, identical bool) {
	t.Helper()
	mt := m.txs[key]
	require.ErrorIs(t, err, commission.ErrDuplicateKey, "key %q is %s", key, mt.state)
	var dup *commission.DuplicateError
	require.ErrorAs(t, err, &dup)
	require.Equal(t, key, dup.Key)
	require.NotNil(t, dup.Existing)
	require.Equal(t, key, dup.Existing.Key)
	require.Equal(t, mt.state, dup.Existing.State, key)
	requireDecimal(t, mt.sale.amount, dup.Existing.Amount, key+" existing amount")
	require.Equal(t, mt.sale.currency(), dup.Existing.AmountUnits, key)
	require.Equal(t, mt.sale.customer, dup.Existing.CustomerKey, key)
	require.Len(t, dup.Existing.Rewards, len(mt.rewards), key)
	require.Equal(t, identical, dup.Identical, "key %q: stored %#v: is the new input identical?", key, mt.sale)
}

func (m *engineModel) createPartner(t *rapid.T) {
	key := rapid.SampledFrom(modelPartners).Draw(t, "partner")
	p, err := m.eng.CreatePartner(ctx, commission.PartnerInput{Key: key, Email: key + "@partners.test"})
	if m.partners[key] {
		require.ErrorIs(t, err, commission.ErrDuplicateKey)
		return
	}
	require.NoError(t, err)
	require.Equal(t, key, p.Key)
	m.partners[key] = true
}

func (m *engineModel) createCustomer(t *rapid.T) {
	key := rapid.SampledFrom(modelCustomers).Draw(t, "customer")
	partner := rapid.SampledFrom(modelPartnerRefs).Draw(t, "partner")
	c, err := m.eng.CreateCustomer(ctx, commission.CustomerInput{Key: key, Partner: &commission.PartnerRef{Key: partner}})
	_, exists := m.customers[key]
	switch {
	case !m.partners[partner]:
		require.ErrorIs(t, err, commission.ErrPartnerNotFound)
	case exists:
		require.ErrorIs(t, err, commission.ErrDuplicateKey)
	default:
		require.NoError(t, err)
		require.Equal(t, key, c.Key)
		require.Equal(t, partner, c.PartnerKey)
		m.customers[key] = partner
	}
	m.requireCustomers(t, key)
}

func (m *engineModel) sale(t *rapid.T, create bool) {
	s := m.genSale(rapid.SampledFrom(modelKeys).Draw(t, "key"), create, m.spent).Draw(t, "sale")
	in := s.input()
	tx, err := m.eng.CreateTransaction(ctx, in)
	partner, creates, want := m.outcome(s, nil, nil)
	switch {
	case want == commission.ErrDuplicateKey:
		m.requireDuplicate(t, err, s.key, m.txs[s.key].sale.sameSale(s))
	case want != nil:
		require.ErrorIs(t, err, want)
	default:
		require.NoError(t, err)
		if creates {
			m.customers[s.customer] = partner
		}
		m.record(t, s, in, partner, tx)
	}
	m.requireCustomers(t, s.customer)
}

// bulk creates one to three sales at once, now and then with an invalid
// one: all are stored, or none.
func (m *engineModel) bulk(t *rapid.T) {
	n := rapid.IntRange(1, 3).Draw(t, "n")
	sales := make([]modelSale, n)
	ins := make([]commission.TransactionInput, n)
	spent := m.spent // and the items before it, were they stored
	for i := range sales {
		sales[i] = m.genSale(rapid.SampledFrom(modelKeys).Draw(t, "key"), rapid.Bool().Draw(t, "create"), spent).Draw(t, "sale")
		spent = spent.Add(m.converted(sales[i]))
	}
	if rapid.IntRange(0, 3).Draw(t, "with_invalid") == 0 {
		bad := rapid.IntRange(0, n-1).Draw(t, "invalid_index")
		sales[bad].invalid, sales[bad].lines = true, nil
	}
	for i := range sales {
		ins[i] = sales[i].input()
	}
	out, err := m.eng.CreateTransactions(ctx, ins)
	m.requireBulk(t, sales, ins, out, err)
	for _, s := range sales {
		m.requireCustomers(t, s.customer)
	}
}

// requireBulk checks a bulk's outcome against the model, and records what
// it stored: invalid items first, then the first item that cannot be
// converted (rates are looked up before the unit of work), then each item
// in turn, seeing what the items before it created.
func (m *engineModel) requireBulk(t *rapid.T, sales []modelSale, ins []commission.TransactionInput, out []*commission.Transaction, err error) {
	t.Helper()
	if requireBulkInvalid(t, sales, err) {
		return // the invariant checks that nothing was stored
	}
	for i, s := range sales {
		if _, ok := m.rateOf(s.units); !ok {
			requireItemError(t, err, i, commission.ErrNoRate)
			return
		}
	}
	newCustomers, newKeys := map[string]string{}, map[string]bool{}
	partners := make([]string, len(sales))
	for i, s := range sales {
		partner, creates, want := m.outcome(s, newCustomers, newKeys)
		if want != nil {
			requireItemError(t, err, i, want)
			if want == commission.ErrDuplicateKey {
				m.requireDuplicate(t, err, s.key, m.txs[s.key].sale.sameSale(s))
			}
			return
		}
		if creates {
			newCustomers[s.customer] = partner
		}
		newKeys[s.key] = true
		partners[i] = partner
	}
	require.NoError(t, err)
	require.Len(t, out, len(sales))
	for c, p := range newCustomers {
		m.customers[c] = p
	}
	for i, tx := range out {
		m.record(t, sales[i], ins[i], partners[i], tx)
	}
}

// requireBulkInvalid reports whether the bulk has invalid items, after
// checking that err names every invalid amount and repeated key.
func requireBulkInvalid(t *rapid.T, sales []modelSale, err error) bool {
	t.Helper()
	var fields []string
	seen := map[string]int{}
	for i, s := range sales {
		if s.invalid {
			fields = append(fields, fmt.Sprintf("transactions[%d].amount", i))
		}
		if _, dup := seen[s.key]; dup {
			fields = append(fields, fmt.Sprintf("transactions[%d].key", i))
		}
		seen[s.key] = i
	}
	if len(fields) == 0 {
		return false
	}
	var verr *commission.ValidationError
	require.ErrorAs(t, err, &verr)
	for _, f := range fields {
		_, ok := verr.Field(f)
		require.True(t, ok, "want an error on %s, got %v", f, err)
	}
	return true
}

// requireItemError checks that err is item i's, and is want.
func requireItemError(t *rapid.T, err error, i int, want error) {
	t.Helper()
	var ie *commission.ItemError
	require.ErrorAs(t, err, &ie, "transactions[%d] fails with %v", i, want)
	require.Equal(t, i, ie.Index)
	require.ErrorIs(t, err, want)
}

// retry sends a stored sale's input again, as a retried webhook would:
// a duplicate, identical, unless its currency has no usable rate now. Now
// and then the currency is changed first: then the sale is identical only
// when the currency is the same once the default is filled in.
//
// The engine adds a sale to its partner's revenue before it finds the key
// taken, so a sale is sent again only while that sum, on top of the sales
// stored, fits in storage: past it, a SQL store fails the sale with its
// own overflow error where the memory store reports the duplicate.
func (m *engineModel) retry(t *rapid.T) {
	used := m.usedKeys()
	if len(used) == 0 {
		t.Skip("no key used yet")
	}
	key := rapid.SampledFrom(used).Draw(t, "key")
	s, in := m.txs[key].sale, m.txs[key].in
	if rapid.IntRange(0, 3).Draw(t, "other_currency") == 0 {
		s.units = rapid.SampledFrom(modelUnits).Draw(t, "units")
		in.AmountUnits = s.units
	}
	if m.spent.Add(m.converted(s)).Cmp(modelLargest) > 0 {
		t.Skip("its revenue would not fit")
	}
	_, err := m.eng.CreateTransaction(ctx, in)
	if _, ok := m.rateOf(s.units); !ok {
		require.ErrorIs(t, err, commission.ErrNoRate, key)
		return
	}
	m.requireDuplicate(t, err, key, m.txs[key].sale.sameSale(s))
}

func (m *engineModel) usedKeys() []string {
	var keys []string
	for _, k := range modelKeys {
		if m.txs[k] != nil {
			keys = append(keys, k)
		}
	}
	return keys
}

func (m *engineModel) delete(t *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(t, "key")
	err := m.eng.DeleteTransaction(ctx, key)
	mt := m.txs[key]
	switch {
	case mt == nil:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted, "a retried delete")
	default:
		require.NoError(t, err)
		if mt.state == commission.TransactionActive {
			m.leave(mt, false)
		}
		mt.state = commission.TransactionDeleted
	}
}

func (m *engineModel) archive(t *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(t, "key")
	err := m.eng.ArchiveTransaction(ctx, key)
	mt := m.txs[key]
	switch {
	case mt == nil:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted)
	case mt.state == commission.TransactionArchived:
		require.ErrorIs(t, err, commission.ErrAlreadyArchived)
	default:
		require.NoError(t, err)
		m.leave(mt, true)
		mt.state = commission.TransactionArchived
	}
}

func (m *engineModel) restore(t *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(t, "key")
	err := m.eng.RestoreTransaction(ctx, key)
	mt := m.txs[key]
	switch {
	case mt == nil:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted)
	case mt.state == commission.TransactionActive:
		require.ErrorIs(t, err, commission.ErrNotArchived)
	default:
		require.NoError(t, err)
		m.back(mt)
		mt.state = commission.TransactionActive
	}
}

// decide approves or rejects a reward, now and then one that does not
// exist.
func (m *engineModel) decide(t *rapid.T, status commission.RewardStatus) {
	ids := append(m.rewardIDs(), "no-such-reward")
	id := rapid.SampledFrom(ids).Draw(t, "reward")
	var err error
	if status == commission.RewardOK {
		err = m.eng.ApproveReward(ctx, id)
	} else {
		err = m.eng.RejectReward(ctx, id, "fraud")
	}
	mt, r := m.reward(id)
	switch {
	case mt == nil:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state != commission.TransactionActive || mt.statusAt(r, m.clock.Now()) != commission.RewardInReview:
		// A reversed reward (deleted or archived) is not in review.
		require.ErrorIs(t, err, commission.ErrNotInReview)
	default:
		require.NoError(t, err)
		r.decided = status
	}
}

func (m *engineModel) reward(id string) (*modelTx, *modelReward) {
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			if r.id == id {
				return mt, r
			}
		}
	}
	return nil, nil
}

// advance moves the clock, by nothing at all (sales at one instant are
// listed by their order of creation) up to more than the review period.
func (m *engineModel) advance(t *rapid.T) {
	m.clock.Advance(rapid.SampledFrom([]time.Duration{0, time.Microsecond, time.Second, time.Hour, 2 * 24 * time.Hour, 8 * 24 * time.Hour}).Draw(t, "by"))
}

// newRate gives one of the converted currencies another rate: sales stored
// before keep the rate they were converted at.
func (m *engineModel) newRate(t *rapid.T) {
	cur := rapid.SampledFrom(modelConverted).Draw(t, "currency")
	m.rates[cur] = modelExchangeRate.Draw(t, "rate")
}

// newEngineModel starts a check: a program and rates of its own, the
// engine on s and a reader on peer, and a partner and a customer of it,
// so that early sales can succeed.
func newEngineModel(t *rapid.T, s, peer commission.Store) *engineModel {
	m := &engineModel{
		clock: &clock{now: t0}, rates: modelRates{},
		pct: modelPercent.Draw(t, "percent"), flat: rapidgen.Decimal(4, 2).Draw(t, "flat"),
		partners: map[string]bool{}, customers: map[string]string{}, txs: map[string]*modelTx{},
		minimum: dec(modelPayoutMinimum.Draw(t, "payout_minimum")), refunds: map[string]*modelRefund{},
	}
	for _, cur := range modelConverted {
		m.rates[cur] = modelExchangeRate.Draw(t, "rate_"+cur)
	}
	m.points = rapidgen.Decimal(3, 2).Draw(t, "points")
	prog := modelProgram(m.pct, m.flat, m.points)
	prog.Rules.Payouts.Minimum = m.minimum
	var err error
	m.eng, err = commission.New(s, prog, commission.WithClock(m.clock.Now),
		commission.WithIDGenerator(idGenerator(prog.ID+"_id")), commission.WithRates(m.rates))
	require.NoError(t, err)
	m.reader, err = commission.New(peer, prog, commission.WithClock(m.clock.Now))
	require.NoError(t, err)
	_, err = m.eng.CreatePartner(ctx, commission.PartnerInput{Key: "p0", Email: "p0@partners.test"})
	require.NoError(t, err)
	_, err = m.eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c0", Partner: &commission.PartnerRef{Key: "p0"}})
	require.NoError(t, err)
	m.partners["p0"], m.customers["c0"] = true, "p0"
	return m
}

func testEngineModel(t *testing.T, h Harness) {
	s := h.New(t)
	peer := stores(t, h, s, 2)[1]
	check(t, h, func(rt *rapid.T) {
		m := newEngineModel(rt, s, peer)
		rt.Repeat(map[string]func(*rapid.T){
			"create partner":            m.createPartner,
			"create customer":           m.createCustomer,
			"sale":                      func(t *rapid.T) { m.sale(t, false) },
			"sale with create_customer": func(t *rapid.T) { m.sale(t, true) },
			"bulk":                      m.bulk,
			"delete":                    m.delete,
			"archive":                   m.archive,
			"restore":                   m.restore,
			"approve":                   func(t *rapid.T) { m.decide(t, commission.RewardOK) },
			"reject":                    func(t *rapid.T) { m.decide(t, commission.RewardRejected) },
			"advance clock":             m.advance,
			"new exchange rate":         m.newRate,
			"retry":                     m.retry,
			"refund":                    m.refund,
			"retry refund":              m.retryRefund,
			"create payout":             m.createPayout,
			"mark payout paid":          m.markPaid,
			"cancel payout":             m.cancelPayout,
			"read back":                 m.readBack,
			"":                          m.check,
		})
	})
}
