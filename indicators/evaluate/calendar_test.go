package evaluate_test

import (
	"slices"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

func TestReportDue(t *testing.T) {
	cases := map[string]struct {
		period string
		cfg    evaluate.Config
		want   time.Time
	}{
		"March is due by the end of April 10 in Shanghai":      {period: "2026-03", want: at("2026-04-11 00:00")},
		"the first quarter is due like March":                  {period: "2026-Q1", want: at("2026-04-11 00:00")},
		"a day is due like its month":                          {period: "2026-03-31", want: at("2026-04-11 00:00")},
		"December is due in January of the next year":          {period: "2026-12", want: at("2027-01-11 00:00")},
		"January is due in February":                           {period: "2026-01", want: at("2026-02-11 00:00")},
		"a configured due day of 15 moves the deadline":        {period: "2026-03", cfg: evaluate.Config{DueDay: 15}, want: at("2026-04-16 00:00")},
		"a due day past the 28th is capped so February exists": {period: "2026-01", cfg: evaluate.Config{DueDay: 31}, want: at("2026-03-01 00:00")},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.cfg.ReportDue(plan, jobs, c.period)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(c.want) {
				t.Errorf("due = %v, want %v", got, c.want)
			}
		})
	}
	if _, err := (evaluate.Config{}).ReportDue(plan, jobs, "March"); err == nil {
		t.Error("a bad period gave no error")
	}
}

func TestExpectedPeriods(t *testing.T) {
	cases := map[string]struct {
		target indicators.Target
		now    time.Time
		want   []string
	}{
		"nothing is due in early January":                    {target: jobs, now: at("2026-01-05 12:00")},
		"January is due from February 11":                    {target: jobs, now: at("2026-02-11 00:00"), want: []string{"2026-01"}},
		"on April 10 at 23:59 March is not due yet":          {target: jobs, now: at("2026-04-10 23:59"), want: []string{"2026-01", "2026-02"}},
		"from April 11 in Shanghai March is due":             {target: jobs, now: at("2026-04-11 00:00"), want: []string{"2026-01", "2026-02", "2026-03"}},
		"April 10 16:30 UTC is already April 11 in Shanghai": {target: jobs, now: time.Date(2026, 4, 10, 16, 30, 0, 0, time.UTC), want: []string{"2026-01", "2026-02", "2026-03"}},
		"a quarterly indicator expects quarters":             {target: gdp, now: at("2026-07-11 00:00"), want: []string{"2026-Q1", "2026-Q2"}},
		"a quarterly indicator expects nothing before April": {target: gdp, now: at("2026-04-10 12:00")},
		"the whole year is due after January 10 next year": {target: jobs, now: at("2027-01-11 00:00"),
			want: []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}},
		"a target due in Q1 stops being reported after March": {target: q1Jobs, now: at("2026-12-20 00:00"), want: []string{"2026-01", "2026-02", "2026-03"}},
		"a quarterly target due mid-quarter reports that quarter": {target: indicators.Target{ID: "x", Measure: indicators.Level, Due: "2026-05-15", Cadence: indicators.Quarterly},
			now: at("2026-12-20 00:00"), want: []string{"2026-Q1", "2026-Q2"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := evaluate.Config{}.ExpectedPeriods(plan, c.target, c.now)
			if !slices.Equal(got, c.want) {
				t.Errorf("periods = %v, want %v", got, c.want)
			}
		})
	}
	if got := (evaluate.Config{}).Periods(plan, gdp); !slices.Equal(got, []string{"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}) {
		t.Errorf("calendar of a quarterly indicator = %v", got)
	}
}

