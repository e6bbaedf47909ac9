package sqlstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// explanationGen draws explanations with every field, plain ASCII
// strings or, when escapes, any string.
func explanationGen(escapes bool) *rapid.Generator[commission.Explanation] {
	str := rapid.StringMatching(`[a-z0-9:_.\- ]{0,12}`)
	if escapes {
		str = rapid.String()
	}
	num := rapid.Custom(func(t *rapid.T) decimal.Decimal {
		return decimal.New(rapid.Int64().Draw(t, "coef"), int32(rapid.IntRange(-20, 3).Draw(t, "exp")))
	})
	ptr := func(t *rapid.T, label string) *decimal.Decimal {
		if rapid.Bool().Draw(t, label+"_set") {
			d := num.Draw(t, label)
			return &d
		}
		return nil
	}
	return rapid.Custom(func(t *rapid.T) commission.Explanation {
		return commission.Explanation{
			Rule: str.Draw(t, "rule"), RuleVersion: str.Draw(t, "version"), Match: str.Draw(t, "match"),
			Base: num.Draw(t, "base"), Type: commission.CommissionType(str.Draw(t, "type")), Value: num.Draw(t, "value"),
			Rate: ptr(t, "rate"), From: str.Draw(t, "from"), Level: rapid.IntRange(-3, 10).Draw(t, "level"),
			Step: rapid.Int().Draw(t, "step"), Rounding: str.Draw(t, "rounding"), Exact: ptr(t, "exact"),
			Caps: rapid.SliceOf(str).Draw(t, "caps"), Uncapped: ptr(t, "uncapped"),
			Counted: rapid.SliceOf(str).Draw(t, "counted"), Threshold: ptr(t, "threshold"),
			Thresholds: rapid.IntRange(0, 5).Draw(t, "thresholds"), Occurrence: rapid.IntRange(0, 5).Draw(t, "occurrence"),
		}
	})
}

// requireDecodedAsJSON requires decodeExplanation to give what
// json.Unmarshal gives for s: the same explanation or an error.
func requireDecodedAsJSON(t require.TestingT, s string) {
	var got, want commission.Explanation
	err := decodeExplanation(s, &got)
	wantErr := json.Unmarshal([]byte(s), &want)
	require.Equal(t, wantErr == nil, err == nil, "%q: %v, encoding/json %v", s, err, wantErr)
	if err == nil {
		require.Equal(t, want, got, "%q", s)
	}
}

// The store's own form is read by the reader, without encoding/json, as
// encoding/json reads it.
func TestExplanationReaderReadsTheStoredForm(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := explanationGen(false).Draw(t, "explanation")
		b, err := e.MarshalJSON()
		require.NoError(t, err)
		var got commission.Explanation
		require.True(t, (&explanationReader{s: string(b)}).read(&got), "%s", b)
		requireDecodedAsJSON(t, string(b))
	})
}

// Any other form gives what encoding/json gives.
func TestExplanationDecodedAsJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := explanationGen(true).Draw(t, "explanation")
		b, err := e.MarshalJSON()
		require.NoError(t, err)
		requireDecodedAsJSON(t, string(b))
	})
}

func FuzzDecodeExplanation(f *testing.F) {
	for _, s := range []string{
		`{"rule":"default","match":"default","base":"100","value":10}`,
		`{"rule":"default","match":"default","base":100,"type":"percent","value":10,"rate":1.0837,"from":"EUR","level":2,"step":1,"rounding":"half_up:2","exact":10.837,"caps":["per_reward","partner.month"],"uncapped":12,"counted":["month"],"threshold":5,"thresholds":2,"occurrence":3}`,
		` { "rule" : "a" , "base" : -0.5e-3 , "value" : 0 } `,
		`{"rule":"a","rule":"b","caps":["x"],"caps":["y","z"]}`,
		`{"Rule":"a"}`, `{"rule":"\u00e9"}`, `{"rule":"é"}`, `{"rule":null}`, `{"rate":null}`,
		`{"base":01}`, `{"base":1.}`, `{"base":-}`, `{"base":1e}`, `{"level":1.5}`, `{"level":1e2}`,
		`{"level":99999999999999999999}`, `{"caps":[]}`, `{"caps":[1]}`, `{"other":[1,{"a":2}]}`,
		`{}`, `{} x`, `{,}`, `null`, `[]`, ``, `{"rule":"a"`, `{"rule":"a",}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { requireDecodedAsJSON(t, s) })
}

// BenchmarkDecodeExplanation reads a level reward's stored explanation
// by the reader and by encoding/json, alternately in blocks of 100, and
// reports the time of each and their ratio:
//
//	go test -run '^$' -bench DecodeExplanation -count 5 ./sqlstore
func BenchmarkDecodeExplanation(b *testing.B) {
	exact := decimal.RequireFromString("10.8375")
	stored, err := commission.Explanation{Rule: "level:1", RuleVersion: "v2", Match: "level", Base: decimal.RequireFromString("108.37"),
		Type: "percent", Value: decimal.RequireFromString("10"), Level: 1, Step: 2, Rounding: "half_up:2", Exact: &exact,
		Counted: []string{"month"}}.MarshalJSON()
	require.NoError(b, err)
	s := string(stored)
	var e commission.Explanation
	ops := []func(){
		func() { require.NoError(b, decodeExplanation(s, &e)) },
		func() { e = commission.Explanation{}; require.NoError(b, json.Unmarshal(stored, &e)) },
	}
	var spent [2]time.Duration
	var runs [2]int
	const block = 100 // decodes timed at once, by one of the two
	for i := 0; b.Loop(); i++ {
		w := i % 2
		start := time.Now()
		for range block {
			ops[w]()
		}
		spent[w] += time.Since(start)
		runs[w] += block
	}
	per := func(w int) float64 { return float64(spent[w].Nanoseconds()) / float64(max(runs[w], 1)) }
	b.ReportMetric(per(0), "ns/decode-reader")
	b.ReportMetric(per(1), "ns/decode-json")
	b.ReportMetric(per(1)/per(0), "json/reader")
}
