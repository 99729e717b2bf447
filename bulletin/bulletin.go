// Package bulletin renders the quarterly bulletin (按季通报) of a plan: summary counts by
// status (逾期完成 counted with 未完成 and shown apart), a table per department (target,
// value, expected, gap, status), the lagging, late and missed list with gaps, the reporting completeness ranking (on time, late, missing) and
// milestone progress, in Chinese, as Markdown, HTML (with small inline SVG charts, no
// JavaScript) or Excel.
package bulletin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
	"github.com/duban-gov/duban/present/svg"
)

// Format is an output format of the bulletin.
type Format string

// The formats: Markdown, a standalone HTML page, an Excel workbook.
const (
	Markdown Format = "md"
	HTML     Format = "html"
	XLSX     Format = "xlsx"
)

// Formats lists the formats in the order offered to people.
var Formats = []Format{Markdown, HTML, XLSX}

// ParseFormat reads "md", "markdown", "html" or "xlsx".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "md", "markdown", "":
		return Markdown, nil
	case "html", "htm":
		return HTML, nil
	case "xlsx", "excel":
		return XLSX, nil
	}
	return "", fmt.Errorf("format %q: use md, html or xlsx", s)
}

// ContentType is the media type of a present.
func (f Format) ContentType() string {
	switch f {
	case HTML:
		return "text/html; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/markdown; charset=utf-8"
}

// Source is what the bulletin reads (implemented by *collector.Service): the catalog,
// the evaluation configuration the collector runs with (the due day of the reporting
// calendar), each indicator's latest revision per period, and the store's first
// arrivals, read in bulk.
type Source interface {
	Catalog() *indicators.Catalog
	EvalConfig() evaluate.Config
	Series(id string) []indicators.Revision
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
}

// ErrPeriod is returned (wrapped) for a period that is not a quarter of the plan year
// or has not started yet.
var ErrPeriod = errors.New("bulletin period")

// ErrStore is returned (wrapped) when the store's first arrivals cannot be read.
var ErrStore = errors.New("bulletin: the report history could not be read")

// Input is everything a bulletin shows, computed once; rendering is pure.
type Input struct {
	Catalog      *indicators.Catalog
	Period       indicators.Period // a quarter
	AsOf         time.Time         // instant of the evaluation
	GeneratedAt  time.Time
	Results      []evaluate.Result                 // catalog order
	Series       map[string][]indicators.Revision  // per indicator, periods up to the quarter's end
	Completeness []evaluate.DepartmentCompleteness // summed over the quarter's months
}

// Prepare evaluates the plan for a quarter ("2026-Q1") at now, the generation time. It
// is the one way to a bulletin: the API and `duban bulletin --data` both call it on a
// collector.Service. Only reports for periods up to the quarter's end and received
// until now count. The evaluation instant is the day the quarter's last report is due
// (April 10th for Q1 with the default due day), or now when earlier, so that a bulletin
// issued later in the year still shows the quarter as it was reported. On time or late
// is decided by each report's first revision, read from the store in one bulk read of
// the quarter's month ends.
func Prepare(ctx context.Context, src Source, period string, now time.Time) (Input, error) {
	cat := src.Catalog()
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrPeriod, err)
	}
	if p.Kind != indicators.PeriodQuarter {
		return Input{}, fmt.Errorf("%w %q: a bulletin covers a quarter, e.g. %d-Q1", ErrPeriod, period, cat.Plan.Year)
	}
	if p.Year != cat.Plan.Year {
		return Input{}, fmt.Errorf("%w %q: the plan covers %d", ErrPeriod, period, cat.Plan.Year)
	}
	if now.IsZero() {
		return Input{}, errors.New("bulletin: the generation time is required")
	}
	loc := cat.Plan.Location()
	now = now.In(loc)
	if now.Before(p.Start(loc)) {
		return Input{}, fmt.Errorf("%w %q: the quarter has not started", ErrPeriod, period)
	}
	cfg := src.EvalConfig().Defaults()
	end := p.End(loc)
	due := time.Date(p.Year, p.Month+1, cfg.DueDay+1, 0, 0, 0, 0, loc)
	asOf := due
	if now.Before(asOf) {
		asOf = now
	}
	in := Input{Catalog: cat, Period: p, AsOf: asOf, GeneratedAt: now, Series: map[string][]indicators.Revision{}}
	for _, id := range cat.TargetIDs() {
		var kept []indicators.Revision
		for _, r := range src.Series(id) {
			if !r.PeriodEnd.After(end) && !r.ReceivedAt.After(now) {
				kept = append(kept, r)
			}
		}
		in.Series[id] = kept
	}
	in.Results = evaluate.All(cfg, cat, func(id string) []indicators.Revision { return in.Series[id] }, asOf)

	months := p.Months()
	ends := make([]time.Time, len(months))
	for i, m := range months {
		ends[i] = m.End(loc)
	}
	arr, err := src.FirstArrivals(ctx, ends)
	if err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	arrivals := evaluate.ArrivalsOf(arr)
	byDept := map[string]*evaluate.DepartmentCompleteness{}
	var order []string
	for _, m := range months {
		rows, err := evaluate.Completeness(cfg, cat, arrivals, m.String(), now)
		if err != nil {
			return Input{}, fmt.Errorf("completeness: %w", err)
		}
		for _, r := range rows {
			d := byDept[r.Department]
			if d == nil {
				d = &evaluate.DepartmentCompleteness{Department: r.Department, Name: r.Name}
				byDept[r.Department] = d
				order = append(order, r.Department)
			}
			d.Expected += r.Expected
			d.OnTime += r.OnTime
			d.Late += r.Late
			d.Missing += r.Missing
			d.NotDue += r.NotDue
			d.Items = append(d.Items, r.Items...)
		}
	}
	for _, id := range order {
		in.Completeness = append(in.Completeness, *byDept[id])
	}
	return in, nil
}

