package workspace

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// reportView is the report page: one department's indicators for one period, grouped
// by task, each with its inputs. Later sections (returned reports above the form, a
// plan selector) are fields of this view and blocks of report.html.
type reportView struct {
	layout
	Department     string
	DepartmentName string
	Period         string // 2026-11
	PeriodText     string // 2026年11月
	Periods        []option
	Departments    []option // the office picks the department
	Due            string   // 12月10日
	Over           bool     // the period is over: its year-to-date value can be reported
	Form           string   // this rendering's nonce: a form sent twice replays (keys)
	Notice         string   // a note above the form (nothing changed)
	Summary        string   // why the form was refused; nothing was stored
	Errors         []fieldError
	Groups         []taskGroup
	Rows           int
	Upload         string         // why an upload was refused; nothing was stored
	Returned       []returnedItem // reports the office returned, with its comments (review.go)
}

type option struct {
	Value, Label string
	Selected     bool
}

type taskGroup struct {
	Num  int
	Text string
	Rows []row
}

// row is one indicator of the form.
type row struct {
	ID, Metric, Target, Unit string
	FollowUp, Milestone      bool
	ValueLabel               string // 本年累计 or 本期数值
	Last, LastPeriod         string // the latest report, whatever its period
	LastWhen                 string
	Expected, Progress       string
	Status, StatusLabel      string
	Overdue                  bool // a report that was due is missing (present.OverdueWord)
	Reported                 bool // this period has a revision: the inputs show it
	Posted                   bool // the form being shown back sent this row's fields
	Revision                 int
	AskReason                bool // the office correcting a reported period says why
	In                       rowInput
	Stages                   []option
	Err                      map[string]string // field (value, stage, percent, note, reason, row) → message
}

// rowInput is what a row's fields hold: as stored (prefilled) or as typed.
type rowInput struct {
	Value, Stage, Percent     string
	Progress, Problems, Plans string
	Reason                    string
}

func (in rowInput) empty() bool {
	return strings.TrimSpace(in.Value+in.Stage+in.Percent+in.Progress+in.Problems+in.Plans) == ""
}

// fieldError is one entry of the list above a refused form, linking to its field.
type fieldError struct {
	Anchor, Label, Message string
}

// The form's field names: the acceptance checks post them, keep them.
const (
	fValue    = "value"
	fStage    = "stage"
	fPercent  = "percent"
	fNote     = "note" // 进展情况; with problems and plans one report note (indicators.Notes)
	fProblems = "problems"
	fPlans    = "plans"
	fReason   = "reason"
)

var rowFields = []string{fValue, fStage, fPercent, fNote, fProblems, fPlans, fReason}

// reportPage: GET /report?period=2026-11 (the office adds &department=rsj; &plan=ID
// when several plans are served).
func (w *Workspace) reportPage(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	q := r.URL.Query()
	if w, ok = w.planned(rw, r, &u, q.Get("plan")); !ok {
		return
	}
	dept, ok := w.department(rw, r, u, q.Get("department"))
	if !ok {
		return
	}
	per, ok := w.period(rw, r, u, w.switched(q.Get("period")))
	if !ok {
		return
	}
	w.render(rw, http.StatusOK, "report", w.reportView(u, dept, per, nil))
}

// department is the department a request concerns: a department's own (another one is
// 403), or for the office the one named (none: back to the overview).
func (w *Workspace) department(rw http.ResponseWriter, r *http.Request, u user, asked string) (string, bool) {
	if !u.admin() {
		if asked != "" && asked != u.id.Principal.Department {
			w.forbidden(rw, r, &u, foreignMessage)
			return "", false
		}
		return u.id.Principal.Department, true
	}
	if asked == "" {
		http.Redirect(rw, r, "/office", http.StatusSeeOther)
		return "", false
	}
	if _, ok := w.svc.Catalog().Department(asked); !ok {
		w.problem(rw, r, &u, http.StatusBadRequest, fmt.Sprintf("没有编号为“%s”的单位。", asked))
		return "", false
	}
	return asked, true
}

// period reads ?period= (default: the month being collected now).
func (w *Workspace) period(rw http.ResponseWriter, r *http.Request, u user, s string) (indicators.Period, bool) {
	if s == "" {
		return w.collecting(), true
	}
	p, err := indicators.ParsePeriod(s)
	if err != nil || p.Year != w.svc.Catalog().Plan.Year {
		w.problem(rw, r, &u, http.StatusBadRequest, fmt.Sprintf("报送期“%s”无效:请选择%d年的月份,例如 %d-03。", s, w.svc.Catalog().Plan.Year, w.svc.Catalog().Plan.Year))
		return indicators.Period{}, false
	}
	return p, true
}

