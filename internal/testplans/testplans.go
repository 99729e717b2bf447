// Package testplans holds a second, small plan for tests of several plans in one
// server: the 2026 民生实事 list (minsheng-2026.yaml), served beside the shipped
// embedded:changzhi-2026. Tests only.
package testplans

import (
	"bytes"
	_ "embed"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

//go:embed minsheng-2026.yaml
var minsheng []byte

// MinshengID is the id of the sample plan.
const MinshengID = "minsheng-2026"

// Minsheng2026 returns the sample catalog's YAML.
func Minsheng2026() []byte { return append([]byte(nil), minsheng...) }

// WriteMinsheng2026 writes the sample catalog into a temporary directory of t and
// returns its path, for a configuration's plans: list.
func WriteMinsheng2026(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "minsheng-2026.yaml")
	if err := os.WriteFile(p, minsheng, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteMinsheng writes the sample catalog moved to another year (its id, title, year and
// dates: minsheng-2027 for 2027) into a temporary directory of t and returns its path,
// for tests of a plan of another year than the shipped one.
func WriteMinsheng(t testing.TB, year int) string {
	t.Helper()
	y := []byte(strconv.Itoa(year))
	p := filepath.Join(t.TempDir(), "minsheng-"+string(y)+".yaml")
	if err := os.WriteFile(p, bytes.ReplaceAll(minsheng, []byte("2026"), y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
