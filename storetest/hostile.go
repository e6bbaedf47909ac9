package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Hostile inputs: request bodies a careless or malicious caller may send,
// each with its documented outcome. The cases are in hostile_cases.go;
// here is how each one runs and what every one must hold to: a refused
// input is refused by a short error naming its fields, or by a documented
// sentinel, and leaves the store as it found it; an accepted one is stored
// as the documentation says and reads back as it was returned.
func hostileTests() []subtest {
	return []subtest{
		{"refused by field or stored as documented", testHostileInputs},
	}
}

// hostileOp is the call a hostile case's body goes to.
type hostileOp int

const (
	opSale     hostileOp = iota // CreateTransaction of a TransactionInput
	opBulk                      // CreateTransactions of a BulkTransactionsInput's Inputs
	opPartner                   // CreatePartner of a PartnerInput
	opCustomer                  // CreateCustomer of a CustomerInput
)

// hostileCase is one hostile input and its documented outcome: exactly
// one of fields, want, syntax and stored is set.
type hostileCase struct {
	name string
	op   hostileOp
	body string
	// in replaces body where JSON cannot carry the input (encoding/json
	// reads invalid UTF-8 as U+FFFD): a pointer to op's input type.
	in any
	// fields: a *commission.ValidationError naming exactly these paths.
	fields []string
	// want: an error matching this sentinel with errors.Is.
	want error
	// syntax: a body encoding/json cannot read, which is no field's error.
	syntax bool
	// stored: accepted; checks what was stored, given what the call
	// returned (*Transaction, []*Transaction, *Partner or *Customer).
	stored func(t *testing.T, eng *commission.Engine, out any)
}

// maxMessage bounds every error message: a message repeats at most a
// little of each value, however long the value.
const maxMessage = 1024

// hostileNow is the clock of every hostile case's engine.
var hostileNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Every case runs in a program of its own on one store: a store per case
// would cost a schema each on a database.
func testHostileInputs(t *testing.T, h Harness) {
	s := h.New(t)
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			eng := hostileEngine(t, s)
			in, err := c.decode()
			before := observe(t, h, s, eng, in)
			var out any
			if err == nil {
				out, err = c.do(eng, in)
			}
			if c.stored != nil {
				require.NoError(t, err)
				requireReadsBack(t, eng, out)
				c.stored(t, eng, out)
				return
			}
			c.requireRefused(t, err)
			require.Equal(t, before, observe(t, h, s, eng, in), "a refused input stores nothing")
		})
	}
}

// hostileEngine is an engine on a new program of s, with partner p
// (p@x.test), its customer c (c@x.test) and c's sale s0 of 10.
func hostileEngine(t *testing.T, s commission.Store) *commission.Engine {
	t.Helper()
	prog := commission.Program{
		ID: newProgramID("hostile"), Kind: commission.Affiliate, Currency: "USD",
		CustomUnits: []string{"POINTS"},
		Rules:       commission.RuleSet{Default: commission.Percent(dec("10"))},
	}
	clk := &clock{now: hostileNow}
	eng, err := commission.New(s, prog, commission.WithClock(clk.Now))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p", Email: "p@x.test"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Email: "c@x.test",
		Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	ten := dec("10")
	_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s0", Amount: &ten,
		Customer: commission.CustomerInput{Key: "c"}})
	require.NoError(t, err)
	return eng
}

// decode returns the case's input, decoded from its body unless given.
func (c hostileCase) decode() (any, error) {
	if c.in != nil {
		return c.in, nil
	}
	var in any
	switch c.op {
	case opSale:
		in = new(commission.TransactionInput)
	case opBulk:
		in = new(commission.BulkTransactionsInput)
	case opPartner:
		in = new(commission.PartnerInput)
	case opCustomer:
		in = new(commission.CustomerInput)
	}
	return in, json.Unmarshal([]byte(c.body), in)
}

// do makes the call of the case's op with in.
func (c hostileCase) do(eng *commission.Engine, in any) (any, error) {
	switch in := in.(type) {
	case *commission.TransactionInput:
		return eng.CreateTransaction(ctx, *in)
	case *commission.BulkTransactionsInput:
		return eng.CreateTransactions(ctx, in.Inputs())
	case *commission.PartnerInput:
		return eng.CreatePartner(ctx, *in)
	case *commission.CustomerInput:
		return eng.CreateCustomer(ctx, *in)
	}
	panic("storetest: hostile case of no known input type")
}

