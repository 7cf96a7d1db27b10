package web

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// chart is a trend drawn as inline SVG: a line over scans (or bars over
// months), with its axis labels. The template draws it; every number here is
// in the SVG's own coordinates.
type chart struct {
	Title  string
	Label  string // what the values are, for screen readers
	Width  int
	Height int
	Line   string // polyline points, "x,y x,y"
	Dots   []dot
	Bars   []bar
	YTicks []tick
	XTicks []tick
	Empty  bool
	// Plot area bounds.
	Left, Right, Top, Bottom int
}

type dot struct {
	X, Y  float64
	Title string // tooltip: when and value
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

type tick struct {
	X, Y   float64
	Label  string
	Anchor string // text-anchor: start, middle or end
}

const (
	chartW, chartH                       = 520, 200
	padLeft, padRight, padTop, padBottom = 44, 12, 12, 30
)

func newChart(title, label string) chart {
	return chart{Title: title, Label: label, Width: chartW, Height: chartH,
		Left: padLeft, Right: chartW - padRight, Top: padTop, Bottom: chartH - padBottom}
}

// point is one value of a series; a NaN value is a gap.
type point struct {
	At    time.Time
	Value float64
}

// lineChart draws points evenly spaced, one per scan, between lo and hi (hi
// is raised to the largest value). unit follows each value in the tooltips.
func lineChart(title, label string, pts []point, lo, hi float64, unit string) chart {
	c := newChart(title, label)
	for _, p := range pts {
		if !math.IsNaN(p.Value) {
			hi = max(hi, p.Value)
		}
	}
	if len(pts) == 0 {
		c.Empty = true
		return c
	}
	if hi <= lo {
		hi = lo + 1
	}
	plotW, plotH := float64(c.Right-c.Left), float64(c.Bottom-c.Top)
	x := func(i int) float64 {
		if len(pts) == 1 {
			return float64(c.Left) + plotW/2
		}
		return float64(c.Left) + plotW*float64(i)/float64(len(pts)-1)
	}
	y := func(v float64) float64 { return float64(c.Bottom) - plotH*(v-lo)/(hi-lo) }
	var line []string
	for i, p := range pts {
		if math.IsNaN(p.Value) {
			continue
		}
		px, py := round2(x(i)), round2(y(p.Value))
		line = append(line, ff(px)+","+ff(py))
		c.Dots = append(c.Dots, dot{X: px, Y: py, Title: p.At.UTC().Format("2006-01-02 15:04") + ": " + ff(round2(p.Value)) + unit})
	}
	c.Line = strings.Join(line, " ")
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		c.YTicks = append(c.YTicks, tick{X: float64(c.Left - 6), Y: round2(y(v)), Label: ff(round2(v)) + unit})
	}
	if len(pts) == 1 {
		c.XTicks = append(c.XTicks, tick{X: x(0), Y: float64(c.Bottom + 18), Label: pts[0].At.UTC().Format("2006-01-02"), Anchor: "middle"})
	} else {
		c.XTicks = append(c.XTicks, tick{X: x(0), Y: float64(c.Bottom + 18), Label: pts[0].At.UTC().Format("2006-01-02"), Anchor: "start"},
			tick{X: x(len(pts) - 1), Y: float64(c.Bottom + 18), Label: pts[len(pts)-1].At.UTC().Format("2006-01-02"), Anchor: "end"})
	}
	return c
}

// barChart draws one bar per labelled value.
func barChart(title, label string, labels []string, values []float64) chart {
	c := newChart(title, label)
	if len(values) == 0 {
		c.Empty = true
		return c
	}
	hi := 1.0
	for _, v := range values {
		hi = max(hi, v)
	}
	plotW, plotH := float64(c.Right-c.Left), float64(c.Bottom-c.Top)
	slot := plotW / float64(len(values))
	w := max(2, slot*0.7)
	for i, v := range values {
		h := plotH * v / hi
		x := float64(c.Left) + slot*float64(i) + (slot-w)/2
		c.Bars = append(c.Bars, bar{X: round2(x), Y: round2(float64(c.Bottom) - h), W: round2(w), H: round2(h), Title: labels[i] + ": " + ff(v)})
	}
	for _, v := range []float64{0, hi} {
		c.YTicks = append(c.YTicks, tick{X: float64(c.Left - 6), Y: round2(float64(c.Bottom) - plotH*v/hi), Label: ff(v)})
	}
	c.XTicks = append(c.XTicks, tick{X: float64(c.Left) + slot/2, Y: float64(c.Bottom + 18), Label: labels[0], Anchor: "middle"})
	if len(labels) > 1 {
		c.XTicks = append(c.XTicks, tick{X: float64(c.Left) + slot*(float64(len(labels))-0.5), Y: float64(c.Bottom + 18), Label: labels[len(labels)-1], Anchor: "middle"})
	}
	return c
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// timeline places the calendar's deadlines on a strip of days.
type timeline struct {
	Width, Height int
	Left, Right   int
	Days          int
	Weeks         []tick
	Marks         []mark
}

type mark struct {
	X     float64
	Class string // expires or rotation-due
	Title string
	Href  string
}

func newTimeline(c *calendarDoc, scan int64) timeline {
	t := timeline{Width: 1100, Height: 64, Left: 30, Right: 1070, Days: c.Days}
	span := float64(t.Right - t.Left)
	for d := 0; d <= c.Days; d += 7 {
		t.Weeks = append(t.Weeks, tick{X: round2(float64(t.Left) + span*float64(d)/float64(c.Days)), Y: 60,
			Label: c.From.AddDate(0, 0, d).UTC().Format("Jan 2"), Anchor: "middle"})
	}
	for _, e := range c.Upcoming {
		frac := e.When.Sub(c.From).Hours() / 24 / float64(c.Days)
		t.Marks = append(t.Marks, mark{X: round2(float64(t.Left) + span*frac), Class: e.Event,
			Title: e.When.UTC().Format("2006-01-02") + " " + e.Name + " " + e.Event, Href: link("/key", "id", e.Key, "scan", scanParam(scan))})
	}
	return t
}
