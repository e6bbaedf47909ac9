package sqlstore_test

import (
	"os"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/sqlstore"
)

// processCleanups run once every test and benchmark of the process has:
// a benchmark's seeded database outlives its runs (growing b.N, -count).
var processCleanups struct {
	sync.Mutex
	funcs []func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	processCleanups.Lock()
	for i := len(processCleanups.funcs) - 1; i >= 0; i-- {
		processCleanups.funcs[i]()
	}
	processCleanups.Unlock()
	os.Exit(code)
}

// lastingTB is a benchmark's testing.TB whose Cleanup and TempDir last
// until the process ends: the testing package runs a benchmark's cleanups
// after each of its runs, and a seeded database must outlive them. It
// fails and skips the benchmark, on the benchmark's goroutine.
type lastingTB struct {
	testing.TB
}

func (t lastingTB) Cleanup(f func()) {
	processCleanups.Lock()
	defer processCleanups.Unlock()
	processCleanups.funcs = append(processCleanups.funcs, f)
}

func (t lastingTB) TempDir() string {
	dir, err := os.MkdirTemp("", "sqlstore-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// benchStores names the stores the store-wide benchmarks run on: the
// memory store, then each dialect.
func benchStores() []string {
	stores := []string{"memstore"}
	for _, d := range dialects {
		stores = append(stores, d.String())
	}
	return stores
}

// openBenchStore opens a new store named as benchStores names it, on a
// database that lasts until the process ends (skipping b when it is not
// configured), and returns it, with the SQL store when it is one.
func openBenchStore(b *testing.B, name string) (commission.Store, *sqlstore.Store) {
	for _, d := range dialects {
		if d.String() == name {
			tb := lastingTB{TB: b}
			db := newDatabase(tb, d).open(tb)
			return db, db
		}
	}
	return memstore.New(), nil
}
