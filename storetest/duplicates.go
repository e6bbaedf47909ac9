package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Inserts of a taken id, key, email, transaction key or reward id are
// ErrDuplicateKey and store nothing of the rejected value. The units of work
// here return the error, as the Engine does: the contract does not promise
// that a StoreTx is usable after a failed write.
func duplicateTests() []subtest {
	tests := personDuplicateTests(partners)
	tests = append(tests,
		subtest{"partner key taken earlier in the unit of work", testPartnerTakenInUnitOfWork},
		subtest{"partners and customers are separate", testPartnersCustomersSeparate},
	)
	tests = append(tests, personDuplicateTests(customers)...)
	return append(tests,
		subtest{"transaction key", testDuplicateTxKey},
		subtest{"transaction key of a deleted transaction", func(t *testing.T, h Harness) {
			testDuplicateTxKeyOf(t, h, commission.TransactionDeleted)
		}},
		subtest{"transaction key of an archived transaction", func(t *testing.T, h Harness) {
			testDuplicateTxKeyOf(t, h, commission.TransactionArchived)
		}},
		subtest{"transaction key in a batch insert", testDuplicateInBatch},
		subtest{"reward id taken by another transaction", testRewardIDTaken},
		subtest{"reward id taken by a deleted transaction", testRewardIDTakenByDeleted},
		subtest{"reward id taken earlier in the unit of work", testRewardIDTakenInUnitOfWork},
		subtest{"reward id repeated within one transaction", testRewardIDRepeated},
	)
}

// personDuplicateTests are the tests that hold for partners and customers
// alike: "<kind> <field> taken" for id, key and email, and "<kind> emails
// may be empty".
func personDuplicateTests(p person) []subtest {
	var tests []subtest
	for _, field := range []string{"id", "key", "email"} {
		tests = append(tests, subtest{p.kind + " " + field + " taken", func(t *testing.T, h Harness) {
			testDuplicatePerson(t, h, p, field)
		}})
	}
	return append(tests, subtest{p.kind + " emails may be empty", func(t *testing.T, h Harness) { testEmptyEmails(t, h, p) }})
}

// testDuplicatePerson inserts a record whose field is taken by a fixture:
// ErrDuplicateKey, and nothing of it stored.
func testDuplicatePerson(t *testing.T, h Harness, p person, field string) {
	s := h.New(t)
	id := p.letter + "1"
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, p.insert(tx, id, nil)) })
	other := map[string]personRef{"id": {ID: "other"}, "key": {Key: "other-key"}, "email": {Email: "other@" + p.domain}}
	rejected := personRef{ID: "other", Key: "other-key", Email: "other@" + p.domain}
	switch field {
	case "id":
		rejected.ID = id
	case "key":
		rejected.Key = "key-" + id
	case "email":
		rejected.Email = id + "@" + p.domain
	}

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return p.insertBare(tx, rejected) })
	requireDuplicate(t, err, p.kind+" with a taken "+field)
	for by, ref := range other {
		if by != field {
			_, err = p.get(t, s, ref)
			requireNotFound(t, err, "rejected "+p.kind+" by "+by)
		}
	}
	p.requireFixture(t, s, id)
}

func testEmptyEmails(t *testing.T, h Harness, p person) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, p.insertBare(tx, personRef{ID: "n1", Key: "n1"}))
		require.NoError(t, p.insertBare(tx, personRef{ID: "n2", Key: "n2"}))
	})
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, p.insertBare(tx, personRef{ID: "n3", Key: "n3"})) })
	for _, id := range []string{"n1", "n2", "n3"} {
		got, err := p.get(t, s, personRef{ID: id})
		require.NoError(t, err)
		require.Empty(t, got.Email)
	}
}

func testPartnerTakenInUnitOfWork(t *testing.T, h Harness) {
	s := h.New(t)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("w")))
		return tx.InsertPartner(ctx, &commission.Partner{ID: "w2", Key: "key-w", Status: commission.PartnerActive, CreatedAt: t0})
	})
	requireDuplicate(t, err, "key taken earlier in the same unit of work")
	_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "w"})
	requireNotFound(t, err, "partner w rolled back")
	_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "w2"})
	requireNotFound(t, err, "partner w2")
}

func testPartnersCustomersSeparate(t *testing.T, h Harness) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1"))) })
	c := customerFixture("p1", "")
	c.Key, c.Email = "key-p1", "p1@partners.test"
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertCustomer(ctx, c)) })
	got, err := getCustomer(t, s, "a", commission.CustomerRef{Email: "p1@partners.test"})
	require.NoError(t, err)
	requireSameCustomer(t, c, got)
	p, err := getPartner(t, s, "a", commission.PartnerRef{Email: "p1@partners.test"})
	require.NoError(t, err)
	requireSamePartner(t, partnerFixture("p1"), p)
}

// tryInsert inserts tr in a unit of work of its own on program "a".
func tryInsert(s commission.Store, tr *commission.Transaction) error {
	return s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertTransaction(ctx, tr) })
}

