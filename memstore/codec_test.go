package memstore

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// fill sets every field reachable from v to a distinct non-zero value, so
// that a field the codec forgets cannot round-trip by luck.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Type() {
	case reflect.TypeFor[decimal.Decimal]():
		v.Set(reflect.ValueOf(decimal.New(int64(*n)*1001, int32(-*n%19))))
		return
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.UnixMicro(1_700_000_000_000_000 + int64(*n)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int64, reflect.Int:
		v.SetInt(int64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), n)
			}
		}
	default:
		t.Fatalf("fill: no rule for %s", v.Type())
	}
}

// requireSame compares exported fields deeply, decimals and times by value.
func requireSame(t *testing.T, path string, want, got reflect.Value) {
	t.Helper()
	switch want.Type() {
	case reflect.TypeFor[decimal.Decimal]():
		w, g := want.Interface().(decimal.Decimal), got.Interface().(decimal.Decimal)
		require.Truef(t, w.Equal(g) && w.Exponent() == g.Exponent(), "%s: want %s, got %s", path, w, g)
		return
	case reflect.TypeFor[time.Time]():
		require.Truef(t, want.Interface().(time.Time).Equal(got.Interface().(time.Time)), "%s", path)
		return
	}
	switch want.Kind() {
	case reflect.Pointer:
		require.Equalf(t, want.IsNil(), got.IsNil(), "%s: nil", path)
		if !want.IsNil() {
			requireSame(t, path, want.Elem(), got.Elem())
		}
	case reflect.Slice:
		require.Equalf(t, want.Len(), got.Len(), "%s: len", path)
		for i := range want.Len() {
			requireSame(t, fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))
		}
	case reflect.Struct:
		for i := range want.NumField() {
			if f := want.Type().Field(i); f.IsExported() {
				requireSame(t, path+"."+f.Name, want.Field(i), got.Field(i))
			}
		}
	default:
		require.Equalf(t, want.Interface(), got.Interface(), "%s", path)
	}
}

func TestCodecRoundTripsEveryField(t *testing.T) {
	var in commission.Transaction
	n := 0
	fill(t, reflect.ValueOf(&in).Elem(), &n)
	out, err := decodeTransaction(encodeTransaction(nil, &in))
	require.NoError(t, err)
	requireSame(t, "Transaction", reflect.ValueOf(in), reflect.ValueOf(*out))

	// The zero transaction, with nil pointers and empty slices.
	out, err = decodeTransaction(encodeTransaction(nil, &commission.Transaction{}))
	require.NoError(t, err)
	requireSame(t, "Transaction", reflect.ValueOf(commission.Transaction{}), reflect.ValueOf(*out))
}

func TestCodecDecimalsExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		coef, ok := new(big.Int).SetString(rapid.StringMatching(`-?[0-9]{1,40}`).Draw(t, "coef"), 10)
		require.True(t, ok)
		d := decimal.NewFromBigInt(coef, int32(rapid.IntRange(-40, 10).Draw(t, "exp")))
		dec := &decoder{b: putDecimal(nil, d)}
		got := dec.decimal()
		require.NoError(t, dec.err)
		require.Empty(t, dec.b)
		require.Truef(t, got.Equal(d) && got.Exponent() == d.Exponent(), "want %s, got %s", d, got)
	})
}

// A damaged record is an error, never a panic or a wrong value.
func TestCodecRejectsTruncatedRecords(t *testing.T) {
	var in commission.Transaction
	n := 0
	fill(t, reflect.ValueOf(&in).Elem(), &n)
	enc := encodeTransaction(nil, &in)
	for i := range enc {
		_, err := decodeTransaction(enc[:i])
		require.ErrorIs(t, err, errCorrupt, "truncated at %d of %d", i, len(enc))
	}
	_, err := decodeTransaction(append(enc, 0))
	require.ErrorIs(t, err, errCorrupt, "trailing bytes")
}
