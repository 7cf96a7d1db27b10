package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/input"
	"github.com/cmkguard/cmkguard/internal/report"
)

// estateFlags are the input flags impact and forecast share with scan.
type estateFlags struct {
	inputs []string
	format string
	output string
	now    string
}

func (f *estateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.inputs, "input", nil, "snapshot file or folder (every *.json/*.ndjson below), or - for stdin; repeatable, and added to the PATH arguments")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	fl.StringVarP(&f.output, "output", "o", "", "write to this file instead of standard output")
	fl.StringVar(&f.now, "now", "", "evaluation time, RFC 3339 (default: the clock)")
}

// check validates the format and returns the evaluation time.
func (f *estateFlags) check() (time.Time, error) {
	if f.format != "table" && f.format != "json" {
		return time.Time{}, usageError{fmt.Errorf("--format %q: want table or json", f.format)}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return time.Time{}, usageError{fmt.Errorf("--now %q: want RFC 3339, e.g. 2026-12-01T00:00:00Z", f.now)}
		}
		now = t.UTC()
	}
	return now, nil
}

// load reads the snapshot from the PATH arguments and --input, printing input
// warnings to stderr as scan does.
func (f *estateFlags) load(ctx context.Context, cmd *cobra.Command, paths []string) (*estate.Estate, error) {
	paths = append(paths, f.inputs...)
	if len(paths) == 0 {
		return nil, usageError{fmt.Errorf("no input: give snapshot PATH arguments or --input")}
	}
	b := estate.NewBuilder()
	if err := input.ReadPaths(ctx, paths, cmd.InOrStdin(), b); err != nil {
		return nil, err
	}
	e := b.Build()
	for _, w := range e.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	return e, nil
}

// write sends the rendered output to --output or standard output.
func (f *estateFlags) write(cmd *cobra.Command, v any, table func(io.Writer) error) error {
	w := cmd.OutOrStdout()
	var file *os.File
	if f.output != "" {
		var err error
		if file, err = os.Create(f.output); err != nil {
			return fmt.Errorf("write %s: %w", f.output, err)
		}
		w = file
	}
	var err error
	if f.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(v)
	} else {
		err = table(w)
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func newImpactCmd() *cobra.Command {
	var f estateFlags
	cmd := &cobra.Command{
		Use:   "impact KEY [PATH ...]",
		Short: "Blast radius of a key: what depends on it, and what disabling, deleting or purging it would do",
		Long: "impact lists every workload, disk encryption set and identity that depends on KEY — a key URI\n" +
			"(https://VAULT.vault.azure.net/keys/NAME[/VERSION], Managed HSM and sovereign-cloud hosts too) or the ARM id\n" +
			"of a key — with the vault's soft-delete and purge-protection state and what disabling, deleting and purging\n" +
			"the key would do. Workloads are matched by vault and key name, whatever version they pin. It reads the same\n" +
			"snapshots as scan: PATH arguments after KEY, or --input.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := f.check(); err != nil {
				return err
			}
			if _, err := estate.ParseKeyURI(args[0]); err != nil {
				return usageError{fmt.Errorf("KEY: %w", err)}
			}
			e, err := f.load(cmd.Context(), cmd, args[1:])
			if err != nil {
				return err
			}
			im, err := impact.Query(e, args[0])
			if err != nil {
				return usageError{fmt.Errorf("KEY: %w", err)}
			}
			return f.write(cmd, im, func(w io.Writer) error { return writeImpactTable(w, im) })
		},
	}
	f.register(cmd)
	return cmd
}

// writeImpactTable renders the blast radius for a terminal.
func writeImpactTable(w io.Writer, im *impact.Impact) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Key %s", report.Clean(im.Key))
	if im.Version != "" {
		fmt.Fprintf(&b, " (version %s asked; workloads on any version are listed)", report.Clean(im.Version))
	}
	b.WriteString("\n")
	if im.InSnapshot {
		state := "enabled"
		if im.Enabled != nil && !*im.Enabled {
			state = "disabled"
		}
		exp := "no expiry date"
		if im.Expires != nil {
			exp = "expires " + im.Expires.Format(time.DateOnly)
		}
		fmt.Fprintf(&b, "  in the snapshot: %s, %s, %s\n", report.Clean(im.KeyID), state, exp)
	} else {
		b.WriteString("  the key itself is not in the snapshot\n")
	}
	kind := "Vault"
	if im.Vault.HSM {
		kind = "Managed HSM"
	}
	if im.Vault.InSnapshot {
		fmt.Fprintf(&b, "%s %s: soft delete %s (%d days), purge protection %s\n", kind, report.Clean(im.Vault.Name),
			onOff(*im.Vault.SoftDelete), im.Vault.RetentionDays, onOff(*im.Vault.PurgeProtection))
	} else {
		fmt.Fprintf(&b, "%s %s: not in the snapshot (soft delete and purge protection unknown)\n", kind, report.Clean(im.Vault.Name))
	}

	fmt.Fprintf(&b, "\nWorkloads that depend on the key (%d)\n", len(im.Workloads))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(im.Workloads) > 0 {
		fmt.Fprintln(tw, "  SERVICE\tNAME\tVERSION\tIDENTITY\tVIA")
	}
	for _, d := range im.Workloads {
		version := d.Version
		if version == "" {
			version = "latest"
		}
		via := "-"
		if len(d.Via) > 0 {
			via = lastNames(d.Via)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", report.Clean(d.Service), report.Clean(d.Name), report.Clean(version), report.Clean(d.Identity.Label), report.Clean(via))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(im.DiskEncryptionSets) > 0 {
		fmt.Fprintf(&b, "\nDisk encryption sets holding the key (%d)\n", len(im.DiskEncryptionSets))
		for _, h := range im.DiskEncryptionSets {
			fmt.Fprintf(&b, "  %s — %s; serves %d workload(s)\n", report.Clean(h.Name), report.Clean(h.Identity.Label), len(h.Users))
		}
	}
	if len(im.Identities) > 0 {
		fmt.Fprintf(&b, "\nIdentities that reach the key (%d)\n", len(im.Identities))
		for _, id := range im.Identities {
			principal := id.PrincipalID
			if principal == "" {
				principal = "principal unknown"
			}
			fmt.Fprintf(&b, "  %s (%s) for %s\n", report.Clean(id.Label), report.Clean(principal), report.Clean(lastNames(id.UsedBy)))
		}
	}
	b.WriteString("\nWhat happens if the key is\n")
	for _, c := range im.Consequences {
		fmt.Fprintf(&b, "  %-8s %s", c.Action+":", report.Clean(c.Effect))
		if c.Recovery != "" {
			fmt.Fprintf(&b, " Recovery: %s", report.Clean(c.Recovery))
		}
		fmt.Fprintf(&b, " [reversible: %s]\n", c.Reversible)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// lastNames lists the last name segments of ARM ids.
func lastNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = lastName(id)
	}
	return strings.Join(names, ", ")
}
