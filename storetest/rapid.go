package storetest

import (
	"flag"
	"os"
	"testing"

	"pgregory.net/rapid"
)

// defaultChecks is how many rapid checks each property of the suite runs
// when neither -rapid.checks nor RAPID_CHECKS is given and the harness
// says nothing (a fifth of it with -short). It is lower than rapid's own default of 100 because a check of
// the engine's state machine makes hundreds of units of work, each a round
// trip to the database on a SQL store.
const defaultChecks = 20

// checkBudget is how many checks a property runs in full, or -1 when the
// command line or environment chose the number for rapid.
func checkBudget(h Harness) int {
	explicit := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.checks" {
			explicit = true
		}
	})
	if _, ok := os.LookupEnv("RAPID_CHECKS"); ok || explicit {
		return -1
	}
	n := defaultChecks
	if h.Checks > 0 {
		n = h.Checks
	}
	if testing.Short() {
		return max(n/5, 1)
	}
	return n
}

// check runs prop with rapid.Check, in full for the first checkBudget
// checks and as a no-op for the rest of rapid's count, since rapid's count
// can only be set for the whole process. Once a check fails, every later
// run is in full, so that rapid reproduces and shrinks the failure.
func check(t *testing.T, h Harness, prop func(*rapid.T)) {
	t.Helper()
	budget := checkBudget(h)
	ran, failed := 0, false
	rapid.Check(t, func(rt *rapid.T) {
		if !failed && budget >= 0 && ran >= budget {
			return
		}
		ran++
		completed := false
		defer func() {
			// A failure panics out of prop (FailNow) or marks rt.
			if !completed || rt.Failed() {
				failed = true
			}
		}()
		prop(rt)
		completed = true
	})
	if budget >= 0 {
		t.Logf("storetest: %d of rapid's checks ran in full (set -rapid.checks for more)", ran)
	}
}
