package workspace

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/duban-gov/duban/collector/notify"
)

// The office's 催报 in the browser (issue 17): on the overview each department with
// reports not yet received has a 催报 button, which sends the reminder now through
// notify.Remind, the code of POST /api/v1/remind. The POST redirects back to the
// overview (303: reloading it sends nothing again) with the outcome in the query,
// which the page words from fixed texts.

// Outcomes of a 催报 (the query's "remind" field).
const (
	remindSent    = "sent"
	remindNoRobot = "no_robot"
	remindFailed  = "failed"
	remindNothing = "nothing" // everything of the period was received meanwhile
)

// remindNotice words the outcome of a 催报 shown atop the overview; err marks a failure.
func (w *Workspace) remindNotice(q url.Values) (text string, err bool) {
	dept := q.Get("department")
	if _, ok := w.svc.Catalog().Department(dept); !ok {
		return "", false
	}
	name := w.departmentName(dept)
	n, _ := strconv.Atoi(q.Get("missing"))
	switch q.Get("remind") {
	case remindSent:
		return fmt.Sprintf("已向%s的通知机器人发送催报:%d项指标尚未报送。", name, n), false
	case remindNoRobot:
		return fmt.Sprintf("未发送催报:%s未配置通知机器人(notify.robots)。", name), true
	case remindFailed:
		return fmt.Sprintf("催报发送失败:%s的通知机器人多次重试后仍未接收,请稍后再试。", name), true
	case remindNothing:
		return fmt.Sprintf("未发送催报:%s本期已全部报送。", name), false
	}
	return "", false
}

// postRemind: POST /office/remind (the office's sessions): csrf, period, department.
func (w *Workspace) postRemind(rw http.ResponseWriter, r *http.Request) {
	u, form, ok := w.officeForm(rw, r, "没有发送催报", "只有督查室可以催报。")
	if !ok {
		return
	}
	if w, ok = w.planned(rw, r, &u, form.Get("plan")); !ok {
		return
	}
	if w.cfg.Reminder == nil {
		w.problem(rw, r, &u, http.StatusNotImplemented, "未配置通知机器人(notify.robots),无法催报。")
		return
	}
	dept := form.Get("department")
	if _, ok := w.svc.Catalog().Department(dept); !ok {
		w.problem(rw, r, &u, http.StatusBadRequest, fmt.Sprintf("单位“%s”不存在,没有发送催报。", dept))
		return
	}
	per, ok := w.period(rw, r, u, form.Get("period"))
	if !ok {
		return
	}
	done, err := notify.Remind(r.Context(), w.svc, w.cfg.Reminder, per, dept, w.cfg.BoardURL)
	switch {
	case errors.Is(err, notify.ErrPlanClosed):
		w.problem(rw, r, &u, http.StatusConflict, fmt.Sprintf("计划“%s”已关闭,不再接受报送,无需催报;没有发送催报。", w.svc.Catalog().Plan.Title))
		return
	case errors.Is(err, notify.ErrArrivals):
		w.cfg.Logger.Warn("workspace: remind", "err", err)
		w.problem(rw, r, &u, http.StatusServiceUnavailable, "暂时无法读取报送记录,没有发送催报,请稍后再试。")
		return
	case err != nil:
		w.problem(rw, r, &u, http.StatusBadRequest, "无法统计该报送期,没有发送催报:"+err.Error())
		return
	}
	q := w.planQuery(url.Values{"period": {per.String()}, "department": {dept}, "remind": {remindNothing}})
	if len(done) == 1 {
		d := done[0]
		q.Set("missing", strconv.Itoa(len(d.Missing)))
		switch {
		case d.Sent:
			q.Set("remind", remindSent)
		case d.Failed:
			q.Set("remind", remindFailed)
		default:
			q.Set("remind", remindNoRobot)
		}
	}
	http.Redirect(rw, r, "/office?"+q.Encode()+"#completeness", http.StatusSeeOther)
}
