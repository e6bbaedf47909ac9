package commission_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTestingLibraryInBuilds checks that no package a program builds
// with (the engine, its stores, simulate, the service, the webhook
// dispatcher, the relay and the command) imports a testing library or the
// test-support packages storetest and commissiontest, which do: only a
// user's tests that import those get them.
func TestNoTestingLibraryInBuilds(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	pkgs := []string{".", "./memstore", "./sqlstore", "./simulate", "./httpapi", "./webhook", "./relay", "./cmd/commission"}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"github.com/stretchr/testify", "pgregory.net/rapid", "/storetest", "/commissiontest", "/internal/rapidgen"}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list listed %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.Contains(dep, f) {
				t.Errorf("a non-test package depends on %s", dep)
			}
		}
	}
}
