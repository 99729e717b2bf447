package evaluate_test

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var plan = indicators.Plan{ID: "test-2026", Year: 2026, TimeZone: "Asia/Shanghai"}

// at is an instant in the plan zone: at("2026-04-10 23:30").
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// rev is a numeric report for period, received at the given plan-zone instant.
func rev(period string, v float64, received string) indicators.Revision {
	r := base(period, received)
	r.Value = &v
	return r
}

// stage is a milestone report.
func stage(period string, s indicators.Stage, percent float64, received string) indicators.Revision {
	r := base(period, received)
	r.Stage = s
	r.Percent = &percent
	return r
}

func base(period, received string) indicators.Revision {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		panic(err)
	}
	return indicators.Revision{
		Report:     indicators.Report{Period: p.String()},
		Revision:   1,
		ReceivedAt: at(received),
		PeriodEnd:  p.End(shanghai),
	}
}

func loadMini(t testing.TB) *indicators.Catalog {
	t.Helper()
	c, err := indicators.Load("../testdata/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-6*(1+abs(b))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// stageOnly is a milestone report without a percent.
func stageOnly(period string, s indicators.Stage, received string) indicators.Revision {
	r := base(period, received)
	r.Stage = s
	return r
}
