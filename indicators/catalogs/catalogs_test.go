package catalogs_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

var update = flag.Bool("update", false, "rewrite the shipped catalogs from their notice and overlay")

func readRoot(path string) ([]byte, error) { return os.ReadFile(filepath.Join("..", "..", path)) }

// TestShippedCatalogs is the drift check and the golden test of each whole catalog:
// the committed file must equal import(notice) + overlay, byte for byte.
func TestShippedCatalogs(t *testing.T) {
	for _, s := range catalogs.Shipped {
		t.Run(s.Output, func(t *testing.T) {
			var got bytes.Buffer
			if err := catalogs.Generate(&got, s, readRoot); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join("..", "..", s.Output)
			if *update {
				if err := os.WriteFile(out, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("%s drifted from import + overlay; run `go generate ./indicators/catalogs` and review the diff", s.Output)
			}
		})
	}
}

// TestShippedCounts pins the figures the README quotes; run with -v to print them.
func TestShippedCounts(t *testing.T) {
	c, err := catalogs.Changzhi2026()
	if err != nil {
		t.Fatal(err)
	}
	var targets, milestones, quantitative, withMilestone, relative, followUps, bare int
	for _, task := range c.Tasks {
		var q, m bool
		if len(task.Targets) == 0 {
			bare++ // a task nobody can report on
		}
		for _, g := range task.Targets {
			targets++
			if g.FollowUp() {
				followUps++
				if len(task.Targets) != 1 || g.Measure != indicators.Milestone || g.Stage != indicators.StageCompleted {
					t.Errorf("follow-up %s: %+v on a task with %d targets, want the task's only target, a milestone to complete", g.ID, g, len(task.Targets))
				}
				continue
			}
			if g.Measure == indicators.Milestone {
				milestones++
				m = true
			} else {
				q = true
			}
			if g.Relative != nil {
				relative++
			}
		}
		if q {
			quantitative++
		}
		if m {
			withMilestone++
		}
	}
	got := map[string]int{
		"tasks": len(c.Tasks), "lead departments": len(c.LeadDepartments()), "departments": len(c.Departments),
		"quantitative tasks": quantitative, "targets": targets, "numeric targets": targets - followUps - milestones,
		"milestones": milestones, "tasks with a milestone": withMilestone, "relative targets": relative,
		"task follow-ups": followUps, "published targets": targets - followUps, "tasks without a target": bare,
	}
	want := map[string]int{
		"tasks": 177, "lead departments": 42, "departments": 46,
		"quantitative tasks": 69, "targets": 211, "numeric targets": 100,
		"milestones": 28, "tasks with a milestone": 26, "relative targets": 2,
		"task follow-ups": 83, "published targets": 128, "tasks without a target": 0,
	}
	for k, w := range want {
		t.Logf("%s: %d", k, got[k])
		if got[k] != w {
			t.Errorf("%s = %d, want %d (update the README's Catalog section too)", k, got[k], w)
		}
	}
	for id, want := range map[string]float64{"4.1": 6, "57.1": 43000, "69.1": 30, "1.1": 4e10, "64.1": 11200, "105.2": 2.55e9} {
		if e, ok := c.Lookup(id); !ok || e.Target.Value != want {
			t.Errorf("%s = %+v, want value %v", id, e.Target, want)
		}
	}
	if e, _ := c.Lookup("57.1"); e.Department == nil || e.Department.ID != "rsj" {
		t.Errorf("57.1 is led by %+v, want rsj", e.Department)
	}
}

// TestEveryShippedCatalogIsEmbedded: the binary carries each shipped catalog byte for
// byte as committed, so a binary copied anywhere serves it.
func TestEveryShippedCatalogIsEmbedded(t *testing.T) {
	for _, s := range catalogs.Shipped {
		t.Run(s.Name(), func(t *testing.T) {
			got, err := catalogs.Embedded(s.Name())
			if err != nil {
				t.Fatalf("%v (add %s to the go:embed line of catalogs.go)", err, s.Output)
			}
			want, err := readRoot(s.Output)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("embedded %s differs from %s", s.Name(), s.Output)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("plan:\n  id: x\n  nonsense: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		ref     string
		targets int
		errHas  []string
	}{
		"the default is the shipped catalog inside the binary": {ref: catalogs.Default, targets: 211},
		"a file path reads the file":                           {ref: filepath.Join("..", "testdata", "mini.yaml"), targets: -1},
		"an unknown embedded name lists the shipped ones":      {ref: "embedded:changzhi-2027", errHas: []string{"embedded:changzhi-2027", "embedded:changzhi-2026"}},
		"a missing file is named":                              {ref: filepath.Join(dir, "nope.yaml"), errHas: []string{"nope.yaml", "no such file"}},
		"a bad file names the file and the line":               {ref: bad, errHas: []string{bad, "line 3"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cat, err := catalogs.Load(c.ref)
			if len(c.errHas) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range c.errHas {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(cat.TargetIDs()); c.targets >= 0 && n != c.targets || n == 0 {
				t.Fatalf("%d targets, want %d", n, c.targets)
			}
		})
	}
}
