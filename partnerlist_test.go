package commission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Partners are listed newest first, filtered by status, tag and email,
// page by page by number or by cursor; every bad option is named.
func TestPartners(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.Affiliate, "30"))
	for i := range 12 {
		in := commission.PartnerInput{Key: fmt.Sprintf("p%02d", i), Email: fmt.Sprintf("P%02d@Example.com", i)}
		if i%3 == 0 {
			in.Tags = []string{"gold"}
		}
		if i%4 == 0 {
			in.Status = commission.PartnerPending
		}
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
		clock.Advance(time.Second)
	}
	_, err := eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "p05"}, commission.PartnerArchived)
	require.NoError(t, err)
	_, err = eng.DeletePartner(ctx, commission.PartnerRef{Key: "p07"})
	require.NoError(t, err)

	keys := func(opts commission.PartnerListOptions) []string {
		t.Helper()
		page, err := eng.Partners(ctx, opts)
		require.NoError(t, err)
		return pagePartnerKeys(page)
	}
	require.Equal(t, []string{"p11", "p10", "p09", "p08", "p06", "p05", "p04", "p03", "p02", "p01", "p00"},
		keys(commission.PartnerListOptions{}), "every status but deleted")
	require.Equal(t, []string{"p08", "p04", "p00"}, keys(commission.PartnerListOptions{Statuses: []commission.PartnerStatus{commission.PartnerPending}}))
	require.Equal(t, []string{"p07", "p05"}, keys(commission.PartnerListOptions{Statuses: []commission.PartnerStatus{commission.PartnerArchived, commission.PartnerDeleted}}))
	require.Equal(t, []string{"p09", "p06", "p03", "p00"}, keys(commission.PartnerListOptions{Tag: "gold"}))
	require.Empty(t, keys(commission.PartnerListOptions{Tag: "Gold"}), "tags compare exactly")
	require.Equal(t, []string{"p09", "p06", "p03"}, keys(commission.PartnerListOptions{Tag: "gold", Statuses: []commission.PartnerStatus{commission.PartnerActive}}))
	require.Equal(t, []string{"p04"}, keys(commission.PartnerListOptions{Email: "p04@EXAMPLE.com"}), "emails in any case")
	require.Empty(t, keys(commission.PartnerListOptions{Email: "p07@example.com", Statuses: []commission.PartnerStatus{commission.PartnerDeleted}}), "a deleted partner's email is erased")

	// By page number and by cursor, the same partners in the same order.
	all := keys(commission.PartnerListOptions{})
	var byPage, byCursor []string
	for n := 1; ; n++ {
		page, err := eng.Partners(ctx, commission.PartnerListOptions{Limit: 4, Page: n})
		require.NoError(t, err)
		require.Equal(t, n, page.Page)
		require.Equal(t, 4, page.Limit)
		byPage = append(byPage, pagePartnerKeys(page)...)
		if page.NextCursor == "" {
			break
		}
	}
	cursor := ""
	for {
		page, err := eng.Partners(ctx, commission.PartnerListOptions{Limit: 4, Cursor: cursor})
		require.NoError(t, err)
		byCursor = append(byCursor, pagePartnerKeys(page)...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Equal(t, all, byPage)
	require.Equal(t, all, byCursor)
	page, err := eng.Partners(ctx, commission.PartnerListOptions{Limit: 11})
	require.NoError(t, err)
	require.Len(t, page.Partners, 11)
	require.Empty(t, page.NextCursor, "the last page has no cursor")

	// The page is the engine's copy, and its JSON the listing's.
	page, err = eng.Partners(ctx, commission.PartnerListOptions{Limit: 1})
	require.NoError(t, err)
	page.Partners[0].Name = "changed"
	got, err := eng.Partner(ctx, commission.PartnerRef{Key: "p11"})
	require.NoError(t, err)
	require.Empty(t, got.Name)
	b, err := json.Marshal(page)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.EqualValues(t, 1, m["limit"])
	require.EqualValues(t, 1, m["page"])
	require.NotEmpty(t, m["next_cursor"])
	require.Len(t, m["data"], 1)

	_, err = eng.Partners(ctx, commission.PartnerListOptions{
		Limit: 251, Page: -1, Statuses: []commission.PartnerStatus{"active", "gone"}, Tag: strings.Repeat("t", 256), Email: "nope",
	})
	requireFields(t, err, "limit", "page", "statuses[1]", "tag", "email")
	_, err = eng.Partners(ctx, commission.PartnerListOptions{Cursor: "!!", Page: 2})
	requireFields(t, err, "cursor", "page")
	_, err = eng.Partners(ctx, commission.PartnerListOptions{Page: commission.MaxPage + 1})
	requireFields(t, err, "page")
}
