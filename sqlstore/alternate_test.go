package sqlstore_test

import (
	"testing"
	"time"
)

// Benchmarks compare twins (an engine and its raw-driver twin, a first
// page and a deep one) by alternating them within one run: this
// machine's speed swings within minutes, and alternation slows both alike.

// alternateN runs b.N iterations of each of ops, starting each iteration
// with the next op in turn, and returns each one's time per iteration.
func alternateN(b *testing.B, ops ...func(i int)) []float64 {
	spent := make([]time.Duration, len(ops))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range ops {
			w := (i + k) % len(ops)
			start := time.Now()
			ops[w](i)
			spent[w] += time.Since(start)
		}
	}
	b.StopTimer()
	out := make([]float64, len(ops))
	for w := range spent {
		out[w] = float64(spent[w].Nanoseconds()) / float64(b.N)
	}
	return out
}

// reportTwins reports the two times per operation, as ns/op-<a> and
// ns/op-<b>, and b's over a's as <b>/<a>.
func reportTwins(b *testing.B, ns []float64, a, bName string) {
	b.ReportMetric(ns[0], "ns/op-"+a)
	b.ReportMetric(ns[1], "ns/op-"+bName)
	if ns[0] > 0 {
		b.ReportMetric(ns[1]/ns[0], bName+"/"+a)
	}
}
