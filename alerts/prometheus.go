package alerts

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/conventions"
)

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one group of a Prometheus rule file.
type RuleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is a recording or alerting rule of a Prometheus rule file.
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// PrometheusOptions adjusts the rendering; the zero value renders the shipped file.
type PrometheusOptions struct {
	// For, when positive, replaces every alert's for duration (tests use a few seconds).
	For time.Duration
	// Interval, when positive, sets every group's evaluation interval.
	Interval time.Duration
	// Tuning sets the thresholds of the reporting alerts (zero: the defaults).
	Tuning Tuning
}

// FileName is the name of the rule file, under deploy/prometheus beside prometheus.yml.
const FileName = "duban.rules.yml"

// Prometheus renders the recording and alerting rules as a Prometheus rule file.
func Prometheus(opts PrometheusOptions) RuleFile {
	byGroup := map[string][]Rule{}
	for _, r := range Recordings() {
		byGroup[conventions.RuleGroupRecording] = append(byGroup[conventions.RuleGroupRecording], Rule{Record: r.Record, Expr: r.Expr})
	}
	for _, a := range Tuned(opts.Tuning) {
		d := a.For
		if opts.For > 0 {
			d = opts.For
		}
		labels := map[string]string{conventions.LabelSeverity: string(a.Severity)}
		for k, v := range a.Labels {
			labels[k] = v
		}
		rule := Rule{
			Alert:  a.Name,
			Expr:   a.Expr,
			Labels: labels,
			Annotations: map[string]string{
				"summary":     prometheusTemplate(a.Summary, a.Lists),
				"description": prometheusTemplate(a.Description, a.Lists),
			},
		}
		if d > 0 {
			rule.For = model.Duration(d).String()
		}
		byGroup[a.Group] = append(byGroup[a.Group], rule)
	}
	var f RuleFile
	for _, g := range Groups() {
		if len(byGroup[g]) == 0 {
			continue
		}
		rg := RuleGroup{Name: g, Rules: byGroup[g]}
		if opts.Interval > 0 {
			rg.Interval = model.Duration(opts.Interval).String()
		}
		f.Groups = append(f.Groups, rg)
	}
	return f
}

// PrometheusTemplate turns a neutral template into a Prometheus alert template: labels
// become {{ $labels.x }}, {=} the alert's value and {=ref} a query of the referenced
// series for the alert's plan, indicator and department divided by its display scale ("无"
// when it has none).
func PrometheusTemplate(tmpl string) string { return prometheusTemplate(tmpl, nil) }

// prometheusTemplate is PrometheusTemplate with the lists a {*list} prints: a query
// of the list's selection for the alert's department, each indicator with its name.
func prometheusTemplate(tmpl string, lists map[string]string) string {
	return Expand(tmpl, func(p Placeholder) string {
		switch {
		case p.List:
			sel, ok := lists[p.Name]
			if !ok {
				return "{*" + p.Name + "}" // left visible; TestTemplatesUseKnownPlaceholders fails on it
			}
			q := fmt.Sprintf(`printf "(%s) * on (plan, indicator, department) group_left (name) max by (plan, indicator, department, name) (%s)" $labels.plan $labels.department`,
				strings.ReplaceAll(sel, `"`, `\"`), conventions.MetricInfo)
			return "{{ range $i, $s := " + q + " | query | sortByLabel \"indicator\" }}{{ if $i }}、{{ end }}{{ $s.Labels.indicator }}「{{ $s.Labels.name }}」{{ end }}"
		case !p.Value:
			return "{{ $labels." + p.Name + " }}"
		case p.Name == "":
			return "{{ $value | " + Format(p.Decimals) + " }}"
		default:
			metric, ok := Values[p.Name]
			if !ok {
				return "{=" + p.Name + "}" // left visible; TestTemplatesUseKnownPlaceholders fails on it
			}
			q := fmt.Sprintf(`printf "max(%s{plan='%%s',indicator='%%s',department='%%s'}) / %%s" $labels.plan $labels.indicator $labels.department (or $labels.%s "1")`,
				metric, conventions.LabelDisplayScale)
			return "{{ with " + q + " | query }}{{ . | first | value | " + Format(p.Decimals) + " }}{{ else }}无{{ end }}"
		}
	})
}

// Format is the template pipeline stage that prints a number with at most decimals
// decimals (trailing zeros dropped, no "-0" for a tiny negative gap); Prometheus and
// Grafana templates share it.
func Format(decimals int) string {
	f := fmt.Sprintf(`printf "%%.%df"`, decimals)
	if decimals == 0 {
		return f
	}
	return f + fmt.Sprintf(` | reReplaceAll %q "$1" | reReplaceAll "^-0$" "0"`, TrimZeros)
}

// WritePrometheus writes the rule file as YAML with a header saying how to regenerate it.
func WritePrometheus(w io.Writer, opts PrometheusOptions) error {
	var b strings.Builder
	b.WriteString("# Generated by `duban generate` (deploy/) from alerts/ (Go); do not edit by hand.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(Prometheus(opts)); err != nil {
		return fmt.Errorf("encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode rules: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write rules: %w", err)
	}
	return nil
}