func testDuplicateTxKey(t *testing.T, h Harness) {
	s := h.New(t)
	first := saleFixture("k", "c1", "p1", t0, "r1")
	require.NoError(t, tryInsert(s, first))
	requireDuplicate(t, tryInsert(s, saleFixture("k", "c2", "p2", t0.Add(time.Hour), "r2")), "taken key")
	got, err := getTx(t, s, "a", "k")
	require.NoError(t, err)
	requireSameTx(t, first, got)
	_, err = getReward(t, s, "a", "r2")
	requireNotFound(t, err, "reward of the rejected transaction")
	require.Equal(t, []string{"k"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	require.NoError(t, tryInsert(s, saleFixture("k2", "c2", "p2", t0, "r2")), "its reward id is free")
}

func testDuplicateTxKeyOf(t *testing.T, h Harness, state commission.TransactionState) {
	s := h.New(t)
	require.NoError(t, tryInsert(s, saleFixture("k", "c1", "p1", t0, "r1")))
	at := t0.Add(time.Hour)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "k", state, &at))
	})
	requireDuplicate(t, tryInsert(s, saleFixture("k", "c1", "p1", t0.Add(2*time.Hour))), "key of a "+string(state)+" transaction")

	// The transaction is still found by key, in its state.
	got, err := getTx(t, s, "a", "k")
	require.NoError(t, err)
	require.Equal(t, state, got.State)
	requireTimePtr(t, &at, got.DeletedAt, "DeletedAt")
	require.Len(t, got.Rewards, 1)
	requireTimePtr(t, &at, got.Rewards[0].DeletedAt, "reward DeletedAt")
	r, err := getReward(t, s, "a", "r1")
	require.NoError(t, err)
	requireTimePtr(t, &at, r.DeletedAt, "reward DeletedAt")
}

// A batch insert with a taken key, or a taken reward id, fails and
// stores nothing of its unit of work.
func testDuplicateInBatch(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("taken", "c1", "p1", t0, "r0"))
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertTransactions(ctx, []*commission.Transaction{
			saleFixture("fresh", "c1", "p1", t0, "r1"), saleFixture("taken", "c1", "p1", t0, "r2"),
		})
	})
	requireDuplicate(t, err, "a taken key in a batch")
	_, err = getTx(t, s, "a", "fresh")
	requireNotFound(t, err, "nothing of the failed unit of work")

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertTransactions(ctx, []*commission.Transaction{saleFixture("other", "c1", "p1", t0, "r0")})
	})
	requireDuplicate(t, err, "a taken reward id in a batch")
}

func testRewardIDTaken(t *testing.T, h Harness) {
	s := h.New(t)
	require.NoError(t, tryInsert(s, saleFixture("k1", "c1", "p1", t0, "r1", "r2")))
	requireDuplicate(t, tryInsert(s, saleFixture("k2", "c1", "p1", t0, "r3", "r2")), "reward id taken")
	_, err := getTx(t, s, "a", "k2")
	requireNotFound(t, err, "transaction with a taken reward id")
	_, err = getReward(t, s, "a", "r3")
	requireNotFound(t, err, "reward r3")
	r, err := getReward(t, s, "a", "r2")
	require.NoError(t, err)
	require.Equal(t, "k1", r.TransactionKey)
	require.Equal(t, []string{"k1"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	require.NoError(t, tryInsert(s, saleFixture("k2", "c1", "p1", t0, "r3")), "key and reward ids are free")
}

func testRewardIDTakenByDeleted(t *testing.T, h Harness) {
	s := h.New(t)
	require.NoError(t, tryInsert(s, saleFixture("k1", "c1", "p1", t0, "r1")))
	at := t0
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "k1", commission.TransactionDeleted, &at))
	})
	requireDuplicate(t, tryInsert(s, saleFixture("k2", "c1", "p1", t0, "r1")), "reward id of a deleted transaction")
	_, err := getTx(t, s, "a", "k2")
	requireNotFound(t, err, "transaction with a taken reward id")
}

func testRewardIDTakenInUnitOfWork(t *testing.T, h Harness) {
	s := h.New(t)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1")))
		return tx.InsertTransaction(ctx, saleFixture("k2", "c1", "p1", t0, "r1"))
	})
	requireDuplicate(t, err, "reward id taken in the same unit of work")
	for _, key := range []string{"k1", "k2"} {
		_, err := getTx(t, s, "a", key)
		requireNotFound(t, err, "transaction "+key)
	}
}

func testRewardIDRepeated(t *testing.T, h Harness) {
	s := h.New(t)
	requireDuplicate(t, tryInsert(s, saleFixture("k1", "c1", "p1", t0, "r1", "r1")), "reward id repeated in one transaction")
	_, err := getTx(t, s, "a", "k1")
	requireNotFound(t, err, "transaction with a repeated reward id")
	_, err = getReward(t, s, "a", "r1")
	requireNotFound(t, err, "reward r1")
	require.NoError(t, tryInsert(s, saleFixture("k1", "c1", "p1", t0, "r1")), "key and reward id are free")
}
