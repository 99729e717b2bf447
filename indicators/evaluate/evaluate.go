// Package evaluate turns a target and its reports into expected-to-date, gap, status,
// freshness and projection. Pure functions: the clock is an argument, no I/O.
//
// The rules, in one place (the tests in evaluate_test.go show each of them):
//
//   - Expected to date. Cumulative targets rise from 0 at Jan 1 of the plan year (plan time
//     zone) to the target at the due instant (end of the due day), linearly or along the
//     catalog's monthly profile (cumulative shares, interpolated linearly within a month; a
//     due date before Dec 31 rescales the profile so that the share at the due instant is
//     1). growth_rate and level targets expect the target itself; relative targets expect
//     the referenced indicator's latest value plus the offset. After the due instant the
//     full target is expected.
//   - As of when. Values are year-to-date "as of" their period end, and a month's report is
//     only due by the 10th of the next month, so comparing March's value with the expected
//     value on April 5 would paint everyone red at the start of every month. Expected is
//     therefore taken at ExpectedAt = the later of the latest value's period end and the
//     end of the latest calendar period whose report is due by now, clamped to the due
//     instant (and the due instant itself once it has passed). A department that stops
//     reporting is thus compared with an ever later expected value and falls behind.
//   - Comparator: a plain figure (eq) on a cumulative target (新增技能人才5000人, 新建
//     5G基站1000个) is a figure to reach: it is evaluated as ge, and Result.Comparator says
//     so; being ahead of the trajectory or above the figure is not a fault. eq on level
//     and growth targets stays "equal" (the distance either way counts).
//   - Gap, in the target's unit, positive = ahead, whatever the comparator: ge (and gt):
//     value − expected; le: expected − value; eq: −|value − expected|; approx: 0 inside
//     the tolerance band, otherwise −(|value − expected| − tolerance), the distance outside
//     the band (a 左右 target is never "ahead").
//   - Progress ratio: cumulative: value/target (for a cap, the share of it used); ge and
//     gt: value/target; le: target/value (1 when value ≤ 0); approx and eq: 1 when met,
//     otherwise min/max of value and target (0 across signs); milestones: 1 when the
//     stage is reached, otherwise percent/100. Not capped at 1: overachievement shows.
//   - Status, numeric targets: no_data without a value (also for a relative target whose
//     reference has no value; a target past its due date without any report stays no_data
//     and shows up as ReportOverdue). A cumulative ge target is achieved as soon as the
//     year-to-date value reaches the full target; a cumulative le target (a cap) is missed
//     as soon as the value exceeds it. Otherwise, once the due instant has passed: achieved
//     when the latest value meets the target, else missed (a later report meeting it turns
//     it to achieved). Before the due instant: on_track when the value meets the expected
//     value, at_risk when it is behind by at most AtRiskBand × |expected| (the tolerance
//     for approx), lagging when further behind. Level and growth targets met mid-year are
//     on_track, not achieved: the year is not over.
//   - Milestones: Value is the reported percent (100 for a completed stage without
//     percent), Target 100, Expected the linear percent to date, Gap = Value − Expected.
//     ExpectedStage is planned before the due instant and the target's Stage from then on.
//     achieved when a report as of the due instant or earlier shows the stage reached (a
//     stage first reported after the due date is missed: it was not reached in time);
//     missed once the due instant passed without it; before it: lagging when blocked,
//     at_risk when less than 30 days remain, on_track otherwise. A task follow-up
//     (Target.Kind "task": the import's "the task is done by the year end" for a task
//     that publishes no figure or stage, mostly long-running work) is at_risk in those
//     30 days only when its reported percent is behind the linear percent to date (Gap <
//     0): 95 % reported for November is on_track, not at_risk, and the 83 follow-ups of
//     the shipped catalog do not all turn at_risk on December 1.
//   - Projection of the year-end (due) value at the current pace: cumulative: value /
//     expected share at the value's period end (profile-aware); growth_rate, level and
//     relative: the latest value. None without data, for milestones, or when the share is 0.
//   - Freshness: see the reporting calendar below. LastReport is the ReceivedAt of the latest period's
//     revision (a correction of an older period does not refresh it: freshness is about
//     the newest data, and reading one element keeps a scrape of 100,000 indicators
//     cheap); Period, Value and Note come from the latest period that carries a value (a
//     stage or percent for milestones).
//   - Relative targets: the comparator is Relative.Comparator (ge for 与经济增长同步, GT for
//     高于); the referenced result's Value is the target, whatever its status. All resolves
//     references in any catalog order and through chains; an unknown reference or a cycle
//     gives no_data.
//
// # Reporting calendar
//
// An indicator is reported monthly (the default) or quarterly (Target.Cadence). The
// report for a month is due by Config.DueDay (default 10) of the following month, the
// report for a quarter by the same day of the month after the quarter; "by the day"
// means before the end of that day in the plan's time zone (ReportDue returns that
// instant, the first instant after the day: a report received 2026-04-10 23:30 +08:00 is
// on time for March, one received 2026-04-10 16:30 UTC = 2026-04-11 00:30 +08:00 is late).
//
// The calendar periods of a target are the months (quarters) of the plan year up to the
// one that contains the target's due date: a task due in the first quarter is no longer
// reported on after its March report. A report counts for a calendar period when its
// PeriodEnd is that period's end (2026-Q1, 2026-03 and 2026-03-31 all end at April 1).
//
// Freshness in a Result: ReportOverdue when the latest calendar period whose report is
// due by now has no report as of its end or later (a later year-to-date report makes an
// earlier missing one moot for the evaluation; completeness still counts it missing);
// NextReportDue is the due instant of the first calendar period after the latest report
// (in the past when that report is overdue; zero when the calendar is complete).
package evaluate

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Status is the traffic light of one target.
type Status string

