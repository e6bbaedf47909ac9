package commission

import (
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// The ledger: what a reward pays can change after it is earned (a
// refund, a deletion, a restore), and each change is an Entry against the
// reward, never an edit of it. A reward's net is its Amount less its
// Reversed, the sum of its entries. Where a reward's money sits decides
// where an entry counts: in review or earned and unpaid, the entry nets
// the reward in place; in a payout or paid, the payout is never edited,
// and the entry is an adjustment the next payout nets (a clawback, when
// it takes money back).

// EarnerKind says who a reward pays.
type EarnerKind string

// Earner kinds.
const (
	// EarnerPartner is a partner, in an affiliate program.
	EarnerPartner EarnerKind = "partner"
	// EarnerCustomer is a customer, in a refer-a-friend program: the
	// referrer, or the referred friend.
	EarnerCustomer EarnerKind = "customer"
)

// Earner names who a reward pays by its id: a partner (Reward.PartnerID)
// or a customer (Reward.RewardedCustomerID).
type Earner struct {
	Kind EarnerKind `json:"kind"`
	ID   string     `json:"id"`
}

// earnerOf is who r pays.
func earnerOf(r *Reward) Earner {
	if r.PartnerID != "" {
		return Earner{EarnerPartner, r.PartnerID}
	}
	return Earner{EarnerCustomer, r.RewardedCustomerID}
}

// EntryReason says what made an entry.
type EntryReason string

// Entry reasons.
const (
	EntryRefund   EntryReason = "refund"   // a partial or full refund of the sale
	EntryDeleted  EntryReason = "deleted"  // the sale was deleted
	EntryArchived EntryReason = "archived" // the sale was archived
	EntryRestored EntryReason = "restored" // the sale was restored
)

// Entry is a change to what a reward pays after it was earned: negative
// when it takes back (a refund, a deletion, an archive), positive when it
// gives back (a restore). The reward itself never changes; its Reversed
// is the sum of its entries, negated.
type Entry struct {
	ID             string      `json:"id"`
	RewardID       string      `json:"reward"`
	TransactionKey string      `json:"key"`
	Reason         EntryReason `json:"reason"`
	// RefundKey is the refund that made the entry, for EntryRefund.
	RefundKey string `json:"refund,omitempty"`
	// Earner and Units are the reward's.
	Earner    Earner          `json:"earner"`
	Units     string          `json:"amount_units"`
	Amount    decimal.Decimal `json:"amount"`
	CreatedAt time.Time       `json:"created_at"`
	// Adjustment is true when the entry was made while its reward was in
	// a payout or paid: the payout is not edited, and the next payout of
	// the earner in these units nets the entry (a clawback when it is
	// negative).
	Adjustment bool `json:"adjustment,omitempty"`
	// PayoutID is the payout that netted an adjustment; "" while it is
	// open.
	PayoutID string `json:"payout,omitempty"`
}

// net is what a reward pays now: its amount less what was reversed.
func (r *Reward) net() decimal.Decimal { return r.Amount.Sub(r.Reversed) }

// Where an earner's money in a unit sits, as counters: place "unpaid"
// holds its rewards that are in review or earned and in no payout, net of
// their entries, and the open adjustments that give money back (credits);
// "in_payout" what its pending payouts pay, less what was reversed of
// their rewards since; "paid" what its paid payouts paid; "clawback" the
// open adjustments of paid rewards that take money back, as a positive
// sum. A balance reads these four counters, and what is in review, at a
// cost that does not grow with the earner's history.
//
// An entry against a reward in a pending payout counts in "in_payout"
// until the payout is settled: paid, the entry is a clawback (or a
// credit) the next payout nets; canceled, the reward comes back to
// "unpaid" with the entry netted in place.
const (
	placeUnpaid   = "unpaid"
	placeClawback = "clawback"
	placeInPayout = "in_payout"
	placePaid     = "paid"
)

// balanceKey is the counter of who's money in units in place.
//
// Its name, "wallet.", sorts after every other counter's (customer.,
// goal., metric., referral., referred., spend.), so that the balances
// are the last counters any unit of work locks: a sale locks its
// counters in key order (a store locks the keys of one call in that
// order), and a refund, a deletion, a decision or a payout locks the
// metrics and spend limits first and the balances last. In one order
// everywhere, two units of work cannot deadlock on them.
func balanceKey(place string, who Earner, units string) CounterKey {
	name, ok := balanceNames[who.Kind][place]
	if !ok {
		name = "wallet." + string(who.Kind) + "." + place
	}
	return CounterKey{Name: name, Subject: who.ID, Bucket: units}
}

// balanceNames are the balances' counter names by earner kind and place,
// made once: every reward and entry moves a balance.
var balanceNames = func() map[EarnerKind]map[string]string {
	out := map[EarnerKind]map[string]string{}
	for _, kind := range []EarnerKind{EarnerPartner, EarnerCustomer} {
		out[kind] = map[string]string{}
		for _, place := range []string{placeUnpaid, placeClawback, placeInPayout, placePaid} {
			out[kind][place] = "wallet." + string(kind) + "." + place
		}
	}
	return out
}()

// earnedDeltas is what new rewards add to their earners' unpaid money; a
// rejected reward counts nowhere.
func earnedDeltas(deltas []CounterDelta, rewards []Reward) []CounterDelta {
	for i := range rewards {
		r := &rewards[i]
		if r.Status != RewardRejected {
			deltas = append(deltas, CounterDelta{Key: balanceKey(placeUnpaid, earnerOf(r), r.AmountUnits), Delta: r.Amount})
		}
	}
	return deltas
}

// placeOf is where an entry of amount against a reward counts, given
// where the reward sits: in place with it while it is in no payout; with
// its payout while that is pending; once it is paid, a clawback when the
// entry takes money back and a credit (unpaid) when it gives some.
func placeOf(at RewardPlace, amount decimal.Decimal) string {
	switch {
	case at.PayoutID == "":
		return placeUnpaid
	case at.Status != RewardPaid:
		return placeInPayout
	case amount.Sign() < 0:
		return placeClawback
	}
	return placeUnpaid
}

// placeOfReward is where r sits.
func placeOfReward(r *Reward) RewardPlace { return RewardPlace{PayoutID: r.PayoutID, Status: r.Status} }

// placeDelta is what amount adds to the counter of place: a clawback
// counts what it takes back as a positive sum.
func placeDelta(place string, who Earner, units string, amount decimal.Decimal) CounterDelta {
	if place == placeClawback {
		amount = amount.Neg()
	}
	return CounterDelta{Key: balanceKey(place, who, units), Delta: amount}
}

// entry is an entry of amount against r, made at now for reason; post
// marks it an adjustment if r is in a payout when it is stored.
func (e *Engine) entry(r *Reward, amount decimal.Decimal, reason EntryReason, now time.Time) Entry {
	return Entry{
		ID: e.newID(), RewardID: r.ID, TransactionKey: r.TransactionKey, Reason: reason,
		Earner: earnerOf(r), Units: r.AmountUnits, Amount: amount, CreatedAt: now,
	}
}

// post stores entries against t's rewards and moves the money they move,
// with more, deltas of other counters (metrics) the caller moves with
// them. Locks are taken in one order everywhere: in one call, the
// metrics, the spend limits the rewards counted towards (as a sale takes
// them) and the earners' balances (which a payout takes first); then the
// reward rows (which a payout takes next), as the entries are stored.
//
// Each entry moves its earner's money where its reward sat when t was
// read, and is an adjustment if the reward was in a payout then, in
// those same calls; settle then moves what a payout changed in between,
// which is seldom, so that entries usually cost the balances one call.
func post(ctx context.Context, tx StoreTx, t *Transaction, entries []Entry, more []CounterDelta) error {
	// Room for each entry's four balances, its delta, and a spend limit.
	first := make([]CounterDelta, len(more), len(more)+6*len(entries))
	copy(first, more)
	var few [4]RewardPlace // a sale's rewards are few: no allocation
	read := few[:0]
	if len(entries) > len(few) {
		read = make([]RewardPlace, 0, len(entries))
	}
	read = read[:len(entries)]
	for k := range entries {
		en := &entries[k]
		if i := slices.IndexFunc(t.Rewards, func(r Reward) bool { return r.ID == en.RewardID }); i >= 0 {
			read[k] = placeOfReward(&t.Rewards[i])
			first = spendDeltas(first, &t.Rewards[i], en.Amount)
		}
		en.Adjustment = read[k].PayoutID != ""
		first = append(first, placeDelta(placeOf(read[k], en.Amount), en.Earner, en.Units, en.Amount))
		for _, place := range lockPlaces {
			first = append(first, CounterDelta{Key: balanceKey(place, en.Earner, en.Units)})
		}
	}
	if len(first) > 0 {
		if err := tx.AddCounters(ctx, addUpInPlace(first)); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		return nil
	}
	now, err := tx.InsertEntries(ctx, entries)
	if err != nil {
		return err
	}
	return settle(ctx, tx, entries, read, now)
}

// settle moves the money of each entry whose reward a payout took, paid
// or released between the read of its transaction (read) and the lock of
// its earner's balances, which made that payout finish first: from where
// post put it to where the reward sat as the entry was stored (now),
// marking or unmarking the entry an adjustment. The keys it adds to are
// balances post locked, so the lock order holds.
func settle(ctx context.Context, tx StoreTx, entries []Entry, read, now []RewardPlace) error {
	var moved []CounterDelta
	var unmarked, marked []string // entries no longer, and now, adjustments
	for i := range entries {
		en := &entries[i]
		was, is := placeOf(read[i], en.Amount), placeOf(now[i], en.Amount)
		if was != is {
			moved = append(moved, placeDelta(was, en.Earner, en.Units, en.Amount.Neg()),
				placeDelta(is, en.Earner, en.Units, en.Amount))
		}
		switch adjustment := now[i].PayoutID != ""; {
		case adjustment && !en.Adjustment:
			marked = append(marked, en.ID)
		case !adjustment && en.Adjustment:
			unmarked = append(unmarked, en.ID)
		}
		en.Adjustment = now[i].PayoutID != ""
	}
	for _, set := range []struct {
		ids        []string
		adjustment bool
	}{{unmarked, false}, {marked, true}} {
		if len(set.ids) > 0 {
			if err := tx.SetEntriesAdjustment(ctx, set.ids, set.adjustment); err != nil {
				return err
			}
		}
	}
	if len(moved) == 0 {
		return nil
	}
	return tx.AddCounters(ctx, addUp(moved))
}

// lockCounters locks the counters keys, in their order (CounterKey.Compare),
// by adding nothing to them: what the unit of work reads next was
// committed by whoever held them before.
func lockCounters(ctx context.Context, tx StoreTx, keys []CounterKey) error {
	deltas := make([]CounterDelta, len(keys))
	for i, k := range keys {
		deltas[i] = CounterDelta{Key: k}
	}
	return addSorted(ctx, tx, deltas)
}

// addSorted adds deltas in one call, in key order, each key once: it
// locks every counter it names, a zero delta included.
func addSorted(ctx context.Context, tx StoreTx, deltas []CounterDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	return tx.AddCounters(ctx, addUp(deltas))
}

// addUp returns deltas in key order, each key once with the sum of its
// deltas; nil when there are none.
func addUp(deltas []CounterDelta) []CounterDelta {
	if len(deltas) == 0 {
		return nil
	}
	return addUpInPlace(slices.Clone(deltas))
}

// addUpInPlace is addUp reordering and reusing deltas, which the caller
// no longer needs.
func addUpInPlace(sorted []CounterDelta) []CounterDelta {
	if len(sorted) == 0 {
		return nil
	}
	slices.SortStableFunc(sorted, func(a, b CounterDelta) int { return a.Key.Compare(b.Key) })
	out := sorted[:1]
	for _, d := range sorted[1:] {
		if last := &out[len(out)-1]; last.Key == d.Key {
			last.Delta = last.Delta.Add(d.Delta)
			continue
		}
		out = append(out, d)
	}
	return out
}