// collecting is the month whose reports are being collected: the month before now, kept
// inside the plan year (the board's and the completeness API's default).
func (w *Workspace) collecting() indicators.Period {
	cat := w.svc.Catalog()
	now := w.svc.Now().In(cat.Plan.Location())
	prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location())
	year := cat.Plan.Year
	switch {
	case prev.Year() < year:
		prev = time.Date(year, 1, 1, 0, 0, 0, 0, now.Location())
	case prev.Year() > year:
		prev = time.Date(year, 12, 1, 0, 0, 0, 0, now.Location())
	}
	p, _ := indicators.ParsePeriod(prev.Format("2006-01"))
	return p
}

// periodOptions lists the plan year's months up to the one being collected, and the
// period shown if it is another.
func (w *Workspace) periodOptions(cur indicators.Period) []option {
	last := w.collecting()
	var out []option
	found := false
	for m := 1; m <= int(last.Month); m++ {
		p, _ := indicators.ParsePeriod(fmt.Sprintf("%04d-%02d", last.Year, m))
		sel := p.String() == cur.String()
		found = found || sel
		out = append(out, option{Value: p.String(), Label: periodText(p), Selected: sel})
	}
	if !found {
		out = append(out, option{Value: cur.String(), Label: periodText(cur), Selected: true})
	}
	return out
}

func periodText(p indicators.Period) string {
	switch p.Kind {
	case indicators.PeriodQuarter:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.Q)
	case indicators.PeriodDay:
		return fmt.Sprintf("%d年%d月%d日", p.Year, int(p.Month), p.Day)
	}
	return fmt.Sprintf("%d年%d月", p.Year, int(p.Month))
}

// entries are the department's indicators on the page for per: every one it leads,
// quarterly ones only for periods that end a quarter; plus those named in extra (a
// posted field for an indicator not on the page), in catalog order.
func (w *Workspace) entries(dept string, per indicators.Period, extra map[string]bool) []indicators.Entry {
	var out []indicators.Entry
	for _, e := range w.svc.Catalog().Entries() {
		if e.Task.Lead == dept && (e.Target.InCadence(per) || extra[e.Target.ID]) {
			out = append(out, e)
		}
	}
	return out
}

// reportView builds the page; typed, when set, holds what the clerk sent, shown instead
// of what is stored.
func (w *Workspace) reportView(u user, dept string, per indicators.Period, typed url.Values) *reportView {
	cat := w.svc.Catalog()
	loc := cat.Plan.Location()
	now := w.svc.Now().In(loc)
	v := &reportView{
		layout:     w.layoutFor(&u, "填报"),
		Department: dept, DepartmentName: w.departmentName(dept),
		Period: per.String(), PeriodText: periodText(per), Periods: w.periodOptions(per),
		Over: !per.End(loc).After(now), Form: nonce(),
		Returned: w.returnedItems(dept),
	}
	if u.admin() {
		for _, id := range cat.LeadDepartments() {
			v.Departments = append(v.Departments, option{Value: id, Label: w.departmentName(id), Selected: id == dept})
		}
	}
	var extra map[string]bool
	if typed != nil {
		extra = postedIDs(typed)
	}
	entries := w.entries(dept, per, extra)
	for _, e := range entries {
		if v.Due == "" {
			if due, err := w.svc.EvalConfig().ReportDue(cat.Plan, *e.Target, per.String()); err == nil {
				v.Due = due.In(loc).Add(-time.Second).Format("1月2日")
			}
		}
		line := w.row(e.Target, per, now, loc, u.admin())
		if typed != nil {
			if in, posted := inputsFrom(typed, e.Target.ID); posted {
				line.In, line.Posted = in, true
				line.selectStage()
			}
		}
		n := len(v.Groups)
		if n == 0 || v.Groups[n-1].Num != e.Task.Num {
			v.Groups = append(v.Groups, taskGroup{Num: e.Task.Num, Text: e.Task.Text})
			n++
		}
		v.Groups[n-1].Rows = append(v.Groups[n-1].Rows, line)
		v.Rows++
	}
	return v
}