const (
	Achieved Status = "achieved"
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	Lagging  Status = "lagging"
	Missed   Status = "missed"
	NoData   Status = "no_data"
)

// Statuses lists every status in display order; Severity orders them from good to bad.
var Statuses = []Status{Achieved, OnTrack, AtRisk, Lagging, Missed, NoData}

// Severity orders statuses from good to bad for sorting and "worst of" summaries:
// achieved 0, on_track 1, no_data 2, at_risk 3, lagging 4, missed 5 (unknown: 2).
func (s Status) Severity() int {
	switch s {
	case Achieved:
		return 0
	case OnTrack:
		return 1
	case AtRisk:
		return 3
	case Lagging:
		return 4
	case Missed:
		return 5
	}
	return 2
}

// Chinese is the status as people read it on the board and in bulletins.
func (s Status) Chinese() string {
	switch s {
	case Achieved:
		return "已完成"
	case OnTrack:
		return "正常推进"
	case AtRisk:
		return "存在风险"
	case Lagging:
		return "进度滞后"
	case Missed:
		return "未完成"
	case NoData:
		return "暂无数据"
	}
	return string(s)
}

// GT is a relative comparator for 高于 (strictly above the referenced value); the
// catalog's own comparators are in package indicators.
const GT indicators.Comparator = "gt"

// Default thresholds.
const (
	DefaultAtRiskBand      = 0.05
	DefaultApproxTolerance = 0.5
	DefaultDueDay          = 10
)

// milestoneRiskWindow: a milestone not reached this close to its due instant is at_risk.
const milestoneRiskWindow = 30 * 24 * time.Hour

