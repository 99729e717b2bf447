package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
)

// indicatorDetail is the answer of GET /api/v1/indicators/:id.
type indicatorDetail struct {
	indicatorView
	TaskText    string                `json:"task_text"`
	Cooperating []string              `json:"cooperating,omitempty"`
	Source      string                `json:"source,omitempty"`
	Series      []indicators.Revision `json:"series"` // latest revision per period, by period
}

// getIndicator: GET /api/v1/indicators/:id. Catalog data, latest value per period and,
// when available, the evaluation.
func getIndicator(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		e, ok := svc.Catalog().Lookup(id)
		if !ok {
			abortError(c, http.StatusNotFound, "unknown_indicator", fmt.Sprintf("indicator %q is not in the catalog; see /api/v1/indicators", id))
			return
		}
		series := svc.Series(id)
		d := indicatorDetail{
			indicatorView: viewOf(e, series),
			TaskText:      e.Task.Text,
			Cooperating:   e.Task.Cooperating,
			Source:        e.Target.Source,
			Series:        withoutRemotes(c, series),
		}
		if d.Series == nil {
			d.Series = []indicators.Revision{}
		}
		if evals, err := evaluateAll(svc); err == nil {
			if r, ok := evals[id]; ok {
				d.Evaluation = evalOf(r)
			}
		}
		c.JSON(http.StatusOK, d)
	}
}
