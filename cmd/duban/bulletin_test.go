package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/internal/testenv"
)

// testNow is the server's clock in these tests (testing.now, a test-only setting):
// mid-June 2026, so that they run the same on any date. The month reported is May,
// the quarter the second.
const testNow = "2026-06-15T10:00:00+08:00"

func reportPeriod() (month, quarter string) { return "2026-05", "2026-Q2" }

func run(t *testing.T, dir string, wantOK bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.DubanBinary(t), args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("duban %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

// TestSupervisionCommands: template from the catalog, push of the filled sheet, the
// bulletin from the server and, once it is stopped, from the store directly with the
// server's configuration (same text, its evaluate.due_day of 20 included).
func TestSupervisionCommands(t *testing.T) {
	month, quarter := reportPeriod()
	s := newServer(t, "evaluate: {due_day: 20}\ntesting: {now: '"+testNow+"'}\n")
	dir := t.TempDir()
	mini := filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml")
	if err := os.WriteFile(filepath.Join(dir, "rsj.token"), []byte(s.tokens["rsj"]), 0o600); err != nil {
		t.Fatal(err)
	}

	run(t, dir, true, "template", "--catalog", mini, "--department", "rsj", "--period", month, "--out", "rsj.xlsx")
	f, err := excelize.OpenFile(filepath.Join(dir, "rsj.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("市人社局")
	for i, r := range rows {
		if len(r) > 0 && r[0] == "57.1" {
			if err := errors.Join(f.SetCellValue("市人社局", fmt.Sprintf("H%d", i+1), 30000),
				f.SetCellValue("市人社局", fmt.Sprintf("K%d", i+1), "招聘会十二场。")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	out := run(t, dir, true, "push", "rsj.xlsx", "--server", s.url, "--token-file", "rsj.token")
	if !strings.Contains(out, "accepted 1 report(s)") || !strings.Contains(out, "57.1\t"+month+"\trevision 1") {
		t.Errorf("push output: %s", out)
	}
	// A foreign indicator in JSON: refused with the code, nothing stored.
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`[{"indicator":"11.1","period":"`+month+`","value":1}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(t, dir, false, "push", "bad.json", "--server", s.url, "--token-file", "rsj.token")
	if !strings.Contains(out, "forbidden_indicator") || !strings.Contains(out, "nothing stored") {
		t.Errorf("refused push output: %s", out)
	}
	if h := s.history("11.1"); len(h) != 0 {
		t.Errorf("a refused push stored %d revisions", len(h))
	}

	fromServer := run(t, dir, true, "bulletin", "--server", s.url, "--period", quarter, "--format", "md")
	if !strings.Contains(fromServer, "目标任务督办通报") || !strings.Contains(fromServer, "招聘会十二场。") || !strings.Contains(fromServer, "3万人") && !strings.Contains(fromServer, "30000人") {
		t.Errorf("bulletin from the server:\n%s", fromServer)
	}
	run(t, dir, true, "bulletin", "--server", s.url, "--period", quarter, "--format", "xlsx", "--out", "b.xlsx")
	if x, err := excelize.OpenFile(filepath.Join(dir, "b.xlsx")); err != nil || len(x.GetSheetList()) != 5 {
		t.Errorf("xlsx bulletin: %v", err)
	}
	out = run(t, dir, false, "bulletin", "--server", s.url, "--period", month)
	if !strings.Contains(out, "invalid_period") {
		t.Errorf("a month is not a bulletin period: %s", out)
	}

	// The first quarter is evaluated on its due day: April 20th with due_day 20.
	q1Server := run(t, dir, true, "bulletin", "--server", s.url, "--period", "2026-Q1")
	if !strings.Contains(q1Server, "数据截至:2026年4月20日") {
		t.Errorf("the server's Q1 bulletin ignores evaluate.due_day:\n%s", q1Server[:min(len(q1Server), 400)])
	}

	s.Kill()
	gen := regexp.MustCompile(`生成时间:\S+ \S+`)
	for p, want := range map[string]string{quarter: fromServer, "2026-Q1": q1Server} {
		fromStore := run(t, dir, true, "bulletin", "--data", s.dataDir, "--config", s.cfgFile, "--period", p)
		if a, b := gen.ReplaceAllString(want, ""), gen.ReplaceAllString(fromStore, ""); a != b {
			t.Errorf("the %s bulletin from the store differs from the server's:\n%s\n---\n%s", p, a, b)
		}
	}
	// Without the configuration the calendar is the default one (the 10th).
	if plain := run(t, dir, true, "bulletin", "--data", s.dataDir, "--catalog", mini, "--period", "2026-Q1"); !strings.Contains(plain, "数据截至:2026年4月10日") {
		t.Errorf("without --config the Q1 bulletin is not cut on April 10th:\n%s", plain[:min(len(plain), 400)])
	}
}
