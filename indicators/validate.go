package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a catalog file, at a line of that file.
type Problem struct {
	Line int    `json:"line"`
	Msg  string `json:"msg"`
}

func (p Problem) String() string { return fmt.Sprintf("%d: %s", p.Line, p.Msg) }

// ValidateFile checks a catalog file; see Validate.
func ValidateFile(path string) ([]Problem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	return Validate(bytes.NewReader(b))
}

var (
	reTargetID = regexp.MustCompile(`^(?P<task>\d+)\.(?P<n>\d+)$`)
	reYAMLLine = regexp.MustCompile(`line (\d+)`)
)

// Validate checks a catalog in YAML (or JSON) and returns its problems with their lines:
// YAML that does not decode into a catalog (unknown fields, wrong types), a plan without
// an id or a year, duplicate department ids, task numbers and target ids, target ids not
// of the form <task>.<n>, leads and cooperating units that are not departments,
// relative targets naming an unknown indicator, numeric targets without a unit, unknown
// measures, comparators, stages, kinds and cadences, approx targets without a
// tolerance, due dates that are not YYYY-MM-DD or fall outside the plan year, and
// trajectories that are not 12 non-decreasing shares ending at 1. The error is only for
// unreadable input. Load and Decode run the same checks and refuse a catalog with any
// problem (*InvalidError), so what `duban validate` rejects is never served.
func Validate(r io.Reader) ([]Problem, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	_, probs := check(b)
	return probs, nil
}

// InvalidError is a catalog that fails Validate: every problem with its line. Nothing
// of it is used.
type InvalidError struct {
	File     string // the file or reference read ("" for a reader)
	Problems []Problem
}

// Lines are the problems as `duban validate` prints them: FILE:LINE: message.
func (e *InvalidError) Lines() []string {
	name := e.File
	if name == "" {
		name = "catalog"
	}
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = fmt.Sprintf("%s:%d: %s", name, p.Line, p.Msg)
	}
	return out
}

func (e *InvalidError) Error() string {
	name := e.File
	if name == "" {
		name = "the catalog"
	}
	return fmt.Sprintf("%s has %d problem(s) (duban validate lists them):\n%s", name, len(e.Problems), strings.Join(e.Lines(), "\n"))
}

// check decodes b strictly and runs every check of Validate, with lines from the YAML
// document (JSON is YAML). The catalog is nil when b does not decode.
func check(b []byte) (*Catalog, []Problem) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, []Problem{{Line: yamlErrLine(err), Msg: err.Error()}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, []Problem{{Line: 1, Msg: "empty catalog"}}
	}
	root := doc.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var probs []Problem
			for _, e := range te.Errors {
				probs = append(probs, Problem{Line: yamlErrLine(errors.New(e)), Msg: e})
			}
			return nil, probs
		}
		return nil, []Problem{{Line: yamlErrLine(err), Msg: err.Error()}}
	}
	if root.Kind != yaml.MappingNode {
		return nil, []Problem{{Line: root.Line, Msg: "a catalog is a mapping with plan, departments and tasks"}}
	}
	return &c, c.problems(root)
}

// problems runs the checks of Validate on a decoded catalog. root, the document's
// mapping, gives each problem its line; without it (a catalog decoded as JSON, which
// keeps no lines) every line is 0, and a caller wanting lines checks the text again.
func (c *Catalog) problems(root *yaml.Node) []Problem {
	var ck checker
	c.planProblems(&ck, root)
	depts := c.departmentProblems(&ck, root)
	c.taskProblems(&ck, root, depts)
	return ck.probs
}

// checker collects the problems of one catalog, each at the line of its YAML node.
type checker struct{ probs []Problem }

