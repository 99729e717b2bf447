package evaluate

import (
	"strconv"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// Months are numbered as y*12 + month-1 so that periods are plain integers.
func monthIdx(y int, m time.Month) int { return y*12 + int(m) - 1 }

func cadenceOf(t *indicators.Target) indicators.Cadence {
	if t.Cadence == indicators.Quarterly {
		return indicators.Quarterly
	}
	return indicators.Monthly
}

// alignDown returns the latest period month ≤ idx for the cadence (quarter ends for
// quarterly); alignUp the earliest ≥ idx.
func alignDown(c indicators.Cadence, idx int) int {
	if c == indicators.Quarterly {
		return idx - (idx%12+1)%3
	}
	return idx
}

func alignUp(c indicators.Cadence, idx int) int {
	if c == indicators.Quarterly {
		return idx + (2 - idx%12%3)
	}
	return idx
}

func step(c indicators.Cadence) int {
	if c == indicators.Quarterly {
		return 3
	}
	return 1
}

// periodEnd is the first instant after the period month idx.
func (e *env) periodEnd(idx int) time.Time {
	if k := idx - e.jan; k >= 0 && k < 12 {
		return e.ends[k]
	}
	return time.Date(idx/12, time.Month(idx%12+2), 1, 0, 0, 0, 0, e.loc)
}

// reportDue is the first instant after the due day of the period month idx.
func (e *env) reportDue(idx int) time.Time {
	if k := idx - e.jan; k >= 0 && k < 12 {
		return e.dues[k]
	}
	return time.Date(idx/12, time.Month(idx%12+2), e.cfg.DueDay+1, 0, 0, 0, 0, e.loc)
}

// idxOfEnd is the month that an "as of" instant closes (the month of end − 1ns).
func (e *env) idxOfEnd(end time.Time) int {
	if end.After(e.yearStart) && !end.After(e.yearEnd) {
		for k := range e.ends {
			if !e.ends[k].Before(end) {
				return e.jan + k
			}
		}
	}
	y, m, _ := end.Add(-time.Nanosecond).In(e.loc).Date()
	return monthIdx(y, m)
}

// lastDueIdx is the latest period month (aligned to the cadence) whose report is due by now.
func (e *env) lastDueIdx(c indicators.Cadence, now time.Time) int {
	y, m, d := now.In(e.loc).Date()
	idx := monthIdx(y, m) - 2
	if d > e.cfg.DueDay {
		idx++
	}
	return alignDown(c, idx)
}

func (e *env) firstIdx(c indicators.Cadence) int {
	return alignUp(c, monthIdx(e.year, time.January))
}

// lastCalendarIdx is the last calendar period of a target: the one containing its due
// date (dueIdx, the month of the due date), within the plan year.
func (e *env) lastCalendarIdx(c indicators.Cadence, dueIdx int) int {
	return min(alignUp(c, dueIdx), monthIdx(e.year, time.December))
}

func periodName(c indicators.Cadence, idx int) string {
	y, m := idx/12, idx%12+1
	b := make([]byte, 0, 7)
	b = strconv.AppendInt(b, int64(y), 10)
	if c == indicators.Quarterly {
		b = append(b, '-', 'Q', byte('0'+m/3))
		return string(b)
	}
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10))
	return string(b)
}

func (e *env) freshness(r *Result, c indicators.Cadence, lastIdx int, series []indicators.Revision) {
	first := e.firstIdx(c)
	if lastIdx < first {
		return
	}
	var latestEnd time.Time
	if n := len(series); n > 0 && series[n-1].PeriodEnd.After(e.yearStart) {
		latestEnd = series[n-1].PeriodEnd
	}
	if ld := min(e.lastDue[cadenceSlot(c)], lastIdx); ld >= first {
		if latestEnd.Before(e.periodEnd(ld)) {
			r.ReportOverdue = true
			r.OverduePeriod = periodName(c, ld)
		}
	}
	next := first
	if !latestEnd.IsZero() {
		next = max(first, alignUp(c, e.idxOfEnd(latestEnd)+1))
	}
	if next <= lastIdx {
		r.NextReportDue = e.reportDue(next)
	}
}

// ReportDue is the instant by which the report for period is due (the first instant
// after the due day in the plan's time zone). A quarter's report is due like the report
// of its last month, a day's like the report of its month.
func (c Config) ReportDue(plan indicators.Plan, _ indicators.Target, period string) (time.Time, error) {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return time.Time{}, err
	}
	e := newEnv(c.defaults(), plan)
	return e.reportDue(monthIdx(p.Year, p.Month)), nil
}

// Periods lists the target's calendar periods of the plan year ("2026-03" or "2026-Q1").
func (c Config) Periods(plan indicators.Plan, t indicators.Target) []string {
	e := newEnv(c.defaults(), plan)
	cad := cadenceOf(&t)
	_, dueIdx := e.due(&t)
	return e.periods(cad, e.firstIdx(cad), e.lastCalendarIdx(cad, dueIdx))
}

// ExpectedPeriods lists the target's calendar periods whose reports are due by now.
func (c Config) ExpectedPeriods(plan indicators.Plan, t indicators.Target, now time.Time) []string {
	e := newEnv(c.defaults(), plan)
	cad := cadenceOf(&t)
	_, dueIdx := e.due(&t)
	last := min(e.lastCalendarIdx(cad, dueIdx), e.lastDueIdx(cad, now))
	return e.periods(cad, e.firstIdx(cad), last)
}

func (e *env) periods(c indicators.Cadence, first, last int) []string {
	var out []string
	for i := first; i <= last; i += step(c) {
		out = append(out, periodName(c, i))
	}
	return out
}

// LastDuePeriod is the latest month whose monthly reports are due by now ("2026-03" from
// April 11 on, in the plan's time zone): the period a report-overdue check looks at.
func (c Config) LastDuePeriod(plan indicators.Plan, now time.Time) string {
	e := newEnv(c.defaults(), plan)
	return periodName(indicators.Monthly, e.lastDueIdx(indicators.Monthly, now))
}
