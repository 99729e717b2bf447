package dashboards

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/expr"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/common/model"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
)

// Grafana alerting settings shared by every generated rule.
const (
	OrgID = 1
	// RuleInterval is how often Grafana evaluates each duban rule group.
	RuleInterval = time.Minute
	// lookback is the relative time range of every rule query.
	lookback = 10 * time.Minute

	refAlert     = "A"     // the alert's PromQL, its value is {=}
	refCondition = "ALERT" // math expression: 1 for every series A returns
)

// GrafanaRuleGroups maps the Go alert definitions of package alerts (the same ones the
// Prometheus rule file is rendered from) to Grafana alert rules in the SDK's types (the
// HTTP API shape), one group per alert group, in the order of alerts.Groups().
//
// Each rule queries Prometheus for the alert's expression (A) and fires for every series
// it returns (ALERT = `$A == $A`, 1 for any number), so the Grafana and Prometheus rules
// fire on exactly the same series with the same labels. Every {=ref} of the texts becomes
// one more instant query whose series carry the alert's labels, read as $values.REF.
func GrafanaRuleGroups() ([]alerting.RuleGroup, error) {
	byGroup := map[string][]alerting.Rule{}
	for _, a := range alerts.Alerts() {
		r, err := grafanaRule(a)
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.Name, err)
		}
		byGroup[a.Group] = append(byGroup[a.Group], r)
	}
	var out []alerting.RuleGroup
	for _, g := range alerts.Groups() {
		if len(byGroup[g]) == 0 {
			continue
		}
		out = append(out, alerting.RuleGroup{
			Title:     cog.ToPtr(g),
			FolderUid: cog.ToPtr(FolderUID),
			Interval:  cog.ToPtr(alerting.Duration(RuleInterval / time.Second)),
			Rules:     byGroup[g],
		})
	}
	return out, nil
}

