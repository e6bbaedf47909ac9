package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestIdenticalAcrossStoresRapid draws a random program and a random
// history of operations, and runs the history on one engine per store:
// the memory store, SQLite, and PostgreSQL and MySQL when the harness
// finds them. After every operation each SQL store's outcome (the error's
// sentinels and details, or the returned value's JSON and the fields JSON
// leaves out) must be the memory store's; at the end, so must the full
// listing, every transaction, reward, partner and customer.
//
// Every check shares one database per store and runs in a program of its
// own (stores isolate programs), so that no schema is created per check.
// The engines share one fake clock, advanced by the history, and each has
// its own counter for ids, so that ids match across stores.
func TestIdenticalAcrossStoresRapid(t *testing.T) {
	defaultRapidChecks(t, rapidChecks)
	stores := rapidStores(t)
	var programs atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		p := rapidgen.Program().Draw(rt, "program")
		p.ID = "rapid_" + strconv.FormatInt(programs.Add(1), 10)
		w := newRapidWorld(rt, stores, p)
		w.setUp()
		ops := rapid.IntRange(rapidMinOps, rapidMaxOps).Draw(rt, "ops")
		for i := range ops {
			op := rapid.SampledFrom(historyOps).Draw(rt, "op")
			w.step = fmt.Sprintf("op %d (%s)", i+1, op.name)
			op.run(w)
		}
		w.step = "final"
		w.compareEverything()
	})
}

// A history has rapidMinOps to rapidMaxOps operations, and the test runs
// rapidChecks of them unless -rapid.checks or RAPID_CHECKS says otherwise
// (-short: a fifth). Under -race the test takes 15 to 25s with all three
// databases, most of it in SQLite (pure Go, slow under -race).
const (
	rapidMinOps, rapidMaxOps = 5, 40
	rapidChecks              = 50
)

// defaultRapidChecks sets -rapid.checks to n for the test, unless it was
// given on the command line or by RAPID_CHECKS.
func defaultRapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil || os.Getenv("RAPID_CHECKS") != "" {
		return
	}
	set := false
	flag.Visit(func(g *flag.Flag) { set = set || g == f })
	if set {
		return
	}
	old := f.Value.String()
	require.NoError(t, f.Value.Set(strconv.Itoa(n)))
	t.Cleanup(func() { f.Value.Set(old) })
}

// rapidStore is one store under comparison.
type rapidStore struct {
	name  string
	store commission.Store
}

// rapidStores returns the memory store, then one fresh, migrated database
// per SQL dialect: SQLite always, PostgreSQL and MySQL when their DSN is
// set (a missing one fails the test under COMMISSION_REQUIRE_DB=1, as in
// every database test).
func rapidStores(t *testing.T) []rapidStore {
	out := []rapidStore{{"memstore", memstore.New()}}
	env := map[sqlstore.Dialect]string{sqlstore.Postgres: "COMMISSION_TEST_POSTGRES", sqlstore.MySQL: "COMMISSION_TEST_MYSQL"}
	for _, d := range dialects {
		if e := env[d]; e != "" && os.Getenv(e) == "" && os.Getenv("COMMISSION_REQUIRE_DB") != "1" {
			t.Logf("%s is not set: comparing without %s", e, d)
			continue
		}
		out = append(out, rapidStore{d.String(), newDatabase(t, d).open(t)})
	}
	return out
}

// Pools the history draws names from. Keys that differ only in case or
// by a trailing space are distinct on every store; emails that differ
// only in case are distinct too, but self-referral compares them
// case-insensitively.
var (
	rapidPartnerKeys  = []string{"p1", "p2", "p3", "p4", "P1", "p1 ", "pärtner/ü"}
	rapidCustomerKeys = []string{"c1", "c2", "c3", "c4", "c5", "C1", "c1 ", "c" + strings.Repeat("é", 127)} // the last is 255 bytes
	rapidEmails       = []string{"ann@example.com", "Ann@Example.com", "bob@example.com", "cy@example.com", "dee@example.com"}
	rapidNames        = []string{"", "Ann", "Zoë", "O'Brien"}
)

// ---------------------------------------------------------------------------
// Histories

// rapidWorld is one check: one engine per store on one program, the shared
// clock, and what the memory store's engine has shown so far, so that
// later operations can name what exists.
type rapidWorld struct {
	t       *rapid.T
	ctx     context.Context
	prog    commission.Program
	stores  []rapidStore
	engines []*commission.Engine
	now     time.Time
	step    string

	txKeys     []string // every transaction key used, stored or not
	rewardIDs  []string
	held       []string                      // reward ids shown held in review
	archived   []string                      // keys archived
	unrewarded []string                      // keys of sales shown with no reward that counts
	sent       []commission.TransactionInput // sales created
	partners   []commission.Partner          // created, as first returned
	customers  []commission.Customer         // created (from sales: id and key only)
	nextKey    int
	ids        *int // how many ids the memory store's engine generated
}

// rapidRates converts EUR at a rate that depends on the day, finer than
// 18 places on even days (so that it is rounded); it has no rate for JPY.
type rapidRates struct{}

func (rapidRates) Rate(_ context.Context, from, _ string, at time.Time) (decimal.Decimal, error) {
	if from != "EUR" {
		return decimal.Decimal{}, fmt.Errorf("no rate for %s", from)
	}
	rate := decimal.New(1080+int64(at.UTC().Day()%10), -3)
	if at.UTC().Day()%2 == 0 {
		rate = rate.Add(decimal.New(7, -19))
	}
	return rate, nil
}

