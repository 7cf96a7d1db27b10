package rules

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPurePackagesStayPure keeps the model, the rules and the policy free of
// the heavy dependencies (Azure SDK, database drivers, Prometheus, HTTP
// servers): they must stay cheap to build, easy to test, and unable to call
// out.
func TestPurePackagesStayPure(t *testing.T) {
	pure := []string{"./internal/estate", "./internal/rules", "./internal/policy", "./internal/input"}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pure...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{"github.com/Azure/", "modernc.org/", "github.com/jackc/", "github.com/prometheus/", "net/http", "database/sql"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("%v depend on %s", pure, dep)
			}
		}
	}
}
