package commission_test

import (
	"context"
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// A partner's every bad field is named at once; its referring partner
// must exist.
func TestPartnerValidationAndReferrer(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{
		Key: strings.Repeat("k", 256), Email: "not-an-email", Tags: []string{"ok", ""},
		Status: "vip", ReferringPartner: &commission.PartnerRef{},
	})
	requireFields(t, err, "key", "email", "tags[1]", "status", "referring_partner")

	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", ReferringPartner: &commission.PartnerRef{Key: "nobody"}})
	require.ErrorIs(t, err, commission.ErrPartnerNotFound)
	p, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", ReferringPartner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, "partner_123", p.ReferringPartnerID)
	got, err := eng.Partner(ctx, commission.PartnerRef{Key: "p2"})
	require.NoError(t, err)
	require.Equal(t, commission.PartnerActive, got.Status)
}

func TestPartnerCommissionChangesLaterSalesOnly(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	before, err := eng.CreateTransaction(ctx, sale("before", "customer_123", "100"))
	require.NoError(t, err)
	flat := commission.Flat(dec("5")).For(commission.Times(1)).Then(commission.Flat(dec("2")))
	p, err := eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, &flat)
	require.NoError(t, err)
	require.NotNil(t, p.Commission)
	// The customer's first rewarded sale was "before": this is its second.
	tx, err := eng.CreateTransaction(ctx, sale("after", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "2", tx.Rewards[0].Amount)
	require.Equal(t, "partner:partner_123", tx.Rewards[0].Explanation.Rule)
	require.Equal(t, 2, tx.Rewards[0].Explanation.Step)
	got, err := eng.Transaction(ctx, "before")
	require.NoError(t, err)
	requireDecimal(t, before.Rewards[0].Amount.String(), got.Rewards[0].Amount, "stored rewards never change")

	_, err = eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, nil)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("reset", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "30", tx.Rewards[0].Amount)

	bad := commission.Percent(dec("101"))
	_, err = eng.SetPartnerCommission(ctx, commission.PartnerRef{Key: "partner_123"}, &bad)
	requireFields(t, err, "commission.value")
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "x", Commission: &bad})
	requireFields(t, err, "commission.value")
}

// A status change is validated, applies to the partner the ref names and
// is returned; an unknown partner is ErrNotFound.
func TestSetPartnerStatus(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.PartnerRef{Key: "partner_123"}
	_, err := eng.SetPartnerStatus(ctx, ref, "vip")
	requireFields(t, err, "status")
	p, err := eng.SetPartnerStatus(ctx, ref, commission.PartnerArchived)
	require.NoError(t, err)
	require.Equal(t, commission.PartnerArchived, p.Status)
	p.Status = commission.PartnerActive // the caller's copy
	got, err := eng.Partner(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, commission.PartnerArchived, got.Status)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "nobody"}, commission.PartnerActive)
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// Emails compare case-insensitively: two partners cannot share one in
// another case, one is found in any case, and it is kept in lower case.
func TestPartnerEmailsIgnoreCase(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	p, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "up", Email: "Up@Example.com"})
	require.NoError(t, err)
	require.Equal(t, "up@example.com", p.Email)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "up2", Email: "up@example.com"})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	got, err := eng.Partner(ctx, commission.PartnerRef{Email: "UP@EXAMPLE.COM"})
	require.NoError(t, err)
	require.Equal(t, "up", got.Key)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Email: "uP@example.COM"}, commission.PartnerPending)
	require.NoError(t, err)
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Email: "UP@example.com"}})
	require.NoError(t, err, "attribution by email in another case")
	require.Equal(t, "up", c.PartnerKey)
}
