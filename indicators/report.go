package indicators

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Report is one reported figure (or milestone stage) for one indicator and period.
// Values are year-to-date, as Chinese statistics publish them, in the target's base unit.
type Report struct {
	Indicator      string   `json:"indicator"`
	Period         string   `json:"period"`            // normalized: 2026-03, 2026-Q1 or 2026-06-30
	Value          *float64 `json:"value,omitempty"`   // numeric targets
	Stage          Stage    `json:"stage,omitempty"`   // milestones
	Percent        *float64 `json:"percent,omitempty"` // milestones, 0..100
	Note           string   `json:"note,omitempty"`    // 进展情况 / 存在问题 / 下步打算
	Evidence       string   `json:"evidence,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	Reason         string   `json:"reason,omitempty"` // why an admin corrects another department's report
}

// Revision is a stored report: every revision is kept, the latest per
// (indicator, period) counts.
type Revision struct {
	Report
	Revision   int       `json:"revision"`    // 1, 2, ... per (indicator, period)
	Department string    `json:"department"`  // lead department of the indicator
	Sender     string    `json:"sender"`      // department id of the token, or "admin"
	ReceivedAt time.Time `json:"received_at"` // server time the batch was accepted
	Remote     string    `json:"remote,omitempty"`
	PeriodEnd  time.Time `json:"period_end"` // the instant the value is "as of" (end of period, plan zone)
}

// Receipt acknowledges one stored report.
type Receipt struct {
	Indicator string `json:"indicator"`
	Period    string `json:"period"`
	Revision  int    `json:"revision"`
	Replayed  bool   `json:"replayed,omitempty"` // the idempotency key was seen before: nothing added
}

// PeriodKind is the form of a period.
type PeriodKind int

const (
	PeriodMonth PeriodKind = iota + 1
	PeriodQuarter
	PeriodDay
)

// Period is a parsed reporting period.
type Period struct {
	Kind  PeriodKind
	Year  int
	Month time.Month // month of the period's last day
	Day   int        // last day of the period
	Q     int        // 1..4 for quarters
}

var (
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
	reDay     = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
)

// ParsePeriod reads "2026-03", "2026-Q1" or "2026-06-30".
func ParsePeriod(s string) (Period, error) {
	if m := reMonth.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("period %q: month must be 01..12", s)
		}
		last := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return Period{Kind: PeriodMonth, Year: y, Month: time.Month(mo), Day: last}, nil
	}
	if m := reQuarter.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		mo := time.Month(q * 3)
		last := time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return Period{Kind: PeriodQuarter, Year: y, Month: mo, Day: last, Q: q}, nil
	}
	if m := reDay.FindStringSubmatch(s); m != nil {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return Period{}, fmt.Errorf("period %q: not a calendar day", s)
		}
		return Period{Kind: PeriodDay, Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
	}
	return Period{}, fmt.Errorf("period %q: use YYYY-MM (2026-03), YYYY-Qn (2026-Q1) or YYYY-MM-DD (2026-06-30)", s)
}

// String is the normalized form.
func (p Period) String() string {
	switch p.Kind {
	case PeriodQuarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.Q)
	case PeriodDay:
		return fmt.Sprintf("%04d-%02d-%02d", p.Year, int(p.Month), p.Day)
	default:
		return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
	}
}

// End is the first instant after the period in loc: the value is "as of" just before it.
func (p Period) End(loc *time.Location) time.Time {
	return time.Date(p.Year, p.Month, p.Day+1, 0, 0, 0, 0, loc)
}

// Start is the first instant of the period in loc.
func (p Period) Start(loc *time.Location) time.Time {
	switch p.Kind {
	case PeriodQuarter:
		return time.Date(p.Year, p.Month-2, 1, 0, 0, 0, 0, loc)
	case PeriodDay:
		return time.Date(p.Year, p.Month, p.Day, 0, 0, 0, 0, loc)
	default:
		return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, loc)
	}
}
