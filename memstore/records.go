package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/commissionkit/commission"
)

// txRec is a stored transaction: its encoding (see codec.go) and the
// fields that ordering, filtering and history read without decoding it.
type txRec struct {
	enc       []byte
	createdAt int64 // Unix microseconds
	seq       int64
	partnerID string
	state     commission.TransactionState
	qualified bool
	money     *recMoney // its refunds and entries; see refunds.go
}

// rewardLoc is where a reward is stored.
type rewardLoc struct {
	rec int32 // index in recs
	i   int32 // index in the transaction's rewards
}

func (p *program) decode(i int32) (*commission.Transaction, error) {
	tr, err := decodeTransaction(p.recs.at(i).enc)
	if err != nil {
		return nil, fmt.Errorf("memstore: transaction #%d: %w", i, err)
	}
	return tr, nil
}

// encode returns tr's encoding in a slice of its own.
func (p *program) encode(tr *commission.Transaction) []byte {
	p.scratch = encodeTransaction(p.scratch[:0], tr)
	return append([]byte(nil), p.scratch...)
}

// compare orders records oldest first by (CreatedAt, Seq).
func (p *program) compare(a, b int32) int {
	ra, rb := p.recs.at(a), p.recs.at(b)
	if ra.createdAt != rb.createdAt {
		return cmp.Compare(ra.createdAt, rb.createdAt)
	}
	return cmp.Compare(ra.seq, rb.seq)
}

func (p *program) insertSorted(s []int32, ri int32) []int32 {
	if n := len(s); n == 0 || p.compare(s[n-1], ri) < 0 {
		return append(s, ri)
	}
	i, _ := slices.BinarySearchFunc(s, ri, p.compare)
	return slices.Insert(s, i, ri)
}

func (p *program) remove(s []int32, ri int32) []int32 {
	i, found := slices.BinarySearchFunc(s, ri, p.compare)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}
