package memstore

import (
	"context"
	"sort"

	"github.com/commissionkit/commission"
)

// Recorded walks the records in the order they were added, which is Seq
// order: a record's Seq is the program's next one when it is added, and a
// rolled-back add is popped before any other.
func (t *tx) Recorded(_ context.Context, after int64, limit int) ([]*commission.Transaction, error) {
	pr := t.p
	n := int(pr.recs.n)
	first := sort.Search(n, func(i int) bool { return pr.recs.at(int32(i)).seq > after })
	var out []*commission.Transaction
	for i := first; i < n && len(out) < limit; i++ {
		tr, err := t.peek(int32(i))
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}
