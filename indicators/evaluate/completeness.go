package evaluate

import (
	"fmt"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// ReportStatus is the state of one expected report in the completeness table.
type ReportStatus string

const (
	OnTime  ReportStatus = "on_time" // first received by the due instant
	Late    ReportStatus = "late"    // first received after the due instant
	Missing ReportStatus = "missing" // not received and the due instant has passed
	NotDue  ReportStatus = "not_due" // not received yet, still time
)

// ReportStatuses lists every report status in display order.
var ReportStatuses = []ReportStatus{OnTime, Late, Missing, NotDue}

// Chinese is the report status as people read it.
func (s ReportStatus) Chinese() string {
	switch s {
	case OnTime:
		return "按时报送"
	case Late:
		return "逾期报送"
	case Missing:
		return "未报送"
	case NotDue:
		return "未到报送期"
	}
	return string(s)
}

// Arrival is when an indicator's report for one period first arrived: on time or late is
// decided by the first revision, corrections afterwards do not make a report late.
type Arrival struct {
	Period        string
	PeriodEnd     time.Time
	FirstReceived time.Time
}

// FirstArrivals reduces an indicator's full history (every revision, as the store's
// History returns it) to one arrival per period: the earliest ReceivedAt. Exact.
func FirstArrivals(history []indicators.Revision) []Arrival {
	out := make([]Arrival, 0, len(history))
	at := make(map[string]int, len(history))
	for _, r := range history {
		if i, ok := at[r.Period]; ok {
			if r.ReceivedAt.Before(out[i].FirstReceived) {
				out[i].FirstReceived = r.ReceivedAt
			}
			continue
		}
		at[r.Period] = len(out)
		out = append(out, Arrival{Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt})
	}
	return out
}

// SeriesArrivals approximates arrivals from the latest revision per period (the
// in-memory snapshot): exact when the latest is revision 1; when a period was corrected,
// the correction's ReceivedAt stands for the first arrival, so a report sent on time and
// corrected after the due day counts as late. Use FirstArrivals on the history, or keep
// first arrival times, when that matters.
func SeriesArrivals(series []indicators.Revision) []Arrival {
	out := make([]Arrival, len(series))
	for i, r := range series {
		out[i] = Arrival{Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt}
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
func Completeness(cfg Config, cat *indicators.Catalog, arrivals func(id string) []Arrival, period string, now time.Time) ([]DepartmentCompleteness, error) {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	if p.Kind == indicators.PeriodDay {
		return nil, fmt.Errorf("period %q: completeness is per month (2026-03) or quarter (2026-Q1)", period)
	}
	e := newEnv(cfg.defaults(), cat.Plan)
	want := monthIdx(p.Year, p.Month)

	byDept := map[string]*DepartmentCompleteness{}
	var order []string
	for _, en := range cat.Entries() {
		t := en.Target
		cad := cadenceOf(t)
		if cad == indicators.Quarterly && want%12%3 != 2 {
			continue // a month inside a quarter: no quarterly report expected
		}
		_, dueIdx := e.due(t)
		if want < e.firstIdx(cad) || want > e.lastCalendarIdx(cad, dueIdx) {
			continue
		}
		item := ItemCompleteness{Indicator: t.ID, Period: periodName(cad, want), Due: e.reportDue(want)}
		end := e.periodEnd(want)
		for _, a := range arrivals(t.ID) {
			if a.PeriodEnd.Equal(end) && (item.Received.IsZero() || a.FirstReceived.Before(item.Received)) {
				item.Received = a.FirstReceived
			}
		}
		switch {
		case !item.Received.IsZero() && item.Received.Before(item.Due):
			item.Status = OnTime
		case !item.Received.IsZero():
			item.Status = Late
		case now.Before(item.Due):
			item.Status = NotDue
		default:
			item.Status = Missing
		}
		dept := ""
		if en.Task != nil {
			dept = en.Task.Lead
		}
		d := byDept[dept]
		if d == nil {
			d = &DepartmentCompleteness{Department: dept}
			if en.Department != nil {
				d.Name = en.Department.Name
			}
			byDept[dept] = d
			order = append(order, dept)
		}
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
	out := make([]DepartmentCompleteness, 0, len(byDept))
	for _, dep := range cat.Departments {
		if d := byDept[dep.ID]; d != nil {
			out = append(out, *d)
			delete(byDept, dep.ID)
		}
	}
	for _, id := range order { // lead departments missing from the department list
		if d := byDept[id]; d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}
