package indicators

import (
	"strings"
	"time"
)

// CompareHistory is the order of an indicator's history, the same in every store: by
// period end; periods ending at the same instant (2026-03, 2026-Q1 and 2026-03-31) by
// form, month before quarter before day; then by revision; then by the time received
// (two revisions with one number, written by versions that allowed it).
func CompareHistory(a, b Revision) int {
	if c := a.PeriodEnd.Compare(b.PeriodEnd); c != 0 {
		return c
	}
	if fa, fb := periodForm(a.Period), periodForm(b.Period); fa != fb {
		return fa - fb
	}
	if a.Revision != b.Revision {
		return a.Revision - b.Revision
	}
	return a.ReceivedAt.Compare(b.ReceivedAt)
}

// periodForm ranks the forms of a normalized period: month 1, quarter 2, day 3.
func periodForm(p string) int {
	switch {
	case strings.ContainsAny(p, "Qq"):
		return int(PeriodQuarter) // 2
	case len(p) == len("2026-03-31"):
		return int(PeriodDay) // 3
	}
	return int(PeriodMonth) // 1
}

// Arrival is when the first revision of an indicator's report for one period end
// arrived (on time or late is decided by it; corrections do not count).
type Arrival struct {
	Plan          string
	Indicator     string
	Period        string // the period of that first revision
	PeriodEnd     time.Time
	FirstReceived time.Time
}