func newRapidWorld(t *rapid.T, stores []rapidStore, p commission.Program) *rapidWorld {
	w := &rapidWorld{
		t: t, ctx: context.Background(), prog: p, stores: stores,
		// Near the end of a month, a week and a day: the clock crosses
		// spend limit buckets early. Nanoseconds are truncated.
		now: time.Date(2025, 3, 30, 23, 58, 40, 123456789, time.UTC),
	}
	multiCurrency := rapid.Bool().Draw(t, "multi_currency")
	for i, s := range stores {
		n := new(int)
		if i == 0 {
			w.ids = n
		}
		opts := []commission.Option{
			commission.WithClock(func() time.Time { return w.now }),
			commission.WithIDGenerator(func() string { *n++; return "id_" + strconv.Itoa(*n) }),
		}
		if multiCurrency {
			opts = append(opts, commission.WithRates(rapidRates{}))
		}
		e, err := commission.New(s.store, p, opts...)
		require.NoError(t, err, "rapidgen.Program drew an invalid program: %+v", p)
		w.engines = append(w.engines, e)
	}
	t.Logf("program: %s", rapidJSON(t, p))
	return w
}

// setUp creates a few partners (affiliate) and customers first, with the
// operations a history draws, so that most histories sell to someone.
func (w *rapidWorld) setUp() {
	if w.prog.Kind == commission.Affiliate {
		for i := range rapid.IntRange(1, 4).Draw(w.t, "setup_partners") {
			w.step = fmt.Sprintf("setup partner %d", i+1)
			w.opPartner()
		}
	}
	for i := range rapid.IntRange(1, 4).Draw(w.t, "setup_customers") {
		w.step = fmt.Sprintf("setup customer %d", i+1)
		w.opCustomer()
	}
}

// do runs op on every engine as compare does, records what the memory
// store's value shows (keys, reward ids, partners, customers), and
// reports whether op succeeded.
func (w *rapidWorld) do(what string, op func(e *commission.Engine) (any, error)) bool {
	w.t.Helper()
	ref, ok := w.compare(what, op)
	w.harvest(ref)
	return ok
}

// compare runs op on every engine, the memory store's first, and fails
// unless every outcome is the memory store's. It returns the memory
// store's value (nil on an error) and whether op succeeded.
func (w *rapidWorld) compare(what string, op func(e *commission.Engine) (any, error)) (any, bool) {
	w.t.Helper()
	w.t.Logf("%s: %s", w.step, what)
	var want string
	var ref any
	ok := false
	for i, e := range w.engines {
		v, err := op(e)
		got := rapidOutcome(w.t, v, err)
		if i == 0 {
			want, ok = got, err == nil
			if ok {
				ref = v
			}
			continue
		}
		if got != want {
			w.t.Fatalf("%s: %s: %s differs from %s\n%s: %s\n%s: %s",
				w.step, what, w.stores[i].name, w.stores[0].name, w.stores[0].name, want, w.stores[i].name, got)
		}
	}
	w.t.Logf("  -> %s", want)
	return ref, ok
}

// harvest records the transaction keys, reward ids, partners and customers
// that v shows.
func (w *rapidWorld) harvest(v any) {
	addTx := func(t *commission.Transaction) {
		if t == nil {
			return
		}
		if !slices.Contains(w.txKeys, t.Key) {
			w.txKeys = append(w.txKeys, t.Key)
		}
		counts := slices.ContainsFunc(t.Rewards, func(r commission.Reward) bool { return r.Status != commission.RewardRejected })
		if !counts && !slices.Contains(w.unrewarded, t.Key) {
			w.unrewarded = append(w.unrewarded, t.Key)
		}
		for _, r := range t.Rewards {
			if !slices.Contains(w.rewardIDs, r.ID) {
				w.rewardIDs = append(w.rewardIDs, r.ID)
			}
			if r.Status == commission.RewardInReview && !slices.Contains(w.held, r.ID) {
				w.held = append(w.held, r.ID)
			}
		}
	}
	addCustomer := func(c commission.Customer) {
		if !slices.ContainsFunc(w.customers, func(d commission.Customer) bool { return d.ID == c.ID }) {
			w.customers = append(w.customers, c)
		}
	}
	switch v := v.(type) {
	case *commission.Transaction:
		addTx(v)
		addCustomer(commission.Customer{ID: v.CustomerID, Key: v.CustomerKey})
	case []*commission.Transaction:
		for _, t := range v {
			addTx(t)
			addCustomer(commission.Customer{ID: t.CustomerID, Key: t.CustomerKey})
		}
	case *commission.Customer:
		addCustomer(*v)
	case *commission.Partner:
		if !slices.ContainsFunc(w.partners, func(p commission.Partner) bool { return p.ID == v.ID }) {
			w.partners = append(w.partners, *v)
		}
	}
}

// historyOp is one kind of operation of a history; weight is how often it
// is drawn, relative to the others.
type historyOp struct {
	name   string
	weight int
	run    func(w *rapidWorld)
}

var historyOps = func() []historyOp {
	var out []historyOp
	for _, op := range []historyOp{
		{"sale", 8, (*rapidWorld).opSale},
		{"bulk", 3, (*rapidWorld).opBulk},
		{"retry", 1, (*rapidWorld).opRetry},
		{"partner", 3, (*rapidWorld).opPartner},
		{"customer", 3, (*rapidWorld).opCustomer},
		{"clock", 4, (*rapidWorld).opClock},
		{"delete", 1, (*rapidWorld).opDelete},
		{"archive", 2, (*rapidWorld).opArchive},
		{"restore", 2, (*rapidWorld).opRestore},
		{"approve", 2, (*rapidWorld).opApprove},
		{"reject", 2, (*rapidWorld).opReject},
		{"make_rewardable", 2, (*rapidWorld).opMakeRewardable},
		{"partner_status", 1, (*rapidWorld).opPartnerStatus},
		{"partner_commission", 1, (*rapidWorld).opPartnerCommission},
		{"customer_status", 1, (*rapidWorld).opCustomerStatus},
		{"partner_update", 1, (*rapidWorld).opPartnerUpdate},
		{"customer_update", 1, (*rapidWorld).opCustomerUpdate},
		{"delete_person", 1, (*rapidWorld).opDeletePerson},
		{"list_people", 1, (*rapidWorld).opListPeople},
		{"read", 1, (*rapidWorld).opRead},
		{"list", 1, (*rapidWorld).opList},
		{"preview", 1, (*rapidWorld).opPreview},
	} {
		for range op.weight {
			out = append(out, op)
		}
	}
	return out
}()

