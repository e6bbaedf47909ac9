package commissiontest

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// Replay replays a history in a test, as the regression tests that Check
// prints do: each step is a call on Engine passed to Do (or a move of the
// clock by Advance), and after each the Invariants and the replay's
// properties are checked, as Check checked them.
type Replay struct {
	// Engine runs the program on a new memory store, on Clock, with ids
	// made from the program's ID as Check made them.
	Engine  *commission.Engine
	Clock   *Clock
	Context context.Context
	t       testing.TB
	r       *runner
}

// NewReplay starts a replay of p, whose steps are checked against the
// Invariants and props. An invalid program fails t.
func NewReplay(t testing.TB, p commission.Program, props ...Property) *Replay {
	t.Helper()
	r, err := newRunner(memstore.New(), p, props)
	if err != nil {
		t.Fatal(err)
	}
	return &Replay{Engine: r.eng, Clock: r.clock, Context: r.ctx, t: t, r: r}
}

// Do records a step the engine answered with v and err (v nil for a call
// that returns only an error), then checks everything: t fails on an
// error that is not a refusal (IsRefusal), or on the first invariant or
// property that does not hold.
func (rp *Replay) Do(v any, err error) {
	rp.t.Helper()
	if f := rp.r.do("", v, err); f != nil {
		rp.t.Fatalf("commissiontest: property %q failed after %d steps: %v", f.property, len(rp.r.history), f.err)
	}
}

// Advance moves the clock by d, a step checked as Do checks one.
func (rp *Replay) Advance(d time.Duration) {
	rp.t.Helper()
	rp.r.clock.Advance(d)
	rp.Do(nil, nil)
}

// Check checks the invariants and props now, as after a step, without
// doing one: for a test that drives the engine itself. t fails on the
// first that does not hold.
func (rp *Replay) Check(props ...Property) {
	rp.t.Helper()
	if err := rp.r.refresh(); err != nil {
		rp.t.Fatal(err)
	}
	if len(rp.r.history) == 0 {
		rp.r.history = append(rp.r.history, Step{})
	}
	v := rp.r.view()
	for _, p := range append(Invariants(), props...) {
		if err := p.Check(v); err != nil {
			rp.t.Fatalf("commissiontest: property %q: %v", p.Name, err)
		}
	}
}
