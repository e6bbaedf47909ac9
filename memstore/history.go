package memstore

import (
	"context"
	"time"

	"github.com/commissionkit/commission"
)

// CustomerHistory reads the records' own fields, decoding none.
func (t *tx) CustomerHistory(_ context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	var h commission.CustomerHistory
	for _, ri := range t.p.byCustomer[customerID] {
		r := t.p.recs.at(ri)
		if !time.UnixMicro(r.createdAt).Before(before) {
			break
		}
		if r.qualified && r.state == commission.TransactionActive {
			if h.Count == 0 {
				h.First = time.UnixMicro(r.createdAt).UTC()
			}
			h.Count++
		}
	}
	return h, nil
}
