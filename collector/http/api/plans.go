package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// planSet is the plans the API serves: their services by id, in order (the first is
// the default plan, which the un-prefixed routes serve), and the set of catalogs that
// says which plan a report naming none belongs to.
type planSet struct {
	order []Service
	byID  map[string]Service
	set   *indicators.PlanSet
}

func newPlanSet(def Service, more []Service) (*planSet, error) {
	ps := &planSet{order: []Service{def}, byID: map[string]Service{def.Catalog().Plan.ID: def}}
	for _, s := range more {
		id := s.Catalog().Plan.ID
		if _, dup := ps.byID[id]; dup {
			continue // the default plan listed again
		}
		ps.order = append(ps.order, s)
		ps.byID[id] = s
	}
	srcs := make([]indicators.PlanSource, 0, len(ps.order))
	for _, s := range ps.order {
		srcs = append(srcs, indicators.PlanSource{Ref: s.Catalog().Plan.ID, Catalog: s.Catalog()})
	}
	set, err := indicators.NewPlanSet(srcs)
	if err != nil {
		return nil, fmt.Errorf("api: plans: %w", err)
	}
	ps.set = set
	return ps, nil
}

// route says which plan's service takes a batch: the plan the reports name, or the
// one their indicator ids and periods pick (indicators.PlanSet.Resolve). The reports
// of one request go to one plan (a batch is stored all or nothing, within one plan).
func (ps *planSet) route(reports []indicators.Report) (Service, error) {
	if len(ps.order) == 1 {
		return ps.order[0], nil // its service checks a plan named
	}
	var to Service
	var first int
	for i, r := range reports {
		var s Service
		switch {
		case r.Plan != "":
			var ok bool
			if s, ok = ps.byID[r.Plan]; !ok {
				return nil, collector.Invalid(collector.CodeUnknownPlan, i, "plan", "plan %q is not served here; GET /api/v1/plans lists the plans (计划编号不存在): %s", r.Plan, ps.ids())
			}
		default:
			cands := ps.set.Resolve(r.Indicator, r.Period)
			switch len(cands) {
			case 0:
				s = ps.order[0] // no plan has it: the default plan's service says so
			case 1:
				s = ps.byID[cands[0].Plan.ID]
			default:
				ids := make([]string, len(cands))
				for j, c := range cands {
					ids[j] = c.Plan.ID
				}
				return nil, collector.Invalid(collector.CodePlanRequired, i, "plan",
					"indicator %s period %s is in several plans (%s): name the plan in \"plan\" (该指标编号属于多个计划，请填写plan)", r.Indicator, r.Period, strings.Join(ids, ", "))
			}
		}
		if to == nil {
			to, first = s, i
		} else if s != to {
			return nil, collector.Invalid(collector.CodeMixedPlans, i, "plan",
				"report %d is for plan %s but report %d for plan %s: send the reports of each plan in a request of their own (一次请求只能报送一个计划)",
				first, to.Catalog().Plan.ID, i, s.Catalog().Plan.ID)
		}
	}
	return to, nil
}

func (ps *planSet) ids() string {
	ids := make([]string, len(ps.order))
	for i, s := range ps.order {
		ids[i] = s.Catalog().Plan.ID
	}
	return strings.Join(ids, ", ")
}

type planView struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Issuer     string `json:"issuer"`
	Document   string `json:"document"`
	Year       int    `json:"year"`
	Default    bool   `json:"default"`    // the plan the un-prefixed routes serve
	Indicators int    `json:"indicators"` // how many it has
	Path       string `json:"path"`       // its routes: /api/v1/plans/{id}
	// Closed: the office closed the plan (no department reports it any more); ClosedAt,
	// ClosedBy and ClosedReason say when, who and why (plans_close.go).
	Closed       bool       `json:"closed"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	ClosedBy     string     `json:"closed_by,omitempty"`
	ClosedReason string     `json:"closed_reason,omitempty"`
}

// listPlans: GET /api/v1/plans. The plans served, the default first.
func listPlans(ps *planSet) gin.HandlerFunc {
	return func(c *gin.Context) {
		out := make([]planView, 0, len(ps.order))
		for i, s := range ps.order {
			p := s.Catalog().Plan
			v := planView{ID: p.ID, Title: p.Title, Issuer: p.Issuer, Document: p.Document, Year: p.Year,
				Default: i == 0, Indicators: len(s.Catalog().TargetIDs()), Path: "/api/v1/plans/" + p.ID}
			if cl, ok := s.Closure(); ok && cl.Closed {
				at := cl.At
				v.Closed, v.ClosedAt, v.ClosedBy, v.ClosedReason = true, &at, cl.By, cl.Reason
			}
			out = append(out, v)
		}
		c.JSON(http.StatusOK, gin.H{"plans": out})
	}
}

// planRoutes mounts the reads of every plan under /api/v1/plans/{plan}: the same
// handlers as the un-prefixed routes, over the named plan's service; a plan not served
// answers 404 unknown_plan.
func planRoutes(v1 gin.IRouter, ps *planSet, cfg Config, policy func() *policy) {
	g := v1.Group("/plans/:plan")
	g.Match(getHead, "/indicators", ps.each(listIndicators))
	g.Match(getHead, "/indicators/:id", ps.each(getIndicator))
	g.Match(getHead, "/indicators/:id/reports", ps.each(getReports))
	g.Match(getHead, "/departments", ps.each(listDepartments))
	g.Match(getHead, "/completeness", ps.each(getCompleteness))
	g.Match(getHead, "/bulletins/:period", ps.each(func(s Service) gin.HandlerFunc { return getBulletin(s, cfg.Logger) }))
	g.Match(getHead, "/templates/:department", ps.each(getTemplate))
	g.POST("/close", ps.each(postClosure(true, policy)))   // the office closes a plan (plans_close.go)
	g.POST("/reopen", ps.each(postClosure(false, policy))) // or reopens it
}

// each builds the handler of every plan and answers with the one the path names.
func (ps *planSet) each(mk func(Service) gin.HandlerFunc) gin.HandlerFunc {
	hs := make(map[string]gin.HandlerFunc, len(ps.byID))
	for id, s := range ps.byID {
		hs[id] = mk(s)
	}
	return func(c *gin.Context) {
		h, ok := hs[c.Param("plan")]
		if !ok {
			abortError(c, http.StatusNotFound, codeUnknownPlan, fmt.Sprintf("plan %q is not served here; GET /api/v1/plans lists the plans: %s (计划不存在)", c.Param("plan"), ps.ids()))
			return
		}
		h(c)
	}
}

const codeUnknownPlan = collector.CodeUnknownPlan

// resolver gives the plans a row of an upload naming no plan may belong to, when
// several plans are served (nil for one).
func (ps *planSet) resolver() func(indicator, period string) []*indicators.Catalog {
	if len(ps.order) == 1 {
		return nil
	}
	return ps.set.Resolve
}

// catalog is the catalog of the plan served by id (a workbook naming its plan is read
// with it).
func (ps *planSet) catalog(id string) (*indicators.Catalog, bool) {
	s, ok := ps.byID[id]
	if !ok {
		return nil, false
	}
	return s.Catalog(), true
}