// Config holds the thresholds; zero fields take the defaults (see Defaults).
type Config struct {
	// AtRiskBand: a target within this share of its expected value (behind) is at_risk;
	// further behind is lagging. Default 0.05.
	AtRiskBand float64 `mapstructure:"at_risk_band" yaml:"at_risk_band"`
	// ApproxTolerance: tolerance of 左右 targets in the target's unit when the catalog
	// sets none. Default 0.5 (percentage points for growth rates).
	ApproxTolerance float64 `mapstructure:"approx_tolerance" yaml:"approx_tolerance"`
	// DueDay: a monthly report is due by this day of the following month. Default 10.
	// Values above 28 are taken as 28 so that every month has the day.
	DueDay int `mapstructure:"due_day" yaml:"due_day"`
}

// Defaults returns c with zero (or invalid) fields set to their defaults.
func (c Config) Defaults() Config { return c.defaults() }

func (c Config) defaults() Config {
	if c.AtRiskBand <= 0 {
		c.AtRiskBand = DefaultAtRiskBand
	}
	if c.ApproxTolerance <= 0 {
		c.ApproxTolerance = DefaultApproxTolerance
	}
	if c.DueDay <= 0 {
		c.DueDay = DefaultDueDay
	}
	if c.DueDay > 28 {
		c.DueDay = 28
	}
	return c
}

// Result is the evaluation of one target at one instant.
type Result struct {
	Indicator  string
	Department string
	Status     Status

	HasValue      bool
	Value         float64          // latest value (milestones: percent complete)
	Stage         indicators.Stage // milestones: latest stage
	Period        string           // period of the latest value
	Target        float64          // effective target (relative targets: the referenced value)
	Expected      float64          // expected value to date
	Gap           float64          // signed, in the target unit, positive = ahead
	Progress      float64          // value / target for cumulative; met share otherwise
	HasProjection bool
	Projected     float64 // year-end value at the current pace

	LastReport    time.Time // received time of the latest period's revision in the plan year (zero if none)
	Due           time.Time // end of the due day
	NextReportDue time.Time // when the next report is due by the calendar
	ReportOverdue bool      // a report that was due is missing

	// Comparator is the effective comparator (a relative target's Relative.Comparator,
	// possibly GT) and Tolerance the effective tolerance of approx targets.
	Comparator indicators.Comparator
	Tolerance  float64
	// ExpectedAt is the instant Expected refers to (see the package comment).
	ExpectedAt time.Time
	// ExpectedStage is the milestone stage expected at now (planned before Due, the
	// target's stage from Due on); empty for numeric targets.
	ExpectedStage indicators.Stage
	// Met says the latest value meets the full (effective) target.
	Met bool
	// ProjectedMiss says the projected year-end value does not meet the target.
	ProjectedMiss bool
	// OverduePeriod is the period whose report is missing when ReportOverdue.
	OverduePeriod string
	// Note is the narrative of the latest revision with a value.
	Note string
}

// All evaluates every target of the catalog at now, in catalog order; series returns an
// indicator's latest revision per period ordered by PeriodEnd. Relative targets are
// evaluated against the referenced indicator's result (evaluated first when it comes
// later in the catalog; a missing or circular reference gives no_data).
func All(cfg Config, cat *indicators.Catalog, series func(id string) []indicators.Revision, now time.Time) []Result {
	return AppendAll(nil, cfg, cat, series, now)
}

