package evaluate_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

func TestStatusesAreDistinctAndCountedRight(t *testing.T) {
	seen := map[evaluate.Status]bool{}
	for _, s := range evaluate.Statuses {
		if seen[s] {
			t.Errorf("%s listed twice", s)
		}
		seen[s] = true
		if want := s == evaluate.Missed || s == evaluate.AchievedLate; s.CountsAsMissed() != want {
			t.Errorf("%s counts as missed: %v, want %v", s, s.CountsAsMissed(), want)
		}
	}
}

func TestResultDetails(t *testing.T) {
	t.Run("the last report is the latest period's revision, not a later correction of an older period", func(t *testing.T) {
		series := []indicators.Revision{rev("2026-02", 7000, "2026-04-12 09:00"), rev("2026-03", 11000, "2026-04-05 09:00")}
		r := evaluate.Evaluate(evaluate.Config{}, plan, jobs, series, nil, at("2026-04-15 12:00"))
		if !r.LastReport.Equal(at("2026-04-05 09:00")) || r.Period != "2026-03" {
			t.Errorf("last report %v period %s, want March's report time and value", r.LastReport, r.Period)
		}
	})
	t.Run("the last report of a period with only a note is still a report", func(t *testing.T) {
		series := []indicators.Revision{rev("2026-02", 7000, "2026-03-05 09:00"), base("2026-03", "2026-04-05 09:00")}
		r := evaluate.Evaluate(evaluate.Config{}, plan, jobs, series, nil, at("2026-04-15 12:00"))
		if !r.LastReport.Equal(at("2026-04-05 09:00")) || r.Period != "2026-02" || r.ReportOverdue {
			t.Errorf("last report %v period %s overdue %v, want the note's time, February's value, not overdue", r.LastReport, r.Period, r.ReportOverdue)
		}
	})
	t.Run("a relative approx target takes the default tolerance", func(t *testing.T) {
		tg := income
		tg.Relative = &indicators.Relative{Indicator: "4.1", Comparator: indicators.Approx}
		r := evaluate.Evaluate(evaluate.Config{}, plan, tg, []indicators.Revision{rev("2026-Q1", 5.5, "2026-04-05 09:00")}, gdpQ1, at("2026-04-15 12:00"))
		if r.Comparator != indicators.Approx || r.Tolerance != evaluate.DefaultApproxTolerance || r.Status != evaluate.OnTrack {
			t.Errorf("comparator %s tolerance %v status %s, want approx 0.5 on_track", r.Comparator, r.Tolerance, r.Status)
		}
	})
	t.Run("a milestone expects planned before its due date and its stage after", func(t *testing.T) {
		before := evaluate.Evaluate(evaluate.Config{}, plan, railway, nil, nil, at("2026-06-30 23:59"))
		after := evaluate.Evaluate(evaluate.Config{}, plan, railway, nil, nil, at("2026-07-01 00:00"))
		if before.ExpectedStage != indicators.StagePlanned || after.ExpectedStage != indicators.StageStarted {
			t.Errorf("expected stages %s then %s, want planned then started", before.ExpectedStage, after.ExpectedStage)
		}
	})
	t.Run("the due instant is the end of the due day in the plan zone", func(t *testing.T) {
		r := evaluate.Evaluate(evaluate.Config{}, plan, railway, nil, nil, at("2026-04-15 12:00"))
		if !r.Due.Equal(at("2026-07-01 00:00")) {
			t.Errorf("due = %v", r.Due)
		}
	})
	t.Run("an unreadable due date counts as the year's end", func(t *testing.T) {
		tg := jobs
		tg.Due = "年底前"
		r := evaluate.Evaluate(evaluate.Config{}, plan, tg, nil, nil, at("2026-04-15 12:00"))
		if !r.Due.Equal(at("2027-01-01 00:00")) {
			t.Errorf("due = %v", r.Due)
		}
	})
	t.Run("the config's defaults are the documented ones", func(t *testing.T) {
		d := evaluate.Config{}.Defaults()
		if d.AtRiskPoints != 5 || d.AtRiskRatePoints != 1 || d.ApproxTolerance != 0.5 || d.DueDay != 10 {
			t.Errorf("defaults = %+v", d)
		}
	})
}

// TestAPlanWithoutAYearIsNeverGuessed: the evaluation used to take 2026 for a plan
// without a year; loading refuses such a catalog, and evaluating one anyway stops.
func TestAPlanWithoutAYearIsNeverGuessed(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "no year") {
			t.Errorf("recovered %v, want a panic saying the plan has no year", v)
		}
	}()
	tg := indicators.Target{ID: "1.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 10, Unit: "个", Due: "2026-12-31"}
	evaluate.Evaluate(evaluate.Config{}, indicators.Plan{ID: "no-year", TimeZone: "Asia/Shanghai"}, tg, nil, nil, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	t.Error("evaluated a plan without a year")
}