func (w *rapidWorld) opSale() {
	in := w.genSale("sale")
	if w.do("CreateTransaction "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.CreateTransaction(w.ctx, in)
	}) && in.Key != "" {
		w.sent = append(w.sent, in)
	}
}

// opRetry sends a sale created before again, as it was: a retry.
func (w *rapidWorld) opRetry() {
	if len(w.sent) == 0 {
		w.opSale()
		return
	}
	in := rapid.SampledFrom(w.sent).Draw(w.t, "retried")
	w.do("CreateTransaction (retry) "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.CreateTransaction(w.ctx, in)
	})
}

func (w *rapidWorld) opBulk() {
	ins := make([]commission.TransactionInput, rapid.IntRange(1, 4).Draw(w.t, "bulk_size"))
	for i := range ins {
		ins[i] = w.genSale("bulk")
	}
	w.do("CreateTransactions "+rapidJSON(w.t, ins), func(e *commission.Engine) (any, error) {
		return e.CreateTransactions(w.ctx, ins)
	})
}

func (w *rapidWorld) opPartner() {
	var in commission.PartnerInput
	switch {
	case rapidgen.OneIn(w.t, "partner_generated_id", 8):
	case rapidgen.OneIn(w.t, "partner_by_id", 5):
		in.ID = "pid_" + rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, "partner_id")
		in.Key = rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, "partner_key")
	default:
		in.Key = rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, "partner_key")
	}
	if rapid.Bool().Draw(w.t, "partner_has_email") {
		in.Email = rapid.SampledFrom(rapidEmails).Draw(w.t, "partner_email")
	}
	in.Name = rapid.SampledFrom(rapidNames).Draw(w.t, "partner_name")
	if rapidgen.OneIn(w.t, "partner_has_tags", 3) {
		in.Tags = rapidgen.Tags(rapidgen.PartnerTags).Draw(w.t, "partner_tags")
	}
	if (len(w.partners) > 0 || rapidgen.OneIn(w.t, "first_partner_referred", 10)) && !rapidgen.OneIn(w.t, "partner_not_referred", 2) {
		ref := w.genPartnerRef("referring_partner")
		in.ReferringPartner = &ref
	}
	in.Status = rapid.SampledFrom([]commission.PartnerStatus{"", "", "", commission.PartnerPending, commission.PartnerArchived}).Draw(w.t, "partner_status")
	if rapidgen.OneIn(w.t, "partner_has_commission", 4) {
		c := rapidgen.Schedule(rapidgen.ProgramCommission(&w.prog)).Draw(w.t, "partner_commission")
		in.Commission = &c
	}
	w.do("CreatePartner "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.CreatePartner(w.ctx, in)
	})
}

func (w *rapidWorld) opCustomer() {
	in := w.genNewCustomer("new_customer")
	w.do("CreateCustomer "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.CreateCustomer(w.ctx, in)
	})
}

func (w *rapidWorld) opClock() {
	d := rapid.SampledFrom([]time.Duration{
		time.Microsecond, time.Second, 10 * time.Minute, time.Hour, 25 * time.Hour, 7 * 24 * time.Hour, 31 * 24 * time.Hour,
	}).Draw(w.t, "advance")
	w.now = w.now.Add(d)
	w.t.Logf("%s: the clock is now %s", w.step, w.now.Format(time.RFC3339Nano))
}

func (w *rapidWorld) opDelete() {
	key := w.genTxKey()
	w.do("DeleteTransaction "+strconv.Quote(key), func(e *commission.Engine) (any, error) {
		return nil, e.DeleteTransaction(w.ctx, key)
	})
}

func (w *rapidWorld) opArchive() {
	key := w.genTxKey()
	if w.do("ArchiveTransaction "+strconv.Quote(key), func(e *commission.Engine) (any, error) {
		return nil, e.ArchiveTransaction(w.ctx, key)
	}) {
		w.archived = append(w.archived, key)
	}
}

func (w *rapidWorld) opRestore() {
	key := w.genTxKey()
	if len(w.archived) > 0 && !rapidgen.OneIn(w.t, "restore_any", 3) {
		key = rapid.SampledFrom(w.archived).Draw(w.t, "restore_archived")
	}
	w.do("RestoreTransaction "+strconv.Quote(key), func(e *commission.Engine) (any, error) {
		return nil, e.RestoreTransaction(w.ctx, key)
	})
}

func (w *rapidWorld) opApprove() {
	id := w.genRewardID()
	w.do("ApproveReward "+strconv.Quote(id), func(e *commission.Engine) (any, error) {
		return nil, e.ApproveReward(w.ctx, id)
	})
}

func (w *rapidWorld) opReject() {
	id := w.genRewardID()
	reason := rapid.SampledFrom([]string{"", "fraud", "frɑud ✓ «duplicate»"}).Draw(w.t, "reason")
	w.do("RejectReward "+strconv.Quote(id)+" "+strconv.Quote(reason), func(e *commission.Engine) (any, error) {
		return nil, e.RejectReward(w.ctx, id, reason)
	})
}

