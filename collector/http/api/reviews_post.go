package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// reviewResponse is the 201 answer of POST /api/v1/reviews.
type reviewResponse struct {
	Reviewed int                 `json:"reviewed"`
	Reviews  []indicators.Review `json:"reviews"` // as stored: the revision each judged, who and when
}

// postReviews: POST /api/v1/reviews, the office's review. Checks in a fixed order:
// token (401), role (403 for every token but the admin's), body (400/413), the plan
// (each review's "plan", or the one its indicator id and period pick, as for reports:
// 400 unknown_plan, plan_required, mixed_plans), then the collector's checks (400
// unknown indicator, invalid period or decision, a return without a comment; 409 no
// report), then the store (503). All or nothing.
func postReviews(plans *planSet, policy func() *policy) gin.HandlerFunc {
	return func(c *gin.Context) {
		cred := credentialOf(c)
		if !cred.ok {
			challenge(c, "send the supervision office's token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
			return
		}
		if !adminOnly(c, cred.id, collector.CodeForbiddenReview, fmt.Sprintf("a %s token cannot review: only the supervision office (the admin token) approves or returns reports (只有督办机构可以审核)", cred.id.Name())) {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, policy().set.MaxBodyBytes))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				fail(c, collector.NewInputError(collector.KindTooLarge, collector.CodeBodyTooLarge, -1, "", "the body is larger than %d bytes; send fewer reviews per request (请求体过大)", policy().set.MaxBodyBytes))
				return
			}
			fail(c, collector.Invalid(collector.CodeMalformedJSON, -1, "", "could not read the body: %v", err))
			return
		}
		var req struct {
			Reviews *[]collector.ReviewRequest `json:"reviews"`
		}
		if err := strictDecode(body, &req); err != nil {
			ie := jsonError(-1, err)
			if ie.Code == collector.CodeUnknownField {
				ie.Message = fmt.Sprintf("unknown field %q; the body is {\"reviews\":[{\"plan\":\"changzhi-2026\" (optional),\"indicator\":\"57.1\",\"period\":\"2026-10\",\"decision\":\"approve\"|\"return\",\"comment\":\"…\"}]} (未知字段)", ie.Field)
			}
			fail(c, ie)
			return
		}
		if req.Reviews == nil {
			fail(c, collector.Invalid(collector.CodeMissingField, -1, "reviews",
				"the body must be {\"reviews\":[{\"indicator\":\"57.1\",\"period\":\"2026-10\",\"decision\":\"approve\"}]} (缺少reviews)"))
			return
		}
		keys := make([]indicators.Report, len(*req.Reviews))
		for i, r := range *req.Reviews {
			keys[i] = indicators.Report{Plan: r.Plan, Indicator: r.Indicator, Period: r.Period}
		}
		svc, err := plans.route(keys)
		if err != nil {
			fail(c, err)
			return
		}
		if svc == nil {
			svc = plans.order[0] // an empty batch: its service says so
		}
		stored, err := svc.Review(c.Request.Context(), cred.id.Principal, *req.Reviews)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, reviewResponse{Reviewed: len(stored), Reviews: stored})
	}
}
