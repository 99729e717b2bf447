package evaluate_test

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// oneTarget is a catalog with a single target led by department "rsj".
func oneTarget(t indicators.Target) *indicators.Catalog {
	c := &indicators.Catalog{
		Plan:        plan,
		Departments: []indicators.Department{{ID: "rsj", Name: "市人社局"}},
		Tasks:       []indicators.Task{{Num: 57, Lead: "rsj", Targets: []indicators.Target{t}}},
	}
	c.Build()
	return c
}

func received(period string, when time.Time) indicators.Revision {
	r := rev(period, 1, "2026-01-01 00:00")
	r.ReceivedAt = when
	return r
}

func TestCompletenessOfOneReport(t *testing.T) {
	cases := map[string]struct {
		target  indicators.Target
		history []indicators.Revision
		period  string
		now     time.Time
		want    evaluate.ReportStatus // "" when nothing is expected
	}{
		"a March report received on April 10 at 23:30 in Shanghai is on time": {
			target: jobs, history: []indicators.Revision{received("2026-03", at("2026-04-10 23:30"))},
			period: "2026-03", now: at("2026-04-20 00:00"), want: evaluate.OnTime,
		},
		"a March report received on April 10 at 16:30 UTC is late": {
			target: jobs, history: []indicators.Revision{received("2026-03", time.Date(2026, 4, 10, 16, 30, 0, 0, time.UTC))},
			period: "2026-03", now: at("2026-04-20 00:00"), want: evaluate.Late,
		},
		"a March report received at midnight ending April 10 is late": {
			target: jobs, history: []indicators.Revision{received("2026-03", at("2026-04-11 00:00"))},
			period: "2026-03", now: at("2026-04-20 00:00"), want: evaluate.Late,
		},
		"no March report after April 10 is missing": {
			target: jobs, period: "2026-03", now: at("2026-04-11 00:00"), want: evaluate.Missing,
		},
		"no March report on April 10 is not due yet": {
			target: jobs, period: "2026-03", now: at("2026-04-10 23:59"), want: evaluate.NotDue,
		},
		"a March report sent early is on time before the due day": {
			target: jobs, history: []indicators.Revision{received("2026-03", at("2026-04-02 09:00"))},
			period: "2026-03", now: at("2026-04-05 00:00"), want: evaluate.OnTime,
		},
		"a February report does not count for March": {
			target: jobs, history: []indicators.Revision{received("2026-02", at("2026-03-02 09:00"))},
			period: "2026-03", now: at("2026-04-20 00:00"), want: evaluate.Missing,
		},
		"a correction after the due day keeps an on-time first report on time": {
			target:  jobs,
			history: []indicators.Revision{received("2026-03", at("2026-04-08 09:00")), received("2026-03", at("2026-04-15 09:00"))},
			period:  "2026-03", now: at("2026-04-20 00:00"), want: evaluate.OnTime,
		},
		"a quarterly indicator expects its Q1 report for March": {
			target: gdp, history: []indicators.Revision{received("2026-Q1", at("2026-04-09 09:00"))},
			period: "2026-03", now: at("2026-04-20 00:00"), want: evaluate.OnTime,
		},
		"a quarterly indicator expects nothing for February": {
			target: gdp, period: "2026-02", now: at("2026-04-20 00:00"),
		},
		"a quarterly indicator asked for a quarter expects that quarter": {
			target: gdp, period: "2026-Q2", now: at("2026-07-20 00:00"), want: evaluate.Missing,
		},
		"a monthly indicator asked for a quarter expects the quarter's last month": {
			target: jobs, history: []indicators.Revision{received("2026-06", at("2026-07-03 09:00"))},
			period: "2026-Q2", now: at("2026-07-20 00:00"), want: evaluate.OnTime,
		},
		"a target due in Q1 expects nothing in May": {
			target: q1Jobs, period: "2026-05", now: at("2026-06-20 00:00"),
		},
		"a period of another year expects nothing": {
			target: jobs, period: "2025-12", now: at("2026-04-20 00:00"),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cat := oneTarget(c.target)
			got, err := evaluate.Completeness(evaluate.Config{}, cat, func(string) []indicators.Arrival { return evaluate.FirstArrivals(c.history) }, c.period, c.now)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("expected nothing, got %+v", got)
				}
				return
			}
			if len(got) != 1 || len(got[0].Items) != 1 {
				t.Fatalf("want one department with one item, got %+v", got)
			}
			d := got[0]
			if d.Department != "rsj" || d.Name != "市人社局" || d.Expected != 1 {
				t.Errorf("department = %+v", d)
			}
			if s := d.Items[0].Status; s != c.want {
				t.Errorf("status = %s, want %s (%+v)", s, c.want, d.Items[0])
			}
			counts := map[evaluate.ReportStatus]int{evaluate.OnTime: d.OnTime, evaluate.Late: d.Late, evaluate.Missing: d.Missing, evaluate.NotDue: d.NotDue}
			for s, n := range counts {
				if want := map[bool]int{true: 1}[s == c.want]; n != want {
					t.Errorf("count of %s = %d, want %d", s, n, want)
				}
			}
		})
	}
}

