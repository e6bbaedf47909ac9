package commissiontest

import (
	"strconv"

	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// Machine draws and does the steps of one history of a program, checking
// the invariants and the properties after each. Check and Run drive one
// per rapid run; a rapid test of one's own may drive one too, between
// its own draws.
type Machine struct {
	r      *runner
	nextTx int // numbers new sale and refund keys
}

// NewMachine starts a history of p on a store of cfg's (a new memory
// store when cfg.Store is nil), on a fake clock at 2025-01-01 00:00 UTC,
// with ids made from p.ID. An invalid program is an error.
func NewMachine(p commission.Program, cfg Config, props ...Property) (*Machine, error) {
	var store commission.Store = memstore.New()
	if cfg.Store != nil {
		store = cfg.Store()
	}
	r, err := newRunner(store, p, props, cfg.Options...)
	if err != nil {
		return nil, err
	}
	return &Machine{r: r}, nil
}

// View is what the properties saw after the last step (nil before the
// first).
func (m *Machine) View() *View {
	if len(m.r.history) == 0 {
		return nil
	}
	return m.r.view()
}

// Steps is the history so far.
func (m *Machine) Steps() []Step { return m.r.history }

// Step draws one step that the history so far allows, does it and checks
// everything after it. It returns the first invariant or property that
// does not hold, or a failure of the engine, with the history and the
// regression test; nil when all hold.
func (m *Machine) Step(t *rapid.T) *Failure {
	goSrc, v, err := m.draw(t)
	if f := m.r.do(goSrc, v, err); f != nil {
		return m.failure(f)
	}
	return nil
}

// draw draws a kind of step from a list that never changes, so that a
// step keeps its meaning when rapid removes one before it, and draws again
// while the history does not allow it; then it draws the step and does
// it.
func (m *Machine) draw(t *rapid.T) (string, any, error) {
	ops := m.ops()
	var kinds []int
	for i, op := range ops {
		for range op.weight {
			kinds = append(kinds, i)
		}
	}
	for range 20 {
		if op := ops[kinds[rapid.IntRange(0, len(kinds)-1).Draw(t, "step")]]; op.can {
			return op.do(t)
		}
	}
	return m.advance(t)
}

// op is one kind of step: whether the history allows it, how often it is
// drawn, and how it is drawn and done.
type op struct {
	can    bool
	weight int
	do     func(*rapid.T) (goSrc string, v any, err error)
}

func (m *Machine) ops() []op {
	r := m.r
	affiliate := r.prog.Kind == commission.Affiliate
	earners, payable := r.customerKeys, m.payable()
	if affiliate {
		earners = r.partnerKeys
	}
	// rapid draws the first kinds most: sales first, then what they
	// need, then the money after them.
	return []op{
		{len(r.customerKeys) > 0, 5, m.sale},
		{!affiliate || len(r.partnerKeys) > 0, 2, m.createCustomer},
		{affiliate, 2, m.createPartner},
		{true, 2, m.advance},
		{len(payable) > 0, 3, func(t *rapid.T) (string, any, error) { return m.createPayout(t, payable) }},
		{len(r.payoutIDs) > 0, 2, m.settlePayout},
		{len(r.saleKeys) > 0, 2, m.refund},
		{len(m.inReview()) > 0, 1, m.decide},
		{len(r.customerKeys) > 0, 1, m.bulk},
		{len(r.saleKeys) > 0, 1, m.deleteOrArchive},
		{len(earners) > 0, 1, func(t *rapid.T) (string, any, error) { return m.createPayout(t, earners) }},
	}
}

// newKey numbers a new key: "t1", "r2", ...
func (m *Machine) newKey(prefix string) string {
	m.nextTx++
	return prefix + strconv.Itoa(m.nextTx)
}

// call is the statement that does a step which returns a value and an
// error.
func call(expr string) string { return "r.Do(" + expr + ")" }

// callErr is the statement that does a step which returns an error only.
func callErr(expr string) string { return "r.Do(nil, " + expr + ")" }
