package indicators

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// PlanSet is the plans one server serves: the 2026 list beside the 2027 one, the
// 政府工作报告 list beside 民生实事. Plans are the unit of data: indicator ids are unique
// within a plan (a catalog checks that) and may repeat across plans; a department with
// the same id in several plans is one department (one token, one row of completeness).
// The first plan listed is the default one, which the un-prefixed API routes serve.
// A PlanSet is read-only once built: safe for concurrent use.
type PlanSet struct {
	plans []*Catalog
	byID  map[string]*Catalog
	depts []Department
	dept  map[string]int // id → index in depts
}

// PlanSource is one catalog of a set with where it came from: Ref names it in
// problems (a file, or embedded:NAME) and Data, its text, gives their lines.
type PlanSource struct {
	Ref     string
	Data    []byte
	Catalog *Catalog
}

var rePlanID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// NewPlanSet checks what no single catalog can (plan ids unique, usable in a URL and a
// label; a department id naming the same department in every plan) and builds the set.
// Problems are *InvalidError values, one per catalog concerned, naming FILE:LINE like
// Load's, joined with errors.Join; nothing is built then.
func NewPlanSet(sources []PlanSource) (*PlanSet, error) {
	if len(sources) == 0 {
		return nil, errors.New("plans: give at least one catalog")
	}
	s := &PlanSet{byID: map[string]*Catalog{}, dept: map[string]int{}}
	probs := make([][]Problem, len(sources))
	roots := make([]*yaml.Node, len(sources))
	root := func(i int) *yaml.Node {
		if roots[i] == nil {
			var doc yaml.Node
			if err := yaml.Unmarshal(sources[i].Data, &doc); err == nil && len(doc.Content) > 0 {
				roots[i] = doc.Content[0]
			}
		}
		return roots[i]
	}
	firstPlan := map[string]int{} // plan id → source index
	deptFrom := map[string]int{}  // department id → source index of its first definition
	deptLine := map[string]int{}  // … and its line there
	for i, src := range sources {
		c := src.Catalog
		idLine := func() int { return lineOf(field(get(root(i), "plan"), "id")) }
		if !rePlanID.MatchString(c.Plan.ID) {
			probs[i] = append(probs[i], Problem{Line: idLine(), Msg: fmt.Sprintf(
				"plan id %q: use letters, digits, '.', '_' and '-' (it names the plan in URLs, labels and files), e.g. changzhi-2026", c.Plan.ID)})
		}
		if j, dup := firstPlan[c.Plan.ID]; dup {
			probs[i] = append(probs[i], Problem{Line: idLine(), Msg: fmt.Sprintf(
				"plan id %q is already served by %s: every plan needs its own id (计划编号重复)", c.Plan.ID, sources[j].Ref)})
			continue
		}
		firstPlan[c.Plan.ID] = i
		s.plans = append(s.plans, c)
		s.byID[c.Plan.ID] = c
		for k, d := range c.Departments {
			j, seen := s.dept[d.ID]
			if !seen {
				s.dept[d.ID] = len(s.depts)
				s.depts = append(s.depts, d)
				deptFrom[d.ID] = i
				deptLine[d.ID] = lineOf(field(nth(get(root(i), "departments"), k), "id"))
				continue
			}
			if s.depts[j].Name != d.Name {
				probs[i] = append(probs[i], Problem{Line: lineOf(field(nth(get(root(i), "departments"), k), "name")), Msg: fmt.Sprintf(
					"department %q is %q here but %q in %s (line %d): one id is one department in every plan, with one token; "+
						"give this unit another id or the same name (同一部门编号须为同一部门)",
					d.ID, d.Name, s.depts[j].Name, sources[deptFrom[d.ID]].Ref, deptLine[d.ID])})
			}
		}
	}
	var errs []error
	for i, p := range probs {
		if len(p) > 0 {
			errs = append(errs, &InvalidError{File: sources[i].Ref, Problems: p})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// SinglePlan is the set of one catalog, already checked (tests, tools reading one file).
func SinglePlan(c *Catalog) *PlanSet {
	s, err := NewPlanSet([]PlanSource{{Ref: c.Plan.ID, Catalog: c}})
	if err != nil {
		panic(err) // only a plan id unusable in a URL; catalogs loaded by Load have one
	}
	return s
}

// Plans returns the plans in the configured order; the slice is shared: do not modify.
func (s *PlanSet) Plans() []*Catalog { return s.plans }

// Default is the first plan listed: the one the un-prefixed routes serve.
func (s *PlanSet) Default() *Catalog { return s.plans[0] }

// Plan finds a plan by id.
func (s *PlanSet) Plan(id string) (*Catalog, bool) {
	c, ok := s.byID[id]
	return c, ok
}

// Department finds a department of any plan by id.
func (s *PlanSet) Department(id string) (*Department, bool) {
	i, ok := s.dept[id]
	if !ok {
		return nil, false
	}
	return &s.depts[i], true
}

// Departments returns every department once, in the order plans list them (the
// first plan's, then those only later plans have). Shared: do not modify.
func (s *PlanSet) Departments() []Department { return s.depts }

// LeadDepartments returns the ids of the departments leading a task in any plan, each
// once: the first plan's (in Catalog.LeadDepartments order), then those only later
// plans have, in theirs. One id is one department across plans: one route, one
// contact point.
func (s *PlanSet) LeadDepartments() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.plans {
		for _, id := range c.LeadDepartments() {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Current is the plan people mean by default at now (see CurrentOf).
func (s *PlanSet) Current(now time.Time) *Catalog {
	plans := make([]Plan, len(s.plans))
	for i, c := range s.plans {
		plans[i] = c.Plan
	}
	return s.plans[CurrentOf(now, plans)]
}

// CurrentOf is the index of the plan people mean by default at now among plans
// (listed in the configuration's order): the first whose year is now's year (in the
// plan's zone); else the latest whose year has passed (its final figures still come in:
// in January 2027, before the 2027 list arrives, the 2026 list); else the first. The
// board, the workspace and the dashboards' plan variable all open on it. plans must not
// be empty.
func CurrentOf(now time.Time, plans []Plan) int {
	past := -1
	for i, p := range plans {
		y := now.In(p.Location()).Year()
		if p.Year == y {
			return i
		}
		if p.Year < y && (past < 0 || p.Year > plans[past].Year) {
			past = i
		}
	}
	return max(past, 0)
}

// Resolve returns the plans a report naming no plan may belong to: every plan when
// only one is served; otherwise those with the indicator id, narrowed to those whose
// year is the period's when that leaves any. A report names its plan unless exactly
// one is returned.
func (s *PlanSet) Resolve(indicator, period string) []*Catalog {
	if len(s.plans) == 1 {
		return s.plans
	}
	var byID []*Catalog
	for _, c := range s.plans {
		if _, ok := c.Lookup(indicator); ok {
			byID = append(byID, c)
		}
	}
	p, err := ParsePeriod(period)
	if len(byID) <= 1 || err != nil {
		return byID
	}
	var out []*Catalog
	for _, c := range byID {
		if p.Year == c.Plan.Year {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return byID
	}
	return out
}
