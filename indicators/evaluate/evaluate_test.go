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
	gdp      = indicators.Target{ID: "4.1", Measure: indicators.GrowthRate, Comparator: indicators.Approx, Value: 6, Due: "2026-12-31", Cadence: indicators.Quarterly}
	gdpWide  = indicators.Target{ID: "4.1", Measure: indicators.GrowthRate, Comparator: indicators.Approx, Value: 6, Tolerance: 1, Due: "2026-12-31"}
	retail   = indicators.Target{ID: "5.1", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Due: "2026-12-31"}
	cpi      = indicators.Target{ID: "6.1", Measure: indicators.GrowthRate, Comparator: indicators.LE, Value: 3, Due: "2026-12-31"}
	fixedG   = indicators.Target{ID: "7.1", Measure: indicators.GrowthRate, Comparator: indicators.EQ, Value: 6, Due: "2026-12-31"}
	pm25     = indicators.Target{ID: "69.1", Measure: indicators.Level, Comparator: indicators.LE, Value: 30, Due: "2026-12-31"}
	goodDays = indicators.Target{ID: "69.2", Measure: indicators.Level, Comparator: indicators.GE, Value: 80, Due: "2026-12-31"}
	coverage = indicators.Target{ID: "70.1", Measure: indicators.Level, Comparator: indicators.EQ, Value: 100, Due: "2026-12-31"}
	forest   = indicators.Target{ID: "71.1", Measure: indicators.Level, Comparator: indicators.Approx, Value: 40, Tolerance: 1, Due: "2026-12-31"}
	q1Jobs   = indicators.Target{ID: "q1.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 1000, Due: "2026-03-31"}
	q1Level  = indicators.Target{ID: "q1.2", Measure: indicators.Level, Comparator: indicators.GE, Value: 6, Due: "2026-03-31"}
	halfYear = indicators.Target{ID: "h.1", Measure: indicators.Level, Comparator: indicators.GE, Value: 80, Due: "2026-06-30"}
	railway  = indicators.Target{ID: "9.1", Measure: indicators.Milestone, Stage: indicators.StageStarted, Due: "2026-06-30"}
	plant    = indicators.Target{ID: "9.2", Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31"}
	followUp = indicators.Target{ID: "51.1", Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31", Kind: indicators.KindTask}
	income   = indicators.Target{ID: "56.1", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GE}, Cadence: indicators.Quarterly}
	above    = indicators.Target{ID: "56.2", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: evaluate.GT}}
	offset   = indicators.Target{ID: "56.3", Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Due: "2026-12-31", Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GE, Offset: 0.5}}
	infra    = indicators.Target{ID: "11.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 35e9, Due: "2026-12-31",
		Trajectory: &indicators.Trajectory{Kind: "profile", Monthly: []float64{0.05, 0.1, 0.18, 0.27, 0.36, 0.46, 0.56, 0.66, 0.76, 0.86, 0.93, 1}}}
	infraLinear = indicators.Target{ID: "11.1", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 35e9, Due: "2026-12-31"}
)

// share of the year elapsed by the end of March 2026 (90 of 365 days).
const q1Share = 90.0 / 365

