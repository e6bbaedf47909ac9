package commission

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Triggers: which transactions earn rewards (RuleSet.Trigger), and the
// signups the engine records as transactions when the rules reward them.

// TriggerSignup makes a customer's creation earn rewards; see
// RuleSet.Trigger.
const TriggerSignup = "signup"

// signupKeyPrefix starts the keys of the transactions the engine records
// for signups; transaction keys given by callers may not use it.
const signupKeyPrefix = "signup:"

// signup reports whether t is a signup the engine recorded.
func (t *Transaction) signup() bool { return strings.HasPrefix(t.Key, signupKeyPrefix) }

// triggers reports whether t's action earns rewards.
func (rs *rules) triggers(t *Transaction) bool {
	if len(rs.referral) > 0 {
		return rs.referralTriggers(t)
	}
	return triggerMatches(rs.trigger, t)
}

// triggerMatches reports whether trigger (as RuleSet.Trigger) matches t.
func triggerMatches(trigger string, t *Transaction) bool {
	if t.signup() {
		return trigger == TriggerSignup
	}
	return trigger == "" || trigger == t.Action
}

// signedUp counts a new customer towards its beneficiary's signups and,
// when the rules reward signups (a signup trigger or goal), records the
// signup as a transaction with the rewards it earns, if any, and their
// events, as a sale's.
func (e *Engine) signedUp(ctx context.Context, w *work, b *Buyer) error {
	c := b.Customer
	who := e.beneficiary(c.PartnerID, c.ReferringCustomerID)
	if who == "" {
		return nil
	}
	if !e.rules.signupEvents {
		return w.addCounters(ctx, signupDeltas(who, c))
	}
	t := &Transaction{
		Key: SignupKey(c.ID), Action: TriggerSignup, AmountUnits: e.prog.Currency, IsCurrency: true, Credit: e.prog.Rules.Credit,
		Rewardable: true, CustomerID: c.ID, CustomerKey: c.Key, PartnerID: c.PartnerID, PartnerKey: c.PartnerKey,
		ReferringCustomerID: c.ReferringCustomerID, ReferringCustomerKey: c.ReferringCustomerKey,
		CreatedAt: c.CreatedAt, State: TransactionActive, Kind: e.prog.Kind,
	}
	if err := e.earn(ctx, w, &earning{t: t, b: b}); err != nil {
		return err
	}
	switch {
	case len(t.Rewards) == 0 || w.dry:
		return nil
	case w.batch != nil: // stored, with its events, with the bulk's sales, in turn
		w.batch.built = append(w.batch.built, t)
		return nil
	}
	recordSale(w.tx, t)
	return w.tx.InsertTransaction(ctx, t)
}

// signupDeltas count a new customer c towards its beneficiary's signups.
func signupDeltas(who string, c *Customer) []CounterDelta {
	return []CounterDelta{
		{Key: metricKey(MetricSignups, who, ""), Delta: one},
		{Key: metricKey(MetricSignups, who, monthBucket(c.CreatedAt)), Delta: one},
	}
}

// SignupKey is the key of the transaction the engine records for the
// signup of the customer with customerID, when the rules reward signups
// (a signup trigger or a goal on signups): "signup:" and the id, or its
// SHA-256 in hex when the id is too long for a key.
func SignupKey(customerID string) string {
	if len(signupKeyPrefix)+len(customerID) <= maxKeyLen {
		return signupKeyPrefix + customerID
	}
	sum := sha256.Sum256([]byte(customerID))
	return signupKeyPrefix + hex.EncodeToString(sum[:])
}
