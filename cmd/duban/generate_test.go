package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/deploy"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestGenerateWritesTheDeploymentFolder: `duban generate` with no flag writes exactly
// the committed generated files of deploy/ (whose drift deploy's test checks), and its
// flags reach the files they tune.
func TestGenerateWritesTheDeploymentFolder(t *testing.T) {
	bin := testenv.DubanBinary(t)
	cases := map[string]struct {
		args    []string
		file    string // checked for want
		want    string
		compare bool // every file equal to the committed one
	}{
		"the defaults give the committed files":          {compare: true, file: deploy.FileRules, want: "alert: IndicatorLagging"},
		"a for override shortens every alert's duration": {args: []string{"--for", "3s"}, file: deploy.FileRules, want: "for: 3s"},
		"a department webhook reaches alertmanager.yml":  {args: []string{"--department-webhook", "https://hooks.example.org/{department}"}, file: deploy.FileAlertmanager, want: "https://hooks.example.org/rsj"},
		"another catalog's departments get their routes": {args: []string{"--catalog", filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml")}, file: deploy.FileAlertmanager, want: "receiver: " + alerts.DepartmentReceiver("slj")},
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
