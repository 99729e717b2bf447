package workspace

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// officeView is the supervision office's overview of a period: per department the
// reports expected, on time, late, missing and not yet due (evaluate.Completeness with
// the store's first arrivals, as the completeness API counts them), each department's
// page to open and correct, and the quarter's bulletin.
type officeView struct {
	layout
	Period, PeriodText string
	Periods            []option
	Due                string
	Expected, OnTime   int
	Late, Missing      int
	NotDue             int
	Rate               string
	Rows               []officeRow
	Bulletin, Quarter  string
	Words              []string      // the column headings of report states (present)
	Waiting            []waitingItem // what waits for the office's review (review.go)
	Remind             bool          // robots are configured: 催报 buttons (remind.go)
	Reminded           string        // the outcome of the last 催报
	RemindFailed       bool
}

type officeRow struct {
	Department, Name                string
	Expected, OnTime, Late, Missing int
	NotDue                          int
	Page                            string
	MissingIDs                      []string // the indicators still missing
	Unreported                      bool     // reports missing or not yet due: 催报 may go
}

// officePage: GET /office?period=2026-11 (the office's sessions only).
func (w *Workspace) officePage(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	if !u.admin() {
		w.forbidden(rw, r, &u, "报送情况总览仅供督查室使用。")
		return
	}
	if w, ok = w.planned(rw, r, &u, r.URL.Query().Get("plan")); !ok {
		return
	}
	per, ok := w.period(rw, r, u, w.switched(r.URL.Query().Get("period")))
	if !ok {
		return
	}
	w.officeRender(rw, r, u, per, http.StatusOK, nil)
}

// officeRender renders the overview of per with status; edit, when set, changes the
// view first (a refused review shown beside its item).
func (w *Workspace) officeRender(rw http.ResponseWriter, r *http.Request, u user, per indicators.Period, status int, edit func(*officeView)) {
	cat := w.svc.Catalog()
	loc := cat.Plan.Location()
	now := w.svc.Now().In(loc)
	arrivals, err := w.svc.FirstArrivals(r.Context(), []time.Time{per.End(loc)})
	if err != nil {
		w.cfg.Logger.Warn("workspace: first arrivals", "err", err)
		w.problem(rw, r, &u, http.StatusServiceUnavailable, "暂时无法读取报送记录,请稍后再试。")
		return
	}
	rows, err := evaluate.Completeness(w.svc.EvalConfig(), cat, evaluate.ArrivalsOf(arrivals), per.String(), now)
	if err != nil {
		w.problem(rw, r, &u, http.StatusBadRequest, "无法统计该报送期:"+err.Error())
		return
	}
	v := &officeView{layout: w.layoutFor(&u, "报送情况"), Period: per.String(), PeriodText: periodText(per), Periods: w.periodOptions(per)}
	for _, s := range evaluate.ReportStatuses {
		v.Words = append(v.Words, present.Report(s).Short)
	}
	q := per.Q
	if per.Kind != indicators.PeriodQuarter {
		q = (int(per.Month)-1)/3 + 1
	}
	v.Quarter = fmt.Sprintf("%d年第%d季度", per.Year, q)
	v.Bulletin = fmt.Sprintf("/api/v1/bulletins/%d-Q%d?format=html", per.Year, q)
	if len(w.plans) > 1 {
		v.Bulletin = fmt.Sprintf("/api/v1/plans/%s/bulletins/%d-Q%d?format=html", url.PathEscape(cat.Plan.ID), per.Year, q)
	}
	for _, d := range rows {
		if v.Due == "" && len(d.Items) > 0 {
			v.Due = d.Items[0].Due.In(loc).Add(-time.Second).Format("1月2日")
		}
		row := officeRow{Department: d.Department, Name: d.Name, Expected: d.Expected, OnTime: d.OnTime, Late: d.Late, Missing: d.Missing, NotDue: d.NotDue,
			Unreported: d.Missing+d.NotDue > 0, Page: "/report?" + w.planQuery(url.Values{"department": {d.Department}, "period": {per.String()}}).Encode()}
		for _, it := range d.Items {
			if it.Status == evaluate.Missing {
				row.MissingIDs = append(row.MissingIDs, it.Indicator)
			}
		}
		v.Expected += d.Expected
		v.OnTime += d.OnTime
		v.Late += d.Late
		v.Missing += d.Missing
		v.NotDue += d.NotDue
		v.Rows = append(v.Rows, row)
	}
	if v.Expected > 0 {
		v.Rate = present.Percent(float64(v.OnTime+v.Late) / float64(v.Expected))
	}
	v.Waiting = w.waitingItems()
	v.Remind = w.cfg.Reminder != nil && v.Closed == "" // a closed plan has nothing due: no 催报
	v.Reminded, v.RemindFailed = w.remindNotice(r.URL.Query())
	if edit != nil {
		edit(v)
	}
	w.render(rw, status, "office", v)
}
