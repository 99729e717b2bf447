package board

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
	"github.com/duban-gov/duban/present/svg"
)

// statusUnquantified filters the tasks without a quantified target.
var statusUnquantified = string(present.Unquantified.Status)

// filter is what a page's query selects; Plan is set only when several plans are
// served (then every link carries it).
type filter struct {
	Plan, Department, Status, Token string
}

type page struct {
	Title, Document, Now string
	Year                 int
	Closed               string     // the plan is closed: since when (and why)
	Plans                []planLink // several plans served: the selector
	API                  string     // the plan's API prefix: /api/v1 or /api/v1/plans/{id}
	Filter               filter
	Departments          []option
	Statuses             []option
	Counts               []present.Count // every status, in evaluate.Statuses order
	Bar                  template.HTML
	Tasks, Indicators    int
	FollowUps, Published int // of Indicators: task follow-ups and published targets
	Shown                int
	Rows                 int  // indicator rows matching the filter
	Collapsed            bool // too many rows: departments only, with links
	Sections             []section
	Completeness         *completeness
}

// planLink is one plan of the selector.
type planLink struct {
	ID, Title string
	Year      int
	Current   bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type section struct {
	ID, Name string
	Counts   []present.Count // the statuses of the rows shown, non-zero only
	Tasks    []taskRow
	Rows     int
}

type taskRow struct {
	Num                 int
	Text                string
	Status, StatusLabel string // worst status of its targets
	Indicators          []indicatorRow
}

type indicatorRow struct {
	ID, Metric, Target     string
	FollowUp               bool // a task follow-up: tagged 任务推进 instead of 目标:
	Status, StatusLabel    string
	Value, Period          string
	Expected, Gap          string
	Progress               string
	Trend                  template.HTML
	Note, Sender, Received string
	Warning                string // the latest report looks wrong (a year-to-date total that fell)
	Overdue                bool
	NextDue                string
	Pending                []string // with review.required: what arrived and waits for the office (待审核), beside the value that counts
}

type completeness struct {
	Period, Due                     string
	Expected, OnTime, Late, Missing int
	NotDue                          int
	Rate                            string
	Rows                            []completenessRow
	Bar                             template.HTML
}

type completenessRow struct {
	Department, Name                        string
	Expected, OnTime, Late, Missing, NotDue int
	Bar                                     template.HTML
}

// filterOptions is the choices of the page's filters: every lead department, every
// status and the unquantified tasks, each marked when f selects it.
func filterOptions(cat *indicators.Catalog, f filter) (departments, statuses []option) {
	departments = append(departments, option{Value: "", Label: "全部部门", Selected: f.Department == ""})
	for _, id := range cat.LeadDepartments() {
		d, _ := cat.Department(id)
		name := id
		if d != nil {
			name = d.Name
		}
		departments = append(departments, option{Value: id, Label: name, Selected: f.Department == id})
	}
	statuses = append(statuses, option{Value: "", Label: "全部状态", Selected: f.Status == ""})
	for _, st := range evaluate.Statuses {
		statuses = append(statuses, option{Value: string(st), Label: present.StatusWord(st), Selected: f.Status == string(st)})
	}
	statuses = append(statuses, option{Value: statusUnquantified, Label: present.Unquantified.Word + "任务", Selected: f.Status == statusUnquantified})
	return departments, statuses
}

// sectionOf is the section of department dept, added to sections when it has none yet.
func sectionOf(sections map[string]*section, cat *indicators.Catalog, dept string) *section {
	s := sections[dept]
	if s == nil {
		s = &section{ID: dept, Name: dept}
		if d, ok := cat.Department(dept); ok {
			s.Name = d.Name
		}
		sections[dept] = s
	}
	return s
}

// addSections adds the departments' sections in catalog order, each with its status
// counts, and counts the rows shown.
func (p *page) addSections(cat *indicators.Catalog, sections map[string]*section) {
	for _, id := range cat.LeadDepartments() {
		if s := sections[id]; s != nil {
			sc := present.Tally{}
			for _, tr := range s.Tasks {
				for _, ir := range tr.Indicators {
					sc.Add(evaluate.Status(ir.Status))
				}
			}
			s.Counts = sc.Counts(false)
			s.Rows = sc.Total()
			p.Rows += s.Rows
			p.Sections = append(p.Sections, *s)
		}
	}
}

// views builds the view (with its SVG) of every indicator row the page shows.
func (p *page) views(src Source, cat *indicators.Catalog, byID map[string]evaluate.Result, loc *time.Location) {
	for i := range p.Sections {
		for j := range p.Sections[i].Tasks {
			inds := p.Sections[i].Tasks[j].Indicators
			for k := range inds {
				e, _ := cat.Lookup(inds[k].ID)
				inds[k] = indicatorView(e.Target, byID[inds[k].ID], src.Series(inds[k].ID), cat.Plan.Year, loc)
				if ps, ok := src.(pendingSource); ok {
					inds[k].Pending = pendingTexts(e.Target, ps.Pending(inds[k].ID))
				}
			}
		}
	}
}

// planLinks fills the selector of a page showing one of several plans, and its API.
func (b *Board) planLinks(p *page) {
	if p.Filter.Plan == "" {
		return
	}
	p.API = "/api/v1/plans/" + p.Filter.Plan
	for _, s := range b.plans {
		pl := s.Catalog().Plan
		p.Plans = append(p.Plans, planLink{ID: pl.ID, Title: pl.Title, Year: pl.Year, Current: pl.ID == p.Filter.Plan})
	}
}

// closedText says since when (and why) a closed plan is closed; empty when it is open.
func closedText(src Source, loc *time.Location) string {
	c, ok := src.Closure()
	if !ok || !c.Closed {
		return ""
	}
	return c.Since(loc) + "，只供查阅"
}

func (b *Board) build(src Source, f filter) (*page, error) {
	cat := src.Catalog()
	loc := cat.Plan.Location()
	now := src.Now().In(loc)
	results, err := evaluateSafely(src, now)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]evaluate.Result, len(results))
	for _, r := range results {
		byID[r.Indicator] = r
	}
	p := &page{
		Title: cat.Plan.Title, Document: cat.Plan.Document, Now: now.Format("2006-01-02 15:04"),
		Year: cat.Plan.Year, Filter: f, API: "/api/v1",
	}
	p.Closed = closedText(src, loc)
	b.planLinks(p)
	p.Departments, p.Statuses = filterOptions(cat, f)

	counts := present.Tally{}
	sections := map[string]*section{}
	for i := range cat.Tasks {
		task := &cat.Tasks[i]
		p.Tasks++
		if f.Department != "" && task.Lead != f.Department {
			continue
		}
		row := taskRow{Num: task.Num, Text: task.Text}
		worst := evaluate.Status("")
		for j := range task.Targets {
			t := &task.Targets[j]
			p.Indicators++
			if t.FollowUp() {
				p.FollowUps++
			}
			r, ok := byID[t.ID]
			if !ok {
				r = evaluate.Result{Indicator: t.ID, Status: evaluate.NoData}
				byID[t.ID] = r
			}
			counts.Add(r.Status)
			if worst == "" || present.Worse(r.Status, worst) {
				worst = r.Status
			}
			if f.Status != "" && f.Status != string(r.Status) {
				continue
			}
			// Only the status for now: the views (with their SVG) are built below, once it
			// is known that the page is not collapsed.
			row.Indicators = append(row.Indicators, indicatorRow{ID: t.ID, Status: string(r.Status)})
		}
		if len(task.Targets) == 0 {
			row.Status, row.StatusLabel = statusUnquantified, present.Unquantified.Word
			if f.Status != "" && f.Status != statusUnquantified {
				continue
			}
		} else {
			row.Status, row.StatusLabel = string(worst), present.StatusWord(worst)
			if len(row.Indicators) == 0 {
				continue
			}
		}
		s := sectionOf(sections, cat, task.Lead)
		s.Tasks = append(s.Tasks, row)
		p.Shown++
	}
	p.Published = p.Indicators - p.FollowUps
	p.Counts = counts.Counts(true)
	p.Bar = svg.StatusBar(600, 14, p.Counts)
	p.addSections(cat, sections)
	if p.Rows > b.cfg.MaxRows {
		p.Collapsed = true
		for i := range p.Sections {
			p.Sections[i].Tasks = nil
		}
	}
	p.views(src, cat, byID, loc)
	p.Completeness = completenessOf(src, cat, now, f.Department)
	return p, nil
}