// RuleUID is the fixed Grafana uid of an alert: "duban-" and the kebab-cased name.
func RuleUID(name string) string {
	var b strings.Builder
	b.WriteString("duban")
	for _, r := range name {
		if unicode.IsUpper(r) {
			b.WriteByte('-')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func grafanaRule(a alerts.Alert) (alerting.Rule, error) {
	labels := map[string]string{conventions.LabelSeverity: string(a.Severity)}
	for k, v := range a.Labels {
		labels[k] = v
	}
	data := []alerting.Query{
		promRuleQuery(refAlert, GrafanaAlertExpr(a)),
		{
			RefId:         cog.ToPtr(refCondition),
			DatasourceUid: cog.ToPtr("__expr__"),
			Model: expr.Expr{TypeMath: &expr.TypeMath{
				RefId:      cog.ToPtr(refCondition),
				Type:       "math",
				Expression: "$" + refAlert + " == $" + refAlert,
				Datasource: &common.DataSourceRef{Type: cog.ToPtr("__expr__"), Uid: cog.ToPtr("__expr__")},
			}},
		},
	}
	for _, ref := range valueRefs(a) {
		data = append(data, promRuleQuery(strings.ToUpper(ref), GrafanaValueExpr(a, ref)))
	}
	r := alerting.Rule{
		Uid:          cog.ToPtr(RuleUID(a.Name)),
		Title:        a.Name,
		RuleGroup:    a.Group,
		FolderUID:    FolderUID,
		OrgID:        OrgID,
		Condition:    refCondition,
		Data:         data,
		For:          model.Duration(a.For).String(),
		NoDataState:  alerting.RuleNoDataStateOK, // no series: nothing is wrong
		ExecErrState: alerting.RuleExecErrStateError,
		Labels:       labels,
		Annotations: map[string]string{
			"summary":     GrafanaTemplate(a.Summary),
			"description": GrafanaTemplate(a.Description),
		},
		IsPaused: cog.ToPtr(false),
	}
	if a.For == 0 {
		r.For = "0s"
	}
	return r, r.Validate()
}

func promRuleQuery(ref, e string) alerting.Query {
	from := alerting.Duration(lookback / time.Second)
	to := alerting.Duration(0)
	return alerting.Query{
		RefId:             cog.ToPtr(ref),
		DatasourceUid:     cog.ToPtr(PrometheusUID),
		RelativeTimeRange: &alerting.RelativeTimeRange{From: &from, To: &to},
		Model: prometheus.Dataquery{
			RefId:      cog.ToPtr(ref),
			Expr:       e,
			Instant:    cog.ToPtr(true),
			Datasource: &common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(PrometheusUID)},
		},
	}
}

// GrafanaAlertExpr is the PromQL of query A: the alert's expression without the metric
// name, so that its labels are exactly those the value queries carry.
func GrafanaAlertExpr(a alerts.Alert) string {
	return "(" + a.Expr + ") * 1"
}

// GrafanaValueExpr reads the series a {=ref} names for each series the alert returns,
// in the display unit and with the alert's labels: max by (plan, indicator,
// department) (metric) divided by the indicator's display scale (ScaleExpr), joined
// onto it.
func GrafanaValueExpr(a alerts.Alert, ref string) string {
	ids := conventions.LabelPlan + ", " + conventions.LabelIndicator + ", " + conventions.LabelDepartment
	return fmt.Sprintf("(max by (%s) (%s) / on (%s) group_left () %s) * on (%s) group_right () (0 * (%s) + 1)",
		ids, alerts.Values[ref], ids, ScaleExpr(), ids, a.Expr)
}

// valueRefs are the {=ref} names the alert's texts use, sorted.
func valueRefs(a alerts.Alert) []string {
	seen := map[string]bool{}
	for _, t := range []string{a.Summary, a.Description} {
		alerts.Expand(t, func(p alerts.Placeholder) string {
			if p.Value && p.Name != "" {
				seen[p.Name] = true
			}
			return ""
		})
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// GrafanaTemplate turns a neutral alert template into a Grafana one: labels become
// {{ $labels.x }}, {=} the value of A and {=ref} the value of query REF, already in the
// display unit ("无" if it has none); numbers print as alerts.Format does ({=:0} a count
// without decimals).
func GrafanaTemplate(tmpl string) string {
	return alerts.Expand(tmpl, func(p alerts.Placeholder) string {
		switch {
		case p.List:
			return "见看板完整性视图" // a Grafana template cannot query the list
		case !p.Value:
			return "{{ $labels." + p.Name + " }}"
		case p.Name == "":
			return fmt.Sprintf(`{{ with $values.%s }}{{ .Value | %s }}{{ end }}`, refAlert, alerts.Format(p.Decimals))
		default:
			// $values.REF is a struct (never empty to with) and a zero one when REF
			// returned no series for the alert: that one has no labels.
			return fmt.Sprintf(`{{ with $values.%s }}{{ if .Labels }}{{ .Value | %s }}{{ else }}无{{ end }}{{ end }}`, strings.ToUpper(p.Name), alerts.Format(p.Decimals))
		}
	})
}

// RuleFile is Grafana's alert rule provisioning file (apiVersion 1).
type RuleFile struct {
	APIVersion int             `yaml:"apiVersion" json:"apiVersion"`
	Groups     []RuleFileGroup `yaml:"groups" json:"groups"`
}

// RuleFileGroup is one group of the provisioning file.
type RuleFileGroup struct {
	OrgID    int64          `yaml:"orgId" json:"orgId"`
	Name     string         `yaml:"name" json:"name"`
	Folder   string         `yaml:"folder" json:"folder"`
	Interval string         `yaml:"interval" json:"interval"`
	Rules    []RuleFileRule `yaml:"rules" json:"rules"`
}

// RuleFileRule is one rule of the provisioning file.
type RuleFileRule struct {
	UID          string            `yaml:"uid" json:"uid"`
	Title        string            `yaml:"title" json:"title"`
	Condition    string            `yaml:"condition" json:"condition"`
	Data         []RuleFileQuery   `yaml:"data" json:"data"`
	NoDataState  string            `yaml:"noDataState" json:"noDataState"`
	ExecErrState string            `yaml:"execErrState" json:"execErrState"`
	For          string            `yaml:"for" json:"for"`
	Annotations  map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	Labels       map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	IsPaused     bool              `yaml:"isPaused" json:"isPaused"`
}

// RuleFileQuery is one query or expression of a provisioned rule.
type RuleFileQuery struct {
	RefID             string         `yaml:"refId" json:"refId"`
	QueryType         string         `yaml:"queryType,omitempty" json:"queryType,omitempty"`
	RelativeTimeRange *TimeRange     `yaml:"relativeTimeRange,omitempty" json:"relativeTimeRange,omitempty"`
	DatasourceUID     string         `yaml:"datasourceUid" json:"datasourceUid"`
	Model             map[string]any `yaml:"model" json:"model"`
}

// TimeRange is a relative time range in seconds before now.
type TimeRange struct {
	From int64 `yaml:"from" json:"from"`
	To   int64 `yaml:"to" json:"to"`
}

// GrafanaRuleFile wraps SDK rule groups in the provisioning file envelope.
func GrafanaRuleFile(groups []alerting.RuleGroup) (RuleFile, error) {
	f := RuleFile{APIVersion: 1}
	for _, g := range groups {
		if g.Title == nil || g.Interval == nil {
			return RuleFile{}, fmt.Errorf("rule group without title or interval")
		}
		fg := RuleFileGroup{
			OrgID:    OrgID,
			Name:     *g.Title,
			Folder:   FolderTitle,
			Interval: model.Duration(time.Duration(*g.Interval) * time.Second).String(),
		}
		for _, r := range g.Rules {
			fr := RuleFileRule{
				UID:          deref(r.Uid),
				Title:        r.Title,
				Condition:    r.Condition,
				NoDataState:  string(r.NoDataState),
				ExecErrState: string(r.ExecErrState),
				For:          r.For,
				Annotations:  r.Annotations,
				Labels:       r.Labels,
				IsPaused:     r.IsPaused != nil && *r.IsPaused,
			}
			for _, q := range r.Data {
				m, err := toMap(q.Model)
				if err != nil {
					return RuleFile{}, fmt.Errorf("rule %s: %w", r.Title, err)
				}
				fq := RuleFileQuery{RefID: deref(q.RefId), QueryType: deref(q.QueryType), DatasourceUID: deref(q.DatasourceUid), Model: m}
				if q.RelativeTimeRange != nil {
					fq.RelativeTimeRange = &TimeRange{From: int64(derefDur(q.RelativeTimeRange.From)), To: int64(derefDur(q.RelativeTimeRange.To))}
				}
				fr.Data = append(fr.Data, fq)
			}
			fg.Rules = append(fg.Rules, fr)
		}
		f.Groups = append(f.Groups, fg)
	}
	return f, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func derefDur(p *alerting.Duration) alerting.Duration { return deref(p) }
