package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// SupervisionService is what the supervision routes (completeness, bulletins, Excel
// templates) read (implemented by *collector.Service).
type SupervisionService interface {
	Catalog() *indicators.Catalog
	Series(id string) []indicators.Revision
	// FirstArrivals answers, in bulk, when each indicator's first revision for each
	// period end arrived (collector.Store.FirstArrivals).
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	Now() time.Time
}

// SupervisionConfig configures the supervision routes.
type SupervisionConfig struct {
	Service SupervisionService // required
	Eval    evaluate.Config    // the reporting calendar's due day
	Logger  *slog.Logger
}

// Supervision returns the routes of the supervision cycle, for Config.Extra:
//
//	GET /api/v1/completeness?period=2026-03[&department=ID]
//	GET /api/v1/bulletins/{period}?format=md|html|xlsx
//	GET /api/v1/templates/{department}?period=2026-03
func Supervision(cfg SupervisionConfig) func(gin.IRouter) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return func(r gin.IRouter) {
		r.Match(getHead, "/api/v1/completeness", getCompleteness(cfg))
		r.Match(getHead, "/api/v1/bulletins/:period", getBulletin(cfg))
		r.Match(getHead, "/api/v1/templates/:department", getTemplate(cfg))
	}
}

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
// or are not due yet. Without a period: the month whose reports are being collected
// (the previous month). On time or late is decided by the first revision (store history).
func getCompleteness(cfg SupervisionConfig) gin.HandlerFunc {
	return func(c *gin.Context) {
		svc := cfg.Service
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
		arrivals, err := storeArrivals(c.Request.Context(), svc, monthEnds(period, cat.Plan.Location(), false))
		if err != nil {
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "could not read the report history: "+err.Error())
			return
		}
		rows, err := evaluate.Completeness(cfg.Eval, cat, arrivals, period, now)
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

// storeArrivals asks the store, in bulk, for the first arrival of every indicator's
// report for the period ends (corrections after the due day do not make a report late).
func storeArrivals(ctx context.Context, svc SupervisionService, ends []time.Time) (func(id string) []evaluate.Arrival, error) {
	m := map[string][]evaluate.Arrival{}
	if len(ends) > 0 {
		arr, err := svc.FirstArrivals(ctx, ends)
		if err != nil {
			return nil, fmt.Errorf("first arrivals: %w", err)
		}
		for _, a := range arr {
			m[a.Indicator] = append(m[a.Indicator], evaluate.Arrival{Period: a.Period, PeriodEnd: a.PeriodEnd, FirstReceived: a.FirstReceived})
		}
	}
	return func(id string) []evaluate.Arrival { return m[id] }, nil
}

// monthEnds are the period ends whose reports a period's completeness reads: its own
// end (a month, or a quarter and its last month, which end together), or with every
// month of a quarter (the bulletin sums them). None for a period that does not parse
// (the caller reports it).
func monthEnds(period string, loc *time.Location, everyMonth bool) []time.Time {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		return nil
	}
	if p.Kind != indicators.PeriodQuarter || !everyMonth {
		return []time.Time{p.End(loc)}
	}
	ends := make([]time.Time, 0, 3)
	for m := p.Month - 2; m <= p.Month; m++ {
		ends = append(ends, time.Date(p.Year, m+1, 1, 0, 0, 0, 0, loc))
	}
	return ends
}

var errNoService = errors.New("api: supervision service is required")