// AppendAll is All appending to dst (which may be a previous result truncated to
// length 0, to spare the allocation of ~360 bytes per target on every scrape; the
// appended results do not share anything with what dst held).
func AppendAll(dst []Result, cfg Config, cat *indicators.Catalog, series func(id string) []indicators.Revision, now time.Time) []Result {
	env := newEnv(cfg.defaults(), cat.Plan)
	env.setNow(now)
	n := 0
	for i := range cat.Tasks {
		n += len(cat.Tasks[i].Targets)
	}
	base := len(dst)
	dst = slices.Grow(dst, n)[:base+n]
	out := dst[base:]
	clear(out)
	// First pass: every target that follows no other, straight into place, in catalog
	// order. Relative targets wait for the second pass.
	type pending struct {
		t    *indicators.Target
		dept string
		i    int
	}
	var rel []pending
	i := 0
	for ti := range cat.Tasks {
		task := &cat.Tasks[ti]
		for j := range task.Targets {
			t := &task.Targets[j]
			if t.Relative != nil {
				rel = append(rel, pending{t, task.Lead, i})
			} else {
				env.evaluate(&out[i], t, task.Lead, series(t.ID), nil)
			}
			i++
		}
	}
	if len(rel) == 0 {
		return dst
	}
	// Second pass: relative targets, each after its reference (which may itself be
	// relative); an unknown or circular reference has no value.
	want := make(map[string]int, len(rel))
	for _, p := range rel {
		want[p.t.Relative.Indicator] = -1
	}
	i = 0
	for ti := range cat.Tasks {
		for j := range cat.Tasks[ti].Targets {
			if _, ok := want[cat.Tasks[ti].Targets[j].ID]; ok {
				want[cat.Tasks[ti].Targets[j].ID] = i
			}
			i++
		}
	}
	// state of relative targets: 1 in progress, 2 done, 3 done but on a cycle (the
	// members of a cycle all get no_data, whichever is met first)
	state := make([]uint8, n)
	relAt := make([]int32, n) // position → 1 + index in rel, 0 for other targets
	for k, p := range rel {
		relAt[p.i] = int32(k + 1)
	}
	var eval func(p pending) bool
	eval = func(p pending) bool {
		switch state[p.i] {
		case 1, 3:
			return false
		case 2:
			return true
		}
		state[p.i] = 1
		ref, sound := &Result{}, true
		if j := want[p.t.Relative.Indicator]; j >= 0 {
			if k := relAt[j]; k > 0 {
				if sound = eval(rel[k-1]); sound {
					ref = &out[j]
				}
			} else {
				ref = &out[j]
			}
		}
		env.evaluate(&out[p.i], p.t, p.dept, series(p.t.ID), ref)
		state[p.i] = 2
		if !sound {
			state[p.i] = 3
		}
		return sound
	}
	for _, p := range rel {
		eval(p)
	}
	return dst
}

// Evaluate evaluates one target at now. series is the indicator's latest revision per
// period ordered by PeriodEnd; ref is the referenced indicator's result for a relative
// target (nil otherwise; nil for a relative target means the reference has no value).
// The result's Department is left empty: the target does not know its task.
func Evaluate(cfg Config, plan indicators.Plan, t indicators.Target, series []indicators.Revision, ref *Result, now time.Time) Result {
	env := newEnv(cfg.defaults(), plan)
	env.setNow(now)
	if t.Relative != nil && ref == nil {
		ref = &Result{}
	}
	var r Result
	env.evaluate(&r, &t, "", series, ref)
	return r
}

// env is what every evaluation of one plan shares, computed once.
type env struct {
	cfg       Config
	loc       *time.Location
	year      int
	yearStart time.Time
	yearEnd   time.Time     // first instant of the next year
	jan       int           // month index of the plan year's January
	ends      [12]time.Time // ends[k]: first instant after month k+1 of the plan year
	dues      [12]time.Time // dues[k]: report due instant of month k+1 of the plan year

	dueText string    // the last due date parsed (most targets share a few)
	dueAt   time.Time // and its end
	dueIdx  int       // and its month

	// set by setNow: the instant of the evaluation and what follows from it per cadence
	// (0 monthly, 1 quarterly)
	now       time.Time
	lastDue   [2]int       // latest period month whose report is due by now
	passedEnd [2]time.Time // its end
}

func cadenceSlot(c indicators.Cadence) int {
	if c == indicators.Quarterly {
		return 1
	}
	return 0
}

func (e *env) setNow(now time.Time) {
	e.now = now
	for i, c := range []indicators.Cadence{indicators.Monthly, indicators.Quarterly} {
		e.lastDue[i] = e.lastDueIdx(c, now)
		e.passedEnd[i] = e.periodEnd(e.lastDue[i])
	}
}

