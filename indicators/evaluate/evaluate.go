// Package evaluate judges every target the way a supervision office (督查室) reads
// 序时进度: expected-to-date value, gap, status and its reason, freshness and projection.
// Pure functions: the clock is an argument, no I/O. The words people read for each
// status (已完成, 存在风险 …), their colours and their order live in package present.
//
// The rules, in one place (evaluate_test.go has a case for each, with injected dates):
//
//   - Comparators. ge: at least the target (以上, 达到X, 提高到X, a bare figure on a level,
//     rate or count: 13.2 新建项目开工率40% reported at 55 % is ahead, not off target);
//     gt: strictly above (高于经济增长水平); le: at most (以下, 控制在, 下降X%), and with a
//     tolerance a cap of about the value (居民消费价格涨幅控制在2%左右: at most 2.5 %); approx
//     (左右 on growth and output): a floor with a tolerance, so a shortfall within the
//     tolerance meets the target and any overshoot does too (GDP 6%左右 at 7.5 % or at
//     5.6 %, 原煤产量稳定在1.7亿吨左右 at 1.62亿吨 by October); eq: exactly, left only where
//     exceeding cannot happen or is itself a miss (全覆盖 100 %, 动态清零 0). A plain figure
//     (eq) on a cumulative target of an older catalog is evaluated as ge, and
//     Result.Comparator says so. A cumulative target's tolerance shrinks with the
//     expected share (tolerance × expected ÷ target) before the due date.
//   - Expected to date. Cumulative targets rise from 0 at Jan 1 of the plan year (plan time
//     zone) to the target at the due instant (end of the due day), linearly or along the
//     catalog's monthly profile (a seasonal path such as the grain harvest, given by the
//     overlay: cumulative shares, interpolated linearly within a month; a due date before
//     Dec 31 rescales the profile so that the share at the due instant is 1). Milestones
//     expect the same share of 100 % (their percent is judged all along, not only near the
//     due date). growth_rate and level targets expect the target itself; relative targets
//     expect the referenced indicator's value of the same period (below). Expected values
//     of counts (个, 家, 人 …: indicators.CountUnit) are rounded to the nearest whole number
//     (91.62个 → 92个, 91.4个 → 91个), and the status compares with that whole number.
//   - As of when. Values are year-to-date "as of" their period end, and a month's report is
//     only due by the 10th of the next month, so comparing March's value with the expected
//     value on April 5 would paint everyone red at the start of every month. Expected is
//     therefore taken at ExpectedAt = the later of the latest value's period end and the
//     end of the latest calendar period whose report is due by now, clamped to the due
//     instant (and the due instant itself once it has passed). A department that stops
//     reporting is thus compared with an ever later expected value and falls behind.
//   - Gap = value − expected, in the target's unit, whatever the comparator (a cap
//     exceeded has a positive gap; a 左右 target inside its tolerance shows its real
//     distance). Whether that is ahead or behind is the status's business.
//   - Progress (完成率) only where a ratio means something: cumulative targets value ÷
//     target (for a cap, the share of it used); levels with a positive target value ÷
//     target (le: target ÷ value; eq: 1 when met, else the smaller over the larger);
//     milestones percent ÷ 100 (1 once the stage is reached). None (HasProgress false) for
//     growth rates, relative targets and targets of 0 or below (declines, 清零): a growth of
//     25 % against 6 % is not "416.7 % done".
//   - Band (存在风险 or 进度滞后). A target that does not meet its expected value is at_risk
//     when its shortfall is at most the band, lagging beyond. The band is counted in
//     percentage points of the year's target, as 序时 practice compares the completion ratio
//     with the elapsed share of time: Config.AtRiskPoints (default 5) points of the target
//     for cumulative targets, milestones (points of percent) and levels in other units
//     (46万亩: 2.3万亩); for growth rates and levels in percent (%, 百分点, ‰) the band is
//     Config.AtRiskRatePoints (default 1) 个百分点 of the rate itself, beyond the tolerance
//     for approx and le-with-tolerance targets.
//   - Status before the deadline is settled (see Deadline): no_data without a value. A
//     cumulative target reaching its full figure (ge, gt, approx) is achieved at once
//     (year-to-date sums do not fall); a cumulative cap (le) already exceeded is missed at
//     once. Otherwise on_track when the latest value meets the expected value, else
//     at_risk or lagging by the band. Levels and growth rates meeting their target are
//     on_track, not achieved: the year is not over.
//   - Stale data. When a report is overdue (ReportOverdue) the status is at best at_risk
//     with Reason stale (数据未更新), for every measure: a level last reported in June, GDP
//     with only Q2, a milestone at 40 % in June while October is due. Lagging stays lagging;
//     achieved stays achieved where it is final (a cumulative figure reached, a milestone
//     stage reported reached).
//   - Deadline. The deadline is settled once the due instant has passed and either the
//     report of the due period (the calendar period holding the due date) is in or its
//     reporting day has passed (a Q1 target on April 11, or as soon as March's report
//     arrives). Until then the target is judged as before its deadline, against the full
//     target. Once settled, the value as of the due period decides (the latest report
//     whose period ends by the due period's end): meeting the target there is achieved
//     (Value and Period show that report); reaching it only in a later period's report is
//     achieved_late (逾期完成, a status of its own, counted with missed in the bulletin but
//     shown apart); otherwise missed. With nothing reported at all the target is missed
//     with Reason unreported (逾期未报): 13.1 and 9.1 with Q1 and H1 deadlines are red on
//     December 1, not grey. If the due period's report itself is missing and nothing later
//     came, a value that met the target earlier gives at best at_risk (stale), unless it
//     is final (a cumulative figure reached).
//   - Milestones: Value is 100 once the target's stage is reached (started counts for a
//     开工 target, completed for both; completed always means 100 %), otherwise the
//     reported percent (0 without one); Target 100; Expected the share to date.
//     ExpectedStage is planned before the due instant and the target's Stage from then on.
//     The latest report governs: a stage reached in an earlier report and 受阻 (blocked)
//     now is not achieved. Before the deadline: achieved when the latest report shows the
//     stage reached; lagging with Reason blocked when it says blocked; at_risk with Reason
//     no_percent for a started completion milestone reported without a percent; otherwise
//     the percent against the expected share with the band (0 % in mid-May for a
//     6月30日前开工 target is lagging). Task follow-ups (Target.Kind "task") follow the
//     same rules. After the deadline the Deadline rule applies to the stage.
//   - Relative targets (与经济增长同步 ge, 高于经济增长水平 gt): the target of a value is the
//     referenced indicator's reported value of the same period (GDP's Q2 for income's
//     Q2), plus the offset, not the reference's latest. When the reference has no value of
//     that period its latest earlier one stands in and the status is at best at_risk with
//     Reason reference_stale; a reference without any value (or unknown) gives no_data.
//   - Projection of the year-end (due) value at the current pace: cumulative: value /
//     expected share at the value's period end (profile-aware); growth_rate, level and
//     relative: the latest value. None without data, for milestones, or when the share is 0.
//   - Freshness: see the reporting calendar below. LastReport is the ReceivedAt of the
//     latest period's revision (a correction of an older period does not refresh it:
//     freshness is about the newest data, and reading one element keeps a scrape of
//     100,000 indicators cheap); Period, Value and Note come from the latest period that
//     carries a value (a stage or percent for milestones), except as the Deadline rule says.
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
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Status is the traffic light of one target. Its words, colours and order for people
// are in package present.
type Status string