// requireRefused checks that err is the case's documented refusal, in a
// short message.
func (c hostileCase) requireRefused(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err, "want the input refused")
	require.Less(t, len(err.Error()), maxMessage, "the message stays short")
	switch {
	case c.syntax:
		var syntax *json.SyntaxError
		require.ErrorAs(t, err, &syntax)
		require.NotErrorIs(t, err, commission.ErrInvalid)
	case c.want != nil:
		require.ErrorIs(t, err, c.want)
	default:
		requireFieldPaths(t, err, c.fields)
	}
}

// requireFieldPaths checks that err is a *ValidationError naming exactly
// paths, each with a message.
func requireFieldPaths(t *testing.T, err error, paths []string) {
	t.Helper()
	require.ErrorIs(t, err, commission.ErrInvalid)
	var verr *commission.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	got := make([]string, len(verr.Fields))
	for i, f := range verr.Fields {
		got[i] = f.Path
		require.NotEmpty(t, f.Message, "%s has a message", f.Path)
	}
	require.ElementsMatch(t, paths, got, "%v", err)
}

// requireReadsBack checks that what a create returned is what the store
// then reads.
func requireReadsBack(t *testing.T, eng *commission.Engine, out any) {
	t.Helper()
	var got any
	var err error
	switch out := out.(type) {
	case *commission.Transaction:
		got, err = eng.Transaction(ctx, out.Key)
	case []*commission.Transaction:
		for _, tr := range out {
			requireReadsBack(t, eng, tr)
		}
		return
	case *commission.Partner:
		got, err = eng.Partner(ctx, commission.PartnerRef{ID: out.ID})
	case *commission.Customer:
		got, err = eng.Customer(ctx, commission.CustomerRef{ID: out.ID})
	}
	require.NoError(t, err)
	want, err := json.Marshal(out)
	require.NoError(t, err)
	have, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(have))
}

// hostileSnapshot is what a refused input must leave as it was: every
// table's row count (when the harness can count them), every
// transaction, and how the partners and customers the input names read.
type hostileSnapshot struct {
	Rows  map[string]int
	Keys  []string
	Named []string
}

func observe(t *testing.T, h Harness, s commission.Store, eng *commission.Engine, in any) hostileSnapshot {
	t.Helper()
	var snap hostileSnapshot
	if h.Rows != nil {
		snap.Rows = h.Rows(t, s)
	}
	all := []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}
	snap.Keys = keysOf(listAll(t, eng, commission.ListOptions{Limit: commission.MaxLimit, States: all}))
	partners, customers := namedPeople(in)
	for _, ref := range partners {
		p, err := eng.Partner(ctx, ref)
		snap.Named = append(snap.Named, lookedUp(p, err))
	}
	for _, ref := range customers {
		c, err := eng.Customer(ctx, ref)
		snap.Named = append(snap.Named, lookedUp(c, err))
	}
	return snap
}

// lookedUp words the outcome of a lookup, so that two can be compared.
func lookedUp[T any](found *T, err error) string {
	switch {
	case err == nil:
		b, _ := json.Marshal(found)
		return string(b)
	case errors.Is(err, commission.ErrNotFound):
		return "not found"
	}
	return "error: " + err.Error()
}

// namedPeople returns the partners and customers an input names, to be
// created or referred to, each once.
func namedPeople(in any) ([]commission.PartnerRef, []commission.CustomerRef) {
	var customers []commission.CustomerRef
	switch in := in.(type) {
	case *commission.TransactionInput:
		customers = []commission.CustomerRef{in.Customer.Ref()}
	case *commission.BulkTransactionsInput:
		customers = []commission.CustomerRef{in.Customer.Ref()}
		for _, item := range in.Transactions {
			customers = append(customers, item.Customer.Ref())
		}
	case *commission.PartnerInput:
		return distinct([]commission.PartnerRef{{ID: in.ID}, {Key: in.Key}, {Email: in.Email}}), nil
	case *commission.CustomerInput:
		customers = []commission.CustomerRef{{ID: in.ID}, {Key: in.Key}, {Email: in.Email}}
	}
	return nil, distinct(customers)
}

// distinct returns refs without repeats and without the ref naming nobody.
func distinct[R comparable](refs []R) []R {
	var zero R
	seen := map[R]bool{zero: true}
	var out []R
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
