// Package deploy holds every file a deployment of duban reads besides the binary and
// its configuration, and makes the generated ones with one command:
//
//	go generate ./deploy        (or: duban generate [--catalog FILE | --plans A,B | --config FILE] [--out deploy])
//
// Generated from the catalog and the Go definitions (do not edit by hand;
// TestCommittedFilesMatchTheGenerator fails when one drifts):
//
//	prometheus/prometheus.yml                 the stack's Prometheus: scrape, rules, Alertmanager
//	prometheus/duban.rules.yml                recording and alert rules (package alerts)
//	alertmanager/alertmanager.yml             a route and receiver per lead department (package alerts);
//	                                          compose renders its receivers from .env the same way
//	grafana/dashboards/*.json                 the dashboards (package dashboards)
//	grafana/provisioning/{datasources,dashboards}/*.yaml   Grafana's provisioning
//	grafana/alerting/*.yaml                   Grafana's own alerting, not loaded by compose
//	                                          (Alertmanager notifies); for those who prefer it
//
// Written by hand:
//
//	prometheus/duban.rules.test.yml           promtool tests of the rules
//	influxdb/init/dbrp.sh                     the DBRP mapping InfluxQL reads go through
//	systemd/duban.service                     the unit of a server without Docker
//
// docker-compose.yml mounts these files (TestComposeWiresTheStack checks every mount).
package deploy

//go:generate go run ../cmd/duban generate --out .

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
)

// Paths of the files the alerts package makes, relative to the deployment folder
// (the dashboards package names its own: dashboards.FileDatasources …).
var (
	FileRules        = path.Join("prometheus", alerts.FileName)
	FileAlertmanager = "alertmanager/alertmanager.yml"
)

// Options tune the generated files; the zero value gives the committed ones.
type Options struct {
	Rules        alerts.PrometheusOptions   // for and interval overrides (tests, demos)
	Alertmanager alerts.AlertmanagerOptions // receivers: webhooks, mail, WeChat Work
}

// Generate renders every generated file of a deployment for the plans served, keyed by
// path relative to the deployment folder (slash-separated).
func Generate(plans *indicators.PlanSet, opts Options) (map[string][]byte, error) {
	files, err := dashboards.Generate(plans)
	if err != nil {
		return nil, err
	}
	var rules, am bytes.Buffer
	if err := alerts.WritePrometheus(&rules, opts.Rules); err != nil {
		return nil, err
	}
	if err := alerts.WriteAlertmanager(&am, plans, opts.Alertmanager); err != nil {
		return nil, err
	}
	files[FileRules] = rules.Bytes()
	files[FileAlertmanager] = am.Bytes()
	return files, nil
}

// Write writes files under dir, creating folders, each atomically (a temp file renamed
// over the old one), and returns their names, sorted.
func Write(dir string, files map[string][]byte) ([]string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // G301: configuration the Prometheus, Alertmanager and Grafana containers read as their own users
			return nil, fmt.Errorf("write %s: %w", n, err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(p), ".gen-*")
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", n, err)
		}
		_, werr := tmp.Write(files[n])
		cerr := tmp.Close()
		if werr != nil || cerr != nil {
			return nil, fmt.Errorf("write %s: %w", n, errors.Join(werr, cerr, os.Remove(tmp.Name())))
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // G302: configuration the Prometheus, Alertmanager and Grafana containers read as their own users
			return nil, fmt.Errorf("write %s: %w", n, err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			return nil, fmt.Errorf("write %s: %w", n, err)
		}
	}
	return names, nil
}
