// Package indicators is the domain of duban: the plan, its departments, tasks and
// targets (the catalog), and the reports departments send against those targets.
// It imports nothing of the project.
package indicators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"gopkg.in/yaml.v3"
)

// Measure says how a target's value accumulates over the year.
type Measure string

const (
	// Cumulative values are year-to-date sums rising to the target (new jobs, new loans).
	Cumulative Measure = "cumulative"
	// GrowthRate values are year-on-year growth in percent (GDP growth 6%).
	GrowthRate Measure = "growth_rate"
	// Level values are a state measured at the period end (PM2.5 30, coverage 100%).
	Level Measure = "level"
	// Milestone targets have no number: a stage must be reached by the due date.
	Milestone Measure = "milestone"
)

// Comparator says which side of the target value counts as met.
type Comparator string

const (
	// GE means at least the value: 以上, 不低于, 达到X, 提高到X, and a bare figure to reach
	// (新建27个, 开工率40%).
	GE Comparator = "ge"
	// GT means strictly above the value; relative targets only (高于经济增长水平).
	GT Comparator = "gt"
	// LE means at most the value: 以下, 控制在…以下, 不超过, 以内, 下降X% (a fall of at least X).
	// With a Tolerance it is a cap of about the value (控制在2%左右): at most value +
	// tolerance.
	LE Comparator = "le"
	// Approx is 左右 on growth and output, "about X, at least": a shortfall within
	// Tolerance still meets the target, and so does any overshoot (GDP 6%左右 at 7.5%,
	// 原煤产量稳定在1.7亿吨左右 at 1.75亿吨).
	Approx Comparator = "approx"
	// EQ means exactly the value, kept only where exceeding cannot happen or is itself a
	// miss: 全覆盖 (100 %), 动态清零 (0).
	EQ Comparator = "eq"
)

// CountUnit reports whether unit counts whole things (个, 家, 人, 座 …): values in it
// are shown without decimals and expected values are rounded to whole numbers.
func CountUnit(unit string) bool {
	switch unit {
	case "个", "家", "户", "项", "条", "座", "套", "处", "所", "栋", "间", "辆", "台", "场",
		"人", "名", "人次", "根", "张", "件", "只", "头", "株", "棵", "宗", "块", "列", "篇", "支", "床", "次":
		return true
	}
	return false
}

// PercentUnit reports whether unit is a percentage (%, 百分点, ‰): differences of such
// values are percentage points (个百分点), not percent.
func PercentUnit(unit string) bool {
	return unit == "%" || unit == "百分点" || unit == "‰"
}

// Cadence is how often an indicator is reported.
type Cadence string

// The cadences.
const (
	Monthly   Cadence = "monthly"
	Quarterly Cadence = "quarterly"
)

// Stage is the state of a milestone.
type Stage string

// The stages, in the order a milestone goes through them (or blocked).
const (
	StagePlanned   Stage = "planned"
	StageStarted   Stage = "started"
	StageCompleted Stage = "completed"
	StageBlocked   Stage = "blocked"
)

// Rank orders stages for "reached at least" comparisons; blocked ranks like planned.
func (s Stage) Rank() int {
	switch s {
	case StageStarted:
		return 1
	case StageCompleted:
		return 2
	default:
		return 0
	}
}

// Valid reports whether s is one of the known stages.
func (s Stage) Valid() bool {
	switch s {
	case StagePlanned, StageStarted, StageCompleted, StageBlocked:
		return true
	}
	return false
}

// Plan is one published target list.
type Plan struct {
	ID       string `json:"id" yaml:"id"`                             // changzhi-2026
	Title    string `json:"title" yaml:"title"`                       // 2026年市政府工作报告重点目标任务清单
	Issuer   string `json:"issuer" yaml:"issuer"`                     // 长治市人民政府办公室
	Document string `json:"document" yaml:"document"`                 // 长政办函〔2026〕1号
	Year     int    `json:"year" yaml:"year"`                         // 2026
	TimeZone string `json:"timezone" yaml:"timezone"`                 // Asia/Shanghai
	Source   string `json:"source,omitempty" yaml:"source,omitempty"` // path of the notice text
}

// Location returns the plan's time zone (Asia/Shanghai when unset).
func (p Plan) Location() *time.Location {
	name := p.TimeZone
	if name == "" {
		name = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone(name, 8*3600)
	}
	return loc
}

