package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/duban-gov/duban/indicators"
)

//go:generate go run ./gen --root .. --out .

// DefaultCatalog is the catalog the committed output is generated from, relative to the
// repository root.
const DefaultCatalog = "indicators/catalogs/changzhi-2026.yaml"

// Paths of the generated files, relative to the output directory (the dashboards/ folder).
const (
	DirDashboards        = "generated"
	FileDatasources      = "provisioning/grafana/datasources/duban.yaml"
	FileDashboardsProv   = "provisioning/grafana/dashboards/duban.yaml"
	FileAlertRules       = "provisioning/grafana/alerting/rules.yaml"
	FileContactPoints    = "provisioning/grafana/alerting/contact-points.yaml"
	FilePolicies         = "provisioning/grafana/alerting/policies.yaml"
	FilePrometheusConfig = "provisioning/prometheus/prometheus.yml"
)

// Dashboards builds every dashboard, keyed by file name under DirDashboards.
func Dashboards(cat *indicators.Catalog) (map[string]dashboard.Dashboard, error) {
	out := map[string]dashboard.Dashboard{}
	for name, build := range map[string]func(*indicators.Catalog) (dashboard.Dashboard, error){
		"overview.json":   Overview,
		"department.json": Department,
		"indicator.json":  Indicator,
	} {
		d, err := build(cat)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		out[name] = d
	}
	return out, nil
}

// Generate renders every generated file, keyed by path relative to the output directory.
func Generate(cat *indicators.Catalog) (map[string][]byte, error) {
	files := map[string][]byte{}
	ds, err := Dashboards(cat)
	if err != nil {
		return nil, err
	}
	for name, d := range ds {
		b, err := marshalJSON(d)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		files[filepath.ToSlash(filepath.Join(DirDashboards, name))] = b
	}
	prov, err := Provisioning(cat)
	if err != nil {
		return nil, err
	}
	for k, v := range prov {
		files[k] = v
	}
	return files, nil
}

// Write writes files under dir, creating folders, each atomically (temp file + rename).
func Write(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
		_, werr := tmp.Write(files[n])
		cerr := tmp.Close()
		if werr != nil || cerr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %v %v", n, werr, cerr)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
	}
	return nil
}

// marshalJSON is indented JSON without HTML escaping, ending in a newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CatalogPath is the catalog the committed output is generated from: DefaultCatalog
// under the repository root.
func CatalogPath(root string) string {
	return filepath.Join(root, filepath.FromSlash(DefaultCatalog))
}

// Regenerate loads the catalog at catalogPath, generates everything and writes it under
// dir; it returns the names written, sorted. Both `go generate` and `duban dashboards
// generate` call it.
func Regenerate(catalogPath, dir string) ([]string, error) {
	cat, err := indicators.Load(catalogPath)
	if err != nil {
		return nil, err
	}
	files, err := Generate(cat)
	if err != nil {
		return nil, err
	}
	if err := Write(dir, files); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}