// Bulletin is the bulletin's content, ready to render.
type Bulletin struct {
	Title       string // 2026年第一季度目标任务督办通报
	Plan        indicators.Plan
	Period      string // 2026-Q1
	PeriodText  string // 2026年第一季度
	AsOf        string // 数据截至
	GeneratedAt string
	Tasks       int
	Indicators  int
	FollowUps   int // of Indicators, task follow-ups (the rest are published targets)
	Counts      []Count
	Summary     string // one sentence of counts
	Departments []Department
	Problems    []Row // lagging, achieved late and missed, worst first
	Ranking     []Rank
	Milestones  []Row
}

// Count is the number of indicators in one status as the bulletin prints it: 未完成
// counts the targets achieved late too, and the next count (Part) says how many of them
// were achieved late (其中:逾期完成).
type Count struct {
	present.Count        // the status with its word and colour; N as printed
	Label         string // as printed: the word, or 其中:逾期完成 for the part
	Own           int    // in this status alone (the bar's segment)
	Part          bool   // a part of the count before it
}

// Department is one lead department's table.
type Department struct {
	ID, Name string
	Rows     []Row
	Counts   []Count // non-zero only
}

// Row is one indicator as the bulletin shows it.
type Row struct {
	ID, Department, DepartmentName string
	Task                           int
	Metric, Target, Unit           string
	Value, Period, Expected, Gap   string // display texts ("—" when none)
	Progress                       string
	Status                         evaluate.Status
	StatusLabel                    string
	Note                           string
	Milestone                      bool
	FollowUp                       bool   // a task follow-up: no published figure, tracked by stage
	Stage                          string // milestones: current stage label
	Percent                        string // milestones: percent complete

	// Numbers in display units for the spreadsheet (nil when none).
	ValueNum, ExpectedNum, GapNum, TargetNum *float64
	Trend                                    svg.Trend
}

// Rank is one department in the completeness ranking.
type Rank struct {
	Place                                   int
	Department, Name                        string
	Expected, OnTime, Late, Missing, NotDue int
	OnTimeRate                              float64 // on time / due (expected − not due); 1 when nothing was due
	Rate                                    string
}

// problemsHeading heads the list of lagging and missed targets (进度滞后和未完成的指标);
// noProblems says there is none.
var (
	problemsHeading = present.StatusWord(evaluate.Lagging) + "和" + present.StatusWord(evaluate.Missed) + "的指标"
	noProblems      = "本季度没有" + present.StatusWord(evaluate.Lagging) + "或" + present.StatusWord(evaluate.Missed) + "的指标。"
)