func indicatorView(t *indicators.Target, r evaluate.Result, series []indicators.Revision, year int, loc *time.Location) indicatorRow {
	v := indicatorRow{
		ID: t.ID, Metric: t.Metric, Target: present.TargetText(t), FollowUp: t.FollowUp(),
		Status: string(r.Status), StatusLabel: present.StatusText(r.Status, r.Reason),
		Overdue: r.ReportOverdue,
	}
	if !r.NextReportDue.IsZero() && !r.ReportOverdue {
		v.NextDue = r.NextReportDue.In(loc).Add(-time.Second).Format("1月2日")
	}
	milestone := t.Measure == indicators.Milestone
	if r.HasValue {
		switch {
		case milestone:
			v.Value = present.MilestoneValue(t, r)
		case r.Status == evaluate.NoData: // a relative target whose reference has no value
			v.Value = present.Value(t, r.Value)
		default:
			v.Value = present.Value(t, r.Value)
			v.Expected = present.Value(t, r.Expected)
			v.Gap = present.Signed(t, r.Gap)
			if r.HasProgress {
				v.Progress = present.Percent(r.Progress)
			}
		}
		v.Period = r.Period
	}
	if n := len(series); n > 0 {
		last := series[n-1]
		v.Note, v.Sender = last.Note, last.Sender
		v.Received = last.ReceivedAt.In(loc).Format("2006-01-02 15:04")
		if v.Period == "" {
			v.Period = last.Period
		}
		if prev, down := indicators.CumulativeDecrease(t, series, last); down {
			v.Warning = fmt.Sprintf("累计值低于上期:%s为%s,%s为%s,请核实", last.Period, present.Value(t, *last.Value), prev.Period, present.Value(t, *prev.Value))
		}
	}
	chart := svg.Trend{
		Width: 160, Height: 40, Color: present.StatusColor(r.Status),
		Values: svg.SeriesPoints(t, year, series),
		Label:  t.Metric + "趋势",
	}
	if milestone {
		hundred := 100.0
		chart.Target = &hundred
	} else {
		target := present.Display(t, t.Value)
		if t.Relative != nil && r.Target != 0 {
			target = present.Display(t, r.Target)
		}
		chart.Target = &target
		chart.Expected = svg.Trajectory(t)
	}
	v.Trend = chart.SVG()
	return v
}

