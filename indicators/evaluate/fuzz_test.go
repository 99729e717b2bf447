package evaluate_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// FuzzEvaluate checks invariants that hold for any target, value and instant: a known
// status, finite numbers, gap = value − expected, on_track never on the wrong side of the
// expected value, achieved only when met, missed only once the deadline is settled (or a
// cap exceeded), nothing in progress once it is settled, and a due date in the plan zone.
func FuzzEvaluate(f *testing.F) {
	f.Add(uint8(0), uint8(0), 43000.0, 10000.0, uint8(3), uint16(100), uint8(5))
	f.Add(uint8(2), uint8(1), 30.0, 33.0, uint8(3), uint16(300), uint8(12))
	f.Add(uint8(1), uint8(2), 6.0, 5.2, uint8(3), uint16(20), uint8(6))
	f.Add(uint8(3), uint8(0), 0.0, 0.0, uint8(6), uint16(200), uint8(7))
	f.Add(uint8(0), uint8(3), 0.0, -5.0, uint8(12), uint16(364), uint8(1))
	f.Add(uint8(1), uint8(0), 1e-310, 1e15, uint8(3), uint16(364), uint8(3))
	f.Add(uint8(2), uint8(1), 1e15, 1e-310, uint8(3), uint16(364), uint8(3))
	measures := []indicators.Measure{indicators.Cumulative, indicators.GrowthRate, indicators.Level, indicators.Milestone}
	comparators := []indicators.Comparator{indicators.GE, indicators.LE, indicators.Approx, indicators.EQ}
	stages := []indicators.Stage{indicators.StagePlanned, indicators.StageStarted, indicators.StageCompleted, indicators.StageBlocked}
	f.Fuzz(func(t *testing.T, mi, ci uint8, target, value float64, month uint8, dueDay uint16, nowMonth uint8) {
		if math.IsNaN(target) || math.IsInf(target, 0) || math.IsNaN(value) || math.IsInf(value, 0) ||
			math.Abs(target) > 1e15 || math.Abs(value) > 1e15 {
			t.Skip()
		}
		m := int(month%12) + 1
		due := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai).AddDate(0, 0, int(dueDay%365))
		tg := indicators.Target{
			ID:         "f.1",
			Measure:    measures[int(mi)%len(measures)],
			Comparator: comparators[int(ci)%len(comparators)],
			Value:      target,
			Due:        indicators.DateOf(due),
			Stage:      indicators.StageStarted,
		}
		if mi&4 != 0 {
			tg.Trajectory = &indicators.Trajectory{Kind: "profile", Monthly: []float64{0.05, 0.1, 0.18, 0.27, 0.36, 0.46, 0.56, 0.66, 0.76, 0.86, 0.93, 1}}
		}
		r := base(time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), "2026-01-01 00:00")
		r.Value = &value
		r.Stage = stages[int(ci)%len(stages)]
		pct := math.Mod(math.Abs(value), 101)
		r.Percent = &pct
		now := time.Date(2026, time.Month(int(nowMonth%14)+1), 15, 12, 0, 0, 0, shanghai)

		res := evaluate.Evaluate(evaluate.Config{}, plan, tg, []indicators.Revision{r}, nil, now)

		if !slices.Contains(evaluate.Statuses, res.Status) {
			t.Fatalf("unknown status %q", res.Status)
		}
		for name, x := range map[string]float64{"gap": res.Gap, "expected": res.Expected, "progress": res.Progress, "projected": res.Projected, "target": res.Target} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%s = %v (%+v)", name, x, res)
			}
		}
		if !res.Due.Equal(due.AddDate(0, 0, 1)) {
			t.Fatalf("due = %v, want the end of %v", res.Due, due)
		}
		passed := !now.Before(res.Due)
		if res.Settled && !passed {
			t.Fatalf("settled before the due instant (%+v)", res)
		}
		if res.HasValue && math.Abs(res.Gap-(res.Value-res.Expected)) > 1e-6*(1+math.Abs(res.Expected)) {
			t.Fatalf("gap %v is not value − expected (%+v)", res.Gap, res)
		}
		if res.Settled && (res.Status == evaluate.OnTrack || res.Status == evaluate.Lagging ||
			res.Status == evaluate.AtRisk && res.Reason != evaluate.ReasonStale) {
			t.Fatalf("still %s (%s) once the deadline is settled (%+v)", res.Status, res.Reason, res)
		}
		if !res.Settled && res.Status == evaluate.AchievedLate {
			t.Fatalf("achieved late before the deadline is settled (%+v)", res)
		}
		if tg.Measure != indicators.Milestone {
			tol := res.Tolerance * (1 + 1e-9)
			wrongSide := res.Comparator == indicators.LE && res.Gap > tol+1e-9*math.Abs(res.Expected) ||
				res.Comparator != indicators.LE && res.Comparator != indicators.EQ && res.Gap < -tol-1e-9*math.Max(1, math.Abs(res.Expected))
			if res.Status == evaluate.OnTrack && wrongSide {
				t.Fatalf("on_track on the wrong side of the expected value (%+v)", res)
			}
			if res.Status == evaluate.Achieved && !res.Met && !res.ReportOverdue {
				t.Fatalf("achieved but not met (%+v)", res)
			}
			capExceeded := tg.Measure == indicators.Cumulative && tg.Comparator == indicators.LE && value > target
			if res.Status == evaluate.Missed && !res.Settled && !capExceeded {
				t.Fatalf("missed before the deadline is settled (%+v)", res)
			}
		} else if res.Settled && res.Status != evaluate.Achieved && res.Status != evaluate.Missed && res.Status != evaluate.AchievedLate {
			t.Fatalf("milestone %s once its deadline is settled (%+v)", res.Status, res)
		}
	})
}