// Department is a lead or cooperating unit.
type Department struct {
	ID   string `json:"id" yaml:"id"`     // stable ASCII id, e.g. "fgw"
	Name string `json:"name" yaml:"name"` // 市发改委
}

// Task is one numbered item of the list.
type Task struct {
	Num         int      `json:"num" yaml:"num"`
	Lead        string   `json:"lead" yaml:"lead"` // department id
	Cooperating []string `json:"cooperating,omitempty" yaml:"cooperating,omitempty"`
	Text        string   `json:"text" yaml:"text"`
	Targets     []Target `json:"targets,omitempty" yaml:"targets,omitempty"`
}

// Relative makes a target follow another indicator's reported value
// (与经济增长同步 → same as GDP growth; 高于经济增长水平 → above it).
type Relative struct {
	Indicator  string     `json:"indicator" yaml:"indicator"`   // e.g. "4.1"
	Comparator Comparator `json:"comparator" yaml:"comparator"` // ge for 同步, gt for 高于
	Offset     float64    `json:"offset,omitempty" yaml:"offset,omitempty"`
	// Text is the notice's words for the relation (与经济增长同步, 高于经济增长水平), which
	// is what people read as the target.
	Text string `json:"text,omitempty" yaml:"text,omitempty"`
}

// Trajectory is the expected path of a cumulative target (or of a milestone's percent)
// through the year. Linear when Monthly is empty; otherwise Monthly[i] is the cumulative
// share (0..1) of the target expected by the end of month i+1 (12 entries, last = 1): a
// seasonal profile such as the grain harvest, which comes in summer and autumn.
type Trajectory struct {
	Kind    string    `json:"kind" yaml:"kind"` // linear | profile
	Monthly []float64 `json:"monthly,omitempty" yaml:"monthly,omitempty"`
}

// Target is one indicator: a figure (or stage) one task must reach.
type Target struct {
	ID         string     `json:"id" yaml:"id"`         // "57.1"
	Metric     string     `json:"metric" yaml:"metric"` // 新增城镇就业
	Measure    Measure    `json:"measure" yaml:"measure"`
	Comparator Comparator `json:"comparator,omitempty" yaml:"comparator,omitempty"`
	Value      float64    `json:"value" yaml:"value"`                   // base units
	Unit       string     `json:"unit,omitempty" yaml:"unit,omitempty"` // base unit: 人, 元, %, 亩
	// DisplayUnit and DisplayScale give the unit people read (亿元 = 1e8 元).
	DisplayUnit  string      `json:"display_unit,omitempty" yaml:"display_unit,omitempty"`
	DisplayScale float64     `json:"display_scale,omitempty" yaml:"display_scale,omitempty"`
	Baseline     *float64    `json:"baseline,omitempty" yaml:"baseline,omitempty"` // 由X提高到Y: X
	Due          Date        `json:"due" yaml:"due"`
	Tolerance    float64     `json:"tolerance,omitempty" yaml:"tolerance,omitempty"` // for approx, in Unit
	Stage        Stage       `json:"stage,omitempty" yaml:"stage,omitempty"`         // milestone: stage due
	Relative     *Relative   `json:"relative,omitempty" yaml:"relative,omitempty"`
	Trajectory   *Trajectory `json:"trajectory,omitempty" yaml:"trajectory,omitempty"`
	Cadence      Cadence     `json:"cadence,omitempty" yaml:"cadence,omitempty"` // monthly when empty
	Source       string      `json:"source,omitempty" yaml:"source,omitempty"`   // the words it came from
	// Kind is "" for a target the notice publishes (a figure or a stage in its words) and
	// KindTask for the follow-up of a task that publishes none: a milestone "the task is
	// done by Due" that the supervision office tracks monthly (stage, percent, note).
	Kind string `json:"kind,omitempty" yaml:"kind,omitempty"`
}

// KindTask marks a target made by the import to follow a task without a published
// figure or stage (see Target.Kind).
const KindTask = "task"

// FollowUp reports whether the target is a task follow-up rather than a published target.
func (t *Target) FollowUp() bool { return t.Kind == KindTask }

// Catalog is a plan with its departments and tasks.
type Catalog struct {
	Plan        Plan         `json:"plan" yaml:"plan"`
	Departments []Department `json:"departments" yaml:"departments"`
	Tasks       []Task       `json:"tasks" yaml:"tasks"`

	index *index
}

// Entry is a target with what it belongs to, as looked up by id.
type Entry struct {
	Target     *Target
	Task       *Task
	Department *Department // the lead department
}

