package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// money is the exact text of an amount. The schema holds 18 places after
// the point; anything finer would be rounded by the database, so it is an
// error instead.
func money(d decimal.Decimal) (string, error) {
	exp := d.Exponent()
	if exp >= 0 {
		return d.StringFixed(0), nil
	}
	if exp < -18 && !d.Equal(d.Truncate(18)) {
		return "", fmt.Errorf("sqlstore: amount %s has more than 18 places after the point", d.StringFixed(-exp))
	}
	return d.StringFixed(-exp), nil
}

func moneyPtr(d *decimal.Decimal) (any, error) {
	if d == nil {
		return nil, nil
	}
	return money(*d)
}

func parseMoney(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("sqlstore: stored amount %q: %w", s, err)
	}
	return d, nil
}

// parseNullMoney reads an amount that may be NULL, which is nil.
func parseNullMoney(s sql.NullString) (*decimal.Decimal, error) {
	if !s.Valid {
		return nil, nil
	}
	d, err := parseMoney(s.String)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// ceilMicros is t in Unix microseconds, rounded up: a stored time (whole
// microseconds) is at or after t exactly when it is at or after
// ceilMicros(t). t.UnixMicro() rounds down, for "after t".
func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Sub(fromMicros(us)) > 0 {
		us++
	}
	return us
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// commissionJSON is a custom commission as stored: JSON, or NULL for none.
func commissionJSON(c *commission.Commission) (any, error) {
	if c == nil {
		return nil, nil
	}
	return toJSON(c)
}
