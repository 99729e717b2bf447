package evaluate

import (
	"fmt"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// ReportStatus is the state of one expected report in the completeness table.
type ReportStatus string

// The report statuses.
const (
	OnTime  ReportStatus = "on_time" // first received by the due instant
	Late    ReportStatus = "late"    // first received after the due instant
	Missing ReportStatus = "missing" // not received and the due instant has passed
	NotDue  ReportStatus = "not_due" // not received yet, still time
)

// ReportStatuses lists every report status in display order (its words and colours
// are in package present).
var ReportStatuses = []ReportStatus{OnTime, Late, Missing, NotDue}

// FirstArrivals reduces an indicator's full history (every revision, as the store's
// History returns it) to one arrival per period: the earliest ReceivedAt. Exact. (A
// store answers the same in bulk for many indicators: collector.Store.FirstArrivals.)
func FirstArrivals(history []indicators.Revision) []indicators.Arrival {
	out := make([]indicators.Arrival, 0, len(history))
	at := make(map[string]int, len(history))
	for _, r := range history {
		if i, ok := at[r.Period]; ok {
			if r.ReceivedAt.Before(out[i].FirstReceived) {
				out[i].FirstReceived = r.ReceivedAt
			}
			continue
		}
		at[r.Period] = len(out)
		out = append(out, indicators.Arrival{Indicator: r.Indicator, Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt})
	}
	return out
}

// ArrivalsOf groups arrivals of many indicators (a store's bulk answer) by indicator,
// as Completeness reads them.
func ArrivalsOf(arrivals []indicators.Arrival) func(id string) []indicators.Arrival {
	by := make(map[string][]indicators.Arrival, len(arrivals))
	for _, a := range arrivals {
		by[a.Indicator] = append(by[a.Indicator], a)
	}
	return func(id string) []indicators.Arrival { return by[id] }
}

// SeriesArrivals approximates arrivals from the latest revision per period (the
// in-memory snapshot): exact when the latest is revision 1; when a period was corrected,
// the correction's ReceivedAt stands for the first arrival, so a report sent on time and
// corrected after the due day counts as late. Use FirstArrivals on the history, or keep
// first arrival times, when that matters.
func SeriesArrivals(series []indicators.Revision) []indicators.Arrival {
	out := make([]indicators.Arrival, len(series))
	for i, r := range series {
		out[i] = indicators.Arrival{Indicator: r.Indicator, Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt}
	}
	return out
}

// ItemCompleteness is one expected report.
type ItemCompleteness struct {
	Indicator string
	Period    string // calendar period of the indicator: 2026-03 or 2026-Q1
	Status    ReportStatus
	Due       time.Time // first instant after the due day
	Received  time.Time // first arrival; zero when none
}

// DepartmentCompleteness counts one lead department's expected reports for a period.
type DepartmentCompleteness struct {
	Department string
	Name       string
	Expected   int // every report expected for the period, due or not yet due
	OnTime     int
	Late       int
	Missing    int
	NotDue     int
	Items      []ItemCompleteness // catalog order
}

// FirstReceived says when the first revision of an indicator's report as of periodEnd
// was received, and whether there is one.
type FirstReceived func(indicator string, periodEnd time.Time) (time.Time, bool)

// SeriesFirstReceived answers FirstReceived from the latest revision per period (the
// in-memory snapshot), with the approximation of SeriesArrivals, without allocating:
// what a scrape-time caller wants.
func SeriesFirstReceived(series func(id string) []indicators.Revision) FirstReceived {
	return func(id string, end time.Time) (time.Time, bool) {
		s := series(id)
		for i := len(s) - 1; i >= 0; i-- {
			if s[i].PeriodEnd.Equal(end) {
				return s[i].ReceivedAt, true
			}
			if s[i].PeriodEnd.Before(end) {
				break // ordered by PeriodEnd
			}
		}
		return time.Time{}, false
	}
}

// Completeness lists, per lead department (catalog order of departments; departments
// with nothing expected are left out), the reports expected for period and whether they
// came on time, late, not at all, or are not due yet at now.
//
// period is a month ("2026-03") or a quarter ("2026-Q1"). For a month, monthly
// indicators expect that month's report and quarterly ones the quarter's report when the
// month ends a quarter (nothing otherwise). For a quarter, quarterly indicators expect the
// quarter's report and monthly ones the report of the quarter's last month. Indicators
// whose calendar ended before the period (due date passed) expect nothing. arrivals
// returns an indicator's arrivals (FirstArrivals or SeriesArrivals); a report counts for
// the calendar period whose end is its PeriodEnd.
func Completeness(cfg Config, cat *indicators.Catalog, arrivals func(id string) []indicators.Arrival, period string, now time.Time) ([]DepartmentCompleteness, error) {
	return CompletenessFunc(cfg, cat, func(id string, end time.Time) (time.Time, bool) {
		var first time.Time
		for _, a := range arrivals(id) {
			if a.PeriodEnd.Equal(end) && (first.IsZero() || a.FirstReceived.Before(first)) {
				first = a.FirstReceived
			}
		}
		return first, !first.IsZero()
	}, period, now)
}

// CompletenessFunc is Completeness with the first arrival looked up per indicator and
// period end (see SeriesFirstReceived): no slice per indicator, for scrape-time use.
func CompletenessFunc(cfg Config, cat *indicators.Catalog, first FirstReceived, period string, now time.Time) ([]DepartmentCompleteness, error) {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	if p.Kind == indicators.PeriodDay {
		return nil, fmt.Errorf("period %q: completeness is per month (2026-03) or quarter (2026-Q1)", period)
	}
	e := newEnv(cfg.defaults(), cat.Plan)
	want := monthIdx(p.Year, p.Month)
	names := [2]string{periodName(indicators.Monthly, want), periodName(indicators.Quarterly, want)}
	due, end := e.reportDue(want), e.periodEnd(want)
	firstMonth := [2]int{e.firstIdx(indicators.Monthly), e.firstIdx(indicators.Quarterly)}

	var depts []DepartmentCompleteness
	at := map[string]int{} // lead department → index in depts
	for ti := range cat.Tasks {
		task := &cat.Tasks[ti]
		for j := range task.Targets {
			t := &task.Targets[j]
			cad := cadenceOf(t)
			slot := cadenceSlot(cad)
			if cad == indicators.Quarterly && want%12%3 != 2 {
				continue // a month inside a quarter: no quarterly report expected
			}
			_, dueIdx := e.due(t)
			if want < firstMonth[slot] || want > e.lastCalendarIdx(cad, dueIdx) {
				continue
			}
			item := ItemCompleteness{Indicator: t.ID, Period: names[slot], Due: due}
			if got, ok := first(t.ID, end); ok {
				item.Received = got
			}
			item.Status = reportStatus(item.Received, due, now)
			k, ok := at[task.Lead]
			if !ok {
				k = len(depts)
				at[task.Lead] = k
				depts = append(depts, newDepartmentCompleteness(cat, task.Lead))
			}
			depts[k].add(item)
		}
	}
	return inCatalogOrder(cat, depts, at), nil
}

// reportStatus is the state of a report first received at received (zero: not yet)
// and due at due, as of now.
func reportStatus(received, due, now time.Time) ReportStatus {
	switch {
	case !received.IsZero() && received.Before(due):
		return OnTime
	case !received.IsZero():
		return Late
	case now.Before(due):
		return NotDue
	}
	return Missing
}

func newDepartmentCompleteness(cat *indicators.Catalog, lead string) DepartmentCompleteness {
	d := DepartmentCompleteness{Department: lead}
	if dep, ok := cat.Department(lead); ok {
		d.Name = dep.Name
	}
	return d
}

// add counts item and lists it.
func (d *DepartmentCompleteness) add(item ItemCompleteness) {
	d.Expected++
	switch item.Status {
	case OnTime:
		d.OnTime++
	case Late:
		d.Late++
	case Missing:
		d.Missing++
	case NotDue:
		d.NotDue++
	}
	d.Items = append(d.Items, item)
}

// inCatalogOrder orders depts (at: department → index) as the catalog lists its
// departments, then the lead departments missing from the list.
func inCatalogOrder(cat *indicators.Catalog, depts []DepartmentCompleteness, at map[string]int) []DepartmentCompleteness {
	out := make([]DepartmentCompleteness, 0, len(depts))
	for _, dep := range cat.Departments {
		if k, ok := at[dep.ID]; ok {
			out = append(out, depts[k])
			delete(at, dep.ID)
		}
	}
	for _, d := range depts {
		if _, ok := at[d.Department]; ok {
			out = append(out, d)
		}
	}
	return out
}
