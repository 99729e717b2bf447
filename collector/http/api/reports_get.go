package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
)

// getReports: GET /api/v1/indicators/:id/reports. Every revision (the audit trail):
// value, period, when, by whom, note and reason, ordered by period then revision; from
// where (the remote address) only for the admin token.
func getReports(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		if _, ok := svc.Catalog().Lookup(id); !ok {
			abortError(c, http.StatusNotFound, "unknown_indicator", fmt.Sprintf("indicator %q is not in the catalog; see /api/v1/indicators", id))
			return
		}
		revs, err := svc.History(c.Request.Context(), id)
		if err != nil {
			c.Error(err) //nolint:errcheck // recorded for the log
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the history from the store; retry later")
			return
		}
		if revs == nil {
			revs = []indicators.Revision{}
		}
		c.JSON(http.StatusOK, gin.H{"indicator": id, "revisions": withoutRemotes(c, revs)})
	}
}
