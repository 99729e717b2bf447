package evaluate_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

func f(x float64) *float64 { return &x }

// Targets of every measure and comparator, due at the year's end unless a case says so.
var (
	jobs     = indicators.Target{ID: "57.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 43000, Due: "2026-12-31"}
	energy   = indicators.Target{ID: "e.1", Measure: indicators.Cumulative, Comparator: indicators.LE, Value: 1000, Due: "2026-12-31"}
	quota    = indicators.Target{ID: "q.1", Measure: indicators.Cumulative, Comparator: indicators.EQ, Value: 100, Due: "2026-12-31"}
	roughly  = indicators.Target{ID: "r.1", Measure: indicators.Cumulative, Comparator: indicators.Approx, Value: 1000, Tolerance: 50, Due: "2026-12-31"}
	coal     = indicators.Target{ID: "145.1", Measure: indicators.Cumulative, Comparator: indicators.Approx, Value: 1.7e8, Tolerance: 8.5e6, Unit: "吨", Due: "2026-12-31"}
	projects = indicators.Target{ID: "7.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 110, Unit: "个", Due: "2026-12-31"}
	grain    = indicators.Target{ID: "105.2", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 2.55e9, Unit: "斤", Due: "2026-12-31",
		Trajectory: &indicators.Trajectory{Kind: "profile", Monthly: []float64{0, 0, 0, 0, 0, 0.08, 0.1, 0.12, 0.45, 0.9, 1, 1}}}
	grainLinear = indicators.Target{ID: "105.2", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 2.55e9, Unit: "斤", Due: "2026-12-31"}
	gdp         = indicators.Target{ID: "4.1", Measure: indicators.GrowthRate, Comparator: indicators.Approx, Value: 6, Unit: "%", Due: "2026-12-31", Cadence: indicators.Quarterly}
	gdpWide     = indicators.Target{ID: "4.1", Measure: indicators.GrowthRate, Comparator: indicators.Approx, Value: 6, Unit: "%", Tolerance: 1, Due: "2026-12-31"}
	retail      = indicators.Target{ID: "5.1", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Unit: "%", Due: "2026-12-31"}
	cpi         = indicators.Target{ID: "6.1", Measure: indicators.GrowthRate, Comparator: indicators.LE, Value: 3, Unit: "%", Due: "2026-12-31"}
	cpiAbout    = indicators.Target{ID: "6.1", Measure: indicators.GrowthRate, Comparator: indicators.LE, Value: 2, Tolerance: 0.5, Unit: "%", Due: "2026-12-31"}
	energyFall  = indicators.Target{ID: "66.1", Measure: indicators.GrowthRate, Comparator: indicators.LE, Value: -3, Unit: "%", Due: "2026-12-31"}
	fixedG      = indicators.Target{ID: "7.9", Measure: indicators.GrowthRate, Comparator: indicators.EQ, Value: 6, Unit: "%", Due: "2026-12-31"}
	pm25        = indicators.Target{ID: "69.1", Measure: indicators.Level, Comparator: indicators.LE, Value: 30, Unit: "微克/立方米", Due: "2026-12-31"}
	goodDays    = indicators.Target{ID: "69.2", Measure: indicators.Level, Comparator: indicators.GE, Value: 80, Unit: "%", Due: "2026-12-31"}
	coverage    = indicators.Target{ID: "70.1", Measure: indicators.Level, Comparator: indicators.EQ, Value: 100, Unit: "%", Due: "2026-12-31"}
	forest      = indicators.Target{ID: "71.1", Measure: indicators.Level, Comparator: indicators.Approx, Value: 40, Tolerance: 1, Unit: "%", Due: "2026-12-31"}
	vegetables  = indicators.Target{ID: "104.1", Measure: indicators.Level, Comparator: indicators.GE, Value: 460000, Unit: "亩", Due: "2026-12-31"}
	newStarts   = indicators.Target{ID: "13.2", Measure: indicators.Level, Comparator: indicators.GE, Value: 40, Unit: "%", Due: "2026-03-31"}
	resumed     = indicators.Target{ID: "13.1", Measure: indicators.Level, Comparator: indicators.EQ, Value: 100, Unit: "%", Due: "2026-03-31"}
	q1Jobs      = indicators.Target{ID: "q1.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 1000, Due: "2026-03-31"}
	h1Jobs      = indicators.Target{ID: "h1.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 1000, Due: "2026-06-30"}
	q1Level     = indicators.Target{ID: "q1.2", Measure: indicators.Level, Comparator: indicators.GE, Value: 6, Unit: "%", Due: "2026-03-31"}
	halfYear    = indicators.Target{ID: "h.1", Measure: indicators.Level, Comparator: indicators.GE, Value: 80, Unit: "%", Due: "2026-06-30"}
	railway     = indicators.Target{ID: "9.1", Measure: indicators.Milestone, Stage: indicators.StageStarted, Due: "2026-06-30"}
	plant       = indicators.Target{ID: "9.2", Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31"}
	followUp    = indicators.Target{ID: "51.1", Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31", Kind: indicators.KindTask}
	income      = indicators.Target{ID: "56.1", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Unit: "%", Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GE}, Cadence: indicators.Quarterly}
	above       = indicators.Target{ID: "102.1", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Unit: "%", Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GT}, Cadence: indicators.Quarterly}
	offset      = indicators.Target{ID: "56.3", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Unit: "%", Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GE, Offset: 0.5}, Cadence: indicators.Quarterly}
	infra       = indicators.Target{ID: "11.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 35e9, Due: "2026-12-31",
		Trajectory: &indicators.Trajectory{Kind: "profile", Monthly: []float64{0.05, 0.1, 0.18, 0.27, 0.36, 0.46, 0.56, 0.66, 0.76, 0.86, 0.93, 1}}}
	infraLinear = indicators.Target{ID: "11.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 35e9, Due: "2026-12-31"}
)

// share of the year elapsed by the end of March 2026 (90 of 365 days).
const q1Share = 90.0 / 365

// revs is a shorthand for a series.
func revs(r ...indicators.Revision) []indicators.Revision { return r }

// gdpQ1 is GDP growth reported for Q1 only; gdpH1 for Q1 and Q2.
var (
	gdpQ1 = revs(rev("2026-Q1", 5.8, "2026-04-08 09:00"))
	gdpH1 = revs(rev("2026-Q1", 5.8, "2026-04-08 09:00"), rev("2026-Q2", 6.5, "2026-07-08 09:00"))
)

func TestEvaluate(t *testing.T) {
	cases := map[string]struct {
		target indicators.Target
		series []indicators.Revision
		ref    []indicators.Revision
		now    string // plan zone; default 2026-04-15 12:00
		cfg    evaluate.Config

		status     evaluate.Status
		reason     evaluate.Reason
		expected   *float64
		gap        *float64
		progress   *float64 // nil: not checked; see noProgress
		noProgress bool     // no completion ratio at all
		effective  *float64 // effective target
		value      *float64 // shown value
		period     string   // shown period
	}{
		// cumulative × ge, linear; band = 5 points of the year's target (2150)
		"a cumulative ge target ahead of its linear trajectory is on track": {
			target: jobs, series: revs(rev("2026-03", 11000, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(43000 * q1Share), gap: f(11000 - 43000*q1Share), progress: f(11000.0 / 43000),
		},
		"a cumulative ge target a little behind its trajectory is at risk": {
			target: jobs, series: revs(rev("2026-03", 10200, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(10200 - 43000*q1Share),
		},
		"a cumulative ge target more than 5 points of its target behind is lagging": {
			target: jobs, series: revs(rev("2026-03", 8000, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(8000 - 43000*q1Share),
		},
		"a wider band in points from the config turns lagging into at risk": {
			target: jobs, series: revs(rev("2026-03", 8000, "2026-04-05 09:00")), cfg: evaluate.Config{AtRiskPoints: 10},
			status: evaluate.AtRisk,
		},
		"the band is points of the year's target, not a share of today's expected value, so spring is not tight": {
			// 9000 is 15 % behind the expected 10603 (a 5 % band of it would say lagging) but
			// only 3.7 points of the year's 43000
			target: jobs, series: revs(rev("2026-03", 9000, "2026-04-05 09:00")),
			status: evaluate.AtRisk,
		},
		"a cumulative ge target that reached its full target mid-year is achieved": {
			target: jobs, series: revs(rev("2026-06", 43500, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.Achieved, progress: f(43500.0 / 43000),
		},
		"a cumulative ge target short of its target after the year's report is missed": {
			target: jobs, series: revs(rev("2026-12", 40000, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Missed, expected: f(43000), gap: f(-3000),
		},
		"a cumulative ge target met at the year's end is achieved after the due date": {
			target: jobs, series: revs(rev("2026-12", 43000, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(0), progress: f(1),
		},
		"between the due date and the December report's day a target is judged against the full target, not missed": {
			target: jobs, series: revs(rev("2026-11", 40000, "2026-12-05 09:00")), now: "2027-01-05 12:00",
			status: evaluate.Lagging, expected: f(43000), gap: f(-3000),
		},
		"a department that stopped reporting is compared with the latest due period and falls behind": {
			target: jobs, series: revs(rev("2026-01", 3700, "2026-02-05 09:00")), now: "2026-06-15 12:00",
			status: evaluate.Lagging, expected: f(43000 * 151.0 / 365),
		},
		"a report sent before its due day is compared with its own period end": {
			target: jobs, series: revs(rev("2026-03", 10700, "2026-04-02 09:00")), now: "2026-04-05 12:00",
			status: evaluate.OnTrack, expected: f(43000 * q1Share),
		},
		"early in the month the previous month's report is not due yet, so expected stays at the month before": {
			target: jobs, series: revs(rev("2026-02", 7000, "2026-03-05 09:00")), now: "2026-04-05 12:00",
			status: evaluate.OnTrack, expected: f(43000 * 59.0 / 365),
		},
		// counts: expected values are whole numbers
		"an expected count is rounded to a whole number: 91.62个 by October reads 92个": {
			target: projects, series: revs(rev("2026-10", 90, "2026-11-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.AtRisk, expected: f(92), gap: f(-2), progress: f(90.0 / 110),
		},
		"an expected count rounds down below the half: 24.66个 reads 25个, 24个 is at risk": {
			target: indicators.Target{ID: "x.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 100, Unit: "个", Due: "2026-12-31"},
			series: revs(rev("2026-03", 25, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(25), gap: f(0),
		},
		// cumulative × le (a cap)
		"a cumulative le cap under its trajectory is on track, its gap value − expected": {
			target: energy, series: revs(rev("2026-03", 200, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(200 - 1000*q1Share), progress: f(200.0 / 1000), // the share of the cap used
		},
		"a cumulative le cap slightly over its trajectory is at risk": {
			target: energy, series: revs(rev("2026-03", 255, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(255 - 1000*q1Share),
		},
		"a cumulative le cap well over its trajectory is lagging": {
			target: energy, series: revs(rev("2026-03", 300, "2026-04-05 09:00")),
			status: evaluate.Lagging,
		},
		"a cumulative le cap exceeded mid-year is already missed": {
			target: energy, series: revs(rev("2026-09", 1100, "2026-10-05 09:00")), now: "2026-10-15 12:00",
			status: evaluate.Missed,
		},
		"a cumulative le cap respected at the year's end is achieved": {
			target: energy, series: revs(rev("2026-12", 990, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(-10),
		},
		// cumulative plain figures of older catalogs (eq) are figures to reach
		"a cumulative plain figure slightly behind its trajectory is at risk": {
			target: quota, series: revs(rev("2026-03", 24, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(24 - 100*q1Share),
		},
		"a cumulative plain figure ahead of its trajectory is on track: a figure to build is reached, not matched": {
			target: quota, series: revs(rev("2026-03", 40, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(40 - 100*q1Share),
		},
		"a cumulative plain figure exceeded is achieved": {
			target: quota, series: revs(rev("2026-10", 120, "2026-11-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.Achieved, progress: f(1.2),
		},
		// cumulative × approx: a floor with a tolerance that grows with the expected share
		"a cumulative approx target within its share of the tolerance is on track with its real gap": {
			target: roughly, series: revs(rev("2026-03", 240, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(240 - 1000*q1Share),
		},
		"a cumulative approx target below its tolerance by less than the band is at risk": {
			target: roughly, series: revs(rev("2026-03", 200, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(200 - 1000*q1Share),
		},
		"a cumulative approx target further below is lagging": {
			target: roughly, series: revs(rev("2026-03", 180, "2026-04-05 09:00")),
			status: evaluate.Lagging,
		},
		"原煤产量稳定在1.7亿吨左右 at 1.62亿吨 by October is well ahead and on track with a positive gap": {
			target: coal, series: revs(rev("2026-10", 1.62e8, "2026-11-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.OnTrack, expected: f(1.7e8 * 304.0 / 365), gap: f(1.62e8 - 1.7e8*304.0/365),
		},
		"原煤产量 at 1.65亿吨 for the year is within the tolerance and achieved": {
			target: coal, series: revs(rev("2026-12", 1.65e8, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(-0.05e8),
		},
		"原煤产量 overshooting to 1.8亿吨 is achieved": {
			target: coal, series: revs(rev("2026-12", 1.8e8, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(0.1e8),
		},
		// growth_rate × ge, le, eq, approx; band 1 个百分点
		"a growth ge target above its target mid-year is on track, not yet achieved, without a completion ratio": {
			target: retail, series: revs(rev("2026-03", 6.2, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(6), gap: f(0.2), noProgress: true,
		},
		"a growth of 25 % against 6 % has no 416.7 % completion": {
			target: retail, series: revs(rev("2026-03", 25, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(19), noProgress: true,
		},
		"a growth ge target within one point is at risk": {
			target: retail, series: revs(rev("2026-03", 5.2, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(-0.8),
		},
		"a growth ge target more than one point behind is lagging": {
			target: retail, series: revs(rev("2026-03", 4.8, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(-1.2),
		},
		"a wider rate band from the config turns lagging into at risk": {
			target: retail, series: revs(rev("2026-03", 4.8, "2026-04-05 09:00")), cfg: evaluate.Config{AtRiskRatePoints: 2},
			status: evaluate.AtRisk,
		},
		"a growth ge target met at the year's end is achieved": {
			target: retail, series: revs(rev("2026-12", 6.1, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a growth ge target below its target after the due date is missed": {
			target: retail, series: revs(rev("2026-12", 5.9, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Missed, gap: f(-0.1),
		},
		"a growth le target under its ceiling is on track with a negative gap": {
			target: cpi, series: revs(rev("2026-03", 2.5, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.5), noProgress: true,
		},
		"a growth le target just over its ceiling is at risk": {
			target: cpi, series: revs(rev("2026-03", 3.1, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(0.1),
		},
		"a growth le target well over its ceiling is lagging": {
			target: cpi, series: revs(rev("2026-03", 4.5, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(1.5),
		},
		"a growth le target at its ceiling after the due date is achieved": {
			target: cpi, series: revs(rev("2026-12", 3, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"控制在2%左右 is a cap: 2.4 % is within its tolerance": {
			target: cpiAbout, series: revs(rev("2026-03", 2.4, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(0.4),
		},
		"控制在2%左右 is a cap: 1.2 % is well under it and on track": {
			target: cpiAbout, series: revs(rev("2026-03", 1.2, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.8),
		},
		"控制在2%左右 at 2.8 % is over the cap and its tolerance by less than a point: at risk": {
			target: cpiAbout, series: revs(rev("2026-03", 2.8, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(0.8),
		},
		"a fall of 2 % against 下降3% is at risk and has no 100 % completion": {
			target: energyFall, series: revs(rev("2026-03", -2, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(1), noProgress: true,
		},
		"a fall of 3.5 % against 下降3% is on track": {
			target: energyFall, series: revs(rev("2026-03", -3.5, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.5), noProgress: true,
		},
		"a growth eq target hit exactly is on track": {
			target: fixedG, series: revs(rev("2026-03", 6, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(0),
		},
		"a growth eq target above its figure is off it": {
			target: fixedG, series: revs(rev("2026-03", 6.2, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(0.2),
		},
		"GDP 6%左右 at 5.6 % is within the tolerance: on track, gap −0.4, no completion ratio": {
			target: gdp, series: revs(rev("2026-Q1", 5.6, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.4), noProgress: true,
		},
		"GDP 6%左右 at 7.5 % overshoots: on track with a positive gap, not lagging": {
			target: gdp, series: revs(rev("2026-Q1", 7.5, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(1.5),
		},
		"a growth approx target below its tolerance by less than a point is at risk": {
			target: gdp, series: revs(rev("2026-Q1", 5.2, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(-0.8),
		},
		"a growth approx target more than a point below its tolerance is lagging": {
			target: gdp, series: revs(rev("2026-Q1", 4.4, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(-1.6),
		},
		"the catalog's own tolerance takes precedence over the config": {
			target: gdpWide, series: revs(rev("2026-03", 5.2, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.8),
		},
		"the config's approx tolerance applies when the catalog sets none": {
			target: gdp, series: revs(rev("2026-Q1", 5.2, "2026-04-05 09:00")), cfg: evaluate.Config{ApproxTolerance: 1},
			status: evaluate.OnTrack,
		},
		"a growth approx target within tolerance at the year's end is achieved": {
			target: gdp, series: revs(rev("2026-Q4", 5.7, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"GDP 6%左右 at 7.5 % for the year is achieved": {
			target: gdp, series: revs(rev("2026-Q4", 7.5, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(1.5),
		},
		"a growth approx target outside tolerance at the year's end is missed": {
			target: gdp, series: revs(rev("2026-Q4", 5.4, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Missed, gap: f(-0.6),
		},
		// level × le, ge, eq, approx
		"PM2.5 at 33 against at most 30 is 3 over and lagging (band 5 % of 30)": {
			target: pm25, series: revs(rev("2026-03", 33, "2026-04-05 09:00")),
			status: evaluate.Lagging, expected: f(30), gap: f(3), progress: f(30.0 / 33),
		},
		"PM2.5 at 31 against at most 30 is at risk": {
			target: pm25, series: revs(rev("2026-03", 31, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(1),
		},
		"PM2.5 at 28 against at most 30 is on track, 2 under": {
			target: pm25, series: revs(rev("2026-03", 28, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-2),
		},
		"a level ge target met mid-year is on track, not achieved": {
			target: goodDays, series: revs(rev("2026-03", 85, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(5), progress: f(85.0 / 80),
		},
		"a level in percent within one point is at risk": {
			target: goodDays, series: revs(rev("2026-03", 79.5, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(-0.5),
		},
		"a level in percent two points short is lagging, not loosely at risk": {
			target: goodDays, series: revs(rev("2026-03", 78, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(-2),
		},
		"a level eq target at its figure is on track": {
			target: coverage, series: revs(rev("2026-03", 100, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(0), progress: f(1),
		},
		"a level eq target one point short is at risk": {
			target: coverage, series: revs(rev("2026-03", 99, "2026-04-05 09:00")),
			status: evaluate.AtRisk, gap: f(-1), progress: f(0.99),
		},
		"a level approx target inside its tolerance is on track": {
			target: forest, series: revs(rev("2026-03", 39.2, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(-0.8),
		},
		"a level approx target above its value is on track": {
			target: forest, series: revs(rev("2026-03", 45, "2026-04-05 09:00")),
			status: evaluate.OnTrack, gap: f(5),
		},
		"a level approx target two points below its tolerance is lagging": {
			target: forest, series: revs(rev("2026-03", 37, "2026-04-05 09:00")),
			status: evaluate.Lagging, gap: f(-3),
		},
		"104.1 蔬菜种植面积 at 48万亩 against 达到46万亩 is ahead, on track": {
			target: vegetables, series: revs(rev("2026-06", 480000, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.OnTrack, gap: f(20000), progress: f(48.0 / 46),
		},
		"104.1 at 44.5万亩 is within 5 points of 46万亩: at risk": {
			target: vegetables, series: revs(rev("2026-06", 445000, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.AtRisk, gap: f(-15000),
		},
		// deadlines and late completion
		"13.2 新建项目开工率40% by Q1 reported at 55 % is achieved, not missed": {
			target: newStarts, series: revs(rev("2026-03", 55, "2026-04-05 09:00")),
			status: evaluate.Achieved, gap: f(15), progress: f(55.0 / 40),
		},
		"13.2 at 55 % before the March report's day is already settled by the report": {
			target: newStarts, series: revs(rev("2026-03", 55, "2026-04-05 09:00")), now: "2026-04-06 12:00",
			status: evaluate.Achieved,
		},
		"13.1 and 9.1 with nothing reported by December 1 are missed, 逾期未报": {
			target: resumed, now: "2026-12-01 12:00",
			status: evaluate.Missed, reason: evaluate.ReasonUnreported,
		},
		"a Q1 target without reports before its March report's day has no data yet": {
			target: resumed, now: "2026-04-08 12:00",
			status: evaluate.NoData,
		},
		"a level target due in Q1 whose deadline passed unmet is missed": {
			target: q1Level, series: revs(rev("2026-03", 5, "2026-04-05 09:00")),
			status: evaluate.Missed, gap: f(-1),
		},
		"a Q1 rate reached only in April is achieved late (逾期完成)": {
			target: q1Level, series: revs(rev("2026-03", 5.5, "2026-04-05 09:00"), rev("2026-04", 6.2, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.AchievedLate,
		},
		"a Q1 rate met in March stays achieved when April falls back": {
			target: q1Level, series: revs(rev("2026-03", 6.5, "2026-04-05 09:00"), rev("2026-04", 5.5, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.Achieved, value: f(6.5), period: "2026-03", gap: f(0.5), progress: f(6.5 / 6),
		},
		"a cumulative target due in Q1 and unmet after March is missed": {
			target: q1Jobs, series: revs(rev("2026-03", 900, "2026-04-05 09:00")),
			status: evaluate.Missed, expected: f(1000), gap: f(-100),
		},
		"a cumulative target due in Q1 and met in March is achieved": {
			target: q1Jobs, series: revs(rev("2026-03", 1000, "2026-04-05 09:00")),
			status: evaluate.Achieved,
		},
		"a cumulative target due in Q1 and behind in mid-March is lagging, paced to its own due date": {
			target: q1Jobs, series: revs(rev("2026-02", 600, "2026-03-05 09:00")), now: "2026-03-15 12:00",
			status: evaluate.Lagging, expected: f(1000 * 59.0 / 90),
		},
		"a cumulative target due 06-30 reached in August is achieved late": {
			target: h1Jobs, series: revs(rev("2026-06", 900, "2026-07-05 09:00"), rev("2026-08", 1000, "2026-09-05 09:00")), now: "2026-09-15 12:00",
			status: evaluate.AchievedLate,
		},
		"a level target met on its due day is on track until the day ends": {
			target: halfYear, series: revs(rev("2026-05", 81, "2026-06-05 09:00")), now: "2026-06-30 23:59",
			status: evaluate.OnTrack,
		},
		"a level target after its due date waits for the June report's day": {
			target: halfYear, series: revs(rev("2026-05", 81, "2026-06-05 09:00")), now: "2026-07-01 00:00",
			status: evaluate.OnTrack,
		},
		"a level target whose June report came in met is achieved": {
			target: halfYear, series: revs(rev("2026-05", 81, "2026-06-05 09:00"), rev("2026-06", 82, "2026-07-05 09:00")), now: "2026-07-06 00:00",
			status: evaluate.Achieved,
		},
		"a level target met in May whose June report never came is at best at risk": {
			target: halfYear, series: revs(rev("2026-05", 81, "2026-06-05 09:00")), now: "2026-07-11 00:00",
			status: evaluate.AtRisk, reason: evaluate.ReasonStale,
		},
		// stale data: at best at risk, for every measure
		"a level last reported in June is at best at risk in November (数据未更新)": {
			target: goodDays, series: revs(rev("2026-06", 85, "2026-07-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.AtRisk, reason: evaluate.ReasonStale, gap: f(5),
		},
		"GDP with only Q2 in November is at best at risk": {
			target: gdp, series: revs(rev("2026-Q2", 6.2, "2026-07-08 09:00")), now: "2026-11-15 12:00",
			status: evaluate.AtRisk, reason: evaluate.ReasonStale,
		},
		"a stale value already lagging stays lagging": {
			target: goodDays, series: revs(rev("2026-06", 70, "2026-07-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.Lagging,
		},
		"a cumulative figure reached stays achieved when later reports are missing": {
			target: jobs, series: revs(rev("2026-06", 43500, "2026-07-05 09:00")), now: "2026-11-15 12:00",
			status: evaluate.Achieved,
		},
		"a milestone at 40 % in June while 83 % of the year has passed is lagging, not on track": {
			target: plant, series: revs(stage("2026-06", indicators.StageStarted, 40, "2026-07-05 09:00")), now: "2026-11-01 12:00",
			status: evaluate.Lagging, expected: f(100 * 273.0 / 365),
		},
		"a milestone on pace whose latest report is overdue is at best at risk": {
			target: plant, series: revs(stage("2026-06", indicators.StageStarted, 60, "2026-07-05 09:00")), now: "2026-08-15 12:00",
			status: evaluate.AtRisk, reason: evaluate.ReasonStale,
		},
		// milestones: percent against the elapsed share all along, the latest report governs
		"0 % in mid-May for a 6月30日前开工 target is lagging": {
			target: railway, series: revs(stage("2026-04", indicators.StagePlanned, 0, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.Lagging, expected: f(100 * 120.0 / 181), gap: f(-100 * 120.0 / 181),
		},
		"a milestone percent at its elapsed share is on track": {
			target: railway, series: revs(stage("2026-03", indicators.StagePlanned, 50, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(100 * 90.0 / 181),
		},
		"a milestone percent a few points behind its elapsed share is at risk": {
			target: railway, series: revs(stage("2026-03", indicators.StagePlanned, 46, "2026-04-05 09:00")),
			status: evaluate.AtRisk,
		},
		"a blocked milestone before its due date is lagging": {
			target: railway, series: revs(stage("2026-03", indicators.StageBlocked, 60, "2026-04-05 09:00")),
			status: evaluate.Lagging, reason: evaluate.ReasonBlocked,
		},
		"a milestone 受阻 after 已开工 is lagging, not achieved: the latest report governs": {
			target: plant, series: revs(stage("2026-03", indicators.StageCompleted, 100, "2026-04-05 09:00"), stage("2026-04", indicators.StageBlocked, 80, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.Lagging, reason: evaluate.ReasonBlocked,
		},
		"a 开工 milestone blocked after starting is lagging": {
			target: railway, series: revs(stage("2026-03", indicators.StageStarted, 10, "2026-04-05 09:00"), stage("2026-04", indicators.StageBlocked, 10, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.Lagging, reason: evaluate.ReasonBlocked,
		},
		"a milestone not started by its due date is missed": {
			target: railway, series: revs(stage("2026-06", indicators.StagePlanned, 90, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.Missed, progress: f(0.9),
		},
		"a milestone started on time is achieved and reads 100 %, not 已开工 0 %": {
			target: railway, series: revs(stage("2026-05", indicators.StageStarted, 0, "2026-06-05 09:00")),
			status: evaluate.Achieved, progress: f(1), value: f(100),
		},
		"a milestone started on time stays achieved after its due date": {
			target: railway, series: revs(stage("2026-05", indicators.StageStarted, 10, "2026-06-05 09:00"), stage("2026-07", indicators.StageStarted, 30, "2026-08-05 09:00")), now: "2026-08-15 12:00",
			status: evaluate.Achieved,
		},
		"a milestone started on time and blocked after its due date stays achieved: the due period decides": {
			target: railway, series: revs(stage("2026-06", indicators.StageStarted, 10, "2026-07-05 09:00"), stage("2026-07", indicators.StageBlocked, 10, "2026-08-05 09:00")), now: "2026-08-15 12:00",
			status: evaluate.Achieved, period: "2026-06",
		},
		"a milestone first reported started after its due date is achieved late (逾期完成)": {
			target: railway, series: revs(stage("2026-06", indicators.StagePlanned, 90, "2026-07-05 09:00"), stage("2026-07", indicators.StageStarted, 5, "2026-08-05 09:00")), now: "2026-08-15 12:00",
			status: evaluate.AchievedLate,
		},
		"a milestone with nothing reported by its settled deadline is missed, 逾期未报": {
			target: railway, now: "2026-12-01 12:00",
			status: evaluate.Missed, reason: evaluate.ReasonUnreported,
		},
		"a completed stage counts as started": {
			target: railway, series: revs(stage("2026-04", indicators.StageCompleted, 100, "2026-05-05 09:00")), now: "2026-05-15 12:00",
			status: evaluate.Achieved,
		},
		"completed means 100 % whatever percent an old report carries": {
			target: plant, series: revs(stage("2026-03", indicators.StageCompleted, 50, "2026-04-05 09:00")),
			status: evaluate.Achieved, value: f(100), progress: f(1),
		},
		"a milestone to complete by the year's end at its pace in spring is on track": {
			target: plant, series: revs(stage("2026-03", indicators.StageStarted, 30, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(100 * q1Share), gap: f(30 - 100*q1Share), progress: f(0.3),
		},
		"a published milestone at 95 % in December is on track: no blanket risk window": {
			target: plant, series: revs(stage("2026-11", indicators.StageStarted, 95, "2026-12-05 09:00")), now: "2026-12-06 12:00",
			status: evaluate.OnTrack, expected: f(100 * 334.0 / 365),
		},
		"a completion milestone reported started without a percent is at risk: its pace is unknown": {
			target: plant, series: revs(stageOnly("2026-03", indicators.StageStarted, "2026-04-05 09:00")),
			status: evaluate.AtRisk, reason: evaluate.ReasonNoPercent,
		},
		"a task follow-up at the year's pace is on track in December": {
			target: followUp, series: revs(stage("2026-11", indicators.StageStarted, 95, "2026-12-05 09:00")), now: "2026-12-06 12:00",
			status: evaluate.OnTrack, expected: f(100 * 334.0 / 365), gap: f(95 - 100*334.0/365),
		},
		"a task follow-up well behind the year's pace is lagging in December": {
			target: followUp, series: revs(stage("2026-11", indicators.StageStarted, 60, "2026-12-05 09:00")), now: "2026-12-06 12:00",
			status: evaluate.Lagging,
		},
		"a blocked task follow-up is lagging": {
			target: followUp, series: revs(stage("2026-03", indicators.StageBlocked, 20, "2026-04-05 09:00")),
			status: evaluate.Lagging, reason: evaluate.ReasonBlocked,
		},
		"a task follow-up not completed by the year's end is missed": {
			target: followUp, series: revs(stage("2026-12", indicators.StageStarted, 99, "2027-01-05 09:00")), now: "2027-01-06 12:00",
			status: evaluate.Missed,
		},
		"a milestone without reports has no data before its deadline": {
			target: railway, status: evaluate.NoData,
		},
		"a seasonal path can pace a milestone's percent too": {
			target: indicators.Target{ID: "m.1", Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31",
				Trajectory: &indicators.Trajectory{Kind: "profile", Monthly: []float64{0, 0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1}}},
			series: revs(stage("2026-03", indicators.StagePlanned, 5, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(5),
		},
		// relative targets: the reference's value of the same period
		"income growth ahead of GDP growth is on track against GDP's value, without a completion ratio": {
			target: income, ref: gdpQ1, series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00")),
			status: evaluate.OnTrack, effective: f(5.8), expected: f(5.8), gap: f(0.2), noProgress: true,
		},
		"income growth level with GDP growth meets 与经济增长同步": {
			target: income, ref: gdpQ1, series: revs(rev("2026-Q1", 5.8, "2026-04-09 09:00")),
			status: evaluate.OnTrack, gap: f(0),
		},
		"income growth a little behind GDP growth is at risk": {
			target: income, ref: gdpQ1, series: revs(rev("2026-Q1", 5.6, "2026-04-09 09:00")),
			status: evaluate.AtRisk, gap: f(-0.2),
		},
		"income growth more than a point behind GDP growth is lagging": {
			target: income, ref: gdpQ1, series: revs(rev("2026-Q1", 4.6, "2026-04-09 09:00")),
			status: evaluate.Lagging, gap: f(-1.2),
		},
		"growth equal to GDP growth is not 高于经济增长水平": {
			target: above, ref: gdpQ1, series: revs(rev("2026-Q1", 5.8, "2026-04-09 09:00")),
			status: evaluate.AtRisk, gap: f(0),
		},
		"growth above GDP growth is 高于 it": {
			target: above, ref: gdpQ1, series: revs(rev("2026-Q1", 5.9, "2026-04-09 09:00")),
			status: evaluate.OnTrack, gap: f(0.1),
		},
		"a relative offset adds to the referenced value": {
			target: offset, ref: gdpQ1, series: revs(rev("2026-Q1", 6.2, "2026-04-09 09:00")),
			status: evaluate.AtRisk, effective: f(6.3), gap: f(-0.1),
		},
		"income's Q1 is compared with GDP's Q1, not GDP's newer Q2": {
			target: income, ref: gdpH1, series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00")), now: "2026-07-09 12:00",
			status: evaluate.OnTrack, effective: f(5.8),
		},
		"income's Q2 is compared with GDP's Q2": {
			target: income, ref: gdpH1, series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00"), rev("2026-Q2", 6.2, "2026-07-09 09:00")), now: "2026-07-15 12:00",
			status: evaluate.AtRisk, effective: f(6.5), gap: f(-0.3),
		},
		"without GDP's Q2 income's Q2 is judged on GDP's Q1 and at best at risk": {
			target: income, ref: gdpQ1, series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00"), rev("2026-Q2", 6.2, "2026-07-09 09:00")), now: "2026-07-09 12:00",
			status: evaluate.AtRisk, reason: evaluate.ReasonReferenceStale, effective: f(5.8),
		},
		"a relative target at or above GDP at the year's end is achieved": {
			target: income, ref: revs(rev("2026-Q4", 5.8, "2027-01-08 09:00")), series: revs(rev("2026-Q4", 5.9, "2027-01-05 09:00")), now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a relative target whose reference has no value has no data": {
			target: income, ref: revs(base("2026-Q1", "2026-04-08 09:00")), series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00")),
			status: evaluate.NoData,
		},
		"a relative target without a reference series has no data": {
			target: income, series: revs(rev("2026-Q1", 6.0, "2026-04-09 09:00")),
			status: evaluate.NoData,
		},
		// no data
		"a target without reports has no data but an expected value": {
			target: jobs, status: evaluate.NoData, expected: f(43000 * q1Share),
		},
		"a report of the previous year does not count for this year": {
			target: jobs, series: revs(rev("2025-12", 42000, "2026-01-05 09:00")),
			status: evaluate.NoData,
		},
		"a report of the next year does not count for this year's plan": {
			target: jobs, series: revs(rev("2026-12", 43500, "2027-01-05 09:00"), rev("2027-01", 3000, "2027-02-05 09:00")), now: "2027-02-15 12:00",
			status: evaluate.Achieved,
		},
		"a report carrying only a note has no value": {
			target: jobs, series: revs(base("2026-03", "2026-04-05 09:00")),
			status: evaluate.NoData,
		},
		// trajectories
		"a monthly profile expects its March share, so a slow start is on track": {
			target: infra, series: revs(rev("2026-03", 6.5e9, "2026-04-05 09:00")),
			status: evaluate.OnTrack, expected: f(35e9 * 0.18),
		},
		"the same slow start on a linear trajectory is lagging": {
			target: infraLinear, series: revs(rev("2026-03", 6.5e9, "2026-04-05 09:00")),
			status: evaluate.Lagging, expected: f(35e9 * q1Share),
		},
		"a monthly profile is interpolated within a month": {
			target: infra, series: revs(rev("2026-04-15", 8e9, "2026-04-16 09:00")), now: "2026-04-16 12:00",
			status: evaluate.OnTrack, expected: f(35e9 * (0.18 + 0.09*15/30)),
		},
		"a grain harvest profile expects little by June, so 3亿斤 is on track": {
			target: grain, series: revs(rev("2026-06", 3e8, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.OnTrack, expected: f(2.55e9 * 0.08),
		},
		"the same grain figure on a linear path would be lagging": {
			target: grainLinear, series: revs(rev("2026-06", 3e8, "2026-07-05 09:00")), now: "2026-07-15 12:00",
			status: evaluate.Lagging,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			now := at("2026-04-15 12:00")
			if c.now != "" {
				now = at(c.now)
			}
			r := evaluate.Evaluate(c.cfg, plan, c.target, c.series, c.ref, now)
			if r.Status != c.status || r.Reason != c.reason {
				t.Errorf("status = %s (%s), want %s (%s)\n%+v", r.Status, r.Reason, c.status, c.reason, r)
			}
			check := func(what string, got float64, want *float64) {
				if want != nil && !near(got, *want) {
					t.Errorf("%s = %v, want %v", what, got, *want)
				}
			}
			check("expected", r.Expected, c.expected)
			check("gap", r.Gap, c.gap)
			check("progress", r.Progress, c.progress)
			check("target", r.Target, c.effective)
			check("value", r.Value, c.value)
			if c.progress != nil && !r.HasProgress {
				t.Errorf("no progress, want %v", *c.progress)
			}
			if c.noProgress && r.HasProgress {
				t.Errorf("progress %v, want none", r.Progress)
			}
			if c.period != "" && r.Period != c.period {
				t.Errorf("period = %s, want %s", r.Period, c.period)
			}
			if r.HasValue && r.Status != evaluate.NoData && !near(r.Gap, r.Value-r.Expected) {
				t.Errorf("gap %v is not value %v − expected %v", r.Gap, r.Value, r.Expected)
			}
			if r.Indicator != c.target.ID {
				t.Errorf("indicator = %q, want %q", r.Indicator, c.target.ID)
			}
		})
	}
}