var zones sync.Map // time zone name → *time.Location (LoadLocation reads a file each time)

func planLocation(p indicators.Plan) *time.Location {
	if v, ok := zones.Load(p.TimeZone); ok {
		return v.(*time.Location)
	}
	loc := p.Location()
	zones.Store(p.TimeZone, loc)
	return loc
}

func newEnv(cfg Config, plan indicators.Plan) *env {
	loc := planLocation(plan)
	y := plan.Year
	if y == 0 {
		y = 2026
	}
	e := &env{
		cfg:       cfg,
		loc:       loc,
		year:      y,
		yearStart: time.Date(y, time.January, 1, 0, 0, 0, 0, loc),
		yearEnd:   time.Date(y+1, time.January, 1, 0, 0, 0, 0, loc),
		jan:       monthIdx(y, time.January),
	}
	for k := range 12 {
		e.ends[k] = time.Date(y, time.Month(k+2), 1, 0, 0, 0, 0, loc)
		e.dues[k] = time.Date(y, time.Month(k+2), cfg.DueDay+1, 0, 0, 0, 0, loc)
	}
	return e
}

// due is the end of the target's due day and the month it falls in; an unreadable date
// counts as the year's end.
func (e *env) due(t *indicators.Target) (time.Time, int) {
	if string(t.Due) == e.dueText && e.dueText != "" {
		return e.dueAt, e.dueIdx
	}
	at, idx := e.yearEnd, monthIdx(e.year, time.December)
	if d, ok := parseDate(string(t.Due)); ok {
		at, idx = time.Date(d.y, d.m, d.d+1, 0, 0, 0, 0, e.loc), monthIdx(d.y, d.m)
	}
	e.dueText, e.dueAt, e.dueIdx = string(t.Due), at, idx
	return at, idx
}

type ymd struct {
	y int
	m time.Month
	d int
}

