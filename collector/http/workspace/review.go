package workspace

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// The office's review in the browser (issue 17): the department's page opens with
// what the office returned and why; the office's overview lists what waits for review,
// each with 通过 and 退回 (a comment required), through collector.Service.Review.

// reviewer is what the review pages need of the service beyond Service.
type reviewer interface {
	ReviewItems(dept string, state indicators.Decision) []indicators.Revision
	Review(ctx context.Context, p collector.Principal, reqs []collector.ReviewRequest) ([]indicators.Review, error)
}

// returnedItem is a report the office returned, shown atop the department's page.
type returnedItem struct {
	ID, Metric, Period string
	Comment, When      string
}

// waitingItem is a report waiting for the office's review.
type waitingItem struct {
	ID, Metric, Period   string
	Department, DeptName string
	Value, Received      string
	Revision             int
	Note                 string
	Err                  string // why the review just sent was refused
	Comment              string // as typed, kept on error
}

// received is what arrived for an indicator, approved or not (Service.Series is what
// counts, which with review.required is the approved values only).
func (w *Workspace) received(id string) []indicators.Revision {
	if r, ok := w.svc.(interface {
		Received(id string) []indicators.Revision
	}); ok {
		return r.Received(id)
	}
	return w.svc.Series(id)
}

func (w *Workspace) returnedItems(dept string) []returnedItem {
	rv, ok := w.svc.(reviewer)
	if !ok {
		return nil
	}
	cat := w.svc.Catalog()
	loc := cat.Plan.Location()
	var out []returnedItem
	for _, r := range rv.ReviewItems(dept, indicators.Returned) {
		e, _ := cat.Lookup(r.Indicator)
		last := r.Reviews[len(r.Reviews)-1]
		out = append(out, returnedItem{ID: r.Indicator, Metric: e.Target.Metric, Period: r.Period,
			Comment: last.Comment, When: last.ReviewedAt.In(loc).Format("2006-01-02 15:04")})
	}
	return out
}

func (w *Workspace) waitingItems() []waitingItem {
	rv, ok := w.svc.(reviewer)
	if !ok {
		return nil
	}
	cat := w.svc.Catalog()
	loc := cat.Plan.Location()
	var out []waitingItem
	for _, r := range rv.ReviewItems("", indicators.Submitted) {
		e, _ := cat.Lookup(r.Indicator)
		it := waitingItem{ID: r.Indicator, Metric: e.Target.Metric, Period: r.Period, Department: r.Department,
			DeptName: w.departmentName(r.Department), Revision: r.Revision, Note: r.Note,
			Received: r.ReceivedAt.In(loc).Format("2006-01-02 15:04")}
		switch {
		case r.Value != nil:
			it.Value = present.Value(e.Target, *r.Value)
		case r.Stage != "":
			it.Value = present.StageLabel(r.Stage)
		}
		out = append(out, it)
	}
	return out
}

// officeForm reads a form only the office sends: a session (else the sign-in page), a
// body within the limit, the session's csrf and the admin. It answers every refusal
// itself, saying what was not done (notDone) or who may (forbidden), and reports
// whether to go on.
func (w *Workspace) officeForm(rw http.ResponseWriter, r *http.Request, notDone, forbidden string) (user, url.Values, bool) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return u, nil, false
	}
	r.Body = http.MaxBytesReader(rw, r.Body, w.cfg.MaxBodyBytes())
	if err := r.ParseForm(); err != nil {
		w.problem(rw, r, &u, http.StatusBadRequest, "表单无法读取,"+notDone+"。")
		return u, nil, false
	}
	if !w.csrfOK(r, u, r.PostForm.Get("csrf")) {
		w.forbidden(rw, r, &u, csrfMessage)
		return u, nil, false
	}
	if !u.admin() {
		w.forbidden(rw, r, &u, forbidden)
		return u, nil, false
	}
	return u, r.PostForm, true
}

// postReview: POST /office/review (the office's sessions): csrf, period (of the
// overview to return to), indicator, report_period, decision (approve | return),
// comment. A refusal shows beside the item, the comment kept; nothing is stored.
func (w *Workspace) postReview(rw http.ResponseWriter, r *http.Request) {
	u, form, ok := w.officeForm(rw, r, "没有保存任何审核意见", "只有督查室可以审核报表。")
	if !ok {
		return
	}
	if w, ok = w.planned(rw, r, &u, form.Get("plan")); !ok {
		return
	}
	rv, ok := w.svc.(reviewer)
	if !ok {
		w.problem(rw, r, &u, http.StatusNotImplemented, "审核不可用。")
		return
	}
	req := collector.ReviewRequest{Indicator: form.Get("indicator"), Period: form.Get("report_period"),
		Decision: form.Get("decision"), Comment: form.Get("comment")}
	back := "/office?" + w.planQuery(url.Values{"period": {form.Get("period")}}).Encode()
	_, err := rv.Review(r.Context(), u.id.Principal, []collector.ReviewRequest{req})
	if err == nil {
		http.Redirect(rw, r, back+"#review", http.StatusSeeOther)
		return
	}
	var ie *collector.InputError
	if !errors.As(err, &ie) {
		w.cfg.Logger.Warn("workspace: review", "err", err)
		w.problem(rw, r, &u, http.StatusServiceUnavailable, "审核意见暂时无法保存,没有保存任何内容,请稍后再试。")
		return
	}
	msg := ie.Message
	switch ie.Code {
	case collector.CodeCommentRequired:
		msg = "退回须填写意见,说明需要修改什么。"
	case collector.CodeNoReport:
		msg = "该期尚未报送,无可审核内容。"
	}
	per, ok := w.period(rw, r, u, form.Get("period"))
	if !ok {
		return
	}
	w.officeRender(rw, r, u, per, http.StatusBadRequest, func(v *officeView) {
		for i := range v.Waiting {
			if v.Waiting[i].ID == req.Indicator && v.Waiting[i].Period == req.Period {
				v.Waiting[i].Err, v.Waiting[i].Comment = msg, req.Comment
			}
		}
	})
}
