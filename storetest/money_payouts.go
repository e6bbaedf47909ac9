package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A payout takes rewards and adjustments that are in no payout, and the
// store makes sure that no two units of work can both take one; paying it
// pays its rewards, canceling it frees them.
func payoutTests() []subtest {
	return []subtest{
		{"InsertPayout puts rewards and adjustments in it", testInsertPayout},
		{"a reward or adjustment in a payout is ErrInPayout", testInPayout},
		{"unknown payouts, rewards and entries are ErrNotFound", testPayoutUnknown},
		{"a payout id taken is ErrDuplicateKey", testPayoutIDTaken},
		{"a paid payout's rewards are paid", testPayoutPaid},
		{"a canceled payout frees its rewards and adjustments", testPayoutCanceled},
		{"racing payouts never share a reward or adjustment", testPayoutRace},
	}
}

// payoutFixture stores and returns sale s1 of partnerP1's rewards r1 to
// r4, all released but r2, which is in review until an hour after t0,
// with the adjustments a1 and a2 against r4.
func payoutFixture(t *testing.T, s commission.Store) (*commission.Transaction, []commission.Entry) {
	t.Helper()
	s1 := released(earnedBy("s1", partnerP1, t0, "r1", "r2", "r3", "r4"))
	ends := t0.Add(time.Hour)
	s1.Rewards[1].Status, s1.Rewards[1].ReviewEndsAt = commission.RewardInReview, &ends
	insert(t, s, "a", s1)
	adjustments := []commission.Entry{
		adjustmentOf("a1", &s1.Rewards[3], "-1", t0.Add(time.Hour)),
		adjustmentOf("a2", &s1.Rewards[3], "-2", t0.Add(time.Hour)),
	}
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertEntries(tx, adjustments)) })
	s1.Rewards[3].Reversed = dec("3")
	return s1, adjustments
}

// InsertPayout stores the payout and sets the PayoutID of its rewards and
// adjustments, which the unit of work reads at once and every read sees
// after; the rest stay payable and open.
func testInsertPayout(t *testing.T, h Harness) {
	s := h.New(t)
	s1, adjustments := payoutFixture(t, s)
	po := payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r2", "r1"}, []string{"a2"})
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, po))
		r, err := tx.Reward(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, "po1", r.PayoutID, "inside the unit of work")
		got, err := tx.Payout(ctx, "po1")
		require.NoError(t, err)
		requireSamePayout(t, po, got)
	})
	s1.Rewards[0].PayoutID, s1.Rewards[1].PayoutID, adjustments[1].PayoutID = "po1", "po1", "po1"
	requireEarnedEverywhere(t, s, "a", s1)
	requireSameEntries(t, adjustments, entriesOf(t, s, "a", "s1"))
	requirePayoutsIn(t, s, "a", po)
	require.Equal(t, []string{"r3", "r4"}, idsOf(payable(t, s, "a", partnerP1, "USD", t0.Add(time.Hour))))
	requireSameEntries(t, adjustments[:1], openAdjustments(t, s, "a", partnerP1, "USD"))
}

