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
	// Plan is the plan (Catalog.Plan.ID) the report belongs to: revisions count per
	// (plan, indicator, period), since indicator ids are unique only within a plan. A
	// department may leave it out when the server serves one plan, or when the
	// indicator id and period pick exactly one (indicators.PlanSet.Resolve); the
	// collector fills it in before storing.
	Plan           string   `json:"plan,omitempty"`
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
	// Reviews are the office's reviews of this revision, oldest first (see State).
	// Stores attach them when they read; Append ignores them.
	Reviews []Review `json:"reviews,omitempty"`

	// MustBeFirst is a precondition for the store, never stored: the batch is refused
	// unless this element becomes revision 1 of its (indicator, period). The collector
	// sets it on an admin report without a reason, so that "a correction needs a reason"
	// holds even when two first reports race (see collector.Store).
	MustBeFirst bool `json:"-"`
}

// Receipt acknowledges one stored report.
type Receipt struct {
	Indicator string `json:"indicator"`
	Period    string `json:"period"`
	Revision  int    `json:"revision"`
	Replayed  bool   `json:"replayed,omitempty"` // the idempotency key was seen before: nothing added
}

// SameContent reports whether two reports say the same thing: same indicator, period
// (as normalized), value, stage and percent. The plan is not part of it: idempotency
// keys stored before plans keep replaying (the key's sender already scopes it). Note, evidence, reason and the key itself
// do not count. This is what an idempotency key promises: a key sent again with the same
// content is a retry, with other content a mistake (see collector.Store).
func (r Report) SameContent(o Report) bool {
	return r.ContentKey() == o.ContentKey()
}

// ContentKey is a canonical string of what SameContent compares, for stores that keep
// the content of a key without the whole report. Zero and negative zero are one value.
func (r Report) ContentKey() string {
	num := func(p *float64) string {
		if p == nil {
			return "-"
		}
		v := *p
		if v == 0 {
			v = 0 // -0 → 0
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return r.Indicator + "\x00" + r.Period + "\x00" + num(r.Value) + "\x00" + string(r.Stage) + "\x00" + num(r.Percent)
}

// CumulativeDecrease reports whether r, a report of the cumulative target t, holds a
// year-to-date value lower than the latest value of the period before it in series (a
// series ordered by PeriodEnd, latest revision per period, as the collector keeps it),
// and returns that previous revision. A year-to-date total cannot fall, but
// corrections happen (a statistics bureau revising its figure), so such a report is
// accepted and flagged, in its receipt and on the board.
func CumulativeDecrease(t *Target, series []Revision, r Revision) (Revision, bool) {
	if t == nil || t.Measure != Cumulative || r.Value == nil {
		return Revision{}, false
	}
	for i := len(series) - 1; i >= 0; i-- {
		p := series[i]
		if !p.PeriodEnd.Before(r.PeriodEnd) || p.Value == nil {
			continue
		}
		return p, Decreased(t, p, r)
	}
	return Revision{}, false
}

// Decreased is the rule of CumulativeDecrease for a known previous revision prev.
func Decreased(t *Target, prev, r Revision) bool {
	return t != nil && t.Measure == Cumulative && r.Value != nil && prev.Value != nil && *r.Value < *prev.Value
}

// PeriodKind is the form of a period.
type PeriodKind int

// The forms of a period: 2026-03, 2026-Q1, 2026-03-15.
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

// Months are the months the period covers, each as a month period: a quarter's three,
// a month itself, a day's month.
func (p Period) Months() []Period {
	first := p.Month
	if p.Kind == PeriodQuarter {
		first = p.Month - 2
	}
	out := make([]Period, 0, 3)
	for m := first; m <= p.Month; m++ {
		last := time.Date(p.Year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		out = append(out, Period{Kind: PeriodMonth, Year: p.Year, Month: m, Day: last})
	}
	return out
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

// InCadence reports whether p is a period target t is reported for. A monthly target
// (the default) takes any period. A quarterly one (statistics published by quarter)
// takes periods that end where a quarter ends: 2026-Q1, and 2026-03 or 2026-03-31,
// which end at the same instant and count for the first quarter (as the reporting
// calendar counts them); 2026-04 or 2026-05-15 are not its periods.
func (t *Target) InCadence(p Period) bool {
	if t.Cadence != Quarterly {
		return true
	}
	last := time.Date(p.Year, p.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return p.Month%3 == 0 && p.Day == last
}
