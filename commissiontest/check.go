package commissiontest

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// Config says how Check and Run draw histories.
type Config struct {
	// Store returns the store of a history, called once per rapid run;
	// nil gives each a new memstore.New(). Each run uses the program's ID,
	// so each must have a store without that program's data.
	Store func() commission.Store
	// Steps is the most steps a history has; DefaultSteps when 0.
	Steps int
	// Checks is how many of rapid's runs draw a history, DefaultChecks
	// when 0; the rest of rapid's count (-rapid.checks, 100 by default)
	// pass at once. Given -rapid.checks or RAPID_CHECKS, every run does.
	// Once a run fails, every later one does, so that rapid shrinks it.
	Checks int
	// Options are passed to commission.New after the kit's own
	// (WithClock and WithIDGenerator). The regression test does not
	// pass them.
	Options []commission.Option
}

// Defaults of Config.
const (
	DefaultSteps  = 30
	DefaultChecks = 100
)

// ValidProgram names the failure of a program that commission.New
// refuses.
const ValidProgram = "a valid program"

// Check property-tests p with rapid: each run draws a history of up to
// cfg.Steps steps from generators driven by p (partners, customers,
// sales, bulks, refunds, deletions, approvals, payouts, clock moves), does
// each on a new engine, and checks after every step the Invariants, then
// props. A failure fails t with rapid's smallest history: the message
// names the property, its error, and a regression test to paste.
func Check(t *testing.T, p commission.Program, cfg Config, props ...Property) {
	t.Helper()
	if _, err := commission.New(memstore.New(), p, cfg.Options...); err != nil {
		t.Fatalf("commissiontest: the program is not valid: %v", err)
	}
	var last *Failure
	rapid.Check(t, property(p, cfg, props, &last))
}

// property is the rapid property of Check and Run: it keeps in *last the
// failure of the last run that failed, rapid's smallest after it shrank.
// Every run has the same program ID, so that a history fails with the
// same message each time it is replayed, as rapid requires to shrink it.
func property(p commission.Program, cfg Config, props []Property, last **Failure) func(*rapid.T) {
	budget := checkBudget(cfg)
	steps := cfg.Steps
	if steps <= 0 {
		steps = DefaultSteps
	}
	ran, failed, first := 0, false, ""
	return func(t *rapid.T) {
		if !failed && budget >= 0 && ran >= budget {
			return
		}
		ran++
		completed := false
		defer func() { failed = failed || !completed || t.Failed() }()
		m, err := NewMachine(p, cfg, props...)
		if err != nil {
			*last = &Failure{Property: ValidProgram, Err: err, Program: p}
			t.Fatalf("%v", err)
		}
		for range historyLength(steps).Draw(t, "steps") {
			if f := m.Step(t); f != nil {
				*last = f
				if first == "" {
					first = f.Property
				}
				if f.Property != first {
					failOther(t, f)
				}
				t.Fatalf("%v", f)
			}
		}
		completed = true
	}
}

// failOther fails a run on another property than the first that failed:
// from another line, so that rapid, which shrinks a failure only to
// histories that fail at the same place, keeps shrinking the first.
func failOther(t *rapid.T, f *Failure) { t.Fatalf("%v", f) }

// checkBudget is how many runs draw a history, or -1 when the command
// line or the environment chose rapid's count.
func checkBudget(cfg Config) int {
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if _, ok := os.LookupEnv("RAPID_CHECKS"); ok || explicit {
		return -1
	}
	if cfg.Checks > 0 {
		return cfg.Checks
	}
	return DefaultChecks
}

// Failure is a property or invariant that did not hold after a history.
type Failure struct {
	// Property is the name of what failed: a user's Property, one of the
	// Invariants, NoUnexpectedErrors or ValidProgram.
	Property string
	Err      error
	// Steps is the history, the failing step last.
	Steps []Step
	// Program is the program of the history.
	Program commission.Program
	// GoTest is a regression test that replays the history: an import
	// block and func TestRegression, to paste after a package clause.
	GoTest string
}

// Error tells what failed, after how many steps, and the regression test.
func (f *Failure) Error() string {
	return fmt.Sprintf("commissiontest: property %q failed after %d steps: %v\n\nThe history as a regression test:\n\n%s",
		f.Property, len(f.Steps), f.Err, f.GoTest)
}

func (f *Failure) Unwrap() error { return f.Err }

// failure is the Failure of f after the machine's history.
func (m *Machine) failure(f *failure) *Failure {
	steps := append([]Step(nil), m.r.history...)
	return &Failure{
		Property: f.property, Err: f.err, Steps: steps, Program: m.r.prog,
		GoTest: goTest(m.r.prog, steps, m.r.props, f.property),
	}
}

// historyLength draws how many steps a history has, up to steps: half
// the time at least half of them, as rapid favours small numbers.
func historyLength(steps int) *rapid.Generator[int] {
	return rapid.OneOf(rapid.IntRange(1, steps), rapid.IntRange(max(steps/2, 1), steps))
}