// A payout of a reward or adjustment that a payout (pending or paid)
// holds, or that one took earlier in the unit of work, is ErrInPayout,
// and nothing of it is stored.
func testInPayout(t *testing.T, h Harness) {
	s := h.New(t)
	payoutFixture(t, s)
	paidAt := t0.Add(3 * time.Hour)
	held := payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r1"}, []string{"a1"})
	paid := payoutOf("po-paid", partnerP1, t0.Add(2*time.Hour), []string{"r2"}, nil)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, held))
		require.NoError(t, tx.InsertPayout(ctx, paid))
		paid.State, paid.PaidAt = commission.PayoutPaid, &paidAt
		require.NoError(t, tx.UpdatePayout(ctx, paid))
	})
	at := t0.Add(4 * time.Hour)
	for name, tries := range map[string][]*commission.Payout{
		"a reward of a pending payout": {payoutOf("po2", partnerP1, at, []string{"r3", "r1"}, nil)},
		"a reward of a paid payout":    {payoutOf("po2", partnerP1, at, []string{"r3", "r2"}, nil)},
		"an adjustment of a payout":    {payoutOf("po2", partnerP1, at, []string{"r3"}, []string{"a2", "a1"})},
		"a reward taken earlier in it": {payoutOf("po2", partnerP1, at, []string{"r3"}, nil), payoutOf("po3", partnerP1, at, []string{"r4", "r3"}, nil)},
		"an adjustment taken earlier":  {payoutOf("po2", partnerP1, at, []string{"r3"}, []string{"a2"}), payoutOf("po3", partnerP1, at, []string{"r4"}, []string{"a2"})},
	} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			for _, p := range tries {
				if err := tx.InsertPayout(ctx, p); err != nil {
					return err
				}
			}
			return nil
		})
		require.Truef(t, errors.Is(err, commission.ErrInPayout), "%s: want ErrInPayout, got %v", name, err)
		for _, id := range []string{"po2", "po3"} {
			_, err := getPayout(t, s, "a", id)
			requireNotFound(t, err, name+": payout "+id)
		}
		requireInPayout(t, s, "a", "", "r3", "r4")
		requireInPayout(t, s, "a", "po1", "r1")
		requireInPayout(t, s, "a", "po-paid", "r2")
		entries := entriesOf(t, s, "a", "s1")
		require.Equal(t, []string{"po1", ""}, []string{entries[0].PayoutID, entries[1].PayoutID}, name+": a1, a2")
		requirePayoutsIn(t, s, "a", held, paid)
	}
}

// Payout and UpdatePayout of an unknown payout, and InsertPayout of an
// unknown reward or entry, are ErrNotFound; nothing of the refused payout
// is stored.
func testPayoutUnknown(t *testing.T, h Harness) {
	s := h.New(t)
	payoutFixture(t, s)
	_, err := getPayout(t, s, "a", "nope")
	requireNotFound(t, err, "Payout of an unknown id")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.UpdatePayout(ctx, payoutOf("nope", partnerP1, t0, []string{"r1"}, nil))
	})
	requireNotFound(t, err, "UpdatePayout of an unknown id")
	for what, p := range map[string]*commission.Payout{
		"an unknown reward": payoutOf("po1", partnerP1, t0, []string{"r1", "nope"}, nil),
		"an unknown entry":  payoutOf("po1", partnerP1, t0, []string{"r1"}, []string{"a1", "nope"}),
	} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertPayout(ctx, p) })
		requireNotFound(t, err, "InsertPayout of "+what)
		_, err = getPayout(t, s, "a", "po1")
		requireNotFound(t, err, "the payout of "+what)
		requireInPayout(t, s, "a", "", "r1")
		require.Empty(t, entriesOf(t, s, "a", "s1")[0].PayoutID, "a1's payout")
	}
	require.Empty(t, listPayouts(t, s, "a", commission.PayoutQuery{Limit: 10}))
}

// A payout id taken, by a pending or a canceled payout, is
// ErrDuplicateKey; the payout that holds it and the rewards of the
// refused one stay as they were.
func testPayoutIDTaken(t *testing.T, h Harness) {
	s := h.New(t)
	payoutFixture(t, s)
	canceledAt := t0.Add(3 * time.Hour)
	pending := payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r1"}, nil)
	canceled := payoutOf("po2", partnerP1, t0.Add(time.Hour), []string{"r2"}, nil)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, pending))
		require.NoError(t, tx.InsertPayout(ctx, canceled))
		canceled.State, canceled.CanceledAt = commission.PayoutCanceled, &canceledAt
		require.NoError(t, tx.UpdatePayout(ctx, canceled))
	})
	for _, id := range []string{"po1", "po2"} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			return tx.InsertPayout(ctx, payoutOf(id, partnerP1, t0.Add(4*time.Hour), []string{"r3"}, []string{"a1"}))
		})
		requireDuplicate(t, err, "payout id "+id)
	}
	requireInPayout(t, s, "a", "", "r2", "r3")
	requireInPayout(t, s, "a", "po1", "r1")
	require.Empty(t, entriesOf(t, s, "a", "s1")[0].PayoutID, "a1's payout")
	requirePayoutsIn(t, s, "a", pending, canceled)
}

