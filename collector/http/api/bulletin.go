package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/bulletin"
)

const codeInvalidFormat = "invalid_format"

// getBulletin: GET /api/v1/bulletins/{period}?format=md|html|xlsx. The quarterly
// bulletin (2026-Q1) rendered from the snapshot and the calendar, in Chinese.
func getBulletin(cfg SupervisionConfig) gin.HandlerFunc {
	return func(c *gin.Context) {
		if cfg.Service == nil {
			c.Error(errNoService) //nolint:errcheck // logged
			abortError(c, http.StatusInternalServerError, codeInternal, "bulletins are not configured")
			return
		}
		format, err := bulletin.ParseFormat(c.DefaultQuery("format", "md"))
		if err != nil {
			abortError(c, http.StatusBadRequest, codeInvalidFormat, err.Error())
			return
		}
		svc := cfg.Service
		arrivals, err := storeArrivals(c.Request.Context(), svc, monthEnds(c.Param("period"), svc.Catalog().Plan.Location(), true))
		if err != nil {
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the report history: "+err.Error())
			return
		}
		in, err := bulletin.Prepare(svc, c.Param("period"), bulletin.Options{Eval: cfg.Eval, Now: svc.Now(), Arrivals: arrivals})
		if err != nil {
			if errors.Is(err, bulletin.ErrPeriod) {
				abortError(c, http.StatusBadRequest, codeInvalidPeriod, err.Error())
				return
			}
			abortError(c, http.StatusInternalServerError, codeInternal, err.Error())
			return
		}
		var buf bytes.Buffer
		if err := bulletin.Render(&buf, format, in); err != nil {
			cfg.Logger.Error("render bulletin", "period", in.Period.String(), "format", string(format), "err", err)
			abortError(c, http.StatusInternalServerError, codeInternal, "could not render the bulletin")
			return
		}
		name := fmt.Sprintf("duban-bulletin-%s.%s", in.Period.String(), format)
		disp := "inline"
		if format == bulletin.XLSX {
			disp = "attachment"
		}
		c.Header("Content-Disposition", fmt.Sprintf(`%s; filename="%s"`, disp, name))
		c.Data(http.StatusOK, format.ContentType(), buf.Bytes())
	}
}