func TestFreshness(t *testing.T) {
	cases := map[string]struct {
		target  indicators.Target
		series  []indicators.Revision
		now     time.Time
		overdue string // the overdue period, "" when none
		next    time.Time
	}{
		"before March's due day a February report is fresh": {
			target: jobs, series: []indicators.Revision{rev("2026-02", 7000, "2026-03-05 09:00")}, now: at("2026-04-10 23:59"),
			next: at("2026-04-11 00:00"),
		},
		"after March's due day a February report is overdue": {
			target: jobs, series: []indicators.Revision{rev("2026-02", 7000, "2026-03-05 09:00")}, now: at("2026-04-11 00:00"),
			overdue: "2026-03", next: at("2026-04-11 00:00"),
		},
		"16:30 UTC on April 10 is past the Shanghai due day": {
			target: jobs, series: []indicators.Revision{rev("2026-02", 7000, "2026-03-05 09:00")}, now: time.Date(2026, 4, 10, 16, 30, 0, 0, time.UTC),
			overdue: "2026-03", next: at("2026-04-11 00:00"),
		},
		"a March report makes April the next one due": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 10000, "2026-04-08 09:00")}, now: at("2026-04-20 00:00"),
			next: at("2026-05-11 00:00"),
		},
		"a target without reports is overdue once January is due": {
			target: jobs, now: at("2026-02-11 00:00"), overdue: "2026-01", next: at("2026-02-11 00:00"),
		},
		"a target without reports in January is not overdue yet": {
			target: jobs, now: at("2026-01-20 00:00"), next: at("2026-02-11 00:00"),
		},
		"a quarterly indicator with its Q1 report is fresh in May": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 5.8, "2026-04-08 09:00")}, now: at("2026-05-20 00:00"),
			next: at("2026-07-11 00:00"),
		},
		"a quarterly indicator reported by month-end period counts for the quarter": {
			target: gdp, series: []indicators.Revision{rev("2026-03", 5.8, "2026-04-08 09:00")}, now: at("2026-05-20 00:00"),
			next: at("2026-07-11 00:00"),
		},
		"a quarterly indicator without Q2 is overdue from July 11": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 5.8, "2026-04-08 09:00")}, now: at("2026-07-11 08:00"),
			overdue: "2026-Q2", next: at("2026-07-11 00:00"),
		},
		"a target due in Q1 with its March report is complete": {
			target: q1Jobs, series: []indicators.Revision{rev("2026-03", 1000, "2026-04-08 09:00")}, now: at("2026-08-20 00:00"),
		},
		"a target due in Q1 without its March report stays overdue for March": {
			target: q1Jobs, series: []indicators.Revision{rev("2026-02", 600, "2026-03-08 09:00")}, now: at("2026-08-20 00:00"),
			overdue: "2026-03", next: at("2026-04-11 00:00"),
		},
		"the December report is due in January of the next year": {
			target: jobs, series: []indicators.Revision{rev("2026-11", 40000, "2026-12-08 09:00")}, now: at("2027-01-11 00:00"),
			overdue: "2026-12", next: at("2027-01-11 00:00"),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := evaluate.Evaluate(evaluate.Config{}, plan, c.target, c.series, nil, c.now)
			if r.ReportOverdue != (c.overdue != "") || r.OverduePeriod != c.overdue {
				t.Errorf("overdue = %v %q, want %q", r.ReportOverdue, r.OverduePeriod, c.overdue)
			}
			if !r.NextReportDue.Equal(c.next) {
				t.Errorf("next report due = %v, want %v", r.NextReportDue, c.next)
			}
		})
	}
}

func TestLastDuePeriod(t *testing.T) {
	cases := map[string]struct {
		now  time.Time
		want string
	}{
		"on April 10 February is the last due month": {now: at("2026-04-10 23:59"), want: "2026-02"},
		"on April 11 March is":                       {now: at("2026-04-11 00:00"), want: "2026-03"},
		"in early January November of last year is":  {now: at("2027-01-05 00:00"), want: "2026-11"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := (evaluate.Config{}).LastDuePeriod(plan, c.now); got != c.want {
				t.Errorf("last due period = %s, want %s", got, c.want)
			}
		})
	}
}