var quarterNames = [...]string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// Build turns the evaluated input into the bulletin's content.
func Build(in Input) *Bulletin {
	cat := in.Catalog
	loc := cat.Plan.Location()
	b := &Bulletin{
		Plan:        cat.Plan,
		Period:      in.Period.String(),
		PeriodText:  fmt.Sprintf("%d年%s", in.Period.Year, quarterNames[in.Period.Q]),
		AsOf:        in.AsOf.In(loc).Add(-time.Second).Format("2006年1月2日"),
		GeneratedAt: in.GeneratedAt.In(loc).Format("2006-01-02 15:04"),
		Tasks:       len(cat.Tasks),
	}
	b.Title = b.PeriodText + "目标任务督办通报"
	results := map[string]evaluate.Result{}
	for _, r := range in.Results {
		results[r.Indicator] = r
	}
	counts := present.Tally{}
	depts := map[string]*Department{}
	for _, e := range cat.Entries() {
		b.Indicators++
		if e.Target.FollowUp() {
			b.FollowUps++
		}
		r, ok := results[e.Target.ID]
		if !ok {
			r = evaluate.Result{Indicator: e.Target.ID, Status: evaluate.NoData}
		}
		counts.Add(r.Status)
		row := rowOf(e, r, in.Series[e.Target.ID], cat.Plan.Year)
		d := depts[e.Task.Lead]
		if d == nil {
			d = &Department{ID: e.Task.Lead, Name: row.DepartmentName}
			depts[e.Task.Lead] = d
		}
		d.Rows = append(d.Rows, row)
		if r.Status == evaluate.Lagging || r.Status.CountsAsMissed() {
			b.Problems = append(b.Problems, row)
		}
		if row.Milestone {
			b.Milestones = append(b.Milestones, row)
		}
	}
	b.Counts = countsOf(counts, true)
	b.Summary = summary(b)
	for _, id := range cat.LeadDepartments() {
		d := depts[id]
		if d == nil {
			continue
		}
		dc := present.Tally{}
		for _, r := range d.Rows {
			dc.Add(r.Status)
		}
		d.Counts = countsOf(dc, false)
		b.Departments = append(b.Departments, *d)
	}
	sort.SliceStable(b.Problems, func(i, j int) bool {
		return present.Worse(b.Problems[i].Status, b.Problems[j].Status)
	})
	b.Ranking = ranking(in.Completeness, cat.LeadDepartments())
	return b
}

// countsOf lists the counts in status order with 逾期完成 after 未完成 as its part (all of
// them, or only the non-zero ones).
func countsOf(n present.Tally, all bool) []Count {
	var out []Count
	for _, c := range n.Counts(true) {
		if c.Status == evaluate.AchievedLate {
			continue
		}
		own := c.N
		if c.Status == evaluate.Missed {
			c.N += n[evaluate.AchievedLate]
		}
		if all || c.N > 0 {
			out = append(out, Count{Count: c, Label: c.Word, Own: own})
		}
		if late := evaluate.AchievedLate; c.Status == evaluate.Missed && (all || n[late] > 0) {
			lc := present.Count{View: present.Of(late), N: n[late]}
			out = append(out, Count{Count: lc, Label: "其中:" + lc.Word, Own: n[late], Part: true})
		}
	}
	return out
}

// CountsText says counts in one phrase: "已完成1项,未完成2项(含逾期完成1项)".
func CountsText(counts []Count) string {
	s := ""
	for _, c := range counts {
		if c.Part {
			if c.N > 0 {
				s += fmt.Sprintf("(含%s%d项)", c.Word, c.N)
			}
			continue
		}
		if s != "" {
			s += ","
		}
		s += fmt.Sprintf("%s%d项", c.Label, c.N)
	}
	return s
}

func summary(b *Bulletin) string {
	s := fmt.Sprintf("截至%s,共%d项任务、%d项量化指标:", b.AsOf, b.Tasks, b.Indicators)
	if b.FollowUps > 0 {
		s = fmt.Sprintf("截至%s,共%d项任务、%d项目标(公布目标%d项,%s%d项):", b.AsOf, b.Tasks, b.Indicators,
			b.Indicators-b.FollowUps, present.FollowUpTag, b.FollowUps)
	}
	return s + CountsText(b.Counts) + "。"
}