// Paying a payout makes the stored status of its rewards RewardPaid,
// whether they were stored ok or in review; they and its adjustments
// stay in it, and no other reward changes.
func testPayoutPaid(t *testing.T, h Harness) {
	s := h.New(t)
	s1, adjustments := payoutFixture(t, s)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r1", "r2"}, []string{"a1"})))
	})
	paidAt := t0.Add(3*time.Hour + time.Microsecond)
	po := payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r1", "r2"}, []string{"a1"})
	po.State, po.PaidAt, po.Reference = commission.PayoutPaid, &paidAt, "wire-1"
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdatePayout(ctx, po)) })

	for i := range 2 {
		s1.Rewards[i].Status, s1.Rewards[i].PayoutID = commission.RewardPaid, "po1"
	}
	adjustments[0].PayoutID = "po1"
	requireEarnedEverywhere(t, s, "a", s1)
	requireSameEntries(t, adjustments, entriesOf(t, s, "a", "s1"))
	requirePayoutsIn(t, s, "a", po)
	require.Equal(t, []string{"r3", "r4"}, idsOf(payable(t, s, "a", partnerP1, "USD", paidAt)))
}

// Canceling a payout takes its rewards and adjustments out of it (their
// PayoutID is "" again, their status unchanged) while the payout keeps
// their ids; they are payable and open again, and a new payout may take
// them. Another payout's rewards stay in it.
func testPayoutCanceled(t *testing.T, h Harness) {
	s := h.New(t)
	s1, adjustments := payoutFixture(t, s)
	first := payoutOf("po1", partnerP1, t0.Add(2*time.Hour), []string{"r2", "r1"}, []string{"a2", "a1"})
	other := payoutOf("po-other", partnerP1, t0.Add(2*time.Hour), []string{"r3"}, nil)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPayout(ctx, first))
		require.NoError(t, tx.InsertPayout(ctx, other))
	})
	canceledAt := t0.Add(3*time.Hour + time.Microsecond)
	first.State, first.CanceledAt = commission.PayoutCanceled, &canceledAt
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.UpdatePayout(ctx, first)) })

	s1.Rewards[2].PayoutID = "po-other"
	requireEarnedEverywhere(t, s, "a", s1)
	requireSameEntries(t, adjustments, entriesOf(t, s, "a", "s1"))
	requirePayoutsIn(t, s, "a", first, other)
	require.Equal(t, []string{"r1", "r2", "r4"}, idsOf(payable(t, s, "a", partnerP1, "USD", canceledAt)))
	requireSameEntries(t, adjustments, openAdjustments(t, s, "a", partnerP1, "USD"))

	again := payoutOf("po2", partnerP1, t0.Add(4*time.Hour), []string{"r1", "r2"}, []string{"a1", "a2"})
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertPayout(ctx, again)) })
	s1.Rewards[0].PayoutID, s1.Rewards[1].PayoutID = "po2", "po2"
	adjustments[0].PayoutID, adjustments[1].PayoutID = "po2", "po2"
	requireEarnedEverywhere(t, s, "a", s1)
	requireSameEntries(t, adjustments, entriesOf(t, s, "a", "s1"))
	requirePayoutsIn(t, s, "a", again, first, other)
}

// payoutRaceRounds is how many times testPayoutRace races two payouts.
const payoutRaceRounds = 20

// Two units of work on separate stores of one database, each reading
// partnerP1's payable rewards first as the engine does, put overlapping
// rewards (even rounds) or adjustments (odd rounds) in payouts at once,
// many times: each time exactly one wins, the other is ErrInPayout and
// leaves nothing, and no reward or adjustment is ever in two payouts.
func testPayoutRace(t *testing.T, h Harness) {
	s := h.New(t)
	peers := stores(t, h, s, 2)
	rounds := payoutRaceFixture(t, s)
	winners := make([]*commission.Payout, len(rounds))
	for i, round := range rounds {
		errs := racePayouts(peers, round)
		for j, err := range errs {
			if err == nil {
				require.Nilf(t, winners[i], "round %d: both payouts stored", i)
				winners[i] = round[j]
				continue
			}
			require.Truef(t, errors.Is(err, commission.ErrInPayout), "round %d: want ErrInPayout, got %v", i, err)
		}
		require.NotNilf(t, winners[i], "round %d: neither payout stored: %v", i, errs)
	}
	requirePayoutRaceOutcome(t, s, rounds, winners)
}

