package memstore

import (
	"fmt"

	"github.com/commissionkit/commission"
)

// people holds a program's partners or customers, found by id, key or
// email. The values it holds are read-only, shared with the callers they
// are returned to: a change replaces a value with a changed copy.
type people[T any] struct {
	byID    map[string]*T
	byKey   map[string]string // key → id
	byEmail map[string]string // email → id
	clone   func(*T) *T       // a deep copy
}

func newPeople[T any](clone func(*T) *T) people[T] {
	return people[T]{byID: make(map[string]*T), byKey: make(map[string]string), byEmail: make(map[string]string), clone: clone}
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
	x.byID[id] = x.clone(v) // the caller's value may change after this returns
	x.byKey[key] = id
	if email != "" {
		x.byEmail[email] = id
	}
	t.onRollback(func() {
		delete(x.byID, id)
		delete(x.byKey, key)
		if email != "" {
			delete(x.byEmail, email)
		}
	})
	return nil
}

// change replaces the one with id by a copy that set has changed, and puts
// it back on rollback. The copy is deep, so that nothing set gives it
// stays the caller's. ErrNotFound if there is none.
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
	x.byID[id] = x.clone(&v)
	t.onRollback(func() { x.byID[id] = old })
	return nil
}
