package commissiontest_test

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The printed regression test is gofmt's layout already, and parses.
func TestGoTestIsFormatted(t *testing.T) {
	f := levelFailure()
	if f == nil {
		t.Fatal("the property held")
	}
	src := "package p\n\n" + f.GoTest
	out, err := format.Source([]byte(src))
	if err != nil {
		t.Fatalf("%v:\n%s", err, f.GoTest)
	}
	if string(out) != src {
		t.Errorf("not formatted: gofmt gives\n%s", out)
	}
}

// A program's JSON reads back into the same program, for the rich
// program and every drawn one: the regression test rebuilds it so.
func TestProgramJSONRoundTrips(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, p commission.Program) {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("%v", err)
		}
		var q commission.Program
		if err := json.Unmarshal(data, &q); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		again, _ := json.Marshal(q)
		if !bytes.Equal(data, again) {
			t.Fatalf("%s reads back as %s", data, again)
		}
	}
	check(t, richProgram())
	rapid.Check(t, func(t *rapid.T) { check(t, rapidgen.Program().Draw(t, "program")) })
}

// The printed regression test compiles in a module of its own, beside
// the properties it names, and fails as the history did: go test runs it
// in a temporary module that replaces this one with the repository.
func TestGoTestCompilesAndFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	f := commissiontest.Run(capProgram("100000"), plantedConfig, monthlyLimit)
	if f == nil {
		t.Fatal("the property held")
	}
	dir := regressionModule(t, f.GoTest)
	cmd := exec.Command("go", "test", "-count=1", "-run", "TestRegression", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the regression test passed:\n%s", out)
	}
	for _, want := range []string{"--- FAIL: TestRegression", `property "` + monthlyLimit.Name + `" failed after`, f.Err.Error()} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go test says no %q:\n%s\nThe test:\n%s", want, out, f.GoTest)
		}
	}
}

// regressionModule writes a module that holds the regression test and
// props_test.go, and replaces this module with the repository.
func regressionModule(t *testing.T, goTest string) string {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	props, err := os.ReadFile("props_test.go")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module example.com/regression\n\ngo 1.26.0\n\n" +
		"require (\n\tgithub.com/commissionkit/commission v0.0.0\n\tgithub.com/shopspring/decimal v1.6.0\n\tpgregory.net/rapid v1.3.0\n)\n\n" +
		"replace github.com/commissionkit/commission => " + root + "\n"
	files := map[string]string{
		"go.mod":             mod,
		"go.sum":             string(sum),
		"props_test.go":      strings.Replace(string(props), "package commissiontest_test", "package regression", 1),
		"regression_test.go": "package regression\n\n" + goTest,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
