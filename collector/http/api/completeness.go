package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

const codeInvalidPeriod = "invalid_period"

type completenessView struct {
	Period      string           `json:"period"`
	Now         time.Time        `json:"now"`
	Expected    int              `json:"expected"`
	OnTime      int              `json:"on_time"`
	Late        int              `json:"late"`
	Missing     int              `json:"missing"`
	NotDue      int              `json:"not_due"`
	Departments []deptCompletion `json:"departments"`
}

type deptCompletion struct {
	Department string           `json:"department"`
	Name       string           `json:"name"`
	Expected   int              `json:"expected"`
	OnTime     int              `json:"on_time"`
	Late       int              `json:"late"`
	Missing    int              `json:"missing"`
	NotDue     int              `json:"not_due"`
	Items      []itemCompletion `json:"items"`
}

type itemCompletion struct {
	Indicator string     `json:"indicator"`
	Period    string     `json:"period"`
	Status    string     `json:"status"` // on_time, late, missing, not_due
	Due       time.Time  `json:"due"`    // first instant after the due day
	Received  *time.Time `json:"received,omitempty"`
}

// getCompleteness: GET /api/v1/completeness?period=2026-03. Expected reports per lead
// department for a month or quarter and whether they came on time, late, not at all,
// or are not due yet under the collector's reporting calendar. Without a period: the
// month whose reports are being collected (the previous month). On time or late is
// decided by the first revision, which the store answers in one bulk read.
func getCompleteness(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		cat := svc.Catalog()
		now := svc.Now().In(cat.Plan.Location())
		period := c.Query("period")
		if period == "" {
			prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location())
			period = fmt.Sprintf("%04d-%02d", prev.Year(), int(prev.Month()))
		}
		dept := c.Query("department")
		if dept != "" {
			if _, ok := cat.Department(dept); !ok {
				abortError(c, http.StatusBadRequest, codeUnknownDepartment, fmt.Sprintf("department %q is not in the catalog; see /api/v1/departments", dept))
				return
			}
		}
		var arrivals []indicators.Arrival
		if p, err := indicators.ParsePeriod(period); err == nil {
			if arrivals, err = svc.FirstArrivals(c.Request.Context(), []time.Time{p.End(cat.Plan.Location())}); err != nil {
				c.Header("Retry-After", "1")
				abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the report history: "+err.Error())
				return
			}
		}
		rows, err := evaluate.Completeness(svc.EvalConfig(), cat, evaluate.ArrivalsOf(arrivals), period, now)
		if err != nil {
			abortError(c, http.StatusBadRequest, codeInvalidPeriod, fmt.Sprintf("%v; use a month (2026-03) or a quarter (2026-Q1)", err))
			return
		}
		v := completenessView{Period: period, Now: now, Departments: []deptCompletion{}}
		if p, err := indicators.ParsePeriod(period); err == nil {
			v.Period = p.String()
		}
		for _, d := range rows {
			if dept != "" && d.Department != dept {
				continue
			}
			dc := deptCompletion{Department: d.Department, Name: d.Name, Expected: d.Expected, OnTime: d.OnTime, Late: d.Late, Missing: d.Missing, NotDue: d.NotDue, Items: []itemCompletion{}}
			for _, it := range d.Items {
				ic := itemCompletion{Indicator: it.Indicator, Period: it.Period, Status: string(it.Status), Due: it.Due}
				if !it.Received.IsZero() {
					r := it.Received
					ic.Received = &r
				}
				dc.Items = append(dc.Items, ic)
			}
			v.Expected += d.Expected
			v.OnTime += d.OnTime
			v.Late += d.Late
			v.Missing += d.Missing
			v.NotDue += d.NotDue
			v.Departments = append(v.Departments, dc)
		}
		c.JSON(http.StatusOK, v)
	}
}