func (w *rapidWorld) opMakeRewardable() {
	key := w.genTxKey()
	if len(w.unrewarded) > 0 && !rapidgen.OneIn(w.t, "rewardable_any", 3) {
		key = rapid.SampledFrom(w.unrewarded).Draw(w.t, "unrewarded_key")
	}
	w.do("MakeRewardable "+strconv.Quote(key), func(e *commission.Engine) (any, error) {
		return e.MakeRewardable(w.ctx, key)
	})
}

func (w *rapidWorld) opPartnerStatus() {
	ref := w.genPartnerRef("status_partner")
	status := rapid.SampledFrom([]commission.PartnerStatus{commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived}).Draw(w.t, "new_partner_status")
	w.do("SetPartnerStatus "+rapidJSON(w.t, ref)+" "+string(status), func(e *commission.Engine) (any, error) {
		return e.SetPartnerStatus(w.ctx, ref, status)
	})
}

func (w *rapidWorld) opPartnerCommission() {
	ref := w.genPartnerRef("commission_partner")
	var c *commission.Commission
	if !rapidgen.OneIn(w.t, "remove_partner_commission", 4) {
		cc := rapidgen.Schedule(rapidgen.ProgramCommission(&w.prog)).Draw(w.t, "new_partner_commission")
		c = &cc
	}
	w.do("SetPartnerCommission "+rapidJSON(w.t, ref)+" "+rapidJSON(w.t, c), func(e *commission.Engine) (any, error) {
		return e.SetPartnerCommission(w.ctx, ref, c)
	})
}

func (w *rapidWorld) opCustomerStatus() {
	ref := w.genCustomerRef("status_customer")
	status := rapid.SampledFrom([]commission.CustomerStatus{commission.CustomerActive, commission.CustomerSuspended}).Draw(w.t, "new_customer_status")
	w.do("SetCustomerStatus "+rapidJSON(w.t, ref)+" "+string(status), func(e *commission.Engine) (any, error) {
		return e.SetCustomerStatus(w.ctx, ref, status)
	})
}

// genPersonal draws the personal fields an update sets: each, or not.
func (w *rapidWorld) genPersonal(label string) (email, name, surname *string, tags *[]string) {
	pick := func(what string, from []string) *string {
		if !rapid.Bool().Draw(w.t, label+"_sets_"+what) {
			return nil
		}
		v := rapid.SampledFrom(from).Draw(w.t, label+"_"+what)
		return &v
	}
	email = pick("email", append([]string{""}, rapidEmails...))
	name, surname = pick("name", rapidNames), pick("surname", rapidNames)
	if rapid.Bool().Draw(w.t, label+"_sets_tags") {
		t := rapidgen.Tags(rapidgen.PartnerTags).Draw(w.t, label+"_tags")
		tags = &t
	}
	return email, name, surname, tags
}

func (w *rapidWorld) opPartnerUpdate() {
	ref := w.genPartnerRef("update_partner")
	var in commission.PartnerUpdate
	in.Email, in.Name, in.Surname, in.Tags = w.genPersonal("partner_update")
	w.do("UpdatePartner "+rapidJSON(w.t, ref)+" "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.UpdatePartner(w.ctx, ref, in)
	})
}

func (w *rapidWorld) opCustomerUpdate() {
	ref := w.genCustomerRef("update_customer")
	var in commission.CustomerUpdate
	in.Email, in.Name, in.Surname, in.Tags = w.genPersonal("customer_update")
	w.do("UpdateCustomer "+rapidJSON(w.t, ref)+" "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) {
		return e.UpdateCustomer(w.ctx, ref, in)
	})
}

func (w *rapidWorld) opDeletePerson() {
	if rapid.Bool().Draw(w.t, "delete_partner") {
		ref := w.genPartnerRef("deleted_partner")
		w.do("DeletePartner "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.DeletePartner(w.ctx, ref) })
		return
	}
	ref := w.genCustomerRef("deleted_customer")
	w.do("DeleteCustomer "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.DeleteCustomer(w.ctx, ref) })
}

// opListPeople lists partners or customers: their cursors hold a time
// and an id, the same on every store, so pages compare as they are.
func (w *rapidWorld) opListPeople() {
	limit := rapid.SampledFrom([]int{0, 1, 2, 5}).Draw(w.t, "people_limit")
	page := rapid.IntRange(0, 3).Draw(w.t, "people_page")
	if rapid.Bool().Draw(w.t, "list_partners") {
		opts := commission.PartnerListOptions{Limit: limit, Page: page}
		switch rapid.IntRange(0, 3).Draw(w.t, "partners_filter") {
		case 1:
			opts.Statuses = []commission.PartnerStatus{rapid.SampledFrom([]commission.PartnerStatus{
				commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived, commission.PartnerDeleted}).Draw(w.t, "partners_status")}
		case 2:
			opts.Tag = rapid.SampledFrom(rapidgen.PartnerTags).Draw(w.t, "partners_tag")
		case 3:
			opts.Email = rapid.SampledFrom(rapidEmails).Draw(w.t, "partners_email")
		}
		w.do("Partners "+rapidJSON(w.t, opts), func(e *commission.Engine) (any, error) { return e.Partners(w.ctx, opts) })
		return
	}
	opts := commission.CustomerListOptions{Limit: limit, Page: page}
	if rapid.Bool().Draw(w.t, "customers_by_partner") {
		ref := w.genPartnerRef("customers_partner")
		opts.Partner = &ref
	}
	if rapid.Bool().Draw(w.t, "customers_by_status") {
		opts.Statuses = []commission.CustomerStatus{rapid.SampledFrom([]commission.CustomerStatus{
			commission.CustomerActive, commission.CustomerSuspended, commission.CustomerDeleted}).Draw(w.t, "customers_status")}
	}
	w.do("Customers "+rapidJSON(w.t, opts), func(e *commission.Engine) (any, error) { return e.Customers(w.ctx, opts) })
}

