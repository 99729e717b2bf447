package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/indicators"
)

// Reminder sends a message to a department's robot (*notify.Notifier).
type Reminder = notify.Sender

type remindResponse struct {
	Period   string            `json:"period"`
	Reminded []notify.Reminded `json:"reminded"`
}

// postRemind: POST /api/v1/remind?period=2026-11&department=rsj&plan=changzhi-2026,
// the office's 催报 (admin token) through notify.Remind, as the workspace's 催报 button:
// for each lead department (or the one named) with reports of the plan's period not
// received yet, a message listing them with their due date goes to the department's
// robot now. The plan: the one named, else the only one served, else the one whose
// year is the period's (400 plan_required when several are), else the default plan.
// 409 plan_closed for a closed plan (it takes no reports: a reminder makes no sense);
// 403 for other tokens; 400 for an unknown department, plan or a bad period; 409
// no_robot when the department named has no robot; 502 when its robot failed after
// retries.
func postRemind(plans *planSet, rem Reminder, boardURL string) gin.HandlerFunc {
	return func(c *gin.Context) {
		svc, p, dept, ok := remindRequest(c, plans, rem)
		if !ok {
			return
		}
		done, err := notify.Remind(c.Request.Context(), svc, rem, p, dept, boardURL)
		switch {
		case errors.Is(err, notify.ErrArrivals):
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the report history; retry later")
			return
		case err != nil:
			abortError(c, http.StatusBadRequest, codeInvalidPeriod, fmt.Sprintf("%v (报送期无效)", err))
			return
		}
		if dept != "" && len(done) == 1 && done[0].Failed {
			abortError(c, http.StatusBadGateway, "robot_failed", "the department's robot did not take the reminder after retries; try again later (通知发送失败)")
			return
		}
		c.JSON(http.StatusOK, remindResponse{Period: p.String(), Reminded: done})
	}
}

// notifyReceiver wraps the Alertmanager receiver; without one it answers 501.
func notifyReceiver(h http.Handler) gin.HandlerFunc {
	if h == nil {
		return func(c *gin.Context) {
			abortError(c, http.StatusNotImplemented, "not_configured", "the Alertmanager receiver is not configured (notify.token_sha256, notify.robots)")
		}
	}
	return gin.WrapH(h)
}

// remindRequest checks who asks (the admin token), that robots exist, the period
// (default: the month being collected), the plan and the department; it answers the
// error itself.
func remindRequest(c *gin.Context, plans *planSet, rem Reminder) (Service, indicators.Period, string, bool) {
	cred := credentialOf(c)
	if !cred.ok {
		challenge(c, "send the supervision office's token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
		return nil, indicators.Period{}, "", false
	}
	if !adminOnly(c, cred.id, "forbidden_remind", "only the supervision office (the admin token) sends reminders (只有督办机构可以催报)") {
		return nil, indicators.Period{}, "", false
	}
	if rem == nil {
		abortError(c, http.StatusNotImplemented, "not_configured", "no robot is configured (notify.robots): reminders have nowhere to go (未配置通知机器人)")
		return nil, indicators.Period{}, "", false
	}
	svc := plans.order[0]
	cat := svc.Catalog()
	loc := cat.Plan.Location()
	now := svc.Now().In(loc)
	period := c.Query("period")
	if period == "" {
		prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, loc)
		period = prev.Format("2006-01")
	}
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		abortError(c, http.StatusBadRequest, codeInvalidPeriod, fmt.Sprintf("%v; use a month (2026-03) or a quarter (2026-Q1) (报送期格式错误)", err))
		return nil, indicators.Period{}, "", false
	}
	svc, err = remindPlan(plans, c.Query("plan"), p)
	if err != nil {
		fail(c, err)
		return nil, indicators.Period{}, "", false
	}
	cat = svc.Catalog()
	if closedPlan(svc) {
		abortError(c, http.StatusConflict, collector.CodePlanClosed, fmt.Sprintf("plan %s is closed: it takes no more reports, so nothing is sent (计划“%s”已关闭，无需催报)", cat.Plan.ID, cat.Plan.Title))
		return nil, indicators.Period{}, "", false
	}
	dept := c.Query("department")
	if dept != "" {
		if _, ok := cat.Department(dept); !ok {
			abortError(c, http.StatusBadRequest, codeUnknownDepartment, fmt.Sprintf("department %q is not in the catalog; see /api/v1/departments (单位编号不存在)", dept))
			return nil, indicators.Period{}, "", false
		}
		if !rem.Has(dept) {
			abortError(c, http.StatusConflict, "no_robot", fmt.Sprintf("department %q has no robot in notify.robots: nothing was sent (该单位未配置通知机器人)", dept))
			return nil, indicators.Period{}, "", false
		}
	}
	return svc, p, dept, true
}

// remindPlan picks the plan of a reminder: the one named, else the only one served,
// else the one whose year is the period's (several: plan_required), else the default.
func remindPlan(plans *planSet, plan string, p indicators.Period) (Service, error) {
	if plan != "" {
		s, ok := plans.byID[plan]
		if !ok {
			return nil, collector.Invalid(collector.CodeUnknownPlan, -1, "plan", "plan %q is not served here; GET /api/v1/plans lists the plans (计划编号不存在): %s", plan, plans.ids())
		}
		return s, nil
	}
	var cands []Service
	for _, s := range plans.order {
		if s.Catalog().Plan.Year == p.Year {
			cands = append(cands, s)
		}
	}
	switch {
	case len(plans.order) == 1 || len(cands) == 0:
		return plans.order[0], nil
	case len(cands) == 1:
		return cands[0], nil
	}
	ids := make([]string, len(cands))
	for i, s := range cands {
		ids[i] = s.Catalog().Plan.ID
	}
	return nil, collector.Invalid(collector.CodePlanRequired, -1, "plan",
		"period %s belongs to several plans (%s): name the plan with ?plan= (该报送期属于多个计划，请指定plan)", p, strings.Join(ids, ", "))
}

// closedPlan says whether the plan of svc is closed.
func closedPlan(svc Service) bool {
	cl, ok := svc.Closure()
	return ok && cl.Closed
}