func TestEvaluate(t *testing.T) {
	gdpRef := &evaluate.Result{Indicator: "4.1", HasValue: true, Value: 5.8}
	cases := map[string]struct {
		target indicators.Target
		series []indicators.Revision
		ref    *evaluate.Result
		now    string // plan zone; default 2026-04-15 12:00
		cfg    evaluate.Config

		status   evaluate.Status
		expected *float64
		gap      *float64
		progress *float64
		target_  *float64 // effective target
	}{
		// cumulative × ge, linear
		"a cumulative ge target ahead of its linear trajectory is on track": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 11000, "2026-04-05 09:00")},
			status: evaluate.OnTrack, expected: f(43000 * q1Share), gap: f(11000 - 43000*q1Share), progress: f(11000.0 / 43000),
		},
		"a cumulative ge target a little behind its trajectory is at risk": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 10200, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(10200 - 43000*q1Share),
		},
		"a cumulative ge target far behind its trajectory is lagging": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 8000, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(8000 - 43000*q1Share),
		},
		"a cumulative ge target that reached its full target mid-year is achieved": {
			target: jobs, series: []indicators.Revision{rev("2026-06", 43500, "2026-07-05 09:00")}, now: "2026-07-15 12:00",
			status: evaluate.Achieved, progress: f(43500.0 / 43000),
		},
		"a cumulative ge target short of its target after the due date is missed": {
			target: jobs, series: []indicators.Revision{rev("2026-12", 40000, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Missed, expected: f(43000), gap: f(-3000),
		},
		"a cumulative ge target met at the year's end is achieved after the due date": {
			target: jobs, series: []indicators.Revision{rev("2026-12", 43000, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(0), progress: f(1),
		},
		"a cumulative target's expected value after the due date is the full target even with stale reports": {
			target: jobs, series: []indicators.Revision{rev("2026-06", 30000, "2026-07-05 09:00")}, now: "2027-02-01 12:00",
			status: evaluate.Missed, expected: f(43000), gap: f(-13000),
		},
		"a department that stopped reporting is compared with the latest due period and falls behind": {
			target: jobs, series: []indicators.Revision{rev("2026-01", 3700, "2026-02-05 09:00")}, now: "2026-06-15 12:00",
			status: evaluate.Lagging, expected: f(43000 * 151.0 / 365),
		},
		"a report sent before its due day is compared with its own period end": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 10700, "2026-04-02 09:00")}, now: "2026-04-05 12:00",
			status: evaluate.OnTrack, expected: f(43000 * q1Share),
		},
		"early in the month the previous month's report is not due yet, so expected stays at the month before": {
			target: jobs, series: []indicators.Revision{rev("2026-02", 7000, "2026-03-05 09:00")}, now: "2026-04-05 12:00",
			status: evaluate.OnTrack, expected: f(43000 * 59.0 / 365),
		},
		// cumulative × le (a cap)
		"a cumulative le cap under its trajectory is on track": {
			target: energy, series: []indicators.Revision{rev("2026-03", 200, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(1000*q1Share - 200), progress: f(200.0 / 1000), // the share of the cap used
		},
		"a cumulative le cap slightly over its trajectory is at risk": {
			target: energy, series: []indicators.Revision{rev("2026-03", 255, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(1000*q1Share - 255),
		},
		"a cumulative le cap well over its trajectory is lagging": {
			target: energy, series: []indicators.Revision{rev("2026-03", 300, "2026-04-05 09:00")},
			status: evaluate.Lagging,
		},
		"a cumulative le cap exceeded mid-year is already missed": {
			target: energy, series: []indicators.Revision{rev("2026-09", 1100, "2026-10-05 09:00")}, now: "2026-10-15 12:00",
			status: evaluate.Missed,
		},
		"a cumulative le cap respected at the year's end is achieved": {
			target: energy, series: []indicators.Revision{rev("2026-12", 990, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(10),
		},
		// cumulative × eq and approx
		"a cumulative eq target slightly off its trajectory is at risk": {
			target: quota, series: []indicators.Revision{rev("2026-03", 24, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(24 - 100*q1Share),
		},
		"a cumulative plain figure ahead of its trajectory is on track: a figure to build is reached, not matched": {
			target: quota, series: []indicators.Revision{rev("2026-03", 40, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(40 - 100*q1Share),
		},
		"a cumulative plain figure exceeded is achieved": {
			target: quota, series: []indicators.Revision{rev("2026-10", 120, "2026-11-05 09:00")}, now: "2026-11-15 12:00",
			status: evaluate.Achieved, progress: f(1.2),
		},
		"a cumulative eq target hit exactly at the year's end is achieved": {
			target: quota, series: []indicators.Revision{rev("2026-12", 100, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved, gap: f(0), progress: f(1),
		},
		"a cumulative approx target within its catalog tolerance of the trajectory is on track with no gap": {
			target: roughly, series: []indicators.Revision{rev("2026-03", 230, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0),
		},
		"a cumulative approx target outside its tolerance by less than the tolerance is at risk": {
			target: roughly, series: []indicators.Revision{rev("2026-03", 180, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-(1000*q1Share - 180 - 50)),
		},
		// growth_rate × ge, le, eq, approx
		"a growth ge target above its target mid-year is on track, not yet achieved": {
			target: retail, series: []indicators.Revision{rev("2026-03", 6.2, "2026-04-05 09:00")},
			status: evaluate.OnTrack, expected: f(6), gap: f(0.2), progress: f(6.2 / 6),
		},
		"a growth ge target within the at-risk band is at risk": {
			target: retail, series: []indicators.Revision{rev("2026-03", 5.8, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-0.2),
		},
		"a growth ge target beyond the at-risk band is lagging": {
			target: retail, series: []indicators.Revision{rev("2026-03", 5, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-1),
		},
		"a wider at-risk band from the config turns lagging into at risk": {
			target: retail, series: []indicators.Revision{rev("2026-03", 5, "2026-04-05 09:00")}, cfg: evaluate.Config{AtRiskBand: 0.2},
			status: evaluate.AtRisk,
		},
		"a growth ge target met at the year's end is achieved": {
			target: retail, series: []indicators.Revision{rev("2026-12", 6.1, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a growth ge target below its target after the due date is missed": {
			target: retail, series: []indicators.Revision{rev("2026-12", 5.9, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Missed, gap: f(-0.1),
		},
		"a growth le target under its ceiling is on track with a positive gap": {
			target: cpi, series: []indicators.Revision{rev("2026-03", 2.5, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0.5), progress: f(3 / 2.5),
		},
		"a growth le target just over its ceiling is at risk": {
			target: cpi, series: []indicators.Revision{rev("2026-03", 3.1, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-0.1),
		},
		"a growth le target well over its ceiling is lagging": {
			target: cpi, series: []indicators.Revision{rev("2026-03", 4, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-1), progress: f(0.75),
		},
		"a growth le target at or under its ceiling after the due date is achieved": {
			target: cpi, series: []indicators.Revision{rev("2026-12", 3, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a growth eq target hit exactly is on track": {
			target: fixedG, series: []indicators.Revision{rev("2026-03", 6, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0), progress: f(1),
		},
		"a growth eq target above its figure has a negative gap": {
			target: fixedG, series: []indicators.Revision{rev("2026-03", 6.2, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-0.2), progress: f(6 / 6.2),
		},
		"a growth eq target missed at the year's end is missed": {
			target: fixedG, series: []indicators.Revision{rev("2026-12", 7, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Missed, gap: f(-1),
		},
		"a growth approx target within the default tolerance is on track with no gap": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 5.6, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0), progress: f(1),
		},
		"a growth approx target outside the default tolerance by less than it is at risk": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 5.2, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-0.3), progress: f(5.2 / 6),
		},
		"a growth approx target far below the band is lagging": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 4.8, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-0.7),
		},
		"a growth approx target far above the band is lagging too": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 7.2, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-0.7),
		},
		"the catalog's own tolerance takes precedence over the config": {
			target: gdpWide, series: []indicators.Revision{rev("2026-03", 5.2, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0),
		},
		"the config's approx tolerance applies when the catalog sets none": {
			target: gdp, series: []indicators.Revision{rev("2026-Q1", 5.2, "2026-04-05 09:00")}, cfg: evaluate.Config{ApproxTolerance: 1},
			status: evaluate.OnTrack, gap: f(0),
		},
		"a growth approx target within tolerance at the year's end is achieved": {
			target: gdp, series: []indicators.Revision{rev("2026-Q4", 5.7, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a growth approx target outside tolerance at the year's end is missed": {
			target: gdp, series: []indicators.Revision{rev("2026-Q4", 5.4, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Missed, gap: f(-0.1),
		},
		// level × le, ge, eq, approx
		"PM2.5 at 33 against at most 30 is behind by 3 and lagging": {
			target: pm25, series: []indicators.Revision{rev("2026-03", 33, "2026-04-05 09:00")},
			status: evaluate.Lagging, expected: f(30), gap: f(-3), progress: f(30.0 / 33),
		},
		"PM2.5 at 31 against at most 30 is at risk": {
			target: pm25, series: []indicators.Revision{rev("2026-03", 31, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-1),
		},
		"PM2.5 at 28 against at most 30 is on track and ahead by 2": {
			target: pm25, series: []indicators.Revision{rev("2026-03", 28, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(2),
		},
		"a level ge target met mid-year is on track, not achieved": {
			target: goodDays, series: []indicators.Revision{rev("2026-03", 85, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(5),
		},
		"a level ge target within the band is at risk": {
			target: goodDays, series: []indicators.Revision{rev("2026-03", 78, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-2),
		},
		"a level ge target beyond the band is lagging": {
			target: goodDays, series: []indicators.Revision{rev("2026-03", 70, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-10),
		},
		"a level eq target at its figure is on track": {
			target: coverage, series: []indicators.Revision{rev("2026-03", 100, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0), progress: f(1),
		},
		"a level eq target one point short is at risk": {
			target: coverage, series: []indicators.Revision{rev("2026-03", 99, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-1), progress: f(0.99),
		},
		"a level approx target inside its tolerance is on track": {
			target: forest, series: []indicators.Revision{rev("2026-03", 39.2, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0),
		},
		"a level approx target two tolerances off is lagging": {
			target: forest, series: []indicators.Revision{rev("2026-03", 37, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-2),
		},
		// due dates
		"a level target met on its due day is on track until the day ends": {
			target: halfYear, series: []indicators.Revision{rev("2026-05", 81, "2026-06-05 09:00")}, now: "2026-06-30 23:59",
			status: evaluate.OnTrack,
		},
		"a level target met at its due instant is achieved": {
			target: halfYear, series: []indicators.Revision{rev("2026-05", 81, "2026-06-05 09:00")}, now: "2026-07-01 00:00",
			status: evaluate.Achieved,
		},
		"a cumulative target due in Q1 and unmet after March is missed": {
			target: q1Jobs, series: []indicators.Revision{rev("2026-03", 900, "2026-04-05 09:00")},
			status: evaluate.Missed, expected: f(1000), gap: f(-100),
		},
		"a cumulative target due in Q1 and met in March is achieved": {
			target: q1Jobs, series: []indicators.Revision{rev("2026-03", 1000, "2026-04-05 09:00")},
			status: evaluate.Achieved,
		},
		"a cumulative target due in Q1 and behind in mid-March is lagging, paced to its own due date": {
			target: q1Jobs, series: []indicators.Revision{rev("2026-02", 600, "2026-03-05 09:00")}, now: "2026-03-15 12:00",
			status: evaluate.Lagging, expected: f(1000 * 59.0 / 90),
		},
		"a level target due in Q1 whose deadline passed unmet is missed": {
			target: q1Level, series: []indicators.Revision{rev("2026-02", 5, "2026-03-05 09:00")},
			status: evaluate.Missed, gap: f(-1),
		},
		// milestones
		"a milestone still planned well before its due date is on track": {
			target: railway, series: []indicators.Revision{stage("2026-03", indicators.StagePlanned, 20, "2026-04-05 09:00")},
			status: evaluate.OnTrack,
		},
		"a milestone still planned within 30 days of its due date is at risk": {
			target: railway, series: []indicators.Revision{stage("2026-05", indicators.StagePlanned, 60, "2026-06-05 09:00")}, now: "2026-06-10 12:00",
			status: evaluate.AtRisk,
		},
		"a blocked milestone before its due date is lagging": {
			target: railway, series: []indicators.Revision{stage("2026-03", indicators.StageBlocked, 20, "2026-04-05 09:00")},
			status: evaluate.Lagging,
		},
		"a milestone not started by its due date is missed": {
			target: railway, series: []indicators.Revision{stage("2026-06", indicators.StagePlanned, 90, "2026-07-05 09:00")}, now: "2026-07-15 12:00",
			status: evaluate.Missed, progress: f(0.9),
		},
		"a milestone started on time is achieved": {
			target: railway, series: []indicators.Revision{stage("2026-05", indicators.StageStarted, 10, "2026-06-05 09:00")},
			status: evaluate.Achieved, progress: f(1),
		},
		"a milestone started on time stays achieved after its due date": {
			target: railway, series: []indicators.Revision{stage("2026-05", indicators.StageStarted, 10, "2026-06-05 09:00"), stage("2026-07", indicators.StageStarted, 30, "2026-08-05 09:00")}, now: "2026-08-15 12:00",
			status: evaluate.Achieved,
		},
		"a milestone first reported started after its due date is missed": {
			target: railway, series: []indicators.Revision{stage("2026-06", indicators.StagePlanned, 90, "2026-07-05 09:00"), stage("2026-07", indicators.StageStarted, 5, "2026-08-05 09:00")}, now: "2026-08-15 12:00",
			status: evaluate.Missed,
		},
		"a completed stage counts as started": {
			target: railway, series: []indicators.Revision{stage("2026-04", indicators.StageCompleted, 100, "2026-05-05 09:00")},
			status: evaluate.Achieved,
		},
		"a milestone to complete by the year's end that has only started is on track in spring": {
			target: plant, series: []indicators.Revision{stage("2026-03", indicators.StageStarted, 30, "2026-04-05 09:00")},
			status: evaluate.OnTrack, expected: f(100 * q1Share), gap: f(30 - 100*q1Share), progress: f(0.3),
		},
		"a published milestone to complete by the year's end is at risk in December however far along": {
			target: plant, series: []indicators.Revision{stage("2026-11", indicators.StageStarted, 95, "2026-12-05 09:00")}, now: "2026-12-06 12:00",
			status: evaluate.AtRisk, expected: f(100 * 334.0 / 365),
		},
		"a task follow-up at the year's pace is on track in December": {
			target: followUp, series: []indicators.Revision{stage("2026-11", indicators.StageStarted, 95, "2026-12-05 09:00")}, now: "2026-12-06 12:00",
			status: evaluate.OnTrack, expected: f(100 * 334.0 / 365), gap: f(95 - 100*334.0/365),
		},
		"a task follow-up behind the year's pace is at risk in December": {
			target: followUp, series: []indicators.Revision{stage("2026-11", indicators.StageStarted, 60, "2026-12-05 09:00")}, now: "2026-12-06 12:00",
			status: evaluate.AtRisk,
		},
		"a task follow-up started without a percent is at risk in December": {
			target: followUp, series: []indicators.Revision{{Report: indicators.Report{Period: "2026-11", Stage: indicators.StageStarted}, Revision: 1, ReceivedAt: at("2026-12-05 09:00"), PeriodEnd: at("2026-12-01 00:00")}}, now: "2026-12-06 12:00",
			status: evaluate.AtRisk,
		},
		"a blocked task follow-up is lagging": {
			target: followUp, series: []indicators.Revision{stage("2026-03", indicators.StageBlocked, 20, "2026-04-05 09:00")},
			status: evaluate.Lagging,
		},
		"a task follow-up not completed by the year's end is missed": {
			target: followUp, series: []indicators.Revision{stage("2026-12", indicators.StageStarted, 99, "2027-01-05 09:00")}, now: "2027-01-06 12:00",
			status: evaluate.Missed,
		},
		"a milestone without reports has no data": {
			target: railway, status: evaluate.NoData,
		},
		// relative targets
		"income growth ahead of GDP growth is on track against GDP's value": {
			target: income, ref: gdpRef, series: []indicators.Revision{rev("2026-Q1", 6.0, "2026-04-05 09:00")},
			status: evaluate.OnTrack, target_: f(5.8), expected: f(5.8), gap: f(0.2),
		},
		"income growth level with GDP growth meets 与经济增长同步": {
			target: income, ref: gdpRef, series: []indicators.Revision{rev("2026-Q1", 5.8, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0),
		},
		"income growth a little behind GDP growth is at risk": {
			target: income, ref: gdpRef, series: []indicators.Revision{rev("2026-Q1", 5.6, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(-0.2),
		},
		"income growth far behind GDP growth is lagging": {
			target: income, ref: gdpRef, series: []indicators.Revision{rev("2026-Q1", 5.2, "2026-04-05 09:00")},
			status: evaluate.Lagging, gap: f(-0.6),
		},
		"growth equal to GDP growth is not 高于 it": {
			target: above, ref: gdpRef, series: []indicators.Revision{rev("2026-03", 5.8, "2026-04-05 09:00")},
			status: evaluate.AtRisk, gap: f(0),
		},
		"growth above GDP growth is 高于 it": {
			target: above, ref: gdpRef, series: []indicators.Revision{rev("2026-03", 5.9, "2026-04-05 09:00")},
			status: evaluate.OnTrack, gap: f(0.1),
		},
		"a relative offset adds to the referenced value": {
			target: offset, ref: gdpRef, series: []indicators.Revision{rev("2026-03", 6.2, "2026-04-05 09:00")},
			status: evaluate.AtRisk, target_: f(6.3), gap: f(-0.1),
		},
		"a relative target at or above GDP at the year's end is achieved": {
			target: income, ref: gdpRef, series: []indicators.Revision{rev("2026-Q4", 5.9, "2027-01-05 09:00")}, now: "2027-01-15 12:00",
			status: evaluate.Achieved,
		},
		"a relative target whose reference has no data has no data": {
			target: income, ref: &evaluate.Result{Indicator: "4.1"}, series: []indicators.Revision{rev("2026-Q1", 6.0, "2026-04-05 09:00")},
			status: evaluate.NoData,
		},
		"a relative target without a reference result has no data": {
			target: income, series: []indicators.Revision{rev("2026-Q1", 6.0, "2026-04-05 09:00")},
			status: evaluate.NoData,
		},
		// no data
		"a target without reports has no data but an expected value": {
			target: jobs, status: evaluate.NoData, expected: f(43000 * q1Share),
		},
		"a report of the previous year does not count for this year": {
			target: jobs, series: []indicators.Revision{rev("2025-12", 42000, "2026-01-05 09:00")},
			status: evaluate.NoData,
		},
		"a report of the next year does not count for this year's plan": {
			target: jobs, series: []indicators.Revision{rev("2026-12", 43500, "2027-01-05 09:00"), rev("2027-01", 3000, "2027-02-05 09:00")}, now: "2027-02-15 12:00",
			status: evaluate.Achieved,
		},
		"a report carrying only a note has no value": {
			target: jobs, series: []indicators.Revision{base("2026-03", "2026-04-05 09:00")},
			status: evaluate.NoData,
		},
		// trajectories
		"a monthly profile expects its March share, so a slow start is on track": {
			target: infra, series: []indicators.Revision{rev("2026-03", 6.5e9, "2026-04-05 09:00")},
			status: evaluate.OnTrack, expected: f(35e9 * 0.18),
		},
		"the same slow start on a linear trajectory is lagging": {
			target: infraLinear, series: []indicators.Revision{rev("2026-03", 6.5e9, "2026-04-05 09:00")},
			status: evaluate.Lagging, expected: f(35e9 * q1Share),
		},
		"a monthly profile is interpolated within a month": {
			target: infra, series: []indicators.Revision{rev("2026-04-15", 8e9, "2026-04-16 09:00")}, now: "2026-04-16 12:00",
			status: evaluate.OnTrack, expected: f(35e9 * (0.18 + 0.09*15/30)),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			now := at("2026-04-15 12:00")
			if c.now != "" {
				now = at(c.now)
			}
			r := evaluate.Evaluate(c.cfg, plan, c.target, c.series, c.ref, now)
			if r.Status != c.status {
				t.Errorf("status = %s, want %s (%+v)", r.Status, c.status, r)
			}
			check := func(what string, got float64, want *float64) {
				if want != nil && !near(got, *want) {
					t.Errorf("%s = %v, want %v", what, got, *want)
				}
			}
			check("expected", r.Expected, c.expected)
			check("gap", r.Gap, c.gap)
			check("progress", r.Progress, c.progress)
			check("target", r.Target, c.target_)
			if r.Indicator != c.target.ID {
				t.Errorf("indicator = %q, want %q", r.Indicator, c.target.ID)
			}
		})
	}
}
