package api

import (
	"fmt"
	"math"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// indicatorView is one indicator as the API shows it: catalog data, the latest value
// and, when evaluation is available, its evaluation.
type indicatorView struct {
	ID             string    `json:"id"`
	Task           int       `json:"task"`
	Kind           string    `json:"kind,omitempty"` // "task" for a follow-up of a task without a published figure
	Department     string    `json:"department"`
	DepartmentName string    `json:"department_name,omitempty"`
	Metric         string    `json:"metric"`
	Measure        string    `json:"measure"`
	Comparator     string    `json:"comparator,omitempty"`
	Target         float64   `json:"target"`
	Unit           string    `json:"unit,omitempty"`
	DisplayUnit    string    `json:"display_unit,omitempty"`
	DisplayScale   float64   `json:"display_scale,omitempty"`
	Stage          string    `json:"stage,omitempty"`
	Due            string    `json:"due"`
	Cadence        string    `json:"cadence"`
	Latest         *latest   `json:"latest,omitempty"`
	Evaluation     *evalView `json:"evaluation,omitempty"`
}

// latest is the revision with the latest period.
type latest struct {
	Period     string    `json:"period"`
	Value      *float64  `json:"value,omitempty"`
	Stage      string    `json:"stage,omitempty"`
	Percent    *float64  `json:"percent,omitempty"`
	Revision   int       `json:"revision"`
	Sender     string    `json:"sender"`
	ReceivedAt time.Time `json:"received_at"`
}

type evalView struct {
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	StatusText    string     `json:"status_text"`
	Value         *float64   `json:"value,omitempty"`
	Stage         string     `json:"stage,omitempty"`
	Period        string     `json:"period,omitempty"`
	Target        *float64   `json:"target,omitempty"`
	Expected      *float64   `json:"expected,omitempty"`
	Gap           *float64   `json:"gap,omitempty"`
	Progress      *float64   `json:"progress_ratio,omitempty"`
	Projected     *float64   `json:"projected,omitempty"`
	LastReport    *time.Time `json:"last_report,omitempty"`
	Due           *time.Time `json:"due,omitempty"`
	NextReportDue *time.Time `json:"next_report_due,omitempty"`
	ReportOverdue bool       `json:"report_overdue"`
}

func viewOf(e indicators.Entry, series []indicators.Revision) indicatorView {
	t := e.Target
	v := indicatorView{
		ID: t.ID, Task: e.Task.Num, Kind: t.Kind, Department: e.Task.Lead, Metric: t.Metric,
		Measure: string(t.Measure), Comparator: string(t.Comparator), Target: t.Value,
		Unit: t.Unit, DisplayUnit: t.DisplayUnit, DisplayScale: t.DisplayScale,
		Stage: string(t.Stage), Due: string(t.Due), Cadence: string(t.Cadence),
	}
	if v.Cadence == "" {
		v.Cadence = string(indicators.Monthly)
	}
	if e.Department != nil {
		v.DepartmentName = e.Department.Name
	}
	if n := len(series); n > 0 {
		r := series[n-1]
		v.Latest = &latest{Period: r.Period, Value: r.Value, Stage: string(r.Stage), Percent: r.Percent,
			Revision: r.Revision, Sender: r.Sender, ReceivedAt: r.ReceivedAt}
	}
	return v
}

func evalOf(r evaluate.Result) *evalView {
	num := func(ok bool, f float64) *float64 {
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return &f
	}
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return &evalView{
		Status: string(r.Status), Reason: string(r.Reason), StatusText: present.StatusText(r.Status, r.Reason),
		Value: num(r.HasValue, r.Value), Stage: string(r.Stage), Period: r.Period,
		Target: num(true, r.Target), Expected: num(true, r.Expected), Gap: num(r.HasValue, r.Gap),
		Progress: num(r.HasValue && r.HasProgress, r.Progress), Projected: num(r.HasProjection, r.Projected),
		LastReport: at(r.LastReport), Due: at(r.Due), NextReportDue: at(r.NextReportDue), ReportOverdue: r.ReportOverdue,
	}
}

// evaluateAll evaluates the catalog, or says evaluation is unavailable (not built yet,
// or it failed) without taking the API down.
func evaluateAll(svc Service) (res map[string]evaluate.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("evaluation unavailable: %v", v)
		}
	}()
	all := svc.Evaluate(svc.Now())
	res = make(map[string]evaluate.Result, len(all))
	for _, r := range all {
		res[r.Indicator] = r
	}
	return res, nil
}
