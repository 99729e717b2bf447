package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
)

// closureView is a plan's closure as the API shows it.
type closureView struct {
	Plan     string     `json:"plan"`
	Closed   bool       `json:"closed"`
	ClosedAt *time.Time `json:"closed_at,omitempty"` // when closed, or reopened (closed false)
	By       string     `json:"by,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

func viewClosure(plan string, c collector.Closure, ok bool) closureView {
	v := closureView{Plan: plan}
	if ok {
		at := c.At
		v.Closed, v.ClosedAt, v.By, v.Reason = c.Closed, &at, c.By, c.Reason
	}
	return v
}

// postClosure: POST /api/v1/plans/{plan}/close and /reopen (closed false), the office
// closing a plan whose year is over, or reopening one closed by mistake. Checks in a
// fixed order: the plan (404 unknown_plan, by ps.each), token (401), role (403
// forbidden_close), body (optional {"reason":"…"}: 400/413), then the store (503).
// 200 with the closure in force; closing a closed plan changes nothing.
func postClosure(closed bool, policy func() *policy) func(Service) gin.HandlerFunc {
	verb := "close"
	if !closed {
		verb = "reopen"
	}
	return func(s Service) gin.HandlerFunc {
		return func(c *gin.Context) {
			cred := credentialOf(c)
			if !cred.ok {
				challenge(c, "send the supervision office's token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
				return
			}
			if !adminOnly(c, cred.id, collector.CodeForbiddenClose,
				fmt.Sprintf("a %s token cannot %s a plan: only the supervision office (the admin token) does (只有督办机构可以关闭或重新开放计划)", cred.id.Name(), verb)) {
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, policy().set.MaxBodyBytes))
			if err != nil {
				var mb *http.MaxBytesError
				if errors.As(err, &mb) {
					fail(c, collector.NewInputError(collector.KindTooLarge, collector.CodeBodyTooLarge, -1, "", "the body is larger than %d bytes (请求体过大)", policy().set.MaxBodyBytes))
					return
				}
				fail(c, collector.Invalid(collector.CodeMalformedJSON, -1, "", "could not read the body: %v", err))
				return
			}
			var req struct {
				Reason string `json:"reason"`
			}
			if len(body) > 0 {
				if err := strictDecode(body, &req); err != nil {
					ie := jsonError(-1, err)
					if ie.Code == collector.CodeUnknownField {
						ie.Message = fmt.Sprintf("unknown field %q; the body is empty or {\"reason\":\"…\"} (未知字段)", ie.Field)
					}
					fail(c, ie)
					return
				}
			}
			cl, err := s.SetClosed(c.Request.Context(), cred.id.Principal, closed, req.Reason)
			if err != nil {
				fail(c, err)
				return
			}
			c.JSON(http.StatusOK, viewClosure(s.Catalog().Plan.ID, cl, true))
		}
	}
}
