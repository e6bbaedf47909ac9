package commissiontest_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain bounds the time rapid shrinks a failure for, 15 s by default,
// to keep the planted-bug tests quick under the race detector, unless
// -rapid.shrinktime or RAPID_SHRINKTIME says otherwise.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.shrinktime" })
	if _, ok := os.LookupEnv("RAPID_SHRINKTIME"); !ok && !explicit {
		if err := flag.Set("rapid.shrinktime", "15s"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