// parseDate reads YYYY-MM-DD without allocating (time.Parse is the slow part of a scrape).
func parseDate(s string) (ymd, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return ymd{}, false
	}
	n := func(a, b int) (int, bool) {
		v := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := n(0, 4)
	m, ok2 := n(5, 7)
	d, ok3 := n(8, 10)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return ymd{}, false
	}
	return ymd{y, time.Month(m), d}, true
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// evaluate fills r (a zero Result) at e.now.
func (e *env) evaluate(r *Result, t *indicators.Target, dept string, series []indicators.Revision, ref *Result) {
	now := e.now
	due, dueIdx := e.due(t)
	r.Indicator = t.ID
	r.Department = dept
	r.Due = due
	r.Comparator = t.Comparator
	if t.Relative != nil {
		r.Comparator = t.Relative.Comparator
	}
	if r.Comparator == "" || r.Comparator == indicators.EQ && t.Measure == indicators.Cumulative && t.Relative == nil {
		r.Comparator = indicators.GE // a plain figure to accumulate (新增技能人才X人) is reached, not matched
	}
	if r.Comparator == indicators.Approx {
		r.Tolerance = t.Tolerance
		if r.Tolerance <= 0 {
			r.Tolerance = e.cfg.ApproxTolerance
		}
	}
	// Only the plan year's periods count: year-to-date values start again each year.
	// Reports of later years (the next plan's) are cut off; earlier ones are ignored below.
	for len(series) > 0 && series[len(series)-1].PeriodEnd.After(e.yearEnd) {
		series = series[:len(series)-1]
	}
	cad := cadenceOf(t)
	lastIdx := e.lastCalendarIdx(cad, dueIdx)
	e.freshness(r, cad, lastIdx, series)

	// the latest revision of this year carrying a value (or a stage)
	milestone := t.Measure == indicators.Milestone
	latest := -1
	for i := len(series) - 1; i >= 0; i-- {
		s := &series[i]
		if !s.PeriodEnd.After(e.yearStart) {
			break
		}
		if milestone && (s.Stage != "" || s.Percent != nil) || !milestone && s.Value != nil {
			latest = i
			break
		}
	}
	if n := len(series); n > 0 && series[n-1].PeriodEnd.After(e.yearStart) {
		r.LastReport = series[n-1].ReceivedAt
	}
	passed := !now.Before(due)
	// ExpectedAt: later of the latest value's period end and the latest due period's end.
	asOf := e.passedEnd[cadenceSlot(cad)]
	if latest >= 0 && series[latest].PeriodEnd.After(asOf) {
		asOf = series[latest].PeriodEnd
	}
	if passed || asOf.After(due) {
		asOf = due
	}
	if asOf.Before(e.yearStart) {
		asOf = e.yearStart
	}
	r.ExpectedAt = asOf

	if latest >= 0 {
		s := &series[latest]
		r.HasValue = true
		r.Period = s.Period
		r.Note = s.Note
		if s.Value != nil {
			r.Value = *s.Value
		}
	}

	if milestone {
		e.milestone(r, t, series, latest, due, asOf, now)
		return
	}

	// effective target and expected value
	r.Target = t.Value
	rel := t.Relative != nil
	if rel {
		if ref == nil || !ref.HasValue {
			r.Target, r.Expected = 0, 0
			r.Status = NoData
			return
		}
		r.Target = ref.Value + t.Relative.Offset
	}
	cumulative := t.Measure == indicators.Cumulative && !rel
	if cumulative {
		r.Expected = r.Target * e.share(t, due, asOf)
	} else {
		r.Expected = r.Target
	}
	if !r.HasValue {
		r.Status = NoData
		return
	}
	v, T, E, tol := r.Value, r.Target, r.Expected, r.Tolerance
	r.Met = meets(r.Comparator, v, T, tol)
	r.Gap = gap(r.Comparator, v, E, tol)
	r.Progress = progress(r.Comparator, cumulative, v, T, r.Met)

	// projection
	if cumulative {
		if sh := e.share(t, due, series[latest].PeriodEnd); sh > 0 {
			r.HasProjection, r.Projected = true, v/sh
		}
	} else {
		r.HasProjection, r.Projected = true, v
	}
	if r.HasProjection {
		r.ProjectedMiss = !meets(r.Comparator, r.Projected, T, tol)
	}

	onPace := meets(r.Comparator, v, E, tol)
	switch {
	case cumulative && r.Comparator == indicators.GE && r.Met:
		r.Status = Achieved
	case cumulative && r.Comparator == indicators.LE && v > T && T >= 0:
		r.Status = Missed // the cap is already exceeded: year-to-date sums do not fall
	case passed && r.Met:
		r.Status = Achieved
	case passed:
		r.Status = Missed
	case onPace:
		r.Status = OnTrack
	case -r.Gap <= e.band(r.Comparator, E, tol):
		r.Status = AtRisk
	default:
		r.Status = Lagging
	}
}

func (e *env) band(c indicators.Comparator, expected, tol float64) float64 {
	if c == indicators.Approx {
		return tol
	}
	return e.cfg.AtRiskBand * math.Abs(expected)
}

