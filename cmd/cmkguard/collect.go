package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cmkguard/cmkguard/internal/azure"
	"github.com/cmkguard/cmkguard/internal/input"
)

// liveFlags are the flags of live collection, shared by collect and scan --live.
type liveFlags struct {
	live             bool // scan only: collect instead of (or besides) reading files
	subscriptions    []string
	managementGroups []string
	tenant           bool
	cloud            string
	armEndpoint      string
	concurrency      int
}

func (l *liveFlags) register(fl *pflag.FlagSet, scan bool) {
	if scan {
		fl.BoolVar(&l.live, "live", false, "read the estate from Azure (read-only) with the scope flags below, and evaluate it directly")
	}
	fl.StringSliceVar(&l.subscriptions, "subscription", nil, "subscription id(s) to collect (repeat, or separate with commas)")
	fl.StringSliceVar(&l.managementGroups, "management-group", nil, "management group name(s) to collect, with every subscription below")
	fl.BoolVar(&l.tenant, "tenant", false, "collect every subscription the credential can read")
	fl.StringVar(&l.cloud, "cloud", azure.CloudPublic, "Azure cloud: "+strings.Join(azure.CloudNames(), ", "))
	fl.StringVar(&l.armEndpoint, "arm-endpoint", "", "send Resource Graph and ARM calls to this https URL instead of the cloud's (TLS trust from the system store, which honours SSL_CERT_FILE)")
	fl.IntVar(&l.concurrency, "concurrency", 8, "ARM requests in flight at once")
}

// scoped reports whether a scope flag was given.
func (l *liveFlags) scoped() bool {
	return len(l.subscriptions) > 0 || len(l.managementGroups) > 0 || l.tenant
}

// checkArgs is scan's argument check: paths, --live, or both.
func (l *liveFlags) checkArgs(args []string) error {
	if !l.live && l.scoped() {
		return usageError{errors.New("--subscription, --management-group and --tenant need --live (or use collect)")}
	}
	if !l.live && len(args) == 0 {
		return usageError{errors.New("requires at least 1 arg(s), only received 0: give PATH ..., - for stdin, or --live with a scope")}
	}
	return nil
}

// inputs names the live source for the report's inputs.
func (l *liveFlags) inputs() []string {
	if !l.live {
		return nil
	}
	return []string{"azure:" + strings.Join(l.scope().IDs(), ",")}
}

func (l *liveFlags) scope() azure.Scope {
	return azure.Scope{Subscriptions: l.subscriptions, ManagementGroups: l.managementGroups, Tenant: l.tenant}
}

// collect reads the estate from Azure. Progress goes to stderr when it is a
// terminal; coverage gaps are printed as warnings.
func (l *liveFlags) collect(ctx context.Context, stderr io.Writer) (*azure.Snapshot, error) {
	scope := l.scope()
	if err := scope.Validate(); err != nil {
		return nil, usageError{err}
	}
	cfg, err := azure.CloudConfig(l.cloud, l.armEndpoint)
	if err != nil {
		return nil, usageError{err}
	}
	cred, err := azure.NewCredential(cfg, os.Getenv(azure.TokenEnv))
	if err != nil {
		return nil, err
	}
	opts := azure.Options{Scope: scope, Credential: cred, Cloud: l.cloud, ARMEndpoint: l.armEndpoint,
		Concurrency: l.concurrency, ToolVersion: toolVersion(), Logger: collectLogger(stderr)}
	if isTerminal(stderr) {
		opts.Progress = stderr
	}
	snap, err := azure.Collect(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	printGaps(stderr, snap.Header)
	return snap, nil
}

// read collects and feeds the snapshot to sink through the same reader as
// an NDJSON file, so that scan --live and scan of a collected file agree.
func (l *liveFlags) read(ctx context.Context, stderr io.Writer, sink input.Sink) error {
	if !l.live {
		return nil
	}
	snap, err := l.collect(ctx, stderr)
	if err != nil {
		return err
	}
	defer snap.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := snap.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	err = input.Read(ctx, l.inputs()[0], pr, sink)
	pr.CloseWithError(errors.New("reader done"))
	return err
}

// collectLogger logs the collector's own events at the level in
// CMKGUARD_LOG (debug, info, warn; default: errors only).
func collectLogger(stderr io.Writer) *slog.Logger {
	level := slog.LevelError
	switch strings.ToLower(os.Getenv("CMKGUARD_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// printGaps warns about what could not be read (the snapshot header keeps all).
func printGaps(w io.Writer, h azure.Header) {
	const most = 20
	for i, g := range h.Coverage {
		if i == most {
			fmt.Fprintf(w, "warning: … and %d more gaps; the snapshot header lists them all\n", len(h.Coverage)-most)
			break
		}
		fix := ""
		if g.Permission != "" {
			fix = "; needs " + g.Permission
		}
		fmt.Fprintf(w, "warning: could not read %s of %s: %s%s\n", g.Data, g.Scope, g.Error, fix)
	}
}

func newCollectCmd() *cobra.Command {
	var l liveFlags
	var output string
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Read an Azure estate live (read-only) and write an NDJSON snapshot",
		Long: "collect reads the estate from Azure Resource Graph (the resource types the rules read, role assignments,\n" +
			"subscriptions) and Azure Resource Manager (keys, diagnostic settings, Event Grid subscriptions, SQL encryption\n" +
			"protectors, App Service Key Vault reference status) with DefaultAzureCredential, or the bearer token in\n" +
			azure.TokenEnv + ". It only reads, and never reads secret values, key material or app-setting values.\n" +
			"What could not be read is listed in the snapshot's header with the role that would fix it; scan then reports\n" +
			"the affected results as unknown.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCollect(cmd, &l, output) },
	}
	l.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&output, "output", "o", "-", "write the snapshot to this file (- for standard output)")
	return cmd
}

func runCollect(cmd *cobra.Command, l *liveFlags, output string) error {
	snap, err := l.collect(cmd.Context(), cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer snap.Close()
	if output == "-" || output == "" {
		if _, err := snap.WriteTo(cmd.OutOrStdout()); err != nil {
			return err
		}
	} else if err := writeAtomically(output, snap); err != nil {
		return err
	}
	if snap.Header.InventoryFailed() {
		return errors.New("collect: no scope could be read (see the warnings above)")
	}
	return nil
}

// writeAtomically writes the snapshot beside path and renames it into place,
// so that a failed collection never leaves half a snapshot.
func writeAtomically(path string, snap *azure.Snapshot) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := snap.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	return nil
}
