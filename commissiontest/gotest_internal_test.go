package commissiontest

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

func testProgram() commission.Program {
	return commission.Program{ID: "prog", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(30))}}
}

// The regression test names the properties by their Expr, says where
// the failing one goes when it has none, and imports what it uses.
func TestGoTestSource(t *testing.T) {
	steps := []Step{
		{Go: `r.Do(eng.CreatePartner(ctx, commission.PartnerInput{Key: "p1"}))`},
		{Go: "r.Advance(" + goDuration(48*time.Hour) + ")"},
	}
	props := []Property{{Name: "named", Expr: "named"}, {Name: "anonymous"}}
	src := goTest(testProgram(), steps, props, "anonymous")
	for _, want := range []string{
		"commissiontest.NewReplay(t, program, named)\n",
		`// TODO: pass the property "anonymous" to NewReplay`,
		"\tr.Advance(48 * time.Hour)\n", "\t\"time\"\n",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("no %q in\n%s", want, src)
		}
	}
	if strings.Contains(src, "shopspring") || strings.Contains(src, "_, _ = ctx, eng") {
		t.Errorf("imports decimal, or mentions ctx again:\n%s", src)
	}
	if src := goTest(testProgram(), steps[1:], nil, ""); !strings.Contains(src, "_, _ = ctx, eng") {
		t.Errorf("a test without calls leaves ctx and eng unused:\n%s", src)
	}
}

func TestGoDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1 * time.Minute", 31 * 24 * time.Hour: "744 * time.Hour",
		90 * time.Second: "90 * time.Second", time.Millisecond: "time.Duration(1000000)",
	} {
		if got := goDuration(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