func (e *env) milestone(r *Result, t *indicators.Target, series []indicators.Revision, latest int, due, asOf, now time.Time) {
	r.Target = 100
	want := t.Stage
	if want == "" {
		want = indicators.StageCompleted
	}
	r.ExpectedStage = indicators.StagePlanned
	if !now.Before(due) {
		r.ExpectedStage = want
	}
	r.Expected = 100 * linear(e.yearStart, due, asOf)
	if latest < 0 {
		r.Status = NoData
		return
	}
	s := &series[latest]
	r.Stage = s.Stage
	switch {
	case s.Percent != nil:
		r.Value = *s.Percent
	case s.Stage == indicators.StageCompleted:
		r.Value = 100
	default:
		r.Value = 0
	}
	r.Gap = r.Value - r.Expected
	// reached in time: a report as of the due instant or earlier shows the stage
	reachedInTime, reached := false, false
	for i := range series {
		x := &series[i]
		if !x.PeriodEnd.After(e.yearStart) || x.Stage == "" || x.Stage.Rank() < want.Rank() {
			continue
		}
		reached = true
		if !x.PeriodEnd.After(due) {
			reachedInTime = true
		}
	}
	r.Met = reachedInTime
	r.Progress = r.Value / 100
	if reached {
		r.Progress = 1
	}
	switch {
	case reachedInTime:
		r.Status = Achieved
	case !now.Before(due):
		r.Status = Missed
	case s.Stage == indicators.StageBlocked:
		r.Status = Lagging
	case due.Sub(now) < milestoneRiskWindow && (!t.FollowUp() || r.Gap < 0):
		r.Status = AtRisk
	default:
		r.Status = OnTrack
	}
}

// share is the part of a cumulative target expected by x (0..1).
func (e *env) share(t *indicators.Target, due, x time.Time) float64 {
	if !x.After(e.yearStart) {
		return 0
	}
	if !x.Before(due) {
		return 1
	}
	if tr := t.Trajectory; tr != nil && len(tr.Monthly) == 12 {
		if d := e.profileAt(tr.Monthly, due); d > 0 {
			return math.Min(1, e.profileAt(tr.Monthly, x)/d)
		}
	}
	return linear(e.yearStart, due, x)
}

func linear(start, end, x time.Time) float64 {
	if !x.After(start) {
		return 0
	}
	if !x.Before(end) {
		return 1
	}
	return float64(x.Sub(start)) / float64(end.Sub(start))
}

// profileAt interpolates the cumulative monthly shares at x.
func (e *env) profileAt(monthly []float64, x time.Time) float64 {
	if !x.After(e.yearStart) {
		return 0
	}
	if !x.Before(e.yearEnd) {
		return monthly[11]
	}
	x = x.In(e.loc)
	m := x.Month()
	ms := time.Date(e.year, m, 1, 0, 0, 0, 0, e.loc)
	me := time.Date(e.year, m+1, 1, 0, 0, 0, 0, e.loc)
	prev := 0.0
	if m > time.January {
		prev = monthly[m-2]
	}
	return prev + (monthly[m-1]-prev)*linear(ms, me, x)
}

func meets(c indicators.Comparator, v, target, tol float64) bool {
	switch c {
	case indicators.LE:
		return v <= target
	case indicators.Approx:
		return math.Abs(v-target) <= tol+eps(target)
	case indicators.EQ:
		return math.Abs(v-target) <= eps(target)
	case GT:
		return v > target
	default:
		return v >= target
	}
}

func eps(x float64) float64 { return 1e-9 * math.Max(1, math.Abs(x)) }

func gap(c indicators.Comparator, v, expected, tol float64) float64 {
	switch c {
	case indicators.LE:
		return expected - v
	case indicators.Approx:
		if d := math.Abs(v - expected); d > tol+eps(expected) {
			return -(d - tol)
		}
		return 0
	case indicators.EQ:
		return -math.Abs(v - expected)
	default:
		return v - expected
	}
}

func progress(c indicators.Comparator, cumulative bool, v, target float64, met bool) float64 {
	ratio := func(a, b float64) float64 {
		if x := a / b; b != 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return x
		}
		if met {
			return 1
		}
		return 0
	}
	if cumulative {
		return ratio(v, target)
	}
	switch c {
	case indicators.LE:
		if v <= 0 {
			return 1
		}
		return ratio(target, v)
	case indicators.Approx, indicators.EQ:
		if met {
			return 1
		}
		lo, hi := math.Min(v, target), math.Max(v, target)
		if lo < 0 || hi <= 0 {
			return 0
		}
		return lo / hi
	default:
		return ratio(v, target)
	}
}