// The statuses, from good to bad, with no data last.
const (
	Achieved     Status = "achieved"      // 已完成
	OnTrack      Status = "on_track"      // 正常推进
	AtRisk       Status = "at_risk"       // 存在风险
	Lagging      Status = "lagging"       // 进度滞后
	AchievedLate Status = "achieved_late" // 逾期完成: reached only after the due period
	Missed       Status = "missed"        // 未完成
	NoData       Status = "no_data"       // 暂无数据
)

// Statuses lists every status, from good to bad with no_data last.
var Statuses = []Status{Achieved, OnTrack, AtRisk, Lagging, AchievedLate, Missed, NoData}

// CountsAsMissed reports whether a bulletin counts the status with 未完成: missed, and
// achieved_late (the deadline was missed, even if the figure came later).
func (s Status) CountsAsMissed() bool { return s == Missed || s == AchievedLate }

// Reason says why a target has its status when the status alone would mislead.
type Reason string

const (
	// ReasonStale means a report that was due is missing, so the status is at best at_risk
	// (数据未更新).
	ReasonStale Reason = "stale"
	// ReasonUnreported means the deadline is settled and nothing was ever reported (逾期未报);
	// the status is missed.
	ReasonUnreported Reason = "unreported"
	// ReasonBlocked means the latest milestone report says blocked (受阻).
	ReasonBlocked Reason = "blocked"
	// ReasonNoPercent means a completion milestone reported started without a percent, so its
	// pace cannot be judged (未报完成比例).
	ReasonNoPercent Reason = "no_percent"
	// ReasonReferenceStale means a relative target's reference has no value of the same
	// period; its latest earlier value stood in (参照指标未报同期数).
	ReasonReferenceStale Reason = "reference_stale"
)

