package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/duban-gov/duban/indicators"
)

// Paths of the generated files, relative to the deployment folder (deploy/, where
// `duban generate` writes them beside the alert rules and the Alertmanager
// configuration).
const (
	DirDashboards      = "grafana/dashboards"
	FileDatasources    = "grafana/provisioning/datasources/duban.yaml"
	FileDashboardsProv = "grafana/provisioning/dashboards/duban.yaml"
	// Grafana's own alerting, for those who run it instead of Prometheus and
	// Alertmanager: outside provisioning/, so the compose stack (which mounts
	// provisioning/) sends every alert once, through Alertmanager; copy the folder into
	// provisioning/alerting to switch.
	DirGrafanaAlerting   = "grafana/alerting"
	FileAlertRules       = DirGrafanaAlerting + "/rules.yaml"
	FileContactPoints    = DirGrafanaAlerting + "/contact-points.yaml"
	FilePolicies         = DirGrafanaAlerting + "/policies.yaml"
	FileMuteTimings      = DirGrafanaAlerting + "/mute-timings.yaml"
	FilePrometheusConfig = "prometheus/prometheus.yml"
)

// Dashboards builds every dashboard, keyed by file name under DirDashboards.
func Dashboards(plans *indicators.PlanSet) (map[string]dashboard.Dashboard, error) {
	out := map[string]dashboard.Dashboard{}
	for name, build := range map[string]func(*indicators.PlanSet) (dashboard.Dashboard, error){
		"overview.json":   Overview,
		"department.json": Department,
		"indicator.json":  Indicator,
	} {
		d, err := build(plans)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		out[name] = d
	}
	return out, nil
}

// Generate renders every file of the Grafana side and the stack's Prometheus
// configuration, keyed by path relative to the deployment folder (deploy.Generate adds
// the alert rules and the Alertmanager configuration).
func Generate(plans *indicators.PlanSet) (map[string][]byte, error) {
	files := map[string][]byte{}
	ds, err := Dashboards(plans)
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
	prov, err := Provisioning(plans)
	if err != nil {
		return nil, err
	}
	for k, v := range prov {
		files[k] = v
	}
	return files, nil
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
