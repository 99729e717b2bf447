package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testenv"
)

// TestImportReproducesTheShippedCatalog: the binary's import of the seed notice plus its
// overlay is the committed catalog (without the generated header comment).
func TestImportReproducesTheShippedCatalog(t *testing.T) {
	bin := testenv.DubanBinary(t)
	root := testenv.RepoRoot()
	cmd := exec.Command(bin, "import", "--overlay", "indicators/catalogs/changzhi-2026.overlay.yaml", "indicators/source/changzhi-2026.txt")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("duban import: %v\n%s", err, stderr.String())
	}
	committed, err := os.ReadFile(filepath.Join(root, "indicators", "catalogs", "changzhi-2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(committed)
	body = body[strings.Index(body, "plan:"):]
	if stdout.String() != body {
		t.Fatal("duban import output differs from indicators/catalogs/changzhi-2026.yaml; run go generate ./indicators/catalogs")
	}
	if !strings.Contains(stderr.String(), "indicators/source/changzhi-2026.txt:241: ignored") {
		t.Errorf("warnings should name file and line: %s", stderr.String())
	}
}

func TestImportCommand(t *testing.T) {
	bin := testenv.DubanBinary(t)
	dir := t.TempDir()
	notice := filepath.Join(dir, "notice.txt")
	text := "2026年重点目标任务清单\n一、市人社局牵头工作(2项)\n1.新增城镇就业4.3万人以上。\n2.办好技能大赛、青年创新创业大赛。\n"
	if err := os.WriteFile(notice, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		args     []string
		wantErr  bool
		contains string
		lacks    string
	}{
		"json is the stable interface":                      {args: []string{"import", "--format", "json", notice}, contains: `"id": "1.1"`},
		"a plan id can be given":                            {args: []string{"import", "--plan-id", "test-2026", notice}, contains: "id: test-2026"},
		"an unknown format fails":                           {args: []string{"import", "--format", "xml", notice}, wantErr: true},
		"a task without a figure is followed up by default": {args: []string{"import", notice}, contains: "kind: task"},
		"follow-ups can be turned off":                      {args: []string{"import", "--follow-up-tasks=false", notice}, contains: "id: \"1.1\"", lacks: "kind: task"},
		"a missing file fails":                              {args: []string{"import", filepath.Join(dir, "nope.txt")}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).Output()
			if tc.wantErr {
				if err == nil {
					t.Fatalf("duban %v succeeded", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("duban %v: %v", tc.args, err)
			}
			if tc.contains != "" && !strings.Contains(string(out), tc.contains) {
				t.Fatalf("output lacks %q:\n%s", tc.contains, out)
			}
			if tc.lacks != "" && strings.Contains(string(out), tc.lacks) {
				t.Fatalf("output has %q:\n%s", tc.lacks, out)
			}
		})
	}
	t.Run("the json has the documented shape", func(t *testing.T) {
		out, err := exec.Command(bin, "import", "--format", "json", notice).Output()
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Plan struct {
				ID, Title, Issuer, Document string
				Year                        int
			}
			Departments []struct{ ID, Name string }
			Tasks       []struct {
				Num     int
				Lead    string
				Targets []struct {
					ID, Metric, Measure, Comparator, Unit, Due string
					Value                                      float64
				}
			}
		}
		if err := json.Unmarshal(out, &c); err != nil {
			t.Fatal(err)
		}
		g := c.Tasks[0].Targets[0]
		if c.Plan.Year != 2026 || c.Departments[0].ID != "rsj" || c.Tasks[0].Lead != "rsj" || g.Value != 43000 || g.Unit != "人" || g.Comparator != "ge" || g.Measure != "cumulative" || g.Due != "2026-12-31" {
			t.Fatalf("catalog = %+v", c)
		}
	})
}

func TestValidateCommand(t *testing.T) {
	bin := testenv.DubanBinary(t)
	root := testenv.RepoRoot()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`plan: {id: t, year: 2026}
departments:
  - {id: fgw, name: 市发改委}
tasks:
  - num: 1
    lead: xyz
    text: 甲
    targets:
      - {id: "1.1", metric: 甲, measure: cumulative, value: 1, due: "2027-01-31"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("the shipped catalog is valid", func(t *testing.T) {
		cmd := exec.Command(bin, "validate", "indicators/catalogs/changzhi-2026.yaml")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("problems are FILE:LINE: message and exit 1", func(t *testing.T) {
		cmd := exec.Command(bin, "validate", bad)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit = %v, want 1", err)
		}
		for _, want := range []string{
			bad + `:6: task 1: lead "xyz" is not a department`,
			bad + ":9: target 1.1 has no unit",
			bad + ":9: target 1.1: due 2027-01-31 is outside the plan year 2026",
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}