func (w *rapidWorld) opRead() {
	switch rapid.IntRange(0, 3).Draw(w.t, "read") {
	case 0:
		key := w.genTxKey()
		w.do("Transaction "+strconv.Quote(key), func(e *commission.Engine) (any, error) { return e.Transaction(w.ctx, key) })
	case 1:
		id := w.genRewardID()
		w.do("Reward "+strconv.Quote(id), func(e *commission.Engine) (any, error) { return e.Reward(w.ctx, id) })
	case 2:
		ref := w.genPartnerRef("read_partner")
		w.do("Partner "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.Partner(w.ctx, ref) })
	case 3:
		ref := w.genCustomerRef("read_customer")
		w.do("Customer "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.Customer(w.ctx, ref) })
	}
}

func (w *rapidWorld) opList() {
	opts := commission.ListOptions{
		Limit: rapid.SampledFrom([]int{0, 1, 2, 5, commission.MaxLimit}).Draw(w.t, "list_limit"),
		Page:  rapid.IntRange(0, 3).Draw(w.t, "list_page"),
	}
	switch rapid.IntRange(0, 3).Draw(w.t, "list_filter") {
	case 1:
		opts.PartnerKey = rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, "list_partner")
	case 2:
		opts.CustomerKey = rapid.SampledFrom(rapidCustomerKeys).Draw(w.t, "list_customer")
	}
	w.do("Transactions "+rapidJSON(w.t, opts), func(e *commission.Engine) (any, error) { return e.Transactions(w.ctx, opts) })
}

func (w *rapidWorld) opPreview() {
	in := w.genSale("preview")
	// Compared only: nothing it shows is stored.
	w.compare("Preview "+rapidJSON(w.t, in), func(e *commission.Engine) (any, error) { return e.Preview(w.ctx, in) })
}

// genSale draws a sale: a new key mostly (sometimes a used one, or none),
// an amount with up to 2 places or product lines, a product, sometimes a
// set reward, another currency, a backdated created_at, and a customer
// that exists or is created with it.
func (w *rapidWorld) genSale(label string) commission.TransactionInput {
	t := w.t
	var in commission.TransactionInput
	switch {
	case rapidgen.OneIn(t, label+"_generated_key", 12):
	case rapidgen.OneIn(t, label+"_used_key", 10):
		in.Key = w.genTxKey()
	default:
		w.nextKey++
		in.Key = "t" + strconv.Itoa(w.nextKey)
	}
	if rapidgen.OneIn(t, label+"_multi_product", 4) {
		w.genLines(label, &in)
	} else {
		w.genAmount(label, &in)
	}
	if rapidgen.OneIn(t, label+"_set_reward", 8) {
		r := rapidgen.Cents(0, 20000).Draw(t, label+"_reward")
		in.Reward = &r
	}
	units := []string{"", "", "", "", "", "", w.prog.Currency, "EUR", "JPY"}
	if len(w.prog.CustomUnits) > 0 {
		units = append(units, w.prog.CustomUnits...)
	}
	in.AmountUnits = rapid.SampledFrom(units).Draw(t, label+"_units")
	in.Action = rapid.SampledFrom([]string{"", "", "", "sale", "renewal"}).Draw(t, label+"_action")
	switch {
	case rapidgen.OneIn(t, label+"_not_rewardable", 12):
		f := false
		in.Rewardable = &f
	case rapidgen.OneIn(t, label+"_rewarded", 12):
		in.Rewarded = true
	}
	switch {
	case rapidgen.OneIn(t, label+"_backdated", 4):
		at := w.now.Add(-time.Duration(rapid.Int64Range(0, 45*24*60).Draw(t, label+"_minutes_ago"))*time.Minute -
			time.Duration(rapid.Int64Range(0, 999_999_999).Draw(t, label+"_nanos_ago")))
		in.CreatedAt = &at
	case rapidgen.OneIn(t, label+"_future", 30): // invalid
		at := w.now.Add(time.Hour)
		in.CreatedAt = &at
	}
	w.genSaleCustomer(label, &in)
	return in
}

// genLines draws one to three product lines for in, sometimes with the
// amount they add up to (or, invalid, another), sometimes a product type
// the lines share.
func (w *rapidWorld) genLines(label string, in *commission.TransactionInput) {
	t := w.t
	in.Products = make([]commission.ProductLine, rapid.IntRange(1, 3).Draw(t, label+"_lines"))
	sum := decimal.Zero
	for i := range in.Products {
		l := &in.Products[i]
		l.ProductID = rapid.SampledFrom(rapidgen.ProductIDs).Draw(t, label+"_line_product_id")
		if rapid.Bool().Draw(t, label+"_line_has_type") {
			l.ProductType = rapid.SampledFrom(rapidgen.ProductTypes).Draw(t, label+"_line_product_type")
		}
		l.ProductPrice = rapidgen.Cents(0, 100000).Draw(t, label+"_line_price")
		sum = sum.Add(l.ProductPrice)
	}
	switch {
	case rapidgen.OneIn(t, label+"_lines_amount", 4):
		in.Amount = &sum
	case rapidgen.OneIn(t, label+"_lines_amount_wrong", 20): // invalid
		a := sum.Add(decimal.New(1, -2))
		in.Amount = &a
	}
	if rapidgen.OneIn(t, label+"_lines_share_type", 3) {
		in.ProductType = rapid.SampledFrom(rapidgen.ProductTypes).Draw(t, label+"_product_type")
	}
}

