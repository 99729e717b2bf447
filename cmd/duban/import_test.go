package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/indicators/document/docxtest"
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

// TestImportFormats: web pages, Word and Excel files are imported by their content,
// warnings name the table row, and lists are [] in JSON.
func TestImportFormats(t *testing.T) {
	bin := testenv.DubanBinary(t)
	root := testenv.RepoRoot()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	page, err := os.ReadFile(filepath.Join(root, "indicators", "testdata", "notices", "decomposition-page.html"))
	if err != nil {
		t.Fatal(err)
	}
	word := docxtest.Doc{Blocks: []any{
		"河清县2025年重点任务清单",
		docxtest.Table{
			{{Text: "序号"}, {Text: "工作任务"}, {Text: "牵头单位"}},
			{{Text: "1"}, {Text: "新增学位900个"}, {Text: "县教育局"}},
			{{Text: "二"}, {Text: "建成公园2个"}, {Text: "县住建局"}},
		},
	}}.Bytes()
	book := excelize.NewFile()
	for i, row := range [][]any{{"河清县2025年民生实事清单"}, {"序号", "实事项目", "责任单位"}, {1, "新增学位900个", ""}} {
		if err := book.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	var xlsx bytes.Buffer
	if err := book.Write(&xlsx); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		file           string
		args           []string
		stdout, stderr string
		wantErr        bool
	}{
		"a web page saved by a browser": {file: write("notice.html", page), stdout: "id: qingshan-2025"},
		"a Word document named .xlsx is read as Word": {file: write("notice.xlsx", word), stdout: "lead: jyj",
			stderr: "notice.xlsx:table 1 row 3: table row without a number in column 1"},
		"a workbook's warnings name sheet and row": {file: write("book.xlsx", xlsx.Bytes()), args: []string{"--format", "json"},
			stdout: `"departments": []`, stderr: "book.xlsx:table 1 row 3 (sheet Sheet1): task 1 has no lead department"},
		"a Word 97 file is refused with a hint": {file: write("old.doc", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)),
			wantErr: true, stderr: "另存为 .docx"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin, append(append([]string{"import"}, tc.args...), tc.file)...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if (err != nil) != tc.wantErr {
				t.Fatalf("duban import %s: %v\n%s", tc.file, err, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
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
