package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// The office's 催报: one code for POST /api/v1/remind and the 催报 button of the
// workspace's overview (/office).

// Reports is what a reminder reads: the catalog, the reporting calendar and the first
// arrival of each report (*collector.Service).
type Reports interface {
	Catalog() *indicators.Catalog
	EvalConfig() evaluate.Config
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	Now() time.Time
}

// Sender sends a message to a department's robot (*Notifier).
type Sender interface {
	Has(department string) bool
	Send(ctx context.Context, department string, m Message) error
}

// Reminded is what 催报 did for one department with reports of the period not received.
type Reminded struct {
	Department string   `json:"department"`
	Name       string   `json:"name"`
	Missing    []string `json:"missing"` // indicators not reported yet, due or not
	Sent       bool     `json:"sent"`
	Error      string   `json:"error,omitempty"` // why it was not sent (no robot, the robot failed)
	Failed     bool     `json:"-"`               // the robot failed (Error says so)
}

// Reasons a reminder was not sent (Reminded.Error).
const (
	ReasonNoRobot     = "no robot configured"
	ReasonRobotFailed = "the robot did not take the message"
)

// ErrPlanClosed is the error of Remind for a plan the office closed (its Reports has
// Closed() true): it takes no reports, so nothing is due and nothing is sent.
var ErrPlanClosed = errors.New("the plan is closed: it takes no reports, nothing is sent")

// ErrArrivals wraps the error of reading the report history (retry later).
var ErrArrivals = errors.New("could not read the report history")

// Remind sends, for each lead department (or dept alone) with reports of p not
// received yet, a message listing them with their due dates to its robot now, linking
// to boardURL's /report when set. A department without a robot is listed with
// ReasonNoRobot, one whose robot failed after retries with ReasonRobotFailed; the
// error is ErrPlanClosed for a closed plan, ErrArrivals (wrapped) or that of an
// invalid period.
func Remind(ctx context.Context, src Reports, s Sender, p indicators.Period, dept, boardURL string) ([]Reminded, error) {
	if c, ok := src.(interface{ Closed() bool }); ok && c.Closed() {
		return nil, ErrPlanClosed
	}
	cat := src.Catalog()
	loc := cat.Plan.Location()
	arrivals, err := src.FirstArrivals(ctx, []time.Time{p.End(loc)})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrArrivals, err)
	}
	rows, err := evaluate.Completeness(src.EvalConfig(), cat, evaluate.ArrivalsOf(arrivals), p.String(), src.Now().In(loc))
	if err != nil {
		return nil, err
	}
	out := []Reminded{}
	for _, d := range rows {
		if dept != "" && d.Department != dept {
			continue
		}
		missing, m := reminder(cat, d, p, loc, boardURL)
		if len(missing) == 0 {
			continue
		}
		res := Reminded{Department: d.Department, Name: d.Name, Missing: missing}
		err := ErrNoRobot
		if s.Has(d.Department) {
			err = s.Send(ctx, d.Department, m)
		}
		switch {
		case errors.Is(err, ErrNoRobot):
			res.Error = ReasonNoRobot
		case err != nil:
			res.Error, res.Failed = ReasonRobotFailed, true
		default:
			res.Sent = true
		}
		out = append(out, res)
	}
	return out, nil
}

// reminder lists a department's reports of p not received yet (due or overdue) and
// words the message: each with its due date, a link to the department's page.
func reminder(cat *indicators.Catalog, d evaluate.DepartmentCompleteness, p indicators.Period, loc *time.Location, boardURL string) ([]string, Message) {
	var missing, lines []string
	for _, it := range d.Items {
		if it.Status != evaluate.Missing && it.Status != evaluate.NotDue {
			continue
		}
		e, _ := cat.Lookup(it.Indicator)
		missing = append(missing, it.Indicator)
		word := "前报送"
		if it.Status == evaluate.Missing {
			word = "已逾期"
		}
		lines = append(lines, fmt.Sprintf("- %s「%s」(%s%s)", it.Indicator, e.Target.Metric, it.Due.In(loc).Add(-time.Second).Format("1月2日"), word))
	}
	text := strings.Join(lines, "\n")
	if boardURL != "" {
		text += "\n\n[去填报](" + strings.TrimRight(boardURL, "/") + "/report?period=" + p.String() + ")"
	}
	return missing, Message{Title: fmt.Sprintf("催报:%s%s有%d项指标尚未报送", d.Name, p.String(), len(missing)), Text: text}
}