// genAmount draws in's amount (rarely none, or a huge one) and maybe a
// product id and type.
func (w *rapidWorld) genAmount(label string, in *commission.TransactionInput) {
	t := w.t
	switch {
	case rapidgen.OneIn(t, label+"_no_amount", 20):
	case rapidgen.OneIn(t, label+"_huge_amount", 20): // up to 16 digits before the point
		a := rapidgen.Cents(0, 999_999_999_999_999_999).Draw(t, label+"_huge_amount")
		in.Amount = &a
	default:
		a := rapidgen.Cents(0, 200000).Draw(t, label+"_amount")
		in.Amount = &a
	}
	if rapid.Bool().Draw(t, label+"_has_product_id") {
		in.ProductID = rapid.SampledFrom(rapidgen.ProductIDs).Draw(t, label+"_product_id")
	}
	if rapid.Bool().Draw(t, label+"_has_product_type") {
		in.ProductType = rapid.SampledFrom(rapidgen.ProductTypes).Draw(t, label+"_product_type")
	}
}

// genSaleCustomer draws in's customer: one created with the sale (in an
// affiliate program, attributed by a referral URL when not otherwise), or
// a reference to one.
func (w *rapidWorld) genSaleCustomer(label string, in *commission.TransactionInput) {
	t := w.t
	if rapidgen.OneIn(t, label+"_create_customer", 3) || len(w.customers) == 0 && !rapidgen.OneIn(t, label+"_unknown_first_customer", 10) {
		in.Customer = w.genNewCustomer(label + "_customer")
		in.Options.CreateCustomer = true
		if w.prog.Kind == commission.Affiliate && in.Customer.Partner == nil && in.Customer.ReferralURL == "" {
			in.Options.ReferralURL = w.genReferralURL(label + "_option")
		}
		return
	}
	ref := w.genCustomerRef(label + "_customer")
	in.Customer = commission.CustomerInput{ID: ref.ID, Key: ref.Key, Email: ref.Email}
}

// genNewCustomer draws a customer to create, attributed to a partner
// (affiliate) by reference or referral URL, or to a referring customer
// (refer-a-friend); sometimes with an email that is also a partner's.
func (w *rapidWorld) genNewCustomer(label string) commission.CustomerInput {
	t := w.t
	var in commission.CustomerInput
	switch {
	case rapidgen.OneIn(t, label+"_by_id", 6):
		in.ID = rapid.SampledFrom(rapidCustomerKeys).Draw(t, label+"_id")
	case rapidgen.OneIn(t, label+"_generated_id", 6): // found again by email
	default:
		in.Key = rapid.SampledFrom(rapidCustomerKeys).Draw(t, label+"_key")
	}
	if in.ID == "" && in.Key == "" || rapidgen.OneIn(t, label+"_has_email", 3) {
		in.Email = rapid.SampledFrom(rapidEmails).Draw(t, label+"_email")
	}
	in.Name = rapid.SampledFrom(rapidNames).Draw(t, label+"_name")
	if rapidgen.OneIn(t, label+"_backdated", 6) {
		// From the clock's own instant (nanoseconds and all) to 90 days ago.
		at := w.now.Add(-time.Duration(rapid.Int64Range(0, 90*24).Draw(t, label+"_hours_ago"))*time.Hour -
			time.Duration(rapid.Int64Range(0, 999).Draw(t, label+"_nanos_ago")))
		in.CreatedAt = &at
	}
	switch w.prog.Kind {
	case commission.Affiliate:
		withEmail := slices.DeleteFunc(slices.Clone(w.partners), func(p commission.Partner) bool { return p.Email == "" })
		switch {
		case rapidgen.OneIn(t, label+"_unattributed", 15): // invalid for a new customer
		case rapidgen.OneIn(t, label+"_by_url", 5):
			in.ReferralURL = w.genReferralURL(label)
		case len(withEmail) > 0 && rapidgen.OneIn(t, label+"_self_referred", 4):
			// The partner's own email, or the same in other case.
			p := rapid.SampledFrom(withEmail).Draw(t, label+"_self_referrer")
			in.Partner = &commission.PartnerRef{Key: p.Key}
			in.Email = p.Email
			if rapid.Bool().Draw(t, label+"_self_referrer_upper") {
				in.Email = strings.ToUpper(p.Email)
			}
		default:
			ref := w.genPartnerRef(label + "_partner")
			in.Partner = &ref
		}
	case commission.ReferAFriend:
		if (len(w.customers) > 0 || rapidgen.OneIn(t, label+"_first_referred", 10)) && !rapidgen.OneIn(t, label+"_not_referred", 5) {
			ref := w.genCustomerRef(label + "_referrer")
			in.ReferringCustomer = &ref
		}
	}
	return in
}

// genReferralURL draws a referral URL naming a partner key of the pool,
// in the query or in the path.
func (w *rapidWorld) genReferralURL(label string) string {
	key := rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, label+"_url_partner")
	if rapid.Bool().Draw(w.t, label+"_url_in_path") {
		return "https://shop.example/aff/" + url.PathEscape(key) + "/pricing"
	}
	return "https://shop.example/pricing?aff=" + url.QueryEscape(key)
}