func rowOf(e indicators.Entry, r evaluate.Result, series []indicators.Revision, year int) Row {
	t := e.Target
	row := Row{
		ID: t.ID, Department: e.Task.Lead, DepartmentName: e.Task.Lead, Task: e.Task.Num,
		Metric: t.Metric, Target: present.TargetText(t), Unit: present.Unit(t),
		Value: "—", Expected: "—", Gap: "—", Period: r.Period,
		Status: r.Status, StatusLabel: present.StatusText(r.Status, r.Reason), Note: r.Note,
		Milestone: t.Measure == indicators.Milestone, FollowUp: t.FollowUp(),
	}
	if e.Department != nil {
		row.DepartmentName = e.Department.Name
	}
	num := func(v float64) *float64 { return &v }
	chart := svg.Trend{Width: 120, Height: 28, Color: present.StatusColor(r.Status), Values: svg.SeriesPoints(t, year, series), Label: t.Metric}
	if row.Milestone {
		row.Stage, row.Percent = "—", "—"
		if r.HasValue {
			if r.Stage != "" {
				row.Stage = present.StageText(t, r.Stage)
			}
			row.Percent = present.Number(r.Value) + "%"
			row.Value = present.MilestoneValue(t, r)
			row.ValueNum = num(r.Value)
		}
		hundred := 100.0
		chart.Target = &hundred
	} else {
		row.TargetNum = num(present.Display(t, t.Value))
		if t.Relative != nil {
			row.TargetNum = nil
			if r.Target != 0 {
				row.TargetNum = num(present.Display(t, r.Target))
			}
		}
		if r.HasValue && r.Status != evaluate.NoData {
			row.Value = present.Value(t, r.Value)
			row.Expected = present.Value(t, r.Expected)
			row.Gap = present.Signed(t, r.Gap)
			row.ValueNum = num(present.Display(t, r.Value))
			row.ExpectedNum = num(present.Display(t, r.Expected))
			row.GapNum = num(present.Display(t, r.Gap))
			if r.HasProgress {
				row.Progress = present.Percent(r.Progress)
			}
		} else if r.HasValue {
			row.Value = present.Value(t, r.Value)
			row.ValueNum = num(present.Display(t, r.Value))
		}
		chart.Target = row.TargetNum
		chart.Expected = svg.Trajectory(t)
	}
	row.Trend = chart
	return row
}

// TargetLabel is the target as the tables print it: a task follow-up is labelled
// 任务推进 before its due text, so it is not read as a published target.
func (r Row) TargetLabel() string {
	if r.FollowUp {
		return present.FollowUpTag + ":" + r.Target
	}
	return r.Target
}

// ranking orders departments by on-time rate (of the reports already due), then fewest
// missing, then fewest late, then catalog order.
func ranking(comp []evaluate.DepartmentCompleteness, order []string) []Rank {
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	out := make([]Rank, 0, len(comp))
	for _, d := range comp {
		r := Rank{Department: d.Department, Name: d.Name, Expected: d.Expected, OnTime: d.OnTime, Late: d.Late, Missing: d.Missing, NotDue: d.NotDue, OnTimeRate: 1}
		if due := d.Expected - d.NotDue; due > 0 {
			r.OnTimeRate = float64(d.OnTime) / float64(due)
		}
		r.Rate = present.Percent(r.OnTimeRate)
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.OnTimeRate != b.OnTimeRate {
			return a.OnTimeRate > b.OnTimeRate
		}
		if a.Missing != b.Missing {
			return a.Missing < b.Missing
		}
		if a.Late != b.Late {
			return a.Late < b.Late
		}
		return pos[a.Department] < pos[b.Department]
	})
	for i := range out {
		out[i].Place = i + 1
		if i > 0 && out[i].OnTimeRate == out[i-1].OnTimeRate && out[i].Missing == out[i-1].Missing && out[i].Late == out[i-1].Late {
			out[i].Place = out[i-1].Place // ties share a place
		}
	}
	return out
}

// Render writes the bulletin of in in the present.
func Render(w io.Writer, f Format, in Input) error {
	b := Build(in)
	switch f {
	case Markdown:
		return b.WriteMarkdown(w)
	case HTML:
		return b.WriteHTML(w)
	case XLSX:
		return b.WriteXLSX(w)
	}
	return fmt.Errorf("bulletin: unknown format %q", f)
}
