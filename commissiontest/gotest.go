package commissiontest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
)

// goTest writes the regression test of a history: the program as JSON
// (read back with json.Unmarshal), each step as a statement on a Replay,
// whose Do checks the invariants and the properties after each step as
// Check did, so that the test fails at the last step as the history did.
func goTest(p commission.Program, steps []Step, props []Property, failed string) string {
	var b strings.Builder
	body := stepsSource(steps)
	b.WriteString(imports(body))
	b.WriteString("\nfunc TestRegression(t *testing.T) {\n")
	b.WriteString(programSource(p))
	b.WriteString(replaySource(props, failed))
	b.WriteString(body)
	b.WriteString("}\n")
	return b.String() // gofmt's layout already: the kit's tests make sure of it
}

// stepsSource is the statements of the steps, and a mention of ctx and
// eng when no step uses them.
func stepsSource(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("\t" + s.Go + "\n")
	}
	if !strings.Contains(b.String(), "ctx") {
		b.WriteString("\t_, _ = ctx, eng\n")
	}
	return b.String()
}

// imports is the import block the test needs.
func imports(body string) string {
	std := []string{`"encoding/json"`, `"testing"`}
	if strings.Contains(body, "time.") {
		std = append(std, `"time"`)
	}
	var mods []string
	if strings.Contains(body, "decimal.") {
		mods = append(mods, `"github.com/shopspring/decimal"`)
	}
	own := []string{`"github.com/commissionkit/commission"`, `"github.com/commissionkit/commission/commissiontest"`}
	groups := []string{strings.Join(std, "\n\t")}
	if len(mods) > 0 {
		groups = append(groups, strings.Join(mods, "\n\t"))
	}
	groups = append(groups, strings.Join(own, "\n\t"))
	return "import (\n\t" + strings.Join(groups, "\n\n\t") + "\n)\n"
}

// programSource reads p back from its JSON, with a note when the JSON
// does not give p back.
func programSource(p commission.Program) string {
	data, err := json.MarshalIndent(p, "\t", "\t")
	if err != nil {
		return fmt.Sprintf("\tvar program commission.Program // json.Marshal failed: %v\n", err)
	}
	lit := "`" + string(data) + "`"
	if bytes.ContainsRune(data, '`') {
		lit = strconv.Quote(string(data))
	}
	src := "\tvar program commission.Program\n"
	if ok, why := roundTrips(p, data); !ok {
		src += "\t// Beware: the program's JSON does not give it back whole (" + why + ").\n"
	}
	return src + "\tif err := json.Unmarshal([]byte(" + lit + "), &program); err != nil {\n\t\tt.Fatal(err)\n\t}\n"
}

// roundTrips reports whether data, p's JSON, reads back into a program
// whose JSON is the same.
func roundTrips(p commission.Program, data []byte) (bool, string) {
	var q commission.Program
	if err := json.Unmarshal(data, &q); err != nil {
		return false, err.Error()
	}
	again, err := json.MarshalIndent(q, "\t", "\t")
	if err != nil {
		return false, err.Error()
	}
	if !bytes.Equal(data, again) {
		return false, "it reads back as " + string(again)
	}
	return true, ""
}

// replaySource starts the replay with the properties that have an Expr,
// and says where the failing property goes when it has none.
func replaySource(props []Property, failed string) string {
	var exprs []string
	src := ""
	for _, p := range props {
		if p.Expr != "" {
			exprs = append(exprs, p.Expr)
		} else if p.Name == failed {
			src += fmt.Sprintf("\t// TODO: pass the property %q to NewReplay: set its Expr, or add it here.\n", p.Name)
		}
	}
	args := slices.Concat([]string{"t", "program"}, exprs)
	src += "\tr := commissiontest.NewReplay(" + strings.Join(args, ", ") + ")\n"
	return src + "\tctx, eng := r.Context, r.Engine\n"
}
