package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestRulesGenerateReproducesTheCommittedFile fails when deploy/prometheus drifts from
// the definitions in alerts/: regenerate with `go run ./cmd/duban rules generate`.
func TestRulesGenerateReproducesTheCommittedFile(t *testing.T) {
	bin := testenv.DubanBinary(t)
	cases := map[string]struct {
		args    []string
		want    string // substring of the generated file
		compare bool   // equal to the committed file
	}{
		"the default rules equal the committed file":     {compare: true, want: "alert: IndicatorLagging"},
		"a for override shortens every alert's duration": {args: []string{"--for", "3s"}, want: "for: 3s"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, append([]string{"rules", "generate", "--out", dir}, tc.args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("duban rules generate: %v\n%s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(dir, alerts.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tc.want) {
				t.Errorf("generated rules lack %q", tc.want)
			}
			if !tc.compare {
				return
			}
			committed, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "prometheus", alerts.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, committed) {
				t.Errorf("deploy/prometheus/%s differs from `duban rules generate`; regenerate it with: go run ./cmd/duban rules generate", alerts.FileName)
			}
		})
	}
}

func TestRulesAlertmanagerReproducesTheCommittedExample(t *testing.T) {
	bin := testenv.DubanBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "rules", "alertmanager", "--out", dir,
		"--catalog", filepath.Join(testenv.RepoRoot(), "indicators", "catalogs", "changzhi-2026.yaml"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("duban rules alertmanager: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("deploy/alertmanager/alertmanager.yml differs from `duban rules alertmanager`; regenerate it with: go run ./cmd/duban rules alertmanager")
	}
}
