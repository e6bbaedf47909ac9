package commission_test

import (
	"context"
	"encoding/json"
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

func strp(s string) *string { return &s }

// An update changes the fields it gives and only them, keeps the email
// in lower case and unique, names every bad field by its JSON path, and
// returns the engine's own copy.
func TestUpdatePartner(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", Email: "p2@example.com", Name: "Two", Tags: []string{"a"}})
	require.NoError(t, err)
	ref := commission.PartnerRef{Key: "p2"}

	tags := []string{"gold", "eu"}
	p, err := eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{Email: strp("New@Example.COM"), Surname: strp("Doe"), Tags: &tags})
	require.NoError(t, err)
	require.Equal(t, "new@example.com", p.Email, "kept in lower case")
	require.Equal(t, "Two", p.Name, "a nil field is left as it was")
	require.Equal(t, "Doe", p.Surname)
	require.Equal(t, []string{"gold", "eu"}, p.Tags)
	require.Equal(t, commission.PartnerActive, p.Status)
	tags[0] = "changed" // the caller's slice
	p.Name = "changed"  // the caller's copy
	got, err := eng.Partner(ctx, commission.PartnerRef{Email: "NEW@example.com"})
	require.NoError(t, err)
	require.Equal(t, "p2", got.Key)
	require.Equal(t, "Two", got.Name)
	require.Equal(t, []string{"gold", "eu"}, got.Tags)
	_, err = eng.Partner(ctx, commission.PartnerRef{Email: "p2@example.com"})
	require.ErrorIs(t, err, commission.ErrNotFound, "the old email names nobody")

	// Empty values clear.
	empty := []string{}
	p, err = eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{Email: strp(""), Name: strp(""), Tags: &empty})
	require.NoError(t, err)
	require.Empty(t, p.Email)
	require.Empty(t, p.Name)
	require.Nil(t, p.Tags)
	require.Equal(t, "Doe", p.Surname)

	// The email is unique: another partner's is a duplicate, and nothing
	// changes.
	_, err = eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{Email: strp("PARTNER@example.com"), Name: strp("x")})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	require.Contains(t, err.Error(), "partner@example.com")
	got, err = eng.Partner(ctx, ref)
	require.NoError(t, err)
	require.Empty(t, got.Name)

	// Every bad field at once, by its JSON path.
	bad := []string{"ok", "", strings.Repeat("t", 256)}
	_, err = eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{
		Email: strp("not-an-email"), Name: strp(strings.Repeat("n", 256)), Surname: strp("a\x00b"), Tags: &bad,
	})
	requireFields(t, err, "email", "name", "surname", "tags[1]", "tags[2]")
	many := make([]string, 101)
	for i := range many {
		many[i] = "t"
	}
	_, err = eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{Tags: &many})
	requireFields(t, err, "tags")
	_, err = eng.UpdatePartner(ctx, commission.PartnerRef{Key: strings.Repeat("k", 256)}, commission.PartnerUpdate{})
	requireFields(t, err, "key")
	_, err = eng.UpdatePartner(ctx, commission.PartnerRef{Key: "nobody"}, commission.PartnerUpdate{Name: strp("x")})
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// An update body decodes with encoding/json: an absent or null member is
// left as it is, and one that does not decode is named by its path.
func TestPartnerUpdateDecodes(t *testing.T) {
	var in commission.PartnerUpdate
	require.NoError(t, json.Unmarshal([]byte(`{"email":"a@b.c","name":null,"tags":["x"]}`), &in))
	require.Equal(t, "a@b.c", *in.Email)
	require.Nil(t, in.Name)
	require.Nil(t, in.Surname)
	require.Equal(t, []string{"x"}, *in.Tags)
	err := json.Unmarshal([]byte(`{"email":1}`), &in)
	requireFields(t, err, "email")
	err = json.Unmarshal([]byte(`{"tags":"gold"}`), &in)
	requireFields(t, err, "tags")
	var c commission.CustomerUpdate
	require.NoError(t, json.Unmarshal([]byte(`{"surname":"S"}`), &c))
	require.Equal(t, "S", *c.Surname)
	require.Nil(t, c.Email)
	err = json.Unmarshal([]byte(`{"name":["x"]}`), &c)
	requireFields(t, err, "name")
}

// Archiving and restoring keep to their events; a deleted status is set
// by DeletePartner only.
func TestPartnerStatusNotDeleted(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.PartnerRef{Key: "partner_123"}
	_, err := eng.SetPartnerStatus(ctx, ref, commission.PartnerDeleted)
	v := requireFields(t, err, "status")
	require.Contains(t, v.Fields[0].Message, "DeletePartner")
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p2", Status: commission.PartnerDeleted})
	requireFields(t, err, "status")
	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerDeleted)
	v = requireFields(t, err, "status")
	require.Contains(t, v.Fields[0].Message, "DeleteCustomer")
}