func TestSeriesArrivalsTreatACorrectionAsTheArrival(t *testing.T) {
	first := received("2026-03", at("2026-04-08 09:00"))
	second := received("2026-03", at("2026-04-15 09:00"))
	second.Revision = 2
	cat := oneTarget(jobs)
	now := at("2026-04-20 00:00")
	exact, err := evaluate.Completeness(evaluate.Config{}, cat, func(string) []indicators.Arrival {
		return evaluate.FirstArrivals([]indicators.Revision{first, second})
	}, "2026-03", now)
	if err != nil {
		t.Fatal(err)
	}
	approx, err := evaluate.Completeness(evaluate.Config{}, cat, func(string) []indicators.Arrival {
		return evaluate.SeriesArrivals([]indicators.Revision{second})
	}, "2026-03", now)
	if err != nil {
		t.Fatal(err)
	}
	if exact[0].OnTime != 1 || approx[0].Late != 1 {
		t.Errorf("history: %+v; series: %+v; want on time from the history, late from the series", exact[0], approx[0])
	}
	fromFunc, err := evaluate.CompletenessFunc(evaluate.Config{}, cat, evaluate.SeriesFirstReceived(func(string) []indicators.Revision {
		return []indicators.Revision{second}
	}), "2026-03", now)
	if err != nil {
		t.Fatal(err)
	}
	if fromFunc[0].Late != 1 || !fromFunc[0].Items[0].Received.Equal(second.ReceivedAt) {
		t.Errorf("SeriesFirstReceived: %+v, want the same as SeriesArrivals", fromFunc[0])
	}
}

func TestCompletenessOfTheMiniCatalog(t *testing.T) {
	cat := loadMini(t)
	history := map[string][]indicators.Revision{
		"4.1":  {received("2026-Q1", at("2026-04-09 10:00"))},
		"9.1":  {received("2026-03", at("2026-04-12 10:00"))},
		"57.1": {received("2026-03", at("2026-04-01 10:00"))},
		"69.1": {received("2026-03", at("2026-04-10 23:59"))},
	}
	got, err := evaluate.Completeness(evaluate.Config{}, cat, func(id string) []indicators.Arrival {
		return evaluate.FirstArrivals(history[id])
	}, "2026-03", at("2026-04-20 00:00"))
	if err != nil {
		t.Fatal(err)
	}
	type counts struct{ expected, onTime, late, missing int }
	want := map[string]counts{
		"fgw":   {expected: 3, onTime: 1, late: 1, missing: 1}, // 4.1 on time, 9.1 late, 11.1 missing
		"rsj":   {expected: 2, onTime: 1, missing: 1},          // 57.1 on time, 56.1 missing
		"sthjj": {expected: 2, onTime: 1, missing: 1},          // 69.1 on time, 69.2 missing
		"slj":   {expected: 1, missing: 1},                     // 99.1 missing
	}
	var order []string
	for _, d := range got {
		order = append(order, d.Department)
		w, ok := want[d.Department]
		if !ok {
			t.Errorf("unexpected department %s", d.Department)
			continue
		}
		if g := (counts{d.Expected, d.OnTime, d.Late, d.Missing}); g != w {
			t.Errorf("%s: %+v, want %+v", d.Department, g, w)
		}
	}
	if len(order) != 4 || order[0] != "fgw" || order[1] != "rsj" || order[2] != "sthjj" || order[3] != "slj" {
		t.Errorf("departments %v, want the catalog's order fgw rsj sthjj slj", order)
	}
}

func TestCompletenessRejectsBadPeriods(t *testing.T) {
	for name, period := range map[string]string{
		"free text":   "March",
		"a day":       "2026-03-31",
		"a month 13":  "2026-13",
		"the quarter": "2026-Q5",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := evaluate.Completeness(evaluate.Config{}, loadMini(t), func(string) []indicators.Arrival { return nil }, period, at("2026-04-20 00:00")); err == nil {
				t.Errorf("period %q gave no error", period)
			}
		})
	}
}
