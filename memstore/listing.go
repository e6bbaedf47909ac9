package memstore

import (
	"context"
	"slices"

	"github.com/commissionkit/commission"
)

func (t *tx) Transactions(_ context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	pr := t.p
	list := pr.all
	switch {
	case q.CustomerID != "":
		list = pr.byCustomer[q.CustomerID]
	case q.PartnerID != "":
		list = pr.byPartner[q.PartnerID]
	}
	end := len(list)
	if q.After != nil {
		end = pr.before(list, *q.After)
	}
	var out []*commission.Transaction
	skip := q.Offset
	for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
		if r := pr.recs.at(list[i]); (len(q.States) > 0 && !slices.Contains(q.States, r.state)) ||
			(q.PartnerID != "" && r.partnerID != q.PartnerID) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		tr, err := t.peek(list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}

// before returns how many records of list, oldest first, come strictly
// before position after in (CreatedAt, Seq) order: those that a page
// starting after it lists.
func (p *program) before(list []int32, after commission.Position) int {
	at, seq := after.CreatedAt.UnixMicro(), after.Seq
	n, _ := slices.BinarySearchFunc(list, after, func(ri int32, _ commission.Position) int {
		r := p.recs.at(ri)
		if r.createdAt < at || (r.createdAt == at && r.seq < seq) {
			return -1
		}
		return 1
	})
	return n
}
