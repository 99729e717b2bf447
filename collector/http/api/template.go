package api

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/sheets"
)

// getTemplate: GET /api/v1/templates/{department}?period=2026-03. The department's Excel
// fill-in template for a period (default: the previous month), with its last reports.
func getTemplate(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		cat := svc.Catalog()
		dept := c.Param("department")
		if _, ok := cat.Department(dept); !ok {
			abortError(c, http.StatusNotFound, codeUnknownDepartment, fmt.Sprintf("department %q is not in the catalog; see /api/v1/departments", dept))
			return
		}
		period := c.Query("period")
		if period == "" {
			now := svc.Now().In(cat.Plan.Location())
			period = now.AddDate(0, 0, -now.Day()).Format("2006-01") // previous month
		}
		if _, err := indicators.ParsePeriod(period); err != nil {
			abortError(c, http.StatusBadRequest, codeInvalidPeriod, err.Error())
			return
		}
		var buf bytes.Buffer
		err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: dept, Period: period, Last: lastOf(svc)})
		if err != nil {
			abortError(c, http.StatusBadRequest, codeInvalidUpload, err.Error())
			return
		}
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="duban-template-%s-%s.xlsx"`, dept, period))
		c.Data(http.StatusOK, mediaXLSX, buf.Bytes())
	}
}

// lastOf returns the latest revision of an indicator from the snapshot.
func lastOf(svc interface {
	Series(id string) []indicators.Revision
}) func(string) (indicators.Revision, bool) {
	return func(id string) (indicators.Revision, bool) {
		s := svc.Series(id)
		if len(s) == 0 {
			return indicators.Revision{}, false
		}
		return s[len(s)-1], true
	}
}
