package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// The Engine on the store under test, driven by a rapid state machine whose
// oracle is a plain Go model: partners, customers, sales alone and in bulk,
// deletes, archives, restores, approvals, rejections, clock moves and
// retries, with the listing, the rewards and their statuses checked
// against the model after every step.
func engineTests() []subtest {
	return []subtest{
		{"state machine against a model", testEngineModel},
	}
}

// The model's program: 30% by default, a flat fee on product "flat", and
// rewards held for a week.
var (
	modelFlat   = dec("2.50")
	modelReview = 7 * 24 * time.Hour
	modelPrices = []string{"0", "0.01", "10", "19.99", "1234.5678"}

	modelPartners = []string{"p0", "p1", "p2"}
	// modelPartnerRefs are the partners a new customer may name, one of
	// them never created.
	modelPartnerRefs = append([]string{"nobody"}, modelPartners...)
	modelCustomers   = []string{"c0", "c1", "c2", "c3"}
	modelKeys        = []string{"k0", "k1", "k2", "k3", "k4", "k5"}
)

func modelProgram() commission.Program {
	return commission.Program{
		ID: newProgramID("model"), Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Version:      "v1",
			Default:      commission.Percent(dec("30")),
			Products:     []commission.ProductRule{{ProductID: "flat", Commission: commission.Flat(modelFlat)}},
			ReviewPeriod: modelReview,
		},
	}
}

// modelLine is one product line of a sale.
type modelLine struct {
	product string
	price   decimal.Decimal
}

// modelSale is a sale as the model sees it: who buys, with what, and
// whether the customer is created with it.
type modelSale struct {
	key      string
	customer string
	create   bool   // options.create_customer
	partner  string // the created customer's partner
	amount   decimal.Decimal
	product  string
	lines    []modelLine // when set, amount is their sum
	invalid  bool        // a negative amount: a validation error
}

// genSale draws a sale of key: its customer and its created customer's
// partner mostly among those that exist, so that most sales can succeed.
func (m *engineModel) genSale(key string, create bool) *rapid.Generator[modelSale] {
	customers := rapid.SampledFrom(modelCustomers)
	if existing := m.existing(modelCustomers, func(k string) bool { _, ok := m.customers[k]; return ok }); len(existing) > 0 {
		customers = rapid.OneOf(customers, rapid.SampledFrom(existing))
	}
	partners := rapid.SampledFrom(modelPartnerRefs)
	if existing := m.existing(modelPartners, func(k string) bool { return m.partners[k] }); len(existing) > 0 {
		partners = rapid.OneOf(partners, rapid.SampledFrom(existing))
	}
	return rapid.Custom(func(t *rapid.T) modelSale {
		s := modelSale{key: key, customer: customers.Draw(t, "customer"), create: create}
		if create {
			s.partner = partners.Draw(t, "partner")
		}
		if rapid.IntRange(0, 2).Draw(t, "with_lines") == 0 {
			n := rapid.IntRange(1, 2).Draw(t, "lines")
			s.amount = decimal.Zero
			for i := 0; i < n; i++ {
				l := modelLine{
					product: rapid.SampledFrom([]string{"flat", "a", "b"}).Draw(t, "line_product"),
					price:   dec(rapid.SampledFrom(modelPrices).Draw(t, "price")),
				}
				s.lines = append(s.lines, l)
				s.amount = s.amount.Add(l.price)
			}
			return s
		}
		s.amount = dec(rapid.SampledFrom(modelPrices).Draw(t, "amount"))
		s.product = rapid.SampledFrom([]string{"", "flat", "a"}).Draw(t, "product")
		return s
	})
}

// existing returns the keys of pool that exist, in pool's order.
func (m *engineModel) existing(pool []string, exists func(string) bool) []string {
	var out []string
	for _, k := range pool {
		if exists(k) {
			out = append(out, k)
		}
	}
	return out
}

// GoString is how rapid logs a drawn sale.
func (s modelSale) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sale %s by %s", s.key, s.customer)
	if s.create {
		fmt.Fprintf(&b, " (created, partner %s)", s.partner)
	}
	switch {
	case s.invalid:
		b.WriteString(" of -1")
	case len(s.lines) > 0:
		for _, l := range s.lines {
			fmt.Fprintf(&b, " [%s %s]", l.product, l.price)
		}
	default:
		fmt.Fprintf(&b, " of %s, product %q", s.amount, s.product)
	}
	return b.String()
}

