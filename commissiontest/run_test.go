package commissiontest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
	"github.com/commissionkit/commission/memstore"
)

// Run returns nil when every property holds.
func TestRunPasses(t *testing.T) {
	if f := commissiontest.Run(levelProgram("5"), plantedConfig, levelNotAboveSeller); f != nil {
		t.Fatal(f)
	}
}

// levelFailure is the failure of the planted level bug, found once for
// the tests that read it.
var levelFailure = sync.OnceValue(func() *commissiontest.Failure {
	return commissiontest.Run(levelProgram("15"), plantedConfig, levelNotAboveSeller)
})

// Run returns the failure instead of failing the test, and leaves no fail
// file of rapid's behind.
func TestRunReturnsTheFailureAndWritesNoFailFile(t *testing.T) {
	if _, err := os.Stat("testdata"); err == nil {
		t.Skip("testdata exists: a fail file of another test")
	}
	f := levelFailure()
	if f == nil {
		t.Fatal("the property held")
	}
	if _, err := os.Stat("testdata"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run left testdata behind: %v", err)
	}
	last := f.Steps[len(f.Steps)-1]
	if len(last.Txs) != 1 || !strings.Contains(last.Go, "eng.CreateTransaction(ctx, ") {
		t.Errorf("the last step is not the sale that failed: %+v", last)
	}
	if !strings.Contains(f.GoTest, last.Go) {
		t.Errorf("the regression test lacks the last step %s:\n%s", last.Go, f.GoTest)
	}
}

// A program New refuses is a failure of its own, before any history.
func TestRunRefusesAnInvalidProgram(t *testing.T) {
	p := levelProgram("15")
	p.Currency = "dollars"
	f := commissiontest.Run(p, commissiontest.Config{})
	if f == nil || f.Property != commissiontest.ValidProgram || !errors.Is(f.Err, commission.ErrInvalid) {
		t.Fatalf("got %v", f)
	}
}

// failingStore fails every unit of work that writes after the first few.
type failingStore struct {
	commission.Store
	writes *int
}

var errDisk = errors.New("disk on fire")

func (s failingStore) Update(ctx context.Context, programID string, fn func(commission.StoreTx) error) error {
	if *s.writes++; *s.writes > 3 {
		return errDisk
	}
	return s.Store.Update(ctx, programID, fn)
}

// An error of the store is no refusal: it fails the history.
func TestStoreErrorsFail(t *testing.T) {
	cfg := commissiontest.Config{Store: func() commission.Store { return failingStore{memstore.New(), new(int)} }}
	f := commissiontest.Run(levelProgram("5"), cfg)
	if f == nil || f.Property != commissiontest.NoUnexpectedErrors || !errors.Is(f.Err, errDisk) {
		t.Fatalf("got %v", f)
	}
	if len(f.Steps) > 4 {
		t.Errorf("%d steps, want the fourth write to fail:\n%s", len(f.Steps), f.GoTest)
	}
}
