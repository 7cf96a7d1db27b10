package main

import (
	"log/slog"
	"time"

	"github.com/cmkguard/cmkguard/internal/estate"
	"github.com/cmkguard/cmkguard/internal/history"
	"github.com/cmkguard/cmkguard/internal/impact"
	"github.com/cmkguard/cmkguard/internal/policy"
	"github.com/cmkguard/cmkguard/internal/report"
	"github.com/cmkguard/cmkguard/internal/rules"
)

// scanDetail is what the history keeps of a scan beyond its results, for the
// dashboard: the report's context, how the policy classified each judged
// resource, every key deadline (a forecast over history.ForecastDays) and the
// blast radius of each key. It only gathers views the scan already has or
// that the impact package computes from the same estate and evaluation.
func scanDetail(e *estate.Estate, ev rules.Evaluation, pol *policy.Policy, c *report.Context, now time.Time) *history.Detail {
	d := &history.Detail{Context: c, Forecast: impact.NewForecast(e, ev, now, history.ForecastDays)}
	if c != nil {
		for _, r := range c.Resources {
			tags := estate.MakeTags(r.Tags)
			value, classified, sensitive := pol.Classify(tags)
			l := history.Label{Resource: r.ID, Sensitive: sensitive, Tenant: pol.Tenant(tags)}
			if classified {
				l.Classification = value
			}
			d.Labels = append(d.Labels, l)
		}
	}
	for _, k := range e.Keys {
		im, err := impact.Query(e, k.ID)
		if err != nil {
			// A key whose id does not parse as a key reference has no blast
			// radius to show; the scan itself already warned about it.
			slog.Debug("no blast radius for key", "key", k.ID, "err", err)
			continue
		}
		d.Keys = append(d.Keys, *im)
	}
	return d
}