func (ck *checker) add(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	ck.probs = append(ck.probs, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// planProblems checks that there is a plan with a year and an id.
func (c *Catalog) planProblems(ck *checker, root *yaml.Node) {
	plan := get(root, "plan")
	if root != nil && plan == nil {
		ck.add(root, "no plan")
	} else if c.Plan.Year == 0 {
		ck.add(plan, "plan has no year")
	}
	if c.Plan.ID == "" && (plan != nil || root == nil) {
		ck.add(plan, "plan has no id")
	}
}

// departmentProblems checks that departments have unique ids and names, and returns
// the ids, each with the line of its first definition plus one (1 when unknown).
func (c *Catalog) departmentProblems(ck *checker, root *yaml.Node) map[string]int {
	depts := map[string]int{}
	for i, d := range c.Departments {
		dn := nth(get(root, "departments"), i)
		switch {
		case d.ID == "":
			ck.add(dn, "department without an id")
		case depts[d.ID] > 0:
			ck.add(field(dn, "id"), "duplicate department id %q (first at line %d)", d.ID, depts[d.ID]-1)
		default:
			depts[d.ID] = lineOf(field(dn, "id")) + 1
		}
		if d.Name == "" {
			ck.add(dn, "department %q has no name", d.ID)
		}
	}
	return depts
}

// taskProblems checks the tasks (numbers, lead and cooperating departments) and their
// targets: ids unique and under their task, their own fields, relative targets
// pointing at a known indicator.
func (c *Catalog) taskProblems(ck *checker, root *yaml.Node, depts map[string]int) {
	taskNums := map[int]int{}     // number → line + 1
	targetIDs := map[string]int{} // id → line + 1
	type relRef struct {
		n  *yaml.Node
		id string
	}
	var rels []relRef
	for i := range c.Tasks {
		t := &c.Tasks[i]
		tn := nth(get(root, "tasks"), i)
		ck.task(t, tn, taskNums, depts)
		for j := range t.Targets {
			g := &t.Targets[j]
			gn := nth(get(tn, "targets"), j)
			ck.targetID(g.ID, t.Num, field(gn, "id"), targetIDs)
			c.targetProblems(g, gn, ck.add)
			if g.Relative != nil {
				rels = append(rels, relRef{n: field(get(gn, "relative"), "indicator"), id: g.Relative.Indicator})
			}
		}
	}
	for _, r := range rels {
		if targetIDs[r.id] == 0 {
			ck.add(r.n, "relative target points at unknown indicator %q", r.id)
		}
	}
}

// task checks a task's number (unique) and its lead and cooperating departments.
func (ck *checker) task(t *Task, tn *yaml.Node, taskNums map[int]int, depts map[string]int) {
	if t.Num <= 0 {
		ck.add(tn, "task without a number")
	} else if taskNums[t.Num] > 0 {
		ck.add(field(tn, "num"), "duplicate task number %d (first at line %d)", t.Num, taskNums[t.Num]-1)
	} else {
		taskNums[t.Num] = lineOf(field(tn, "num")) + 1
	}
	if t.Lead == "" {
		ck.add(tn, "task %d has no lead department", t.Num)
	} else if depts[t.Lead] == 0 {
		ck.add(field(tn, "lead"), "task %d: lead %q is not a department", t.Num, t.Lead)
	}
	for j, id := range t.Cooperating {
		if depts[id] == 0 {
			ck.add(nth(get(tn, "cooperating"), j), "task %d: cooperating unit %q is not a department", t.Num, id)
		}
	}
}

// targetID checks that a target id is <task>.<n> under its own task, and unique.
func (ck *checker) targetID(id string, task int, idn *yaml.Node, targetIDs map[string]int) {
	if m := reTargetID.FindStringSubmatch(id); m == nil {
		ck.add(idn, "target id %q: want <task>.<n>", id)
	} else if m[reTargetID.SubexpIndex("task")] != strconv.Itoa(task) {
		ck.add(idn, "target id %q is under task %d", id, task)
	}
	if id != "" {
		if targetIDs[id] > 0 {
			ck.add(idn, "duplicate target id %q (first at line %d)", id, targetIDs[id]-1)
		} else {
			targetIDs[id] = lineOf(idn) + 1
		}
	}
}

// targetProblems checks one target's own fields; gn is its YAML node (nil without).
func (c *Catalog) targetProblems(g *Target, gn *yaml.Node, add func(n *yaml.Node, format string, args ...any)) {
	if g.Metric == "" {
		add(gn, "target %s has no metric name", g.ID)
	}
	switch g.Measure {
	case Cumulative, GrowthRate, Level:
		if g.Unit == "" {
			add(gn, "target %s has no unit", g.ID)
		}
	case Milestone:
		if g.Stage != "" && !g.Stage.Valid() {
			add(field(gn, "stage"), "target %s: unknown stage %q", g.ID, g.Stage)
		}
	default:
		add(field(gn, "measure"), "target %s: unknown measure %q", g.ID, g.Measure)
	}
	switch g.Comparator {
	case "", GE, LE, EQ:
		if g.Tolerance < 0 || g.Tolerance > 0 && g.Comparator != LE {
			add(field(gn, "tolerance"), "target %s: a tolerance belongs to approx (左右) or le (控制在…左右) targets", g.ID)
		}
	case Approx:
		if g.Tolerance <= 0 {
			add(field(gn, "comparator"), "target %s: approx without a tolerance", g.ID)
		}
	default:
		add(field(gn, "comparator"), "target %s: unknown comparator %q", g.ID, g.Comparator)
	}
	switch g.Cadence {
	case "", Monthly, Quarterly:
	default:
		add(field(gn, "cadence"), "target %s: unknown cadence %q", g.ID, g.Cadence)
	}
	switch g.Kind {
	case "":
	case KindTask:
		if g.Measure != Milestone {
			add(field(gn, "kind"), "target %s: a task follow-up must be a milestone, not %q", g.ID, g.Measure)
		}
	default:
		add(field(gn, "kind"), "target %s: unknown kind %q (want %q or none)", g.ID, g.Kind, KindTask)
	}
	if dn := field(gn, "due"); g.Due == "" {
		add(gn, "target %s has no due date", g.ID)
	} else if y, _, _, err := g.Due.Parse(); err != nil {
		add(dn, "target %s: %v", g.ID, err)
	} else if c.Plan.Year != 0 && y != c.Plan.Year {
		add(dn, "target %s: due %s is outside the plan year %d", g.ID, g.Due, c.Plan.Year)
	}
	if g.Relative != nil {
		switch g.Relative.Comparator {
		case GE, GT, Approx, "":
		default:
			add(field(get(gn, "relative"), "comparator"), "target %s: relative comparator %q is not ge, gt or approx", g.ID, g.Relative.Comparator)
		}
	}
	if tr := g.Trajectory; tr != nil {
		trn := get(gn, "trajectory")
		switch tr.Kind {
		case "linear", "":
		case "profile":
			if len(tr.Monthly) != 12 {
				add(trn, "target %s: a profile has 12 monthly shares, not %d", g.ID, len(tr.Monthly))
				break
			}
			for k := range tr.Monthly {
				if tr.Monthly[k] < 0 || tr.Monthly[k] > 1 || k > 0 && tr.Monthly[k] < tr.Monthly[k-1] {
					add(trn, "target %s: monthly shares must rise from 0 to 1 (month %d is %v)", g.ID, k+1, tr.Monthly[k])
					break
				}
			}
			if tr.Monthly[11] != 1 {
				add(trn, "target %s: the December share must be 1, not %v", g.ID, tr.Monthly[11])
			}
		default:
			add(trn, "target %s: unknown trajectory kind %q", g.ID, tr.Kind)
		}
	}
}

func yamlErrLine(err error) int {
	if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

// get returns the value of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// field is get falling back to the mapping itself, so a problem has a line whenever the
// mapping has one.
func field(n *yaml.Node, key string) *yaml.Node {
	if v := get(n, key); v != nil {
		return v
	}
	return n
}

// nth returns the i-th item of a sequence node, or nil.
func nth(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

// lineOf is the line of a node, 0 without one.
func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}