// genPartnerRef names a partner created so far, mostly, by id, key or
// email; else one of the pools, which may not exist.
func (w *rapidWorld) genPartnerRef(label string) commission.PartnerRef {
	if len(w.partners) > 0 && !rapidgen.OneIn(w.t, label+"_known", 5) {
		p := rapid.SampledFrom(w.partners).Draw(w.t, label+"_partner")
		switch rapid.IntRange(0, 3).Draw(w.t, label+"_known_by") {
		case 0:
			return commission.PartnerRef{ID: p.ID}
		case 1:
			if p.Email != "" {
				return commission.PartnerRef{Email: p.Email}
			}
		}
		return commission.PartnerRef{Key: p.Key}
	}
	switch rapid.IntRange(0, 6).Draw(w.t, label+"_by") {
	case 6: // the key is tried first, the email never
		return commission.PartnerRef{Key: rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, label+"_key"),
			Email: rapid.SampledFrom(rapidEmails).Draw(w.t, label+"_email")}
	case 0:
		return commission.PartnerRef{Email: rapid.SampledFrom(rapidEmails).Draw(w.t, label+"_email")}
	case 1:
		return commission.PartnerRef{ID: "pid_" + rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, label+"_id")}
	}
	return commission.PartnerRef{Key: rapid.SampledFrom(rapidPartnerKeys).Draw(w.t, label+"_key")}
}

// genCustomerRef names a customer created so far, mostly, by id, key or
// email; else one of the pools, which may not exist.
func (w *rapidWorld) genCustomerRef(label string) commission.CustomerRef {
	if len(w.customers) > 0 && !rapidgen.OneIn(w.t, label+"_known", 5) {
		c := rapid.SampledFrom(w.customers).Draw(w.t, label+"_customer")
		switch rapid.IntRange(0, 3).Draw(w.t, label+"_known_by") {
		case 0:
			return commission.CustomerRef{ID: c.ID}
		case 1:
			if c.Email != "" {
				return commission.CustomerRef{Email: c.Email}
			}
		}
		return commission.CustomerRef{Key: c.Key}
	}
	switch rapid.IntRange(0, 6).Draw(w.t, label+"_by") {
	case 6: // the id is tried first, the key never
		return commission.CustomerRef{ID: rapid.SampledFrom(rapidCustomerKeys).Draw(w.t, label+"_id"),
			Key: rapid.SampledFrom(rapidCustomerKeys).Draw(w.t, label+"_key")}
	case 0:
		return commission.CustomerRef{Email: rapid.SampledFrom(rapidEmails).Draw(w.t, label+"_email")}
	case 1:
		return commission.CustomerRef{ID: rapid.SampledFrom(rapidCustomerKeys).Draw(w.t, label+"_id")}
	}
	return commission.CustomerRef{Key: rapid.SampledFrom(rapidCustomerKeys).Draw(w.t, label+"_key")}
}

// genTxKey draws a key used so far, or one never used.
func (w *rapidWorld) genTxKey() string {
	if len(w.txKeys) == 0 || rapidgen.OneIn(w.t, "unknown_key", 10) {
		return "nope"
	}
	return rapid.SampledFrom(w.txKeys).Draw(w.t, "used_key")
}

// genRewardID draws a reward id seen so far, or one never used.
// Rewards shown held in review are drawn more often than others.
func (w *rapidWorld) genRewardID() string {
	switch {
	case len(w.rewardIDs) == 0 || rapidgen.OneIn(w.t, "unknown_reward", 10):
		return "id_0"
	case len(w.held) > 0 && !rapidgen.OneIn(w.t, "any_reward", 3):
		return rapid.SampledFrom(w.held).Draw(w.t, "held_reward_id")
	}
	return rapid.SampledFrom(w.rewardIDs).Draw(w.t, "reward_id")
}

// ---------------------------------------------------------------------------
// Comparing

// compareEverything compares, after the history, the full listing paged
// with each engine's own cursors, the listing of each partner and
// customer, every transaction key used, every id the engines generated
// read as a reward, and every partner and customer of the pools.
func (w *rapidWorld) compareEverything() {
	limit := rapid.SampledFrom([]int{1, 3, commission.MaxLimit}).Draw(w.t, "final_limit")
	w.comparePaging(commission.ListOptions{Limit: limit})
	for _, k := range rapidPartnerKeys {
		w.comparePaging(commission.ListOptions{Limit: commission.MaxLimit, PartnerKey: k})
	}
	for _, k := range rapidCustomerKeys {
		w.comparePaging(commission.ListOptions{Limit: commission.MaxLimit, CustomerKey: k})
	}
	for _, key := range w.txKeys {
		w.do("Transaction "+strconv.Quote(key), func(e *commission.Engine) (any, error) { return e.Transaction(w.ctx, key) })
	}
	// Every id the engines generated (id_1, id_2, ..., and one more),
	// whatever it went to (a reward, a key, a partner, nothing stored),
	// reads the same as a reward. The rewards shown, some of them of
	// deleted sales, are among them.
	for i := 1; i <= *w.ids+1; i++ {
		id := "id_" + strconv.Itoa(i)
		w.do("Reward "+strconv.Quote(id), func(e *commission.Engine) (any, error) { return e.Reward(w.ctx, id) })
	}
	for _, k := range rapidPartnerKeys {
		ref := commission.PartnerRef{Key: k}
		w.do("Partner "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.Partner(w.ctx, ref) })
	}
	every := commission.PartnerListOptions{Limit: commission.MaxLimit, Statuses: []commission.PartnerStatus{
		commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived, commission.PartnerDeleted}}
	w.do("Partners "+rapidJSON(w.t, every), func(e *commission.Engine) (any, error) { return e.Partners(w.ctx, every) })
	everyC := commission.CustomerListOptions{Limit: commission.MaxLimit, Statuses: []commission.CustomerStatus{
		commission.CustomerActive, commission.CustomerSuspended, commission.CustomerDeleted}}
	w.do("Customers "+rapidJSON(w.t, everyC), func(e *commission.Engine) (any, error) { return e.Customers(w.ctx, everyC) })
	for _, k := range rapidCustomerKeys {
		ref := commission.CustomerRef{Key: k}
		w.do("Customer "+rapidJSON(w.t, ref), func(e *commission.Engine) (any, error) { return e.Customer(w.ctx, ref) })
	}
}

