package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

func newForecastCmd() *cobra.Command {
	var f estateFlags
	var days int
	var policyFile string
	cmd := &cobra.Command{
		Use:   "forecast [PATH ...]",
		Short: "Outage forecast: keys expiring or due for rotation, identities without access, firewalls that block",
		Long: "forecast looks --days ahead of --now and lists the keys that expire or reach their rotation deadline in\n" +
			"that window (or already have), each with the workloads that depend on it; the workloads whose identity\n" +
			"already lacks access to its key (the cmk-identity-access rule's failures); and the workloads whose key\n" +
			"sits in a vault whose firewall shuts the service out (public access disabled or default Deny, trusted\n" +
			"Azure services not allowed to bypass it, and no private endpoint). It reads the same snapshots as scan:\n" +
			"PATH arguments, or --input; --policy sets the rotation and expiry parameters as for scan.",
		RunE: func(cmd *cobra.Command, args []string) error {
			now, err := f.check()
			if err != nil {
				return err
			}
			if days < 0 {
				return usageError{fmt.Errorf("--days %d: want 0 or more", days)}
			}
			pol := policy.Default()
			if policyFile != "" {
				if pol, err = policy.Load(policyFile, rules.PolicyCatalog{}); err != nil {
					return err
				}
			}
			e, err := f.load(cmd.Context(), cmd, args)
			if err != nil {
				return err
			}
			ev := rules.Evaluate(e, pol, now, rules.Catalog())
			fc := impact.NewForecast(e, ev, now, days)
			return f.write(cmd, fc, func(w io.Writer) error { return writeForecastTable(w, fc) })
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&days, "days", 30, "how many days ahead to look")
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file (YAML), as for scan")
	return cmd
}

// writeForecastTable renders the forecast for a terminal.
func writeForecastTable(w io.Writer, fc *impact.Forecast) error {
	var b strings.Builder
	end := fc.At.AddDate(0, 0, fc.Days)
	fmt.Fprintf(&b, "Forecast from %s to %s (%d days)\n", fc.At.Format(time.DateOnly), end.Format(time.DateOnly), fc.Days)

	fmt.Fprintf(&b, "\nKey deadlines in the window (%d)\n", len(fc.KeyEvents))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(fc.KeyEvents) > 0 {
		fmt.Fprintln(tw, "  WHEN\tDAYS\tEVENT\tKEY\tDEPENDENT WORKLOADS")
	}
	for _, k := range fc.KeyEvents {
		deps := "none in the snapshot"
		if len(k.Dependents) > 0 {
			names := make([]string, len(k.Dependents))
			for i, d := range k.Dependents {
				names[i] = d.Name
			}
			deps = strings.Join(names, ", ")
		}
		key := lastName(k.Vault) + "/" + k.Name
		if !k.Enabled {
			key += " (disabled)"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", k.When.Format(time.DateOnly), k.DaysLeft, k.Event, report.Clean(key), report.Clean(deps))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(&b, "\nIdentities that already lack access to their key (%d)\n", len(fc.LostAccess))
	for _, l := range fc.LostAccess {
		status := ""
		if l.Status != string(rules.Fail) {
			status = " [" + l.Status + "]"
		}
		fmt.Fprintf(&b, "  %s%s: %s\n", report.Clean(l.Workload.Name), status, report.Clean(l.Reason))
	}

	fmt.Fprintf(&b, "\nWorkloads whose key vault firewall blocks the service (%d)\n", len(fc.Blocked))
	for _, x := range fc.Blocked {
		fmt.Fprintf(&b, "  %s (%s) → %s: %s\n", report.Clean(x.Workload.Name), report.Clean(x.Service), report.Clean(x.Vault.Name), report.Clean(x.Reason))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