// payoutRaceFixture stores, for each round i, sale race-i of partnerP1's
// released rewards race-i-a, -b and -c, and the adjustments race-i-x and
// -y against a reward of a paid payout, and returns each round's two
// payouts.
func payoutRaceFixture(t *testing.T, s commission.Store) [][2]*commission.Payout {
	t.Helper()
	old := released(earnedBy("old", partnerP1, t0, "old-r"))
	rounds := make([][2]*commission.Payout, payoutRaceRounds)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, old))
		require.NoError(t, tx.InsertPayout(ctx, payoutOf("po-old", partnerP1, t0, []string{"old-r"}, nil)))
		var adjustments []commission.Entry
		for i := range rounds {
			n := fmt.Sprintf("race-%d", i)
			require.NoError(t, tx.InsertTransaction(ctx, released(earnedBy(n, partnerP1, t0.Add(time.Hour), n+"-a", n+"-b", n+"-c"))))
			adjustments = append(adjustments, adjustmentOf(n+"-x", &old.Rewards[0], "-1", t0), adjustmentOf(n+"-y", &old.Rewards[0], "-1", t0))
			at := t0.Add(2 * time.Hour)
			if i%2 == 0 {
				rounds[i] = [2]*commission.Payout{
					payoutOf(n+"-1", partnerP1, at, []string{n + "-a", n + "-b"}, []string{n + "-x"}),
					payoutOf(n+"-2", partnerP1, at, []string{n + "-b", n + "-c"}, []string{n + "-y"}),
				}
			} else {
				rounds[i] = [2]*commission.Payout{
					payoutOf(n+"-1", partnerP1, at, []string{n + "-a"}, []string{n + "-x"}),
					payoutOf(n+"-2", partnerP1, at, []string{n + "-c"}, []string{n + "-x", n + "-y"}),
				}
			}
		}
		require.NoError(t, insertEntries(tx, adjustments))
	})
	return rounds
}

// racePayouts tries round[j] on peers[j], both at once, each in a unit of
// work that reads the payable rewards first, and returns their errors.
func racePayouts(peers []commission.Store, round [2]*commission.Payout) [2]error {
	var (
		errs  [2]error
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for j, p := range round {
		wg.Go(func() {
			<-start
			errs[j] = peers[j].Update(ctx, "a", func(tx commission.StoreTx) error {
				if _, err := tx.PayableRewards(ctx, partnerP1, "USD", t0.Add(time.Hour)); err != nil {
					return err
				}
				return tx.InsertPayout(ctx, p)
			})
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// requirePayoutRaceOutcome requires each round's winner, and only it, to
// be stored and to hold its rewards and adjustments, the loser's other
// ones to be free, and no reward or adjustment to be in two payouts.
func requirePayoutRaceOutcome(t *testing.T, s commission.Store, rounds [][2]*commission.Payout, winners []*commission.Payout) {
	t.Helper()
	holder := map[string]string{} // reward or entry id → the payout that holds it
	for _, e := range entriesOf(t, s, "a", "old") {
		holder[e.ID] = e.PayoutID
	}
	for i, round := range rounds {
		tr, err := getTx(t, s, "a", fmt.Sprintf("race-%d", i))
		require.NoError(t, err)
		for _, r := range tr.Rewards {
			holder[r.ID] = r.PayoutID
		}
		for _, p := range round {
			want := ""
			if p == winners[i] {
				want = p.ID
				requireSamePayout(t, p, mustPayout(t, s, "a", p.ID))
			} else {
				_, err := getPayout(t, s, "a", p.ID)
				requireNotFound(t, err, "the losing payout "+p.ID)
			}
			for _, id := range held(p) {
				if p == winners[i] || !slices.Contains(held(winners[i]), id) {
					require.Equalf(t, want, holder[id], "round %d: the payout of %s", i, id)
				}
			}
		}
	}
	seen := map[string]string{}
	listed := listPayouts(t, s, "a", commission.PayoutQuery{Limit: 2 * payoutRaceRounds})
	require.Len(t, listed, payoutRaceRounds+1, "the winners and po-old")
	for _, p := range listed {
		for _, id := range held(p) {
			require.Emptyf(t, seen[id], "%s is in payouts %s and %s", id, seen[id], p.ID)
			seen[id] = p.ID
		}
	}
}

// held returns the ids of the rewards and adjustments p holds.
func held(p *commission.Payout) []string {
	return slices.Concat(p.RewardIDs, p.EntryIDs)
}