// comparePaging walks a listing to its end on every engine, each with its
// own cursors (they hold store-assigned sequence numbers), and compares
// the pages.
func (w *rapidWorld) comparePaging(opts commission.ListOptions) {
	w.t.Logf("%s: Transactions %s to the end", w.step, rapidJSON(w.t, opts))
	var want []string
	for i, e := range w.engines {
		var got []string
		o := opts
		for {
			page, err := e.Transactions(w.ctx, o)
			got = append(got, rapidOutcome(w.t, page, err))
			if err != nil || page.NextCursor == "" {
				break
			}
			if len(got) > 1000 {
				w.t.Fatalf("%s: listing %+v on %s does not end", w.step, opts, w.stores[i].name)
			}
			o.Cursor = page.NextCursor
		}
		if i == 0 {
			want = got
			continue
		}
		for j := range max(len(want), len(got)) {
			a, b := "(no page)", "(no page)"
			if j < len(want) {
				a = want[j]
			}
			if j < len(got) {
				b = got[j]
			}
			if a != b {
				w.t.Fatalf("%s: Transactions %+v, page %d: %s differs from %s\n%s: %s\n%s: %s",
					w.step, opts, j+1, w.stores[i].name, w.stores[0].name, w.stores[0].name, a, w.stores[i].name, b)
			}
		}
	}
}

// rapidSentinels are the errors rapidOutcome reports a match with.
var rapidSentinels = []struct {
	name string
	err  error
}{
	{"ErrNotFound", commission.ErrNotFound},
	{"ErrCustomerNotFound", commission.ErrCustomerNotFound},
	{"ErrPartnerNotFound", commission.ErrPartnerNotFound},
	{"ErrDuplicateKey", commission.ErrDuplicateKey},
	{"ErrInvalid", commission.ErrInvalid},
	{"ErrAlreadyArchived", commission.ErrAlreadyArchived},
	{"ErrNotArchived", commission.ErrNotArchived},
	{"ErrNotInReview", commission.ErrNotInReview},
	{"ErrRewarded", commission.ErrRewarded},
	{"ErrNoRate", commission.ErrNoRate},
}

// rapidOutcome is what a caller sees of a result, in a form equal across
// stores when the results are: for an error, the sentinels it matches and
// the details of the engine's error types (a store's own wording of a
// sentinel may differ); for a value, its JSON and the fields that JSON
// leaves out (store-assigned sequence numbers and cursors aside).
func rapidOutcome(t *rapid.T, v any, err error) string {
	if err != nil {
		return "error " + rapidErrorText(t, err)
	}
	switch v := v.(type) {
	case nil:
		return "ok"
	case *commission.TransactionPage:
		p := *v
		if p.NextCursor != "" {
			p.NextCursor = "(more)"
		}
		var hidden []any
		for _, tx := range p.Transactions {
			hidden = append(hidden, rapidTxHidden(tx))
		}
		return rapidJSON(t, p) + " " + rapidJSON(t, hidden)
	case *commission.Transaction:
		return rapidJSON(t, v) + " " + rapidJSON(t, rapidTxHidden(v))
	case []*commission.Transaction:
		var hidden []any
		for _, tx := range v {
			hidden = append(hidden, rapidTxHidden(tx))
		}
		return rapidJSON(t, v) + " " + rapidJSON(t, hidden)
	case *commission.Reward:
		return rapidJSON(t, v) + " " + rapidJSON(t, rapidRewardHidden(v))
	}
	return rapidJSON(t, v)
}

func rapidErrorText(t *rapid.T, err error) string {
	var parts []string
	for _, s := range rapidSentinels {
		if errors.Is(err, s.err) {
			parts = append(parts, s.name)
		}
	}
	if len(parts) == 0 {
		// Not an expected condition: compared by its text.
		return "unexpected: " + err.Error()
	}
	var item *commission.ItemError
	if errors.As(err, &item) {
		parts = append(parts, "item "+strconv.Itoa(item.Index))
	}
	var verr *commission.ValidationError
	if errors.As(err, &verr) {
		parts = append(parts, "fields "+rapidJSON(t, verr.Fields))
	}
	var dup *commission.DuplicateError
	if errors.As(err, &dup) {
		parts = append(parts, fmt.Sprintf("duplicate %q identical=%v existing=%s", dup.Key, dup.Identical, rapidOutcome(t, dup.Existing, nil)))
	}
	return strings.Join(parts, "; ")
}

// rapidTxHidden is what a transaction holds beyond its JSON.
func rapidTxHidden(t *commission.Transaction) any {
	if t == nil {
		return nil
	}
	rewards := make([]any, len(t.Rewards))
	for i := range t.Rewards {
		rewards[i] = rapidRewardHidden(&t.Rewards[i])
	}
	return struct {
		State                                      commission.TransactionState
		Reward                                     *decimal.Decimal
		ProductID, ProductType                     string
		Products                                   []commission.ProductLine
		Rewarded, Rewardable, Qualified, Backdated bool
		CustomerID, PartnerID, ReferringCustomerID string
		Rewards                                    []any
	}{t.State, t.Reward, t.ProductID, t.ProductType, t.Products, t.Rewarded, t.Rewardable, t.Qualified, t.Backdated,
		t.CustomerID, t.PartnerID, t.ReferringCustomerID, rewards}
}

// rapidRewardHidden is what a reward holds beyond its JSON.
func rapidRewardHidden(r *commission.Reward) any {
	return struct {
		DecidedAt                                 *time.Time
		PartnerID, CustomerID, RewardedCustomerID string
	}{r.DecidedAt, r.PartnerID, r.CustomerID, r.RewardedCustomerID}
}

func rapidJSON(t *rapid.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
