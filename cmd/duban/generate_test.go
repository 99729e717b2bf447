package main_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/deploy"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// onlyInSecond writes the 民生实事 sample with its 住建 project led by 市人防办 (rfb), a
// department the shipped plan does not have, and returns the file.
func onlyInSecond(t *testing.T) string {
	t.Helper()
	s := strings.NewReplacer("- id: zjj\n    name: 市住建局", "- id: rfb\n    name: 市人防办", "lead: zjj", "lead: rfb").Replace(string(testplans.Minsheng2026()))
	if !strings.Contains(s, "lead: rfb") {
		t.Fatal("the 民生实事 sample has no 住建 project any more: pick another department to replace")
	}
	p := filepath.Join(t.TempDir(), "minsheng-2026.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGenerateWritesTheDeploymentFolder: `duban generate` with no flag writes exactly
// the committed generated files of deploy/ (whose drift deploy's test checks), and its
// flags reach the files they tune.
func TestGenerateWritesTheDeploymentFolder(t *testing.T) {
	bin := testenv.DubanBinary(t)
	amtool := testenv.NeedBinary(t, "amtool")
	second := onlyInSecond(t)
	config := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(config, []byte("plans:\n  - embedded:changzhi-2026\n  - "+second+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rfb := "receiver: " + alerts.DepartmentReceiver("rfb")
	cases := map[string]struct {
		args    []string
		file    string // checked for want
		want    string
		compare bool   // every file equal to the committed one
		golden  string // file under testdata/ equal to the file checked (-update rewrites it)
	}{
		"a department only in the second plan of --plans gets its route":    {args: []string{"--plans", "embedded:changzhi-2026," + second}, file: deploy.FileAlertmanager, want: rfb, golden: "generate-two-plans.alertmanager.yml"},
		"a department only in the second plan of --config gets its route":   {args: []string{"--config", config}, file: deploy.FileAlertmanager, want: rfb, golden: "generate-two-plans.alertmanager.yml"},
		"a department only in the second plan gets a Grafana contact point": {args: []string{"--plans", "embedded:changzhi-2026," + second}, file: dashboards.FileContactPoints, want: "uid: duban-cp-rfb"},
		"the dashboards of two plans are tagged with both":                  {args: []string{"--plans", "embedded:changzhi-2026," + second}, file: dashboards.DirDashboards + "/overview.json", want: `"` + testplans.MinshengID + `"`},
		"--plans overrides the plans of --config":                           {args: []string{"--config", config, "--plans", filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml")}, file: deploy.FileAlertmanager, want: "receiver: " + alerts.DepartmentReceiver("slj")},
		"the defaults give the committed files":                             {compare: true, file: deploy.FileRules, want: "alert: IndicatorLagging"},
		"a for override shortens every alert's duration":                    {args: []string{"--for", "3s"}, file: deploy.FileRules, want: "for: 3s"},
		"a department webhook reaches alertmanager.yml":                     {args: []string{"--department-webhook", "https://hooks.example.org/{department}"}, file: deploy.FileAlertmanager, want: "https://hooks.example.org/rsj"},
		"another catalog's departments get their routes":                    {args: []string{"--catalog", filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml")}, file: deploy.FileAlertmanager, want: "receiver: " + alerts.DepartmentReceiver("slj")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, append([]string{"generate", "--out", dir}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("duban generate: %v\n%s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tc.want) {
				t.Errorf("%s lacks %q", tc.file, tc.want)
			}
			if out, err := exec.Command(amtool, "check-config", filepath.Join(dir, filepath.FromSlash(deploy.FileAlertmanager))).CombinedOutput(); err != nil {
				t.Errorf("amtool check-config: %v\n%s", err, out)
			}
			if tc.golden != "" {
				checkGolden(t, filepath.Join("testdata", tc.golden), bytes.ReplaceAll(got, []byte(second), []byte("MINSHENG")))
			}
			if !tc.compare {
				return
			}
			n := 0
			err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				n++
				rel, _ := filepath.Rel(dir, path)
				committed, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", rel))
				if err != nil {
					return err
				}
				written, _ := os.ReadFile(path)
				if !bytes.Equal(written, committed) {
					t.Errorf("deploy/%s differs from `duban generate`; run go generate ./deploy", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(string(out), "wrote "); lines != n || n < 10 {
				t.Errorf("wrote %d files, said so %d times:\n%s", n, lines, out)
			}
		})
	}
}

// checkGolden compares got with the golden file (rewritten with -update).
func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/duban -run TestGenerate -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what duban generate writes; if the change is meant, go test ./cmd/duban -run TestGenerate -update", file)
	}
}
