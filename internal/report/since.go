package report

import (
	"fmt"
	"strings"
	"time"
)

// SinceLastScan is what changed since the previous scan recorded in the
// history: results that fail now and did not before, failures that pass now,
// and resources judged now and not before or the other way round.
type SinceLastScan struct {
	PreviousScanAt   time.Time `json:"previousScanAt"`
	NewlyFailing     []Finding `json:"newlyFailing"`
	Fixed            []Finding `json:"fixed"`
	NewResources     []string  `json:"newResources"`
	RemovedResources []string  `json:"removedResources"`
}

// Finding names one rule's result on one resource.
type Finding struct {
	Rule     string `json:"rule"`
	Resource string `json:"resource"`
}

// sinceListMax is how many entries of each list the table shows.
const sinceListMax = 10

// writeSince writes the "since last scan" section of the table.
func writeSince(b *strings.Builder, s *SinceLastScan) {
	if s == nil {
		return
	}
	fmt.Fprintf(b, "\nSince the last scan (%s): %d newly failing, %d fixed, %d new resources, %d removed.\n",
		s.PreviousScanAt.Format(time.RFC3339), len(s.NewlyFailing), len(s.Fixed), len(s.NewResources), len(s.RemovedResources))
	findings := func(mark string, fs []Finding) {
		for i, f := range fs {
			if i == sinceListMax {
				fmt.Fprintf(b, "  %s … and %d more\n", mark, len(fs)-i)
				break
			}
			fmt.Fprintf(b, "  %s %-26s %s\n", mark, Clean(f.Rule), Clean(f.Resource))
		}
	}
	ids := func(mark string, list []string) {
		for i, id := range list {
			if i == sinceListMax {
				fmt.Fprintf(b, "  %s … and %d more\n", mark, len(list)-i)
				break
			}
			fmt.Fprintf(b, "  %s %s\n", mark, Clean(id))
		}
	}
	findings("newly failing", s.NewlyFailing)
	findings("fixed        ", s.Fixed)
	ids("new resource ", s.NewResources)
	ids("removed      ", s.RemovedResources)
}
