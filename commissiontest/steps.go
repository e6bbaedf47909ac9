package commissiontest

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The steps a Machine draws: people, sales, and moves of the clock.

var (
	partnerPool  = []string{"p1", "p2", "p3", "p4"}
	customerPool = []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	// clockMoves are how far the clock moves: a minute to three months,
	// across review periods and the days, weeks and months of limits;
	// a month first, which rapid draws most, to release rewards in review.
	clockMoves = []time.Duration{31 * 24 * time.Hour, time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 92 * 24 * time.Hour}
)

// createPartner creates a partner, now and then with tags the rules
// mention and under a partner made before, so that levels pay.
func (m *Machine) createPartner(t *rapid.T) (string, any, error) {
	in := commission.PartnerInput{Key: newKey(t, partnerPool, m.r.partnerKeys)}
	if rapid.Bool().Draw(t, "tagged") {
		in.Tags = rapidgen.Tags(Tags(m.r.prog)).Draw(t, "tags")
	}
	if len(m.r.partnerKeys) > 0 && rapid.Bool().Draw(t, "referred") {
		in.ReferringPartner = &commission.PartnerRef{Key: rapid.SampledFrom(m.r.partnerKeys).Draw(t, "referring_partner")}
	}
	p, err := m.r.eng.CreatePartner(m.r.ctx, in)
	return call("eng.CreatePartner(ctx, " + goPartnerInput(in) + ")"), p, err
}

// createCustomer creates a customer attributed to a partner (affiliate),
// or referred by a customer already made (refer-a-friend), mostly.
func (m *Machine) createCustomer(t *rapid.T) (string, any, error) {
	in := commission.CustomerInput{Key: newKey(t, customerPool, m.r.customerKeys)}
	switch {
	case m.r.prog.Kind == commission.Affiliate:
		in.Partner = &commission.PartnerRef{Key: rapid.SampledFrom(m.r.partnerKeys).Draw(t, "partner")}
	case len(m.r.customerKeys) > 0 && !rapidgen.OneIn(t, "unreferred", 4):
		in.ReferringCustomer = &commission.CustomerRef{Key: rapid.SampledFrom(m.r.customerKeys).Draw(t, "referring_customer")}
	}
	c, err := m.r.eng.CreateCustomer(m.r.ctx, in)
	return call("eng.CreateCustomer(ctx, " + goCustomerInput(in) + ")"), c, err
}

// sale records a sale of a customer made before.
func (m *Machine) sale(t *rapid.T) (string, any, error) {
	in := m.drawSale(t)
	tx, err := m.r.eng.CreateTransaction(m.r.ctx, in)
	return call("eng.CreateTransaction(ctx, " + goTransactionInput(in) + ")"), tx, err
}

func (m *Machine) drawSale(t *rapid.T) commission.TransactionInput {
	customer := rapid.SampledFrom(m.r.customerKeys).Draw(t, "customer")
	return Sale(m.r.prog, m.newKey("t"), customer).Draw(t, "sale")
}

// bulk records two or three sales at once.
func (m *Machine) bulk(t *rapid.T) (string, any, error) {
	ins := make([]commission.TransactionInput, rapid.IntRange(2, 3).Draw(t, "bulk"))
	src := "[]commission.TransactionInput{"
	for i := range ins {
		ins[i] = m.drawSale(t)
		if i > 0 {
			src += ", "
		}
		src += goTransactionInput(ins[i])
	}
	txs, err := m.r.eng.CreateTransactions(m.r.ctx, ins)
	return call("eng.CreateTransactions(ctx, " + src + "})"), txs, err
}

// deleteOrArchive deletes or archives a sale (archived sales are never
// restored: see CapsNeverExceeded).
func (m *Machine) deleteOrArchive(t *rapid.T) (string, any, error) {
	key := rapid.SampledFrom(m.r.saleKeys).Draw(t, "sale")
	if rapid.Bool().Draw(t, "archive") {
		return callErr("eng.ArchiveTransaction(ctx, " + quote(key) + ")"), nil, m.r.eng.ArchiveTransaction(m.r.ctx, key)
	}
	return callErr("eng.DeleteTransaction(ctx, " + quote(key) + ")"), nil, m.r.eng.DeleteTransaction(m.r.ctx, key)
}

// advance moves the clock.
func (m *Machine) advance(t *rapid.T) (string, any, error) {
	d := rapid.SampledFrom(clockMoves).Draw(t, "advance")
	m.r.clock.Advance(d)
	return "r.Advance(" + goDuration(d) + ")", nil, nil
}

// newKey is the first key of pool not in used, or now and then (or when
// pool is used up) any key of pool: a duplicate, refused.
func newKey(t *rapid.T, pool, used []string) string {
	for _, k := range pool {
		if !slices.Contains(used, k) && !rapidgen.OneIn(t, "duplicate", 8) {
			return k
		}
	}
	return rapid.SampledFrom(pool).Draw(t, "duplicate_key")
}

// half is about half of d, in whole cents, at least 0.01.
func half(d decimal.Decimal) decimal.Decimal {
	return decimal.Max(d.Div(decimal.NewFromInt(2)).RoundDown(2), decimal.New(1, -2))
}
