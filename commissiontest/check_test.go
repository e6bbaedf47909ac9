package commissiontest_test

import (
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
)

// Mistakes a user could make in a program, each with the property the
// user would state: the kit finds each, and shrinks it to a few steps.

// levelProgram pays 10% to the seller and level1 to the partner above.
func levelProgram(level1 string) commission.Program {
	return commission.Program{ID: "levels", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("10")),
		Levels:  []commission.Commission{commission.Percent(dec(level1))},
	}}
}

// capProgram pays a launch offer of 60% within a monthly spend limit of
// limit.
func capProgram(limit string) commission.Program {
	return commission.Program{ID: "caps", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("60")),
		Caps:    commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec(limit)}}},
	}}
}

// tierProgram pays 10%, and tier from 1,000.00 of revenue on.
func tierProgram(tier string) commission.Program {
	return commission.Program{ID: "tiers", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Default: commission.Percent(dec("10")),
		Tiers: []commission.Tier{{ID: "grown", Commission: commission.Percent(dec(tier)),
			When: []commission.Condition{{Metric: commission.MetricRevenue, AtLeast: decp("1000")}}}},
	}}
}

// planted are the mistakes, each with its property, the call its
// smallest history must hold, and the program put right.
var planted = []struct {
	name       string
	bug, fixed commission.Program
	prop       commissiontest.Property
	call       string
}{
	{"a level rate above the seller's", levelProgram("15"), levelProgram("5"), levelNotAboveSeller, "ReferringPartner"},
	{"a cap in the wrong unit", capProgram("100000"), capProgram("1000"), monthlyLimit, "eng.CreateTransaction"},
	{"a tier that lowers the rate", tierProgram("5"), tierProgram("15"), rateNeverDrops, "eng.CreateTransaction"},
}

// plantedConfig keeps the planted-bug tests quick.
var plantedConfig = commissiontest.Config{Steps: 8}

func TestPlantedBugsFailWithAShortHistory(t *testing.T) {
	for _, c := range planted {
		t.Run(c.name, func(t *testing.T) {
			f := commissiontest.Run(c.bug, plantedConfig, c.prop)
			if f == nil {
				t.Fatal("the property held")
			}
			if f.Property != c.prop.Name {
				t.Fatalf("%q failed, not %q: %v", f.Property, c.prop.Name, f)
			}
			if len(f.Steps) > 6 {
				t.Errorf("the smallest history has %d steps, more than 6:\n%s", len(f.Steps), f.GoTest)
			}
			for _, want := range []string{"func TestRegression(t *testing.T)", c.call, "commissiontest.NewReplay(t, program, " + c.prop.Expr + ")"} {
				if !strings.Contains(f.GoTest, want) {
					t.Errorf("the regression test lacks %q:\n%s", want, f.GoTest)
				}
			}
			if !strings.Contains(f.Error(), c.prop.Name) || !strings.Contains(f.Error(), f.Err.Error()) {
				t.Errorf("the message lacks the property or its error: %v", f)
			}
			t.Logf("%d steps:\n%s", len(f.Steps), f.GoTest)
		})
	}
}

func TestCorrectedProgramsPass(t *testing.T) {
	for _, c := range planted {
		t.Run(c.name, func(t *testing.T) {
			commissiontest.Check(t, c.fixed, plantedConfig, c.prop)
		})
	}
}
