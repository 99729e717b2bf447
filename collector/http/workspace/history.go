package workspace

import (
	"net/http"
	"net/url"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// historyView is one indicator's every revision, in the store's history order
// (indicators.CompareHistory: by period, then revision), with who sent it, when, and
// its notes; each period links to the form to correct it.
type historyView struct {
	layout
	ID, Metric, Target, Unit   string
	Department, DepartmentName string
	Revisions                  []historyRow
}

type historyRow struct {
	Period, Value             string
	Revision                  int
	Sender, Received          string
	Progress, Problems, Plans string
	Reason                    string
	Correct                   string // the form of that period
}

// historyPage: GET /report/history?indicator=57.1.
func (w *Workspace) historyPage(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	if w, ok = w.planned(rw, r, &u, r.URL.Query().Get("plan")); !ok {
		return
	}
	cat := w.svc.Catalog()
	id := r.URL.Query().Get("indicator")
	e, ok := cat.Lookup(id)
	if !ok {
		if !u.admin() {
			w.forbidden(rw, r, &u, foreignMessage) // the same answer as another department's
			return
		}
		w.problem(rw, r, &u, http.StatusNotFound, "没有这个指标编号。")
		return
	}
	if !u.admin() && e.Task.Lead != u.id.Principal.Department {
		w.forbidden(rw, r, &u, foreignMessage)
		return
	}
	revs, err := w.svc.History(r.Context(), id)
	if err != nil {
		w.cfg.Logger.Warn("workspace: history", "indicator", id, "err", err)
		w.problem(rw, r, &u, http.StatusServiceUnavailable, "暂时无法读取报送记录,请稍后再试。")
		return
	}
	loc := cat.Plan.Location()
	t := e.Target
	v := &historyView{layout: w.layoutFor(&u, id+" 报送记录"), ID: id, Metric: t.Metric, Target: present.TargetText(t), Unit: present.Unit(t),
		Department: e.Task.Lead, DepartmentName: w.departmentName(e.Task.Lead)}
	for _, rev := range revs {
		n := indicators.ParseNotes(rev.Note)
		sender := officeName
		if rev.Sender != "admin" {
			sender = w.departmentName(rev.Sender)
		}
		q := url.Values{"period": {rev.Period}}
		if u.admin() {
			q.Set("department", e.Task.Lead)
		}
		v.Revisions = append(v.Revisions, historyRow{
			Period: rev.Period, Value: revisionText(t, rev), Revision: rev.Revision,
			Sender: sender, Received: rev.ReceivedAt.In(loc).Format("2006-01-02 15:04"),
			Progress: n.Progress, Problems: n.Problems, Plans: n.Plans, Reason: rev.Reason,
			Correct: "/report?" + w.planQuery(q).Encode() + "#row-" + id,
		})
	}
	w.render(rw, http.StatusOK, "history", v)
}
