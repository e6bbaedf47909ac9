package memstore

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// orderKey is a place in an order by time, then id: rewards by CreatedAt
// (or ReviewEndsAt) and ID, payouts by CreatedAt and ID. Its time is in
// Unix microseconds, to which the engine truncates the times it stores.
type orderKey struct {
	at int64
	id string
}

func (k orderKey) key() orderKey { return k }

func (k orderKey) compare(o orderKey) int {
	if k.at != o.at {
		if k.at < o.at {
			return -1
		}
		return 1
	}
	return strings.Compare(k.id, o.id)
}

// before reports whether k comes before the place (t, id).
func (k orderKey) before(t time.Time, id string) bool {
	c := time.UnixMicro(k.at).Compare(t)
	return c < 0 || c == 0 && k.id < id
}

// ordered is a list oldest first by orderKey, with no two values at one
// place.
type ordered[T interface{ key() orderKey }] []T

// insert adds v; appending, the usual case, costs no search.
func (l *ordered[T]) insert(v T) {
	s := *l
	if n := len(s); n == 0 || s[n-1].key().compare(v.key()) < 0 {
		*l = append(s, v)
		return
	}
	i, _ := s.search(v.key())
	*l = slices.Insert(s, i, v)
}

// remove removes the value at k, if there is one.
func (l *ordered[T]) remove(k orderKey) {
	if i, found := l.search(k); found {
		*l = slices.Delete(*l, i, i+1)
	}
}

// removeAll removes the values at the places of vs, those there are,
// shifting the rest once: O(len(l) + k log k) for k values. It sorts vs.
func (l *ordered[T]) removeAll(vs []T) {
	if len(vs) <= 1 {
		for _, v := range vs {
			l.remove(v.key())
		}
		return
	}
	slices.SortFunc(vs, compareKeys)
	s := *l
	w, _ := s.search(vs[0].key())
	k := 0
	for _, v := range s[w:] {
		for k < len(vs) && vs[k].key().compare(v.key()) < 0 {
			k++
		}
		if k < len(vs) && vs[k].key().compare(v.key()) == 0 {
			k++
			continue
		}
		s[w] = v
		w++
	}
	clear(s[w:])
	*l = s[:w]
}

// insertAll adds vs, merging them in once: O(len(l) + k log k) for k
// values. It sorts vs.
func (l *ordered[T]) insertAll(vs []T) {
	if len(vs) <= 1 {
		for _, v := range vs {
			l.insert(v)
		}
		return
	}
	slices.SortFunc(vs, compareKeys)
	s := *l
	i, j := len(s)-1, len(vs)-1
	s = append(s, vs...)
	// Merge from the end, where the grown list has room.
	for w := len(s) - 1; j >= 0; w-- {
		if i >= 0 && s[i].key().compare(vs[j].key()) > 0 {
			s[w] = s[i]
			i--
		} else {
			s[w] = vs[j]
			j--
		}
	}
	*l = s
}

func compareKeys[T interface{ key() orderKey }](a, b T) int { return a.key().compare(b.key()) }

func (l ordered[T]) search(k orderKey) (int, bool) {
	return slices.BinarySearchFunc(l, k, func(v T, k orderKey) int { return v.key().compare(k) })
}

// first returns the index of the first value whose key is past: past is
// false, then true, along l.
func (l ordered[T]) first(past func(orderKey) bool) int {
	return sort.Search(len(l), func(i int) bool { return past(l[i].key()) })
}