// Reasons lists every reason.
var Reasons = []Reason{ReasonStale, ReasonUnreported, ReasonBlocked, ReasonNoPercent, ReasonReferenceStale}

// GT is indicators.GT (strictly above; 高于经济增长水平), kept here for callers of the
// evaluation.
const GT = indicators.GT

// Default thresholds.
const (
	DefaultAtRiskPoints     = 5.0
	DefaultAtRiskRatePoints = 1.0
	DefaultApproxTolerance  = 0.5
	DefaultDueDay           = 10
)

// Config holds the thresholds; zero fields take the defaults (see Defaults). It is
// comparable (the exporter compares it with the zero value).
type Config struct {
	// AtRiskPoints: a cumulative target, a milestone or a level not in percent behind its
	// expected value by at most this many percentage points of its target is at_risk;
	// further behind is lagging. Default 5.
	AtRiskPoints float64 `mapstructure:"at_risk_points" yaml:"at_risk_points"`
	// AtRiskRatePoints: the band of growth rates and levels in percent, in percentage
	// points (个百分点) of the rate. Default 1.
	AtRiskRatePoints float64 `mapstructure:"at_risk_rate_points" yaml:"at_risk_rate_points"`
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
	if !(c.AtRiskPoints > 0) {
		c.AtRiskPoints = DefaultAtRiskPoints
	}
	if !(c.AtRiskRatePoints > 0) {
		c.AtRiskRatePoints = DefaultAtRiskRatePoints
	}
	if !(c.ApproxTolerance > 0) {
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
	// Reason qualifies the status (stale data, nothing reported, blocked …); empty when
	// the status says it all.
	Reason Reason

	HasValue      bool
	Value         float64          // latest value (milestones: percent complete, 100 once reached)
	Stage         indicators.Stage // milestones: latest stage
	Period        string           // period of the latest value
	Target        float64          // effective target (relative targets: the referenced value)
	Expected      float64          // expected value to date (counts: a whole number)
	Gap           float64          // Value − Expected, in the target unit
	HasProgress   bool
	Progress      float64 // completion ratio where it means something (see the package comment)
	HasProjection bool
	Projected     float64 // year-end value at the current pace

	LastReport    time.Time // received time of the latest period's revision in the plan year (zero if none)
	Due           time.Time // end of the due day
	NextReportDue time.Time // when the next report is due by the calendar
	ReportOverdue bool      // a report that was due is missing

	// Comparator is the effective comparator (a relative target's Relative.Comparator,
	// possibly GT) and Tolerance the effective tolerance of approx and le targets.
	Comparator indicators.Comparator
	Tolerance  float64
	// ExpectedAt is the instant Expected refers to (see the package comment).
	ExpectedAt time.Time
	// ExpectedStage is the milestone stage expected at now (planned before Due, the
	// target's stage from Due on); empty for numeric targets.
	ExpectedStage indicators.Stage
	// Settled says the deadline is settled: the due instant passed and the due period's
	// report is in or its reporting day passed.
	Settled bool
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
// indicator's latest revision per period ordered by PeriodEnd. A relative target is
// evaluated against its reference's reported values (series of the referenced id).
func All(cfg Config, cat *indicators.Catalog, series func(id string) []indicators.Revision, now time.Time) []Result {
	return AppendAll(nil, cfg, cat, series, now)
}

// AppendAll is All appending to dst (which may be a previous result truncated to
// length 0, to spare the allocation of ~380 bytes per target on every scrape; the
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
	i := 0
	for ti := range cat.Tasks {
		task := &cat.Tasks[ti]
		for j := range task.Targets {
			t := &task.Targets[j]
			var ref []indicators.Revision
			if t.Relative != nil && t.Relative.Indicator != t.ID {
				if _, ok := cat.Lookup(t.Relative.Indicator); ok {
					ref = series(t.Relative.Indicator) // an unknown id has no values: no data
				}
			}
			env.evaluate(&out[i], t, task.Lead, series(t.ID), ref)
			i++
		}
	}
	return dst
}

// Evaluate evaluates one target at now. series is the indicator's latest revision per
// period ordered by PeriodEnd; ref is the referenced indicator's series for a relative
// target (ignored otherwise; nil or without values gives no_data). The result's
// Department is left empty: the target does not know its task.
func Evaluate(cfg Config, plan indicators.Plan, t indicators.Target, series, ref []indicators.Revision, now time.Time) Result {
	env := newEnv(cfg.defaults(), plan)
	env.setNow(now)
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
		// Catalogs are checked when loaded (indicators.Load refuses a plan without a
		// year, collector.NewService too): evaluating one is a programming error, never a
		// guess of the year.
		panic(fmt.Sprintf("evaluate: plan %q has no year", plan.ID))
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

// Comparator is the comparator the evaluation applies to t: a relative target's
// Relative.Comparator, ge for a plain figure (eq) on a cumulative target of an older
// catalog or for none, otherwise the catalog's.
func Comparator(t *indicators.Target) indicators.Comparator {
	c := t.Comparator
	if t.Relative != nil {
		c = t.Relative.Comparator
	}
	if c == "" || c == indicators.EQ && t.Measure == indicators.Cumulative && t.Relative == nil {
		c = indicators.GE // a plain figure to accumulate (新增技能人才X人) is reached, not matched
	}
	return c
}

// evaluate fills r (a zero Result) at e.now; ref is the reference's series of a relative
// target. The steps: what the target is (describe), which reports count (the plan
// year's, the latest and the one as of the due period), whether the deadline is settled
// and as of when the expected value is taken (settle); a milestone is judged by its
// stage, a figure by its value against the effective target (target, measure), as of
// the due period once settled (settledStatus), by its pace before (paceStatus).
func (e *env) evaluate(r *Result, t *indicators.Target, dept string, series, ref []indicators.Revision) {
	j := judged{t: t, ref: ref, rel: t.Relative != nil}
	j.cumulative = t.Measure == indicators.Cumulative && !j.rel
	milestone := t.Measure == indicators.Milestone
	var dueIdx int
	j.due, dueIdx = e.due(t)
	e.describe(r, t, dept, j.due)
	// Only the plan year's periods count: year-to-date values start again each year.
	// Reports of later years (the next plan's) are cut off; earlier ones are ignored below.
	j.series = e.thisYear(series)
	cad := cadenceOf(t)
	lastIdx := e.lastCalendarIdx(cad, dueIdx)
	dueEnd := e.periodEnd(lastIdx) // end of the due period
	e.freshness(r, cad, lastIdx, j.series)
	j.latest, j.atDue = e.latestReports(j.series, milestone, dueEnd)
	e.settle(r, &j, cad, lastIdx, dueEnd)
	if j.latest >= 0 {
		e.show(r, &j.series[j.latest])
	}
	if milestone {
		e.milestone(r, t, j.series, j.latest, j.atDue, j.due, j.asOf)
		return
	}
	if !e.target(r, &j) {
		return
	}
	if !r.HasValue {
		r.Status = NoData
		if r.Settled {
			r.Status, r.Reason = Missed, ReasonUnreported
		}
		return
	}
	e.measure(r, &j)
	if r.Settled {
		e.settledStatus(r, &j)
		return
	}
	e.paceStatus(r, &j)
}

// judged is one target under evaluation: its reports of the plan year and what the
// steps of evaluate find out about it in turn.
type judged struct {
	t               *indicators.Target
	series, ref     []indicators.Revision // this year's reports; a relative target's reference
	rel, cumulative bool                  // relative; cumulative and not relative
	due             time.Time             // the end of the due day
	latest, atDue   int                   // series index of the latest value, and of the latest as of the due period (-1: none)
	asOf            time.Time             // the instant the expected value is for (Result.ExpectedAt)
	refEnd          time.Time             // the instant a relative target's reference is read at
}

// staysReached says that a value that met the target stays met: a year-to-date figure
// with a floor (not a cap, not an exact value) does not fall.
func (j *judged) staysReached(c indicators.Comparator) bool {
	return j.cumulative && c != indicators.LE && c != indicators.EQ
}

// describe fills what the result says of the target itself: its identity, due
// instant, comparator and tolerance.
func (e *env) describe(r *Result, t *indicators.Target, dept string, due time.Time) {
	r.Indicator = t.ID
	r.Department = dept
	r.Due = due
	r.Comparator = Comparator(t)
	switch r.Comparator {
	case indicators.Approx:
		r.Tolerance = t.Tolerance
		if r.Tolerance <= 0 {
			r.Tolerance = e.cfg.ApproxTolerance
		}
	case indicators.LE:
		r.Tolerance = math.Max(0, t.Tolerance)
	}
}

// latestReports finds, among this year's reports, the latest revision carrying a value
// (a stage or percent for a milestone) and the latest one as of the due period ending
// at dueEnd; -1 for none.
func (e *env) latestReports(series []indicators.Revision, milestone bool, dueEnd time.Time) (latest, atDue int) {
	latest, atDue = -1, -1
	for i := len(series) - 1; i >= 0; i-- {
		s := &series[i]
		if !s.PeriodEnd.After(e.yearStart) {
			break
		}
		if milestone && (s.Stage != "" || s.Percent != nil) || !milestone && s.Value != nil {
			if latest < 0 {
				latest = i
			}
			if !s.PeriodEnd.After(dueEnd) {
				atDue = i
				break
			}
		}
	}
	return latest, atDue
}

// settle fills the last report's arrival, whether the deadline is settled, and the
// instant the expected value is for (ExpectedAt, j.asOf): the later of the latest
// value's period end and the latest due period's end, at most the due instant.
func (e *env) settle(r *Result, j *judged, cad indicators.Cadence, lastIdx int, dueEnd time.Time) {
	series := j.series
	var latestEnd time.Time
	if n := len(series); n > 0 && series[n-1].PeriodEnd.After(e.yearStart) {
		r.LastReport = series[n-1].ReceivedAt
		latestEnd = series[n-1].PeriodEnd
	}
	passed := !e.now.Before(j.due)
	r.Settled = passed && (!e.now.Before(e.reportDue(lastIdx)) || !latestEnd.Before(dueEnd))
	asOf := e.passedEnd[cadenceSlot(cad)]
	if j.latest >= 0 && series[j.latest].PeriodEnd.After(asOf) {
		asOf = series[j.latest].PeriodEnd
	}
	if passed || asOf.After(j.due) {
		asOf = j.due
	}
	if asOf.Before(e.yearStart) {
		asOf = e.yearStart
	}
	r.ExpectedAt, j.asOf = asOf, asOf
}

// target fills the effective target (a relative target's reference plus its offset, at
// the latest value's period) and the value expected by j.asOf. False, with no_data,
// when a relative target's reference has nothing to compare with.
func (e *env) target(r *Result, j *judged) bool {
	t := j.t
	r.Target = t.Value
	j.refEnd = j.asOf
	if j.latest >= 0 {
		j.refEnd = j.series[j.latest].PeriodEnd
	}
	if j.rel {
		v, _, ok := e.refAt(j.ref, j.refEnd)
		if !ok {
			r.Target, r.Status = 0, NoData // nothing to compare with
			return false
		}
		r.Target = v + t.Relative.Offset
	}
	share := 1.0
	if j.cumulative {
		share = e.share(t, j.due, j.asOf)
	}
	r.Expected = e.whole(t, r.Target*share)
	return true
}

// measure compares the shown value with the target: met, the gap to the expected value,
// the progress and the projection to the due date.
func (e *env) measure(r *Result, j *judged) {
	t := j.t
	c, T, tol := r.Comparator, r.Target, r.Tolerance
	v := r.Value
	r.Met = meets(c, v, T, tol)
	r.Gap = v - r.Expected
	r.HasProgress, r.Progress = progress(t, c, j.cumulative, j.rel, v, T, r.Met)
	if j.cumulative {
		if sh := e.share(t, j.due, j.series[j.latest].PeriodEnd); sh > 0 {
			r.HasProjection, r.Projected = true, v/sh
		}
	} else {
		r.HasProjection, r.Projected = true, v
	}
	if r.HasProjection {
		r.ProjectedMiss = !meets(c, r.Projected, T, tol)
	}
}

// settledStatus judges a settled deadline: the value as of the due period decides, and
// reaching the target later is late.
func (e *env) settledStatus(r *Result, j *judged) {
	t, series := j.t, j.series
	c, T, tol := r.Comparator, r.Target, r.Tolerance
	target := func(i int) (float64, bool) {
		if !j.rel {
			return T, true
		}
		v, _, ok := e.refAt(j.ref, series[i].PeriodEnd)
		return v + t.Relative.Offset, ok
	}
	if j.atDue >= 0 {
		if Td, ok := target(j.atDue); ok && meets(c, *series[j.atDue].Value, Td, tol) {
			r.Status = Achieved
			if r.ReportOverdue && !j.staysReached(c) {
				r.Status, r.Reason = AtRisk, ReasonStale // met once, the due period unreported
			}
			if j.atDue != j.latest { // show the report that decided
				e.show(r, &series[j.atDue])
				r.Target, r.Expected = Td, e.whole(t, Td)
				r.Gap = r.Value - r.Expected
				r.HasProgress, r.Progress = progress(t, c, j.cumulative, j.rel, r.Value, Td, true)
			}
			return
		}
	}
	r.Status = Missed
	if j.latest != j.atDue && r.Met {
		r.Status = AchievedLate
	}
}

// paceStatus judges a target before its deadline is settled, by the value against the
// expected one: on track within the tolerance, at risk within the band, lagging beyond.
func (e *env) paceStatus(r *Result, j *judged) {
	c, T, tol := r.Comparator, r.Target, r.Tolerance
	v, E := r.Value, r.Expected
	tolE := tol
	if j.cumulative && T != 0 {
		tolE = tol * math.Abs(E/T)
	}
	switch {
	case j.staysReached(c) && meets(c, v, T, 0):
		r.Status = Achieved
	case j.cumulative && c == indicators.LE && v > T+tol && T >= 0:
		r.Status = Missed // the cap is already exceeded: year-to-date sums do not fall
	case meets(c, v, E, tolE):
		r.Status = OnTrack
	case shortfall(c, v, E, tolE) <= e.band(j.t, j.cumulative, T):
		r.Status = AtRisk
	default:
		r.Status = Lagging
	}
	e.capStale(r)
	if j.rel && (r.Status == OnTrack || r.Status == AtRisk) {
		if _, same, _ := e.refAt(j.ref, j.refEnd); !same {
			r.Status = AtRisk
			if r.Reason == "" {
				r.Reason = ReasonReferenceStale
			}
		}
	}
}

// show makes s the revision the result shows.
func (e *env) show(r *Result, s *indicators.Revision) {
	r.HasValue = true
	r.Period = s.Period
	r.Note = s.Note
	r.Value = 0
	if s.Value != nil {
		r.Value = *s.Value
	}
}

// capStale: with a report overdue the status is at best at_risk (数据未更新).
func (e *env) capStale(r *Result) {
	if !r.ReportOverdue {
		return
	}
	switch r.Status {
	case OnTrack:
		r.Status, r.Reason = AtRisk, ReasonStale
	case AtRisk:
		if r.Reason == "" {
			r.Reason = ReasonStale
		}
	}
}

// thisYear cuts off the reports of later years.
func (e *env) thisYear(series []indicators.Revision) []indicators.Revision {
	for len(series) > 0 && series[len(series)-1].PeriodEnd.After(e.yearEnd) {
		series = series[:len(series)-1]
	}
	return series
}

// refAt is the reference's value as of end: the latest value of the plan year whose
// period ends by end (when the reference reported only later periods, its earliest
// value); same says its period ends exactly at end.
func (e *env) refAt(ref []indicators.Revision, end time.Time) (v float64, same, ok bool) {
	ref = e.thisYear(ref)
	for i := len(ref) - 1; i >= 0; i-- {
		s := &ref[i]
		if !s.PeriodEnd.After(e.yearStart) {
			break
		}
		if s.Value == nil || s.PeriodEnd.After(end) {
			continue
		}
		return *s.Value, s.PeriodEnd.Equal(end), true
	}
	for i := range ref {
		if s := &ref[i]; s.PeriodEnd.After(e.yearStart) && s.Value != nil {
			return *s.Value, false, true
		}
	}
	return 0, false, false
}

// whole rounds an expected count to a whole number.
func (e *env) whole(t *indicators.Target, v float64) float64 {
	if indicators.CountUnit(t.Unit) {
		return math.Round(v)
	}
	return v
}

// band is the at-risk band of a target in its unit.
func (e *env) band(t *indicators.Target, cumulative bool, target float64) float64 {
	if !cumulative && indicators.PercentUnit(t.Unit) {
		return e.cfg.AtRiskRatePoints
	}
	return e.cfg.AtRiskPoints / 100 * math.Abs(target)
}

// milestone judges a stage to reach; latest and atDue index the latest revision with a
// stage or percent and the latest one as of the due period.
func (e *env) milestone(r *Result, t *indicators.Target, series []indicators.Revision, latest, atDue int, due, asOf time.Time) {
	r.Target = 100
	want := t.Stage
	if want == "" {
		want = indicators.StageCompleted
	}
	r.ExpectedStage = indicators.StagePlanned
	if !e.now.Before(due) {
		r.ExpectedStage = want
	}
	r.Expected = 100 * e.share(t, due, asOf)
	if latest < 0 {
		r.Status = NoData
		if r.Settled {
			r.Status, r.Reason = Missed, ReasonUnreported
		}
		return
	}
	reached := func(s *indicators.Revision) bool {
		return s.Stage != indicators.StageBlocked && s.Stage != "" && s.Stage.Rank() >= want.Rank()
	}
	percent := func(s *indicators.Revision) float64 {
		switch {
		case reached(s) || s.Stage == indicators.StageCompleted:
			return 100
		case s.Percent != nil:
			return *s.Percent
		}
		return 0
	}
	at := func(i int) {
		s := &series[i]
		r.Stage = s.Stage
		r.Value = percent(s)
		r.Gap = r.Value - r.Expected
		r.HasProgress, r.Progress = true, r.Value/100
	}
	s := &series[latest]
	at(latest)
	r.Met = reached(s)
	if r.Settled {
		switch {
		case atDue >= 0 && reached(&series[atDue]):
			r.Status = Achieved
			if atDue != latest {
				e.show(r, &series[atDue])
				at(atDue)
			}
		case latest != atDue && r.Met:
			r.Status = AchievedLate
		default:
			r.Status = Missed
		}
		return
	}
	switch {
	case r.Met:
		r.Status = Achieved
	case s.Stage == indicators.StageBlocked:
		r.Status, r.Reason = Lagging, ReasonBlocked
	case s.Percent == nil && s.Stage == indicators.StageStarted:
		r.Status, r.Reason = AtRisk, ReasonNoPercent
	case r.Value >= r.Expected-eps(r.Expected):
		r.Status = OnTrack
	case r.Expected-r.Value <= e.cfg.AtRiskPoints:
		r.Status = AtRisk
	default:
		r.Status = Lagging
	}
	e.capStale(r)
}

// share is the part of a cumulative target (or of a milestone's 100 %) expected by x
// (0..1).
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

// meets says whether v meets target under the comparator (tol: the tolerance of approx
// and le targets).
func meets(c indicators.Comparator, v, target, tol float64) bool {
	switch c {
	case indicators.LE:
		return v <= target+tol+eps(target)
	case indicators.Approx:
		return v >= target-tol-eps(target)
	case indicators.EQ:
		return math.Abs(v-target) <= eps(target)
	case indicators.GT:
		return v > target+eps(target)
	default:
		return v >= target-eps(target)
	}
}

// shortfall is how far v is from meeting expected, in the target's unit (≤ 0 when met).
func shortfall(c indicators.Comparator, v, expected, tol float64) float64 {
	switch c {
	case indicators.LE:
		return v - (expected + tol)
	case indicators.Approx:
		return expected - tol - v
	case indicators.EQ:
		return math.Abs(v - expected)
	default:
		return expected - v
	}
}

func eps(x float64) float64 { return 1e-9 * math.Max(1, math.Abs(x)) }

// progress is the completion ratio where one means something.
func progress(t *indicators.Target, c indicators.Comparator, cumulative, rel bool, v, target float64, met bool) (bool, float64) {
	if rel || t.Measure == indicators.GrowthRate || target <= 0 {
		return false, 0
	}
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
		return true, ratio(v, target)
	}
	switch c {
	case indicators.LE:
		if v <= 0 {
			return true, 1
		}
		return true, ratio(target, v)
	case indicators.EQ:
		if met {
			return true, 1
		}
		lo, hi := math.Min(v, target), math.Max(v, target)
		if lo < 0 || hi <= 0 {
			return true, 0
		}
		return true, lo / hi
	default:
		return true, ratio(v, target)
	}
}
