// Package storetest is the conformance suite of commission.Store: one set of
// tests that every Store implementation runs, so that all of them are proven
// to keep the contract documented on commission.Store and
// commission.StoreTx, and to behave alike under the Engine.
//
// A store's test file needs a few lines:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) commission.Store { return memstore.New() },
//		})
//	}
//
// The suite is grouped by area (rollback, duplicates, values, references,
// rewards, view, listing, history, counters, isolation, concurrency,
// context, engine, hostile, and the money lifecycle's: money values,
// entries, refunds, balances, payouts, money listing, money rollback,
// money isolation; events, webhooks, people and simulate); every subtest
// starts from a fresh store made by Harness.New. The property-based
// subtests run 20 rapid checks (4 with -short) unless -rapid.checks or
// RAPID_CHECKS is given, so that a store on a database still runs the
// suite in seconds.
//
// Like net/http/httptest, storetest is for tests: import it from _test.go
// files only. It uses testify and rapid, which a program importing the
// engine, its stores, its service or its command never links, since none
// of them imports storetest (the root package's
// TestNoTestingLibraryInBuilds checks this); a module importing
// commission gets neither in its build list unless it imports storetest
// or commissiontest itself.
package storetest

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/commissionkit/commission"
)

// Harness describes the store under test.
type Harness struct {
	// New returns an empty store for one test; it registers its own cleanup with t.Cleanup.
	New func(t *testing.T) commission.Store
	// Peer, if non-nil, returns another Store on the same database as s, with its own connection pool,
	// as a second process would have. When nil, concurrency tests share s itself.
	Peer func(t *testing.T, s commission.Store) commission.Store
	// Checks is how many rapid checks each property-based subtest runs in
	// full, unless -rapid.checks or RAPID_CHECKS says otherwise; 20 when
	// zero, a fifth of it with -short. A store whose units of work are
	// cheap (in memory) can afford rapid's own 100.
	Checks int
	// Rows, if non-nil, returns how many rows each table of s's database
	// holds; when set, tests that must store nothing compare it before and
	// after.
	Rows func(t *testing.T, s commission.Store) map[string]int
	// Groups, if set, names the groups of the suite to run (as Run names
	// its subtests: "values", "concurrency", "money values", ...), for a
	// quicker run beside a whole one; every group when empty.
	Groups []string
}

// subtest is one test of the suite, run on its own fresh store.
type subtest struct {
	name string
	run  func(t *testing.T, h Harness)
}

// Run runs the whole conformance suite, grouped by area as subtests: each subtest on a fresh store from h.New.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"rollback", rollbackTests()},
		{"duplicates", duplicateTests()},
		{"values", valueTests()},
		{"references", referenceTests()},
		{"rewards", rewardTests()},
		{"view", viewTests()},
		{"listing", listingTests()},
		{"history", historyTests()},
		{"counters", counterTests()},
		{"isolation", isolationTests()},
		{"concurrency", concurrencyTests()},
		{"context", contextTests()},
		{"engine", engineTests()},
		{"hostile", hostileTests()},
		{"money values", moneyValueTests()},
		{"entries", entryTests()},
		{"refunds", refundTests()},
		{"balances", balanceTests()},
		{"payouts", payoutTests()},
		{"money listing", moneyListingTests()},
		{"money rollback", moneyRollbackTests()},
		{"money isolation", moneyIsolationTests()},
		{"events", eventTests()},
		{"webhooks", webhookTests()},
		{"people", peopleTests()},
		{"simulate", simulateTests()},
	}
	for _, g := range groups {
		if len(h.Groups) > 0 && !slices.Contains(h.Groups, g.name) {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.run(t, h) })
			}
		})
	}
}

// stores returns n stores on s's database: s itself, then peers of it (or
// s again when the harness has no Peer).
func stores(t *testing.T, h Harness, s commission.Store, n int) []commission.Store {
	t.Helper()
	out := make([]commission.Store, n)
	out[0] = s
	for i := 1; i < n; i++ {
		out[i] = s
		if h.Peer != nil {
			out[i] = h.Peer(t, s)
		}
	}
	return out
}

// programs numbers the programs that property checks create, so that every
// check gets a program of its own on a store shared by the checks of one
// subtest (a fresh store per check would cost a schema on a SQL store).
var programs atomic.Int64

func newProgramID(prefix string) string {
	return prefix + "_" + strconv.FormatInt(programs.Add(1), 10)
}

var ctx = context.Background()
