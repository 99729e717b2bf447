package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Overlay holds hand corrections to an imported catalog, kept apart from the generated
// file so that a re-import never loses them. Every entry names what it corrects by id;
// an entry whose id is not in the catalog is an error, so a stale overlay is noticed.
//
//	plan: {title: …}                   # fields replace the plan's
//	departments: [{id: fgw, name: 市发展和改革委员会}]   # rename, or add a unit
//	tasks: {"131": {cooperating: [awb]}}                # fields replace the task's
//	remove: ["7.2"]                                      # drop targets
//	targets: {"13.4": {metric: …, trajectory: …}}        # fields replace the target's
//	add: [{task: 62, target: {id: "62.3", …}}]           # new targets
//
// Applied in that order: plan, departments, tasks, remove, targets, add.
type Overlay struct {
	Plan        yaml.Node            `yaml:"plan,omitempty"`
	Departments []Department         `yaml:"departments,omitempty"`
	Tasks       map[string]yaml.Node `yaml:"tasks,omitempty"`
	Remove      []string             `yaml:"remove,omitempty"`
	Targets     map[string]yaml.Node `yaml:"targets,omitempty"`
	Add         []OverlayTarget      `yaml:"add,omitempty"`
}

// OverlayTarget is a target the import does not find, added to a task.
type OverlayTarget struct {
	Task   int    `yaml:"task"`
	Target Target `yaml:"target"`
}

// LoadOverlay reads an overlay file.
func LoadOverlay(path string) (*Overlay, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read overlay: %w", err)
	}
	o, err := DecodeOverlay(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", path, err)
	}
	return o, nil
}

// DecodeOverlay reads an overlay in YAML, rejecting unknown fields.
func DecodeOverlay(r io.Reader) (*Overlay, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var o Overlay
	if err := dec.Decode(&o); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &o, nil
}

// merge decodes a partial node onto v: fields present in the node replace v's.
func merge(n *yaml.Node, v any) error {
	if n == nil || n.Kind == 0 {
		return nil
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func sortedKeys(m map[string]yaml.Node) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ApplyOverlay applies the corrections to c and rebuilds its index: the plan, the
// departments, the tasks, then the targets removed, corrected and added, in that order.
func (c *Catalog) ApplyOverlay(o *Overlay) error {
	if o == nil {
		return nil
	}
	defer c.Build()
	if err := merge(&o.Plan, &c.Plan); err != nil {
		return fmt.Errorf("overlay plan: %w", err)
	}
	if err := c.overlayDepartments(o.Departments); err != nil {
		return err
	}
	tasks := map[int]*Task{}
	for i := range c.Tasks {
		tasks[c.Tasks[i].Num] = &c.Tasks[i]
	}
	if err := overlayTasks(o.Tasks, tasks); err != nil {
		return err
	}
	for _, id := range o.Remove {
		t, j := c.findTarget(id)
		if t == nil {
			return fmt.Errorf("overlay remove %q: no such target", id)
		}
		t.Targets = append(t.Targets[:j], t.Targets[j+1:]...)
	}
	if err := c.overlayTargets(o.Targets); err != nil {
		return err
	}
	return c.addTargets(o.Add, tasks)
}

// overlayDepartments renames the departments it names and adds the others.
func (c *Catalog) overlayDepartments(ds []Department) error {
	for _, d := range ds {
		if d.ID == "" || d.Name == "" {
			return fmt.Errorf("overlay department %q: id and name are required", d.ID)
		}
		found := false
		for i := range c.Departments {
			if c.Departments[i].ID == d.ID {
				c.Departments[i].Name = d.Name
				found = true
			}
		}
		if !found {
			c.Departments = append(c.Departments, d)
		}
	}
	return nil
}

// overlayTasks corrects the fields of tasks (by number) other than their targets,
// which are corrected under targets, remove and add.
func overlayTasks(corrections map[string]yaml.Node, tasks map[int]*Task) error {
	for _, k := range sortedKeys(corrections) {
		num, err := strconv.Atoi(k)
		t, ok := tasks[num]
		if err != nil || !ok {
			return fmt.Errorf("overlay task %q: no such task", k)
		}
		n := corrections[k]
		targets := t.Targets
		if err := merge(&n, t); err != nil {
			return fmt.Errorf("overlay task %s: %w", k, err)
		}
		if t.Num != num {
			return fmt.Errorf("overlay task %s: the number cannot change", k)
		}
		t.Targets = targets
	}
	return nil
}

// overlayTargets corrects the fields of targets, by id (which cannot change).
func (c *Catalog) overlayTargets(corrections map[string]yaml.Node) error {
	for _, id := range sortedKeys(corrections) {
		t, j := c.findTarget(id)
		if t == nil {
			return fmt.Errorf("overlay target %q: no such target", id)
		}
		n := corrections[id]
		if err := merge(&n, &t.Targets[j]); err != nil {
			return fmt.Errorf("overlay target %s: %w", id, err)
		}
		if t.Targets[j].ID != id {
			return fmt.Errorf("overlay target %s: the id cannot change", id)
		}
	}
	return nil
}

// addTargets adds targets under their tasks, each with an id not yet taken.
func (c *Catalog) addTargets(add []OverlayTarget, tasks map[int]*Task) error {
	for _, a := range add {
		t, ok := tasks[a.Task]
		if !ok {
			return fmt.Errorf("overlay add %q: no task %d", a.Target.ID, a.Task)
		}
		if a.Target.ID == "" {
			return fmt.Errorf("overlay add to task %d: the target needs an id", a.Task)
		}
		if t2, _ := c.findTarget(a.Target.ID); t2 != nil {
			return fmt.Errorf("overlay add %q: the id is taken", a.Target.ID)
		}
		t.Targets = append(t.Targets, a.Target)
	}
	return nil
}

// findTarget returns the task holding the target id and its index there (nil, -1: none).
func (c *Catalog) findTarget(id string) (*Task, int) {
	for i := range c.Tasks {
		for j := range c.Tasks[i].Targets {
			if c.Tasks[i].Targets[j].ID == id {
				return &c.Tasks[i], j
			}
		}
	}
	return nil, -1
}
