package workspace

import (
	"fmt"
	"github.com/duban-gov/duban/collector"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/duban-gov/duban/indicators"
)

// Several plans (issue 15): every page concerns one plan, named by ?plan= (links) or
// the form's hidden "plan" (posts). Without one, a page shows the plan of the current
// year by the server's clock (the first listed of that year), else the default plan;
// among the plans the session may see: the office sees every plan, a department only
// those in which it leads indicators, so that it never lands on an empty form. Each
// request runs on a copy of the workspace bound to its plan's service (in).

// in is the workspace bound to the plan of service s: the same sessions, templates and
// settings, the plan's catalog, store reads and submissions.
func (w *Workspace) in(s Service) *Workspace {
	c := *w
	c.svc = s
	return &c
}

// visible are the plans u may see, in the configured order.
func (w *Workspace) visible(u *user) []Service {
	if u.admin() {
		return w.plans
	}
	var out []Service
	for _, s := range w.plans {
		if slices.Contains(s.Catalog().LeadDepartments(), u.id.Principal.Department) {
			out = append(out, s)
		}
	}
	return out
}

// planned is the workspace of the plan a request names (asked), or of the default one
// for u. A plan not served answers 404, a plan in which the department leads nothing
// 403; both say which plans there are. ok false: the page is answered.
func (w *Workspace) planned(rw http.ResponseWriter, r *http.Request, u *user, asked string) (*Workspace, bool) {
	vis := w.visible(u)
	if asked != "" {
		for _, s := range w.plans {
			if s.Catalog().Plan.ID != asked {
				continue
			}
			if !slices.Contains(vis, s) {
				w.forbidden(rw, r, u, fmt.Sprintf("本单位在计划“%s”中没有牵头的指标。可选的计划:%s。没有保存任何数据。", s.Catalog().Plan.Title, planTitles(vis)))
				return nil, false
			}
			return w.in(s), true
		}
		w.problem(rw, r, u, http.StatusNotFound, fmt.Sprintf("计划“%s”不存在。可选的计划:%s。", asked, planTitles(vis)))
		return nil, false
	}
	return w.in(w.defaultPlan(vis)), true
}

// defaultPlan is the plan of vis (the plans the session may see, in the
// configuration's order) people mean now by the server's clock (indicators.CurrentOf:
// the current year's, else the latest past year's, else the first of vis, which is the
// default plan when the session sees it); the default plan when vis is empty.
func (w *Workspace) defaultPlan(vis []Service) Service {
	if len(vis) == 0 {
		return w.cfg.Service
	}
	plans := make([]indicators.Plan, len(vis))
	for i, s := range vis {
		plans[i] = s.Catalog().Plan
	}
	return vis[indicators.CurrentOf(w.cfg.Service.Now(), plans)]
}

func planTitles(ss []Service) string {
	t := make([]string, len(ss))
	for i, s := range ss {
		t[i] = fmt.Sprintf("%s(%s)", s.Catalog().Plan.Title, s.Catalog().Plan.ID)
	}
	if len(t) == 0 {
		return "无"
	}
	return strings.Join(t, "、")
}

// planLayout fills the plan part of a page's layout: the plan shown, and the selector
// when u sees several. Plan (the id links and forms carry) is set whenever the server
// serves several plans, so that a page's links and posts stay in its plan.
func (w *Workspace) planLayout(l *layout, u *user) {
	p := w.svc.Catalog().Plan
	l.PlanTitle, l.PlanYear = p.Title, p.Year
	if c, ok := w.svc.Closure(); ok && c.Closed {
		l.Closed = closedText(p, c)
	}
	if len(w.plans) < 2 {
		return
	}
	l.Plan = p.ID
	if u == nil || u.sess == nil {
		return
	}
	if vis := w.visible(u); len(vis) > 1 {
		for _, s := range vis {
			sp := s.Catalog().Plan
			l.Plans = append(l.Plans, option{Value: sp.ID, Label: fmt.Sprintf("%s(%d年)", sp.Title, sp.Year), Selected: sp.ID == p.ID})
		}
	}
}

// catalog is the catalog of the plan served by id (an uploaded template naming its
// plan is read with it).
func (w *Workspace) catalog(id string) (*indicators.Catalog, bool) {
	for _, s := range w.plans {
		if c := s.Catalog(); c.Plan.ID == id {
			return c, true
		}
	}
	return nil, false
}

// inPlan is the workspace bound to the plan served by id (one catalog found).
func (w *Workspace) inPlan(id string) *Workspace {
	for _, s := range w.plans {
		if s.Catalog().Plan.ID == id {
			return w.in(s)
		}
	}
	return w
}

// switched is the period a page asks for, or "" (the month being collected) when it
// is a month of another year than the plan's: the selector switched to a plan of
// another year and sent the period shown before with it.
func (w *Workspace) switched(period string) string {
	if p, err := indicators.ParsePeriod(period); len(w.plans) > 1 && err == nil && p.Year != w.svc.Catalog().Plan.Year {
		return ""
	}
	return period
}

// planQuery adds the plan to a page's query when several plans are served.
func (w *Workspace) planQuery(q url.Values) url.Values {
	if len(w.plans) > 1 {
		q.Set("plan", w.svc.Catalog().Plan.ID)
	}
	return q
}

// closedText is the banner of a closed plan's pages.
func closedText(p indicators.Plan, c collector.Closure) string {
	return fmt.Sprintf("计划“%s”%s，只供查阅，不再接受各单位报送。", p.Title, c.Since(p.Location()))
}
