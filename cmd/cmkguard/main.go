// Command cmkguard governs customer-managed keys in Azure: it judges an
// estate's CMK posture from Azure's own JSON and reports it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the
// module version from the build info is used.
var version = ""

// Exit codes (CONTRACT §2).
const (
	exitOK       = 0
	exitFindings = 1 // failing results at or above --fail-on
	exitUsage    = 2 // usage or input error
)

// errFindings reports failing results; it carries no message of its own.
var errFindings = errors.New("failing results at or above the --fail-on severity")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs cmkguard with args and returns the exit code. It is main without the
// process: tests call it directly.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	default:
		fmt.Fprintf(stderr, "cmkguard: %v\n", err)
		return exitUsage
	}
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "cmkguard",
		Short: "Govern customer-managed keys in Azure",
		Long: "cmkguard follows every Azure workload to the key that encrypts it, the vault that holds the key and the\n" +
			"identity that reaches it, and reports whether sensitive data is protected by keys the organisation owns.",
		Version:       toolVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newScanCmd(), newRulesCmd())
	root.AddCommand(newImpactCmd(), newForecastCmd())
	root.AddCommand(newCollectCmd())
	root.AddCommand(newKPICmd())
	root.AddCommand(newServeCmd())
	return root
}

// usageError marks a command-line mistake.
type usageError struct{ error }

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