// row shows one indicator: where it stands and what was reported for per.
func (w *Workspace) row(t *indicators.Target, per indicators.Period, now time.Time, loc *time.Location, admin bool) row {
	cat := w.svc.Catalog()
	series := w.svc.Series(t.ID)
	var ref []indicators.Revision
	if t.Relative != nil {
		ref = w.svc.Series(t.Relative.Indicator)
	}
	res := evaluate.Evaluate(w.svc.EvalConfig(), cat.Plan, *t, series, ref, now)
	v := row{
		ID: t.ID, Metric: t.Metric, Target: present.TargetText(t), Unit: present.Unit(t),
		FollowUp: t.FollowUp(), Milestone: t.Measure == indicators.Milestone,
		Status: string(res.Status), StatusLabel: present.StatusText(res.Status, res.Reason), Overdue: res.ReportOverdue,
		ValueLabel: "本期数值", Err: map[string]string{},
	}
	if t.Measure == indicators.Cumulative {
		v.ValueLabel = "本年累计"
	}
	if v.Milestone {
		v.Unit = "%"
		v.Expected = present.Percent(res.Expected / 100)
		if res.HasValue {
			v.Progress = present.Percent(res.Value / 100)
		}
	} else if res.Status != evaluate.NoData || res.Expected != 0 {
		v.Expected = present.Value(t, res.Expected)
		if res.HasProgress {
			v.Progress = present.Percent(res.Progress)
		}
	}
	// What the department sent shows in the form and as its last report, whether the
	// office approved it yet or not (with review.required the evaluation above counts
	// the approved values only).
	series = w.received(t.ID)
	if n := len(series); n > 0 {
		last := series[n-1]
		v.Last, v.LastPeriod = revisionText(t, last), last.Period
		v.LastWhen = last.ReceivedAt.In(loc).Format("1月2日 15:04")
	}
	if rev, ok := revisionOf(series, per, loc); ok {
		v.Reported, v.Revision = true, rev.Revision
		v.In = storedInput(t, rev)
		v.AskReason = admin
	}
	v.Stages = append(v.Stages, option{Value: "", Label: "请选择", Selected: v.In.Stage == ""})
	for _, s := range present.StageOptions {
		v.Stages = append(v.Stages, option{Value: string(s), Label: present.StageText(t, s), Selected: v.In.Stage == string(s)})
	}
	return v
}

// selectStage marks the option of a typed stage.
func (r *row) selectStage() {
	for i := range r.Stages {
		r.Stages[i].Selected = r.Stages[i].Value == r.In.Stage
	}
}

// revisionOf is the latest revision reported for per: the one of the same period, else
// one of a period ending at the same instant (2026-Q3 for 2026-09).
func revisionOf(series []indicators.Revision, per indicators.Period, loc *time.Location) (indicators.Revision, bool) {
	end := per.End(loc)
	var found *indicators.Revision
	for i := range series {
		r := &series[i]
		if r.Period == per.String() {
			return *r, true
		}
		if r.PeriodEnd.Equal(end) && (found == nil || r.ReceivedAt.After(found.ReceivedAt)) {
			found = r
		}
	}
	if found == nil {
		return indicators.Revision{}, false
	}
	return *found, true
}

// storedInput shows a revision in the form's fields: values in the display unit,
// exactly (FormatScaled reads back to the same base value), the note in its three parts.
func storedInput(t *indicators.Target, r indicators.Revision) rowInput {
	var in rowInput
	if r.Value != nil {
		in.Value = indicators.FormatScaled(*r.Value, present.Scale(t))
	}
	in.Stage = string(r.Stage)
	if r.Percent != nil {
		in.Percent = indicators.FormatScaled(*r.Percent, 1)
	}
	n := indicators.ParseNotes(r.Note)
	in.Progress, in.Problems, in.Plans = n.Progress, n.Problems, n.Plans
	return in
}

// revisionText is a revision's figure as people read it: 3.9万人, 已开工 40%.
func revisionText(t *indicators.Target, r indicators.Revision) string {
	switch {
	case r.Value != nil:
		return present.Value(t, *r.Value)
	case r.Stage != "":
		s := present.StageText(t, r.Stage)
		if r.Percent != nil && r.Stage != indicators.StageCompleted {
			s += " " + present.Number(*r.Percent) + "%"
		}
		return s
	case r.Percent != nil:
		return present.Number(*r.Percent) + "%"
	}
	return "—"
}

// postedIDs are the indicators a form names in its row fields.
func postedIDs(form url.Values) map[string]bool {
	ids := map[string]bool{}
	for k := range form {
		for _, f := range rowFields {
			if id, ok := strings.CutPrefix(k, f+"."); ok && id != "" {
				ids[id] = true
			}
		}
	}
	return ids
}

// inputsFrom reads a row's fields from a form; posted says whether any was sent.
// Several note.<id> values (a client sending the three parts under one name) are
// progress, problems and plans in that order.
func inputsFrom(form url.Values, id string) (in rowInput, posted bool) {
	get := func(f string) string {
		vs, ok := form[f+"."+id]
		if ok {
			posted = true
		}
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	}
	in.Value, in.Stage, in.Percent = get(fValue), get(fStage), get(fPercent)
	in.Progress, in.Problems, in.Plans = get(fNote), get(fProblems), get(fPlans)
	in.Reason = get(fReason)
	if notes := form[fNote+"."+id]; len(notes) > 1 {
		if in.Problems == "" {
			in.Problems = notes[1]
		}
		if len(notes) > 2 && in.Plans == "" {
			in.Plans = strings.Join(notes[2:], "\n")
		}
	}
	return in, posted
}

func nonce() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand does not fail (errcheck knows)
	return hex.EncodeToString(b)
}
