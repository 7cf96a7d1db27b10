package estate

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want Duration
		ok   bool
	}{
		{"P90D", Duration{Days: 90}, true},
		{"p30d", Duration{Days: 30}, true},
		{" P1Y ", Duration{Years: 1}, true},
		{"P3M", Duration{Months: 3}, true},
		{"P1Y6M", Duration{Years: 1, Months: 6}, true},
		{"P2W", Duration{Days: 14}, true},
		{"PT12H", Duration{Clock: 12 * time.Hour}, true},
		{"PT1H30M", Duration{Clock: 90 * time.Minute}, true},
		{"PT0.5H", Duration{Clock: 30 * time.Minute}, true},
		{"P1DT12H", Duration{Days: 1, Clock: 12 * time.Hour}, true},
		{"P1M", Duration{Months: 1}, true},
		{"PT1M", Duration{Clock: time.Minute}, true},
		{"", Duration{}, false},
		{"P", Duration{}, false},
		{"90D", Duration{}, false},
		{"PD", Duration{}, false},
		{"P90", Duration{}, false},
		{"P1H", Duration{}, false},
		{"PT1D", Duration{}, false},
		{"P1X", Duration{}, false},
		{"P-1D", Duration{}, false},
		{"P1..2D", Duration{}, false},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseDuration(%q) = %+v, %v; want %+v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestDurationCalendarArithmetic(t *testing.T) {
	created := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		d    string
		want time.Time
	}{
		{"P1Y", time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"P90D", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"P1M", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}, // 31 February normalises, as AddDate does
		{"PT36H", time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		d, err := ParseDuration(c.d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.AddTo(created); !got.Equal(c.want) {
			t.Errorf("%s after %s = %s, want %s", c.d, created, got, c.want)
		}
		if back := d.Sub(d.AddTo(created)); c.d != "P1M" && !back.Equal(created) {
			t.Errorf("%s: Sub does not undo AddTo: %s", c.d, back)
		}
	}
	if d, _ := ParseDuration("P1Y6M10DT12H"); d.ApproxDays() != 365+180+10+0.5 {
		t.Errorf("ApproxDays = %v", d.ApproxDays())
	}
}

func TestDurationString(t *testing.T) {
	for in, want := range map[string]string{"P90D": "P90D", "P1Y6M": "P1Y6M", "PT12H": "PT43200S", "P2W": "P14D"} {
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.String(); got != want {
			t.Errorf("%s renders as %s, want %s", in, got, want)
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Errorf("%s does not parse back: %+v, %v", d, back, err)
		}
	}
	if (Duration{}).String() != "P0D" {
		t.Errorf("zero duration renders as %s", Duration{})
	}
}
