package estate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is an ISO-8601 duration as Key Vault rotation policies write them
// (P90D, P1Y, P3M, P1Y6M, PT12H). Calendar parts are kept apart so that adding
// P1Y to a date is a calendar year.
type Duration struct {
	Years, Months, Days int
	Clock               time.Duration
}

// IsZero reports whether the duration is empty.
func (d Duration) IsZero() bool { return d == Duration{} }

// AddTo returns t plus d.
func (d Duration) AddTo(t time.Time) time.Time {
	return t.AddDate(d.Years, d.Months, d.Days).Add(d.Clock)
}

// Sub returns t minus d.
func (d Duration) Sub(t time.Time) time.Time {
	return t.AddDate(-d.Years, -d.Months, -d.Days).Add(-d.Clock)
}

// ApproxDays is the length in days with a year of 365 and a month of 30 days,
// for messages and for subtracting one duration from another.
func (d Duration) ApproxDays() float64 {
	return float64(d.Years*365+d.Months*30+d.Days) + d.Clock.Hours()/24
}

func (d Duration) String() string {
	if d.IsZero() {
		return "P0D"
	}
	var b strings.Builder
	b.WriteString("P")
	for _, p := range []struct {
		n int
		u string
	}{{d.Years, "Y"}, {d.Months, "M"}, {d.Days, "D"}} {
		if p.n != 0 {
			b.WriteString(strconv.Itoa(p.n) + p.u)
		}
	}
	if d.Clock != 0 {
		b.WriteString("T" + strconv.FormatFloat(d.Clock.Seconds(), 'f', -1, 64) + "S")
	}
	return b.String()
}

// ParseDuration parses an ISO-8601 duration (weeks allowed, no negative values).
func ParseDuration(s string) (Duration, error) {
	var d Duration
	in := strings.ToUpper(strings.TrimSpace(s))
	if len(in) < 2 || in[0] != 'P' {
		return d, fmt.Errorf("duration %q: not ISO-8601 (P…)", s)
	}
	in = in[1:]
	clock := false
	for in != "" {
		if in[0] == 'T' {
			clock = true
			in = in[1:]
			continue
		}
		i := 0
		for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
			i++
		}
		if i == 0 || i == len(in) {
			return Duration{}, fmt.Errorf("duration %q: malformed", s)
		}
		n, err := strconv.ParseFloat(in[:i], 64)
		if err != nil {
			return Duration{}, fmt.Errorf("duration %q: %w", s, err)
		}
		unit := in[i]
		in = in[i+1:]
		switch {
		case !clock && unit == 'Y':
			d.Years += int(n)
		case !clock && unit == 'M':
			d.Months += int(n)
		case !clock && unit == 'W':
			d.Days += int(n * 7)
		case !clock && unit == 'D':
			d.Days += int(n)
		case clock && unit == 'H':
			d.Clock += time.Duration(n * float64(time.Hour))
		case clock && unit == 'M':
			d.Clock += time.Duration(n * float64(time.Minute))
		case clock && unit == 'S':
			d.Clock += time.Duration(n * float64(time.Second))
		default:
			return Duration{}, fmt.Errorf("duration %q: unknown unit %q", s, unit)
		}
	}
	return d, nil
}
