package sqlstore_test

import (
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/commissionkit/commission/storetest"
)

// The conformance suite every store passes, on each dialect; peers are
// stores on the same database with pools of their own, as other processes
// would have.
func TestConformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		var mu sync.Mutex
		databases := map[commission.Store]database{}
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) commission.Store {
				db := newDatabase(t, d)
				s := db.open(t)
				mu.Lock()
				databases[s] = db
				mu.Unlock()
				return s
			},
			Peer: func(t *testing.T, s commission.Store) commission.Store {
				mu.Lock()
				db := databases[s]
				mu.Unlock()
				return db.open(t)
			},
		})
	})
}