type index struct {
	targets map[string]Entry
	ids     []string
	depts   map[string]*Department
}

// Build indexes the catalog; call it after changing Tasks or Departments.
// It is called by Load and Parse; the lookups below call it lazily.
func (c *Catalog) Build() {
	ix := &index{targets: map[string]Entry{}, depts: map[string]*Department{}}
	for i := range c.Departments {
		ix.depts[c.Departments[i].ID] = &c.Departments[i]
	}
	for i := range c.Tasks {
		t := &c.Tasks[i]
		for j := range t.Targets {
			tg := &t.Targets[j]
			ix.targets[tg.ID] = Entry{Target: tg, Task: t, Department: ix.depts[t.Lead]}
			ix.ids = append(ix.ids, tg.ID)
		}
	}
	c.index = ix
}

func (c *Catalog) ix() *index {
	if c.index == nil {
		c.Build()
	}
	return c.index
}

// Lookup finds a target by id.
func (c *Catalog) Lookup(id string) (Entry, bool) {
	e, ok := c.ix().targets[id]
	return e, ok
}

// Department finds a department by id.
func (c *Catalog) Department(id string) (*Department, bool) {
	d, ok := c.ix().depts[id]
	return d, ok
}

// TargetIDs returns all target ids in catalog order. The slice is shared: do not modify.
func (c *Catalog) TargetIDs() []string { return c.ix().ids }

// Entries returns every target with its task and lead department, in catalog order.
func (c *Catalog) Entries() []Entry {
	ix := c.ix()
	out := make([]Entry, 0, len(ix.ids))
	for _, id := range ix.ids {
		out = append(out, ix.targets[id])
	}
	return out
}

// LeadDepartments returns the ids of departments that lead at least one task, in the
// catalog's department order (the notice's own order), then any lead missing from the
// department list, sorted.
func (c *Catalog) LeadDepartments() []string {
	lead := map[string]bool{}
	for _, t := range c.Tasks {
		lead[t.Lead] = true
	}
	out := make([]string, 0, len(lead))
	for _, d := range c.Departments {
		if lead[d.ID] {
			out = append(out, d.ID)
			delete(lead, d.ID)
		}
	}
	rest := make([]string, 0, len(lead))
	for id := range lead {
		rest = append(rest, id)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Load reads a catalog from a YAML or JSON file (JSON is YAML) and checks it as
// Validate does: a catalog with any problem is refused with an *InvalidError naming
// each problem as FILE:LINE: message, the lines `duban validate FILE` prints. Every
// command loads catalogs through here (or catalogs.Load), so what validate rejects is
// never served.
func Load(path string) (*Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	c, err := decode(b)
	if err != nil {
		var ie *InvalidError
		if errors.As(err, &ie) {
			ie.File = path
			return nil, ie
		}
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// Decode reads a catalog in YAML or JSON, rejecting unknown fields, and checks it as
// Load does (an *InvalidError). JSON (the stable interface, and the fast form for
// province-sized catalogs: several times quicker to load than the same catalog in YAML)
// is read with encoding/json and checked on the decoded values; only a catalog with
// problems is read again as YAML, for the lines.
func Decode(r io.Reader) (*Catalog, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return decode(b)
}

func decode(b []byte) (*Catalog, error) {
	var c *Catalog
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		c = &Catalog{}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		jerr := dec.Decode(c)
		if jerr == nil && len(c.problems(nil)) == 0 {
			c.Build()
			return c, nil
		}
		if _, probs := check(b); len(probs) > 0 {
			return nil, &InvalidError{Problems: probs}
		}
		if jerr != nil {
			return nil, fmt.Errorf("decode json: %w", jerr)
		}
		return nil, &InvalidError{Problems: c.problems(nil)} // not expected: YAML saw none
	}
	c, probs := check(b)
	if len(probs) > 0 {
		return nil, &InvalidError{Problems: probs}
	}
	c.Build()
	return c, nil
}

// WriteYAML writes the catalog as YAML.
func (c *Catalog) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return enc.Close()
}

// WriteJSON writes the catalog as indented JSON (the stable interface for other tools).
// Empty lists are written as [], never null.
func (c *Catalog) WriteJSON(w io.Writer) error {
	out := *c
	if out.Departments == nil {
		out.Departments = []Department{}
	}
	if out.Tasks == nil {
		out.Tasks = []Task{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}
