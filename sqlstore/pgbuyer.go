package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// On PostgreSQL a buyer is read with the counters its sale reads next
// (StoreTx.Buyer), in one statement: the counters come as a JSON array of
// [name, value] pairs in a column after the buyer's, locked in byte order
// of their names, as pgCounters locks, in a unit of work that writes. The
// names are the statement's third parameter.
func pgBuyerCounters(lock bool) string {
	q := `(SELECT json_agg(json_build_array(x.name, x.value::text)) FROM (SELECT k.name, k.value FROM commission_counters k` +
		` WHERE k.program_id = c.program_id AND k.subject = c.id AND k.bucket = '' AND k.name = ANY($3::text[])` +
		` ORDER BY k.name COLLATE "C"`
	if lock {
		q += " FOR UPDATE OF k"
	}
	return q + ") x)"
}

// buyerCounters are the values of names in read, the JSON pgBuyerCounters
// returns; nil when one of them has no row: Counters creates it, to lock
// it.
func buyerCounters(names []string, read []byte) ([]decimal.Decimal, error) {
	var pairs [][2]string
	if read == nil {
		return nil, nil
	}
	if err := json.Unmarshal(read, &pairs); err != nil {
		return nil, fmt.Errorf("sqlstore: buyer's counters: %w", err)
	}
	if len(pairs) != len(names) {
		return nil, nil
	}
	values := make(map[string]string, len(pairs))
	for _, p := range pairs {
		values[p[0]] = p[1]
	}
	out := make([]decimal.Decimal, len(names))
	for i, name := range names {
		v, ok := values[name]
		if !ok {
			return nil, nil
		}
		var err error
		if out[i], err = parseMoney(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// boolIndex is 1 for true, 0 for false.
func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