func (s modelSale) input() commission.TransactionInput {
	in := commission.TransactionInput{Key: s.key, Customer: commission.CustomerInput{Key: s.customer}}
	if s.create {
		in.Options.CreateCustomer = true
		in.Customer.Partner = &commission.PartnerRef{Key: s.partner}
	}
	switch {
	case s.invalid:
		neg := dec("-1")
		in.Amount = &neg
	case len(s.lines) > 0:
		for _, l := range s.lines {
			in.Products = append(in.Products, commission.ProductLine{ProductID: l.product, ProductPrice: l.price})
		}
	default:
		a := s.amount
		in.Amount, in.ProductID = &a, s.product
	}
	return in
}

// rewards is what the sale earns: one reward per line, by the line's rule.
func (s modelSale) rewards() []decimal.Decimal {
	earn := func(product string, price decimal.Decimal) decimal.Decimal {
		if product == "flat" {
			return modelFlat
		}
		return price.Mul(rate30)
	}
	if len(s.lines) == 0 {
		return []decimal.Decimal{earn(s.product, s.amount)}
	}
	out := make([]decimal.Decimal, len(s.lines))
	for i, l := range s.lines {
		out[i] = earn(l.product, l.price)
	}
	return out
}

// sameSale is the Engine's "identical input" for these sales.
func (s modelSale) sameSale(o modelSale) bool {
	if s.customer != o.customer || !s.amount.Equal(o.amount) || s.product != o.product || len(s.lines) != len(o.lines) {
		return false
	}
	for i := range s.lines {
		if s.lines[i].product != o.lines[i].product || !s.lines[i].price.Equal(o.lines[i].price) {
			return false
		}
	}
	return true
}

type modelReward struct {
	id      string
	amount  decimal.Decimal
	decided commission.RewardStatus // "" until approved or rejected
}

type modelTx struct {
	sale    modelSale
	in      commission.TransactionInput // exactly what was sent, for retries
	partner string
	state   commission.TransactionState
	created time.Time
	rewards []*modelReward
}

