package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/indicators"
)

// Reminder sends a message to a department's robot (*notify.Notifier).
type Reminder = notify.Sender

type remindResponse struct {
	Period   string            `json:"period"`
	Reminded []notify.Reminded `json:"reminded"`
}

// postRemind: POST /api/v1/remind?period=2026-11&department=rsj, the office's 催报
// (admin token) through notify.Remind, as the workspace's 催报 button: for each lead
// department (or the one named) with reports of the period not received yet, a
// message listing them with their due date goes to the department's robot now. 403 for
// other tokens; 400 for an unknown department or a bad period; 409 no_robot when the
// department named has no robot; 502 when its robot failed after retries.
func postRemind(svc Service, rem Reminder, boardURL string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, dept, ok := remindRequest(c, svc, rem)
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
// (default: the month being collected) and the department; it answers the error itself.
func remindRequest(c *gin.Context, svc Service, rem Reminder) (indicators.Period, string, bool) {
	cred := credentialOf(c)
	if !cred.ok {
		c.Header("WWW-Authenticate", `Bearer realm="duban"`)
		abortError(c, http.StatusUnauthorized, codeUnauthorized, "send the supervision office's token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
		return indicators.Period{}, "", false
	}
	c.Set(ctxSender, cred.id.Name())
	if !cred.id.IsAdmin() {
		abortError(c, http.StatusForbidden, "forbidden_remind", "only the supervision office (the admin token) sends reminders (只有督办机构可以催报)")
		return indicators.Period{}, "", false
	}
	if rem == nil {
		abortError(c, http.StatusNotImplemented, "not_configured", "no robot is configured (notify.robots): reminders have nowhere to go (未配置通知机器人)")
		return indicators.Period{}, "", false
	}
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
		return indicators.Period{}, "", false
	}
	dept := c.Query("department")
	if dept != "" {
		if _, ok := cat.Department(dept); !ok {
			abortError(c, http.StatusBadRequest, codeUnknownDepartment, fmt.Sprintf("department %q is not in the catalog; see /api/v1/departments (单位编号不存在)", dept))
			return indicators.Period{}, "", false
		}
		if !rem.Has(dept) {
			abortError(c, http.StatusConflict, "no_robot", fmt.Sprintf("department %q has no robot in notify.robots: nothing was sent (该单位未配置通知机器人)", dept))
			return indicators.Period{}, "", false
		}
	}
	return p, dept, true
}
