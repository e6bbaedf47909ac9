package memstore

import (
	"fmt"

	"github.com/commissionkit/commission"
)

// people holds a program's partners or customers, found by id, key or
// email, and listed by (CreatedAt, ID): all of them, and (customers) by
// group, their partner. The values it holds are read-only, shared with
// the callers they are returned to: a change replaces a value with a
// changed copy.
type people[T any] struct {
	byID    map[string]*T
	byKey   map[string]string // key → id
	byEmail map[string]string // email → id
	all     ordered[orderKey]
	groups  map[string]ordered[orderKey] // by group, "" for none
	clone   func(*T) *T                  // a deep copy
	// fields are what the store reads of a value: its place in the
	// listing order, its email and its group ("" for none).
	fields func(*T) (at orderKey, email, group string)
}

func newPeople[T any](clone func(*T) *T, fields func(*T) (orderKey, string, string)) people[T] {
	return people[T]{byID: make(map[string]*T), byKey: make(map[string]string), byEmail: make(map[string]string),
		groups: make(map[string]ordered[orderKey]), clone: clone, fields: fields}
}

// find returns the one named by id if set, else by key, else by email.
func (x *people[T]) find(id, key, email string) (*T, bool) {
	switch {
	case id != "":
	case key != "":
		id = x.byKey[key]
	default:
		id = x.byEmail[email]
	}
	v, ok := x.byID[id]
	return v, ok
}

// insert stores a copy of v, which the caller names what ("partner" or
// "customer") with id, key and email, and removes it on rollback. A taken
// id, key or (non-empty) email is ErrDuplicateKey.
func (x *people[T]) insert(t *tx, what, id, key, email string, v *T) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, idTaken := x.byID[id]
	_, keyTaken := x.byKey[key]
	_, emailTaken := x.byEmail[email]
	switch {
	case idTaken:
		return fmt.Errorf("%w: %s id %q", commission.ErrDuplicateKey, what, id)
	case keyTaken:
		return fmt.Errorf("%w: %s key %q", commission.ErrDuplicateKey, what, key)
	case email != "" && emailTaken:
		return fmt.Errorf("%w: %s email %q", commission.ErrDuplicateKey, what, email)
	}
	stored := x.clone(v) // the caller's value may change after this returns
	x.byID[id] = stored
	x.byKey[key] = id
	if email != "" {
		x.byEmail[email] = id
	}
	at, _, group := x.fields(stored)
	x.all.insert(at)
	x.addToGroup(group, at)
	t.onRollback(func() {
		delete(x.byID, id)
		delete(x.byKey, key)
		if email != "" {
			delete(x.byEmail, email)
		}
		x.all.remove(at)
		x.removeFromGroup(group, at)
	})
	return nil
}

func (x *people[T]) addToGroup(group string, at orderKey) {
	if group == "" {
		return
	}
	l := x.groups[group]
	l.insert(at)
	x.groups[group] = l
}

func (x *people[T]) removeFromGroup(group string, at orderKey) {
	if group == "" {
		return
	}
	l := x.groups[group]
	l.remove(at)
	if len(l) == 0 {
		delete(x.groups, group)
		return
	}
	x.groups[group] = l
}

// change replaces the one with id by a copy that set has changed, and puts
// it back on rollback. The copy is deep, so that nothing set gives it
// stays the caller's. set must not change its place in the listing order
// or its group; it may change its email, which is then found instead of
// the old one. ErrNotFound if there is none; ErrDuplicateKey, changing
// nothing, if the new email is another's.
func (x *people[T]) change(t *tx, what, id string, set func(*T)) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := x.byID[id]
	if !ok {
		return fmt.Errorf("%w: %s id %q", commission.ErrNotFound, what, id)
	}
	v := *old
	set(&v)
	_, was, _ := x.fields(old)
	_, email, _ := x.fields(&v)
	if email != was && email != "" {
		if other, taken := x.byEmail[email]; taken && other != id {
			return fmt.Errorf("%w: %s email %q", commission.ErrDuplicateKey, what, email)
		}
	}
	x.byID[id] = x.clone(&v)
	if email != was {
		x.moveEmail(id, was, email)
	}
	t.onRollback(func() {
		x.byID[id] = old
		if email != was {
			x.moveEmail(id, email, was)
		}
	})
	return nil
}

// moveEmail makes the one with id found by email to instead of from
// ("" for none).
func (x *people[T]) moveEmail(id, from, to string) {
	if from != "" {
		delete(x.byEmail, from)
	}
	if to != "" {
		x.byEmail[to] = id
	}
}

// list returns the values of list (all, or a group's), newest first,
// from strictly before after when it is set, that keep says to keep,
// skipping offset of them, then at most limit.
func (x *people[T]) list(l ordered[orderKey], after *commission.RewardPosition, offset, limit int, keep func(*T) bool) []*T {
	end := len(l)
	if after != nil {
		end = l.first(func(k orderKey) bool { return !k.before(after.CreatedAt, after.ID) })
	}
	var out []*T
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		v := x.byID[l[i].id]
		if !keep(v) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		out = append(out, v)
	}
	return out
}
