package memstore

// chunked is an append-only list in fixed-size chunks, so that it grows
// without ever copying what it holds: a store's lists of records and
// entries grow with every sale, and a slice's doubling would copy (and
// make the collector rescan) all of it each time.
type chunked[T any] struct {
	chunks []*[chunkLen]T
	n      int32
}

const chunkLen = 1024

// at is the element i, which must be below n.
func (c *chunked[T]) at(i int32) *T { return &c.chunks[i/chunkLen][i%chunkLen] }

// add appends v and returns its index.
func (c *chunked[T]) add(v T) int32 {
	i := c.n
	if int(i/chunkLen) == len(c.chunks) {
		c.chunks = append(c.chunks, new([chunkLen]T))
	}
	*c.at(i) = v
	c.n++
	return i
}

// pop removes the last element (a rolled-back add), zeroing its place so
// that it holds nothing for the collector.
func (c *chunked[T]) pop() {
	c.n--
	var zero T
	*c.at(c.n) = zero
}
