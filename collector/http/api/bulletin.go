package api

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/bulletin"
)

const codeInvalidFormat = "invalid_format"

// getBulletin: GET /api/v1/bulletins/{period}?format=md|html|xlsx. The quarterly
// bulletin (2026-Q1) of the snapshot, the store's first arrivals and the collector's
// reporting calendar (bulletin.Prepare, as `duban bulletin --data` makes it), in Chinese.
func getBulletin(svc Service, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		format, err := bulletin.ParseFormat(c.DefaultQuery("format", "md"))
		if err != nil {
			abortError(c, http.StatusBadRequest, codeInvalidFormat, err.Error())
			return
		}
		in, err := bulletin.Prepare(c.Request.Context(), svc, c.Param("period"), svc.Now())
		switch {
		case errors.Is(err, bulletin.ErrPeriod):
			abortError(c, http.StatusBadRequest, codeInvalidPeriod, err.Error())
			return
		case errors.Is(err, bulletin.ErrStore):
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the report history: "+err.Error())
			return
		case err != nil:
			abortError(c, http.StatusInternalServerError, codeInternal, err.Error())
			return
		}
		var buf bytes.Buffer
		if err := bulletin.Render(&buf, format, in); err != nil {
			log.Error("render bulletin", "period", in.Period.String(), "format", string(format), "err", err)
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
