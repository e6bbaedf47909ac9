package memstore

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestOrderedBatchesMatchOneByOne requires removeAll and insertAll to
// leave a list as removing and inserting the values one by one does.
func TestOrderedBatchesMatchOneByOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.Custom(func(t *rapid.T) orderKey {
			return orderKey{at: int64(rapid.IntRange(0, 5).Draw(t, "at")), id: rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "id")}
		})
		keys := rapid.SliceOfDistinct(key, func(k orderKey) orderKey { return k }).Draw(t, "keys")
		var batch, single ordered[orderKey]
		for _, k := range keys {
			batch.insert(k)
			single.insert(k)
		}
		out := rapid.SliceOfDistinct(key, func(k orderKey) orderKey { return k }).Draw(t, "out")
		for _, k := range out {
			single.remove(k)
		}
		batch.removeAll(slices.Clone(out))
		if !slices.Equal(batch, single) {
			t.Fatalf("removeAll: %v, one by one: %v", batch, single)
		}
		in := rapid.SliceOfDistinct(key, func(k orderKey) orderKey { return k }).Draw(t, "in")
		in = slices.DeleteFunc(in, func(k orderKey) bool { _, found := single.search(k); return found })
		for _, k := range in {
			single.insert(k)
		}
		batch.insertAll(slices.Clone(in))
		if !slices.Equal(batch, single) {
			t.Fatalf("insertAll: %v, one by one: %v", batch, single)
		}
	})
}
