package memstore

import (
	"encoding/binary"
	"errors"
	"math/big"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// Transactions are kept encoded, in byte slices with no pointers, so that
// the garbage collector does not rescan a program's whole history on every
// cycle, and a stored sale costs a few hundred bytes. A View decodes a
// fresh value on every read; an Update decodes each transaction once and
// shares the value between its reads (see cache.go). BenchmarkMillionSales
// measured what this pays for: kept instead as deep copies of
// commission.Transaction, a million sales held 1,446 bytes each instead of
// 586, and a sale on top of them took about twice as long.

// encodeTransaction appends t, rewards included, to b.
func encodeTransaction(b []byte, t *commission.Transaction) []byte {
	b = putString(b, t.Key)
	b = binary.AppendVarint(b, t.Seq)
	b = putString(b, t.Action)
	b = putDecimal(b, t.Amount)
	b = putDecimalPtr(b, t.Reward)
	b = putString(b, t.AmountUnits)
	b = putDecimalPtr(b, t.Rate)
	b = putDecimal(b, t.Refunded)
	b = putBools(b, t.IsCurrency, t.Credit, t.Rewarded, t.Rewardable, t.Qualified, t.Backdated)
	b = putString(b, t.ProductID)
	b = putString(b, t.ProductType)
	b = binary.AppendUvarint(b, uint64(len(t.Products)))
	for _, l := range t.Products {
		b = putString(b, l.ProductID)
		b = putString(b, l.ProductType)
		b = putDecimal(b, l.ProductPrice)
	}
	b = putString(b, t.CustomerID)
	b = putString(b, t.CustomerKey)
	b = putString(b, t.PartnerID)
	b = putString(b, t.PartnerKey)
	b = putString(b, t.ReferringCustomerID)
	b = putString(b, t.ReferringCustomerKey)
	b = putTime(b, t.CreatedAt)
	b = putString(b, string(t.State))
	b = putTimePtr(b, t.DeletedAt)
	b = putString(b, string(t.Kind))
	b = binary.AppendUvarint(b, uint64(len(t.Rewards)))
	for i := range t.Rewards {
		b = encodeReward(b, &t.Rewards[i])
	}
	return b
}

func encodeReward(b []byte, r *commission.Reward) []byte {
	b = putString(b, r.ID)
	b = putString(b, r.TransactionKey)
	b = putString(b, r.Action)
	b = putString(b, string(r.Status))
	b = putTimePtr(b, r.ReviewEndsAt)
	b = putTimePtr(b, r.DecidedAt)
	b = putString(b, r.Reason)
	b = putString(b, r.PartnerID)
	b = putString(b, r.PartnerKey)
	b = putString(b, r.CustomerID)
	b = putString(b, r.CustomerKey)
	b = putString(b, r.RewardedCustomerID)
	b = putString(b, r.RewardedCustomerKey)
	b = putDecimal(b, r.Amount)
	b = putString(b, r.AmountUnits)
	b = putBools(b, r.IsCurrency, r.Credit)
	b = putString(b, r.ProductID)
	b = putString(b, r.ProductType)
	b = binary.AppendVarint(b, int64(r.Line))
	b = putTime(b, r.CreatedAt)
	b = putTimePtr(b, r.DeletedAt)
	b = putDecimal(b, r.Reversed)
	b = putString(b, r.PayoutID)
	e := &r.Explanation
	b = putString(b, e.Rule)
	b = putString(b, e.RuleVersion)
	b = putString(b, e.Match)
	b = putDecimal(b, e.Base)
	b = putString(b, string(e.Type))
	b = putDecimal(b, e.Value)
	b = putDecimalPtr(b, e.Rate)
	b = putString(b, e.From)
	b = binary.AppendVarint(b, int64(e.Level))
	b = binary.AppendVarint(b, int64(e.Step))
	b = putString(b, e.Rounding)
	b = putDecimalPtr(b, e.Exact)
	b = putStrings(b, e.Caps)
	b = putDecimalPtr(b, e.Uncapped)
	b = putStrings(b, e.Counted)
	b = putDecimalPtr(b, e.Threshold)
	b = binary.AppendVarint(b, int64(e.Thresholds))
	b = binary.AppendVarint(b, int64(e.Occurrence))
	b = putString(b, string(r.Kind))
	return b
}

var errCorrupt = errors.New("memstore: corrupt record")

// decoder reads what the encoder wrote; the first error sticks.
type decoder struct {
	b   []byte
	err error
	// src is the whole encoding b is read from, and whole a copy of it
	// as a string, made at the first string read: every string decoded is
	// a part of it, so a record costs one allocation for all its strings.
	src   []byte
	whole string
}

func decodeTransaction(b []byte) (*commission.Transaction, error) {
	d := &decoder{b: b, src: b}
	t := &commission.Transaction{}
	t.Key = d.string()
	t.Seq = d.varint()
	t.Action = d.string()
	t.Amount = d.decimal()
	t.Reward = d.decimalPtr()
	t.AmountUnits = d.string()
	t.Rate = d.decimalPtr()
	t.Refunded = d.decimal()
	d.bools(&t.IsCurrency, &t.Credit, &t.Rewarded, &t.Rewardable, &t.Qualified, &t.Backdated)
	t.ProductID = d.string()
	t.ProductType = d.string()
	if n := d.count(); n > 0 {
		t.Products = make([]commission.ProductLine, n)
		for i := range t.Products {
			l := &t.Products[i]
			l.ProductID = d.string()
			l.ProductType = d.string()
			l.ProductPrice = d.decimal()
		}
	}
	t.CustomerID = d.string()
	t.CustomerKey = d.string()
	t.PartnerID = d.string()
	t.PartnerKey = d.string()
	t.ReferringCustomerID = d.string()
	t.ReferringCustomerKey = d.string()
	t.CreatedAt = d.time()
	t.State = commission.TransactionState(d.string())
	t.DeletedAt = d.timePtr()
	t.Kind = commission.ProgramKind(d.string())
	if n := d.count(); n > 0 {
		t.Rewards = make([]commission.Reward, n)
		for i := range t.Rewards {
			d.reward(&t.Rewards[i])
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return t, d.err
}

func (d *decoder) reward(r *commission.Reward) {
	r.ID = d.string()
	r.TransactionKey = d.string()
	r.Action = d.string()
	r.Status = commission.RewardStatus(d.string())
	r.ReviewEndsAt = d.timePtr()
	r.DecidedAt = d.timePtr()
	r.Reason = d.string()
	r.PartnerID = d.string()
	r.PartnerKey = d.string()
	r.CustomerID = d.string()
	r.CustomerKey = d.string()
	r.RewardedCustomerID = d.string()
	r.RewardedCustomerKey = d.string()
	r.Amount = d.decimal()
	r.AmountUnits = d.string()
	d.bools(&r.IsCurrency, &r.Credit)
	r.ProductID = d.string()
	r.ProductType = d.string()
	r.Line = int(d.varint())
	r.CreatedAt = d.time()
	r.DeletedAt = d.timePtr()
	r.Reversed = d.decimal()
	r.PayoutID = d.string()
	e := &r.Explanation
	e.Rule = d.string()
	e.RuleVersion = d.string()
	e.Match = d.string()
	e.Base = d.decimal()
	e.Type = commission.CommissionType(d.string())
	e.Value = d.decimal()
	e.Rate = d.decimalPtr()
	e.From = d.string()
	e.Level = int(d.varint())
	e.Step = int(d.varint())
	e.Rounding = d.string()
	e.Exact = d.decimalPtr()
	e.Caps = d.strings()
	e.Uncapped = d.decimalPtr()
	e.Counted = d.strings()
	e.Threshold = d.decimalPtr()
	e.Thresholds = int(d.varint())
	e.Occurrence = int(d.varint())
	r.Kind = commission.ProgramKind(d.string())
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// A list of strings is its length, then each; nil and empty are alike.
func putStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = putString(b, s)
	}
	return b
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.string()
	}
	return out
}

func (d *decoder) string() string {
	n := d.count()
	if d.err != nil || n == 0 {
		return ""
	}
	if d.src == nil { // a decoder of a part alone
		s := string(d.b[:n])
		d.b = d.b[n:]
		return s
	}
	if d.whole == "" {
		d.whole = string(d.src)
	}
	at := len(d.src) - len(d.b)
	d.b = d.b[n:]
	return d.whole[at : at+n]
}

// count reads a length and checks that that many bytes remain.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) uvarint() uint64 { return readVarint(d, binary.Uvarint) }

func (d *decoder) varint() int64 { return readVarint(d, binary.Varint) }

// readVarint reads a number with read, binary.Uvarint or binary.Varint.
func readVarint[T int64 | uint64](d *decoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func putBools(b []byte, vs ...bool) []byte {
	var bits byte
	for i, v := range vs {
		if v {
			bits |= 1 << i
		}
	}
	return append(b, bits)
}

func (d *decoder) bools(vs ...*bool) {
	bits := d.byte()
	for i, v := range vs {
		*v = bits&(1<<i) != 0
	}
}

// A decimal is its exponent and its coefficient: a varint when it has at
// most 18 digits (almost always), else the sign and big-endian bytes.
const (
	coefVarint = iota
	coefPositive
	coefNegative
)

func putDecimal(b []byte, v decimal.Decimal) []byte {
	b = binary.AppendVarint(b, int64(v.Exponent()))
	if v.NumDigits() <= 18 {
		b = append(b, coefVarint)
		return binary.AppendVarint(b, v.CoefficientInt64())
	}
	c := v.Coefficient()
	kind := byte(coefPositive)
	if c.Sign() < 0 {
		kind = coefNegative
	}
	b = append(b, kind)
	return putBytes(b, c.Bytes())
}

func putBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func (d *decoder) decimal() decimal.Decimal {
	exp := int32(d.varint())
	switch kind := d.byte(); kind {
	case coefVarint:
		return decimal.New(d.varint(), exp)
	case coefPositive, coefNegative:
		n := d.count()
		if d.err != nil {
			return decimal.Decimal{}
		}
		c := new(big.Int).SetBytes(d.b[:n])
		d.b = d.b[n:]
		if kind == coefNegative {
			c.Neg(c)
		}
		return decimal.NewFromBigInt(c, exp)
	}
	d.fail()
	return decimal.Decimal{}
}

func putDecimalPtr(b []byte, v *decimal.Decimal) []byte {
	if v == nil {
		return append(b, 0)
	}
	return putDecimal(append(b, 1), *v)
}

func (d *decoder) decimalPtr() *decimal.Decimal {
	if d.byte() == 0 {
		return nil
	}
	v := d.decimal()
	return &v
}

// Times are stored in UTC to the microsecond, as the engine records them.
func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixMicro())
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	return time.UnixMicro(d.varint()).UTC()
}

const nilTime = 2 // after the 0 (zero time) and 1 (a time) of putTime

func putTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, nilTime)
	}
	return putTime(b, *t)
}

func (d *decoder) timePtr() *time.Time {
	if d.err == nil && len(d.b) > 0 && d.b[0] == nilTime {
		d.b = d.b[1:]
		return nil
	}
	t := d.time()
	return &t
}