// statusAt is the reward's status as of now.
func (t *modelTx) statusAt(r *modelReward, now time.Time) commission.RewardStatus {
	switch {
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

	partners  map[string]bool
	customers map[string]string // key → partner key
	txs       map[string]*modelTx
}

// outcome is what the model expects of sale s given the customers and keys
// that earlier items of the same bulk added: the partner the sale is
// attributed to, whether it creates its customer, and the sentinel error
// it fails with, if any.
func (m *engineModel) outcome(s modelSale, newCustomers map[string]string, newKeys map[string]bool) (partner string, creates bool, err error) {
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
	now := m.clock.Now()
	mt := &modelTx{sale: s, in: in, partner: partner, state: commission.TransactionActive, created: now}
	require.Equal(t, s.key, tx.Key)
	requireDecimal(t, s.amount, tx.Amount, s.key+" amount")
	require.Equal(t, s.customer, tx.CustomerKey, s.key)
	require.Equal(t, partner, tx.PartnerKey, s.key)
	requireTime(t, now, tx.CreatedAt, s.key+" CreatedAt")
	want := s.rewards()
	require.Len(t, tx.Rewards, len(want), s.key)
	for i, r := range tx.Rewards {
		requireDecimal(t, want[i], r.Amount, fmt.Sprintf("%s rewards[%d]", s.key, i))
		require.Equal(t, commission.RewardInReview, r.Status, s.key)
		require.Equal(t, partner, r.PartnerKey, s.key)
		require.NotContains(t, m.rewardIDs(), r.ID, "reward id given twice")
		mt.rewards = append(mt.rewards, &modelReward{id: r.ID, amount: want[i]})
	}
	m.txs[s.key] = mt
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
	s := m.genSale(rapid.SampledFrom(modelKeys).Draw(t, "key"), create).Draw(t, "sale")
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
	for i := range sales {
		sales[i] = m.genSale(rapid.SampledFrom(modelKeys).Draw(t, "key"), rapid.Bool().Draw(t, "create")).Draw(t, "sale")
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
// it stored.
func (m *engineModel) requireBulk(t *rapid.T, sales []modelSale, ins []commission.TransactionInput, out []*commission.Transaction, err error) {
	t.Helper()
	n := len(sales)

	// Validation first: every invalid amount and repeated key is named.
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
	if len(fields) > 0 {
		var verr *commission.ValidationError
		require.ErrorAs(t, err, &verr)
		for _, f := range fields {
			_, ok := verr.Field(f)
			require.True(t, ok, "want an error on %s, got %v", f, err)
		}
		return // the invariant checks that nothing was stored
	}

	// Then each item in turn, seeing what the items before it created.
	newCustomers, newKeys := map[string]string{}, map[string]bool{}
	partners := make([]string, n)
	for i, s := range sales {
		partner, creates, want := m.outcome(s, newCustomers, newKeys)
		if want != nil {
			var ie *commission.ItemError
			require.ErrorAs(t, err, &ie, "transactions[%d] fails with %v", i, want)
			require.Equal(t, i, ie.Index)
			if want == commission.ErrDuplicateKey {
				m.requireDuplicate(t, err, s.key, m.txs[s.key].sale.sameSale(s))
			} else {
				require.ErrorIs(t, err, want)
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
	require.Len(t, out, n)
	for c, p := range newCustomers {
		m.customers[c] = p
	}
	for i, tx := range out {
		m.record(t, sales[i], ins[i], partners[i], tx)
	}
}

// retry sends a stored sale's input again, as a retried webhook would.
func (m *engineModel) retry(t *rapid.T) {
	used := m.usedKeys()
	if len(used) == 0 {
		t.Skip("no key used yet")
	}
	key := rapid.SampledFrom(used).Draw(t, "key")
	_, err := m.eng.CreateTransaction(ctx, m.txs[key].in)
	m.requireDuplicate(t, err, key, true)
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
	if mt == nil || mt.state == commission.TransactionDeleted {
		require.ErrorIs(t, err, commission.ErrNotFound)
		return
	}
	require.NoError(t, err)
	mt.state = commission.TransactionDeleted
}

func (m *engineModel) archive(t *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(t, "key")
	err := m.eng.ArchiveTransaction(ctx, key)
	mt := m.txs[key]
	switch {
	case mt == nil || mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state == commission.TransactionArchived:
		require.ErrorIs(t, err, commission.ErrAlreadyArchived)
	default:
		require.NoError(t, err)
		mt.state = commission.TransactionArchived
	}
}

func (m *engineModel) restore(t *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(t, "key")
	err := m.eng.RestoreTransaction(ctx, key)
	mt := m.txs[key]
	switch {
	case mt == nil || mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrNotFound)
	case mt.state == commission.TransactionActive:
		require.ErrorIs(t, err, commission.ErrNotArchived)
	default:
		require.NoError(t, err)
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
	case mt.state == commission.TransactionDeleted:
		// A reversed reward is not in review; a store may also hide it.
		require.Error(t, err)
		require.Truef(t, errIsAny(err, commission.ErrNotInReview, commission.ErrNotFound), "reward of a deleted sale: %v", err)
	case mt.state == commission.TransactionArchived || mt.statusAt(r, m.clock.Now()) != commission.RewardInReview:
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

func (m *engineModel) advance(t *rapid.T) {
	m.clock.Advance(rapid.SampledFrom([]time.Duration{time.Microsecond, time.Hour, 2 * 24 * time.Hour, 8 * 24 * time.Hour}).Draw(t, "by"))
}

// check is the invariant: the listing holds every sale not deleted, once,
// newest first, as the model has it (amount, customer, partner, state,
// rewards and their statuses as of the clock); each partner's rewards that
// count add up to the model's; the partner filter lists the model's sales
// of p0; deleted keys are not found.
func (m *engineModel) check(t *rapid.T) {
	now := m.clock.Now()
	listed := listAll(t, m.reader, commission.ListOptions{Limit: 4})
	seen := map[string]bool{}
	got := map[string]decimal.Decimal{}
	for _, tx := range listed {
		require.False(t, seen[tx.Key], "key %q listed twice", tx.Key)
		seen[tx.Key] = true
		mt := m.txs[tx.Key]
		require.NotNil(t, mt, "unknown key %q listed", tx.Key)
		require.NotEqual(t, commission.TransactionDeleted, mt.state, "deleted key %q listed", tx.Key)
		m.requireTx(t, mt, tx, now)
		for _, r := range tx.Rewards {
			if r.DeletedAt == nil && r.Status != commission.RewardRejected {
				got[r.PartnerKey] = got[r.PartnerKey].Add(r.Amount)
			}
		}
	}
	requireNewestFirst(t, listed)

	var wantListed, wantP0 []string
	want := map[string]decimal.Decimal{}
	for k, mt := range m.txs {
		if mt.state == commission.TransactionDeleted {
			_, err := m.reader.Transaction(ctx, k)
			require.ErrorIs(t, err, commission.ErrNotFound, "deleted key %q", k)
			continue
		}
		wantListed = append(wantListed, k)
		if mt.partner == "p0" {
			wantP0 = append(wantP0, k)
		}
		for _, r := range mt.rewards {
			if mt.counts(r) {
				want[mt.partner] = want[mt.partner].Add(r.amount)
			}
		}
	}
	require.Len(t, seen, len(wantListed), "listed transactions")
	for _, p := range modelPartners {
		requireDecimal(t, want[p], got[p], "partner "+p+"'s rewards that count")
	}
	require.ElementsMatch(t, wantP0, keysOf(listAll(t, m.reader, commission.ListOptions{PartnerKey: "p0", Limit: commission.MaxLimit})),
		"p0's transactions")
}

// requireCustomers checks that each of keys exists, with its partner, if
// and only if the model has it.
func (m *engineModel) requireCustomers(t *rapid.T, keys ...string) {
	t.Helper()
	for _, key := range keys {
		c, err := m.reader.Customer(ctx, commission.CustomerRef{Key: key})
		partner, exists := m.customers[key]
		if !exists {
			require.ErrorIs(t, err, commission.ErrNotFound, "customer %s", key)
			continue
		}
		require.NoError(t, err, "customer %s", key)
		require.Equal(t, partner, c.PartnerKey, "customer %s", key)
	}
}

func (m *engineModel) requireTx(t *rapid.T, mt *modelTx, tx *commission.Transaction, now time.Time) {
	t.Helper()
	key := tx.Key
	archived := mt.state == commission.TransactionArchived
	requireDecimal(t, mt.sale.amount, tx.Amount, key+" amount")
	require.Equal(t, mt.sale.customer, tx.CustomerKey, key)
	require.Equal(t, mt.partner, tx.PartnerKey, key)
	require.Equal(t, mt.state, tx.State, key)
	requireTime(t, mt.created, tx.CreatedAt, key+" CreatedAt")
	require.Equal(t, archived, tx.DeletedAt != nil, "%s deleted_at", key)
	require.Len(t, tx.Rewards, len(mt.rewards), key)
	for i, r := range tx.Rewards {
		want := mt.rewards[i]
		what := fmt.Sprintf("%s rewards[%d]", key, i)
		require.Equal(t, want.id, r.ID, what)
		requireDecimal(t, want.amount, r.Amount, what+" amount")
		require.Equal(t, mt.partner, r.PartnerKey, what)
		require.Equal(t, mt.statusAt(want, now), r.Status, what+" status at "+now.String())
		require.Equal(t, archived, r.DeletedAt != nil, what+" deleted_at")
	}
}

func testEngineModel(t *testing.T, h Harness) {
	s := h.New(t)
	peer := stores(t, h, s, 2)[1]
	check(t, func(rt *rapid.T) {
		prog := modelProgram()
		c := &clock{now: t0}
		eng, err := commission.New(s, prog, commission.WithClock(c.Now), commission.WithIDGenerator(idGenerator(prog.ID+"_id")))
		require.NoError(rt, err)
		reader, err := commission.New(peer, prog, commission.WithClock(c.Now))
		require.NoError(rt, err)
		m := &engineModel{
			eng: eng, reader: reader, clock: c,
			partners: map[string]bool{}, customers: map[string]string{}, txs: map[string]*modelTx{},
		}
		// A partner and a customer of it to start with, so that early
		// sales can succeed.
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p0", Email: "p0@partners.test"})
		require.NoError(rt, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c0", Partner: &commission.PartnerRef{Key: "p0"}})
		require.NoError(rt, err)
		m.partners["p0"], m.customers["c0"] = true, "p0"
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
			"retry":                     m.retry,
			"":                          m.check,
		})
	})
}
