package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// listIndicators: GET /api/v1/indicators[?department=ID][&status=S][&kind=task|target].
// Every indicator of the catalog in catalog order with its latest value and evaluation;
// kind=task keeps only task follow-ups, kind=target only published targets.
func listIndicators(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		cat := svc.Catalog()
		dept := c.Query("department")
		if dept != "" {
			if _, ok := cat.Department(dept); !ok {
				abortError(c, http.StatusBadRequest, codeUnknownDepartment, fmt.Sprintf("department %q is not in the catalog; see /api/v1/departments", dept))
				return
			}
		}
		status := c.Query("status")
		if status != "" && !validStatus(status) {
			abortError(c, http.StatusBadRequest, codeInvalidStatus, fmt.Sprintf("status %q is not one of %v", status, evaluate.Statuses))
			return
		}
		kind := c.Query("kind")
		if kind != "" && kind != kindTask && kind != kindTarget {
			abortError(c, http.StatusBadRequest, codeInvalidKind, fmt.Sprintf("kind %q is not %q (task follow-ups) or %q (published targets)", kind, kindTask, kindTarget))
			return
		}
		evals, err := evaluateAll(svc)
		if err != nil && status != "" {
			abortError(c, http.StatusServiceUnavailable, codeEvaluationUnavailable, "filtering by status needs the evaluation, which is not available: "+err.Error())
			return
		}
		out := make([]indicatorView, 0, len(cat.TargetIDs()))
		for _, e := range cat.Entries() {
			if dept != "" && e.Task.Lead != dept {
				continue
			}
			if kind != "" && (kind == kindTask) != e.Target.FollowUp() {
				continue
			}
			v := viewOf(e, svc.Series(e.Target.ID))
			if r, ok := evals[e.Target.ID]; ok {
				v.Evaluation = evalOf(r)
			}
			if status != "" && (v.Evaluation == nil || v.Evaluation.Status != status) {
				continue
			}
			out = append(out, v)
		}
		c.JSON(http.StatusOK, gin.H{"plan": cat.Plan.ID, "indicators": out})
	}
}

// Values of the kind filter: a task follow-up (indicators.KindTask) or a published target.
const (
	kindTask   = indicators.KindTask
	kindTarget = "target"
)

func validStatus(s string) bool {
	for _, st := range evaluate.Statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}
