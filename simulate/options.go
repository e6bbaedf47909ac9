package simulate

import (
	"time"

	"github.com/commissionkit/commission"
)

// Options say what to simulate.
type Options struct {
	// Rules is the candidate rule set. It is checked as New checks a
	// program's: a bad field is a *commission.ValidationError naming it
	// under "rules.".
	Rules commission.RuleSet
	// From and To select the sales reported: those created at or after
	// From and before To. The zero From is the program's first sale; the
	// zero To, after its last. Every stored sale is replayed, since those
	// before From make the state (periods, tiers, caps, goals) the
	// reported ones see, and a sale backdated into the range may have
	// been stored after others dated past it.
	From, To time.Time
	// Top is how many of the most changed sales the report lists:
	// DefaultTop when zero, none when negative.
	Top int
	// Progress, when set, is called from Run's goroutine every
	// ProgressEvery sales replayed, and once at the end with Done set.
	Progress func(Progress)
	// Each, when set, is called with every reported sale as stored and
	// as simulated (nil when the candidate rules record no such
	// transaction), once the simulated one is final: its refunds and its
	// deletion replayed. A signup only the candidate rules reward comes
	// with a stored transaction without rewards (see the package
	// documentation). An error from it ends Run with that error. The
	// transactions are Run's: Each may keep them.
	Each func(stored, simulated *commission.Transaction) error
}

// DefaultTop is how many changed sales a report lists when Options.Top
// is zero.
const DefaultTop = 10

// ProgressEvery is how many replayed sales apart Options.Progress is
// called.
const ProgressEvery = 10000

// Progress is how far a simulation has come.
type Progress struct {
	// Replayed counts the stored sales replayed so far, and Reported
	// those of them created within From and To.
	Replayed, Reported int64
	// At is the created_at of the last sale replayed.
	At time.Time
	// Done is true on the last call.
	Done bool
}

// pageSize is how many stored transactions Run reads at a time.
const pageSize = 1000
