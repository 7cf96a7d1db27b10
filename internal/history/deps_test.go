package history_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDatabaseDriver keeps the drivers out of the history package: only
// history/sqlite and history/postgres, which cmd wires in, may import them.
func TestNoDatabaseDriver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/cmkguard/cmkguard/internal/history").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "modernc.org/") || strings.HasPrefix(dep, "github.com/jackc/") || dep == "database/sql" {
			t.Errorf("internal/history depends on %s", dep)
		}
	}
}