// completeness shows the month whose reports are being collected: the month before now,
// kept inside the plan year.
func completenessOf(src Source, cat *indicators.Catalog, now time.Time, dept string) *completeness {
	year := cat.Plan.Year
	prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location())
	switch {
	case prev.Year() < year:
		return nil
	case prev.Year() > year:
		prev = time.Date(year, 12, 1, 0, 0, 0, 0, now.Location())
	}
	period := fmt.Sprintf("%04d-%02d", prev.Year(), int(prev.Month()))
	rows, err := evaluate.Completeness(src.EvalConfig(), cat, func(id string) []indicators.Arrival {
		return evaluate.SeriesArrivals(src.Series(id))
	}, period, now)
	if err != nil || len(rows) == 0 {
		return nil
	}
	c := &completeness{Period: fmt.Sprintf("%d年%d月", prev.Year(), int(prev.Month()))}
	var total evaluate.DepartmentCompleteness
	for _, d := range rows {
		if dept != "" && d.Department != dept {
			continue
		}
		if c.Due == "" && len(d.Items) > 0 {
			c.Due = d.Items[0].Due.In(now.Location()).Add(-time.Second).Format("1月2日")
		}
		total.Expected += d.Expected
		total.OnTime += d.OnTime
		total.Late += d.Late
		total.Missing += d.Missing
		total.NotDue += d.NotDue
		c.Rows = append(c.Rows, completenessRow{
			Department: d.Department, Name: d.Name, Expected: d.Expected, OnTime: d.OnTime, Late: d.Late, Missing: d.Missing, NotDue: d.NotDue,
			Bar: svg.CompletenessBar(120, 10, d),
		})
	}
	// Worst first: most missing, then most late.
	sort.SliceStable(c.Rows, func(i, j int) bool {
		a, b := c.Rows[i], c.Rows[j]
		if a.Missing != b.Missing {
			return a.Missing > b.Missing
		}
		return a.Late > b.Late
	})
	c.Expected, c.OnTime, c.Late, c.Missing, c.NotDue = total.Expected, total.OnTime, total.Late, total.Missing, total.NotDue
	if c.Expected > 0 {
		c.Rate = present.Percent(float64(c.OnTime+c.Late) / float64(c.Expected))
	}
	c.Bar = svg.CompletenessBar(600, 14, total)
	return c
}

// pendingSource is a Source that knows what waits for the office's review
// (*collector.Service: empty unless review.required).
type pendingSource interface {
	Pending(id string) []indicators.Revision
}

// pendingTexts words the revisions waiting for review: 待审核 2026-05 1.82万人, or 已退回
// for one the office sent back.
func pendingTexts(t *indicators.Target, revs []indicators.Revision) []string {
	var out []string
	for _, r := range revs {
		word := "待审核"
		if r.State() == indicators.Returned {
			word = "已退回"
		}
		v := ""
		switch {
		case r.Value != nil:
			v = present.Value(t, *r.Value)
		case r.Stage != "":
			v = present.StageLabel(r.Stage)
		}
		out = append(out, strings.TrimSpace(word+" "+r.Period+" "+v))
	}
	return out
}
