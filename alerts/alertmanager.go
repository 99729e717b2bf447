package alerts

import (
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
)

// Inhibition mutes target alerts while a source alert fires for the same labels.
type Inhibition struct {
	Source  string   // alert name
	Targets []string // alert names
	Equal   []string // labels that must match
	Why     string
}

// Inhibitions returns the inhibition rules an Alertmanager should apply.
func Inhibitions() []Inhibition {
	same := []string{conventions.LabelIndicator, conventions.LabelDepartment}
	return []Inhibition{
		{Source: "IndicatorLagging", Targets: []string{"IndicatorAtRisk"}, Equal: same,
			Why: "an indicator that lags is not also reported as at risk"},
		{Source: "IndicatorMissed", Targets: []string{"IndicatorLagging", "IndicatorAtRisk", "IndicatorProjectedMiss"}, Equal: same,
			Why: "a missed target supersedes every other alert on the same indicator"},
	}
}

// AlertmanagerOptions are the site-specific parts of the generated Alertmanager
// configuration. In every URL and address, {department} is replaced by the department
// id. Zero values give the example.gov.cn placeholders of the committed example.
type AlertmanagerOptions struct {
	DepartmentWebhook string // default http://dept-gateway.example.gov.cn/duban/{department}
	DepartmentEmail   string // default {department}-duban@example.gov.cn
	OfficeWebhook     string // supervision office (督查室) board hook
	OfficeEmail       string
	OpsWebhook        string // operators: the collector is down, its configuration not reloaded
	SMTPSmarthost     string
	SMTPFrom          string
	WeChatCorpID      string
}

func (o *AlertmanagerOptions) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.DepartmentWebhook, "http://dept-gateway.example.gov.cn/duban/{department}")
	def(&o.DepartmentEmail, "{department}-duban@example.gov.cn")
	def(&o.OfficeWebhook, "http://duban-board.example.gov.cn/hooks/alertmanager")
	def(&o.OfficeEmail, "duchashi@example.gov.cn")
	def(&o.OpsWebhook, "http://ops-gateway.example.gov.cn/alerts")
	def(&o.SMTPSmarthost, "smtp.example.gov.cn:465")
	def(&o.SMTPFrom, "duban-alerts@example.gov.cn")
	def(&o.WeChatCorpID, "ww0000000000000000")
}

// AMConfig is the part of an Alertmanager configuration duban generates.
type AMConfig struct {
	Global       AMGlobal     `yaml:"global"`
	Route        AMRoute      `yaml:"route"`
	InhibitRules []AMInhibit  `yaml:"inhibit_rules"`
	Receivers    []AMReceiver `yaml:"receivers"`
}

// AMGlobal holds the SMTP and WeChat Work defaults; secrets come from files or
// placeholders, never from this file.
type AMGlobal struct {
	ResolveTimeout       string `yaml:"resolve_timeout"`
	SMTPSmarthost        string `yaml:"smtp_smarthost"`
	SMTPFrom             string `yaml:"smtp_from"`
	SMTPAuthUsername     string `yaml:"smtp_auth_username"`
	SMTPAuthPasswordFile string `yaml:"smtp_auth_password_file"`
	SMTPRequireTLS       bool   `yaml:"smtp_require_tls"`
	WeChatAPIURL         string `yaml:"wechat_api_url"`
	WeChatAPISecret      string `yaml:"wechat_api_secret"`
	WeChatAPICorpID      string `yaml:"wechat_api_corp_id"`
}

// AMRoute is a routing tree node.
type AMRoute struct {
	Receiver       string    `yaml:"receiver,omitempty"`
	Matchers       []string  `yaml:"matchers,omitempty,flow"`
	Continue       bool      `yaml:"continue,omitempty"`
	GroupBy        []string  `yaml:"group_by,omitempty,flow"`
	GroupWait      string    `yaml:"group_wait,omitempty"`
	GroupInterval  string    `yaml:"group_interval,omitempty"`
	RepeatInterval string    `yaml:"repeat_interval,omitempty"`
	Routes         []AMRoute `yaml:"routes,omitempty"`
}

// AMInhibit is an inhibition rule.
type AMInhibit struct {
	SourceMatchers []string `yaml:"source_matchers,flow"`
	TargetMatchers []string `yaml:"target_matchers,flow"`
	Equal          []string `yaml:"equal,flow"`
}

// AMReceiver is a receiver with its notifiers.
type AMReceiver struct {
	Name           string      `yaml:"name"`
	WebhookConfigs []AMWebhook `yaml:"webhook_configs,omitempty"`
	EmailConfigs   []AMEmail   `yaml:"email_configs,omitempty"`
	WeChatConfigs  []AMWeChat  `yaml:"wechat_configs,omitempty"`
}

// AMWebhook posts the alerts as JSON.
type AMWebhook struct {
	URL          string `yaml:"url"`
	SendResolved bool   `yaml:"send_resolved"`
}

// AMEmail sends a Chinese HTML mail.
type AMEmail struct {
	To           string            `yaml:"to"`
	SendResolved bool              `yaml:"send_resolved"`
	Headers      map[string]string `yaml:"headers,omitempty"`
	HTML         string            `yaml:"html,omitempty"`
}

// AMWeChat sends a WeChat Work application message to a party (部门).
type AMWeChat struct {
	AgentID      string `yaml:"agent_id"`
	ToParty      string `yaml:"to_party"`
	SendResolved bool   `yaml:"send_resolved"`
	Message      string `yaml:"message"`
}

// Receiver names.
const (
	ReceiverOffice = "duban-office"
	ReceiverOps    = "duban-ops"
)

// DepartmentReceiver is the receiver name of a department.
func DepartmentReceiver(id string) string { return "dept-" + id }

const (
	amHTML    = `{{ range .Alerts }}<p><b>{{ .Annotations.summary }}</b><br>{{ .Annotations.description }}</p>{{ end }}`
	amWeChat  = "{{ range .Alerts.Firing }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ end }}"
	amSubject = `【督办】{{ .CommonLabels.department_name }}:{{ .Alerts.Firing | len }}条告警`
)

func matcher(name, value string) string { return fmt.Sprintf("%s=%q", name, value) }

// collectorAlerts matches the collector's own alerts (down, its configuration not
// reloaded): the operators', not a department's.
func collectorAlerts() string {
	var names []string
	for _, a := range Alerts() {
		if a.Group == conventions.RuleGroupCollector {
			names = append(names, a.Name)
		}
	}
	return fmt.Sprintf("alertname=~%q", strings.Join(names, "|"))
}

// Alertmanager builds the configuration: one route and receiver per lead department of
// cat (webhook, email, WeChat Work), grouped by department; the collector's own alert
// to the operators; a copy of every critical alert to the supervision office, which
// also receives anything no department claims; and the Inhibitions.
func Alertmanager(cat *indicators.Catalog, opts AlertmanagerOptions) AMConfig {
	opts.defaults()
	sub := func(tmpl, dept string) string { return strings.ReplaceAll(tmpl, "{department}", dept) }
	cfg := AMConfig{
		Global: AMGlobal{ //nolint:gosec // G101: a path to the mounted secret file, not the secret
			ResolveTimeout:       "5m",
			SMTPSmarthost:        opts.SMTPSmarthost,
			SMTPFrom:             opts.SMTPFrom,
			SMTPAuthUsername:     opts.SMTPFrom,
			SMTPAuthPasswordFile: "/etc/alertmanager/secrets/smtp_password",
			SMTPRequireTLS:       true,
			WeChatAPIURL:         "https://qyapi.weixin.qq.com/cgi-bin/",
			WeChatAPISecret:      "<WECHAT_WORK_SECRET>",
			WeChatAPICorpID:      opts.WeChatCorpID,
		},
		Route: AMRoute{
			Receiver:       ReceiverOffice,
			GroupBy:        []string{conventions.LabelDepartment, "alertname"},
			GroupWait:      "30s",
			GroupInterval:  "5m",
			RepeatInterval: "12h",
			Routes: []AMRoute{
				{Receiver: ReceiverOps, Matchers: []string{collectorAlerts()}},
				{Receiver: ReceiverOffice, Matchers: []string{matcher(conventions.LabelSeverity, string(Critical))}, Continue: true},
			},
		},
		Receivers: []AMReceiver{
			{
				Name:           ReceiverOffice,
				WebhookConfigs: []AMWebhook{{URL: opts.OfficeWebhook, SendResolved: true}},
				EmailConfigs:   []AMEmail{{To: opts.OfficeEmail, SendResolved: true, Headers: map[string]string{"Subject": amSubject}, HTML: amHTML}},
			},
			{Name: ReceiverOps, WebhookConfigs: []AMWebhook{{URL: opts.OpsWebhook, SendResolved: true}}},
		},
	}
	for _, in := range Inhibitions() {
		cfg.InhibitRules = append(cfg.InhibitRules, AMInhibit{
			SourceMatchers: []string{matcher("alertname", in.Source)},
			TargetMatchers: []string{fmt.Sprintf("alertname=~%q", strings.Join(in.Targets, "|"))},
			Equal:          in.Equal,
		})
	}
	for _, id := range cat.LeadDepartments() {
		cfg.Route.Routes = append(cfg.Route.Routes, AMRoute{
			Receiver: DepartmentReceiver(id),
			Matchers: []string{matcher(conventions.LabelDepartment, id)},
			// At-risk notices are repeated less often than lagging and missed ones.
			Routes: []AMRoute{{Matchers: []string{matcher(conventions.LabelSeverity, string(Info))}, RepeatInterval: "72h"}},
		})
		cfg.Receivers = append(cfg.Receivers, AMReceiver{
			Name:           DepartmentReceiver(id),
			WebhookConfigs: []AMWebhook{{URL: sub(opts.DepartmentWebhook, id), SendResolved: true}},
			EmailConfigs:   []AMEmail{{To: sub(opts.DepartmentEmail, id), Headers: map[string]string{"Subject": amSubject}, HTML: amHTML}},
			WeChatConfigs:  []AMWeChat{{AgentID: "<AGENT_ID>", ToParty: "<PARTY_ID_" + id + ">", Message: amWeChat}},
		})
	}
	return cfg
}

// WriteAlertmanager writes the configuration as YAML, each department receiver headed
// by the department's Chinese name.
func WriteAlertmanager(w io.Writer, cat *indicators.Catalog, opts AlertmanagerOptions) error {
	var doc yaml.Node
	if err := doc.Encode(Alertmanager(cat, opts)); err != nil {
		return fmt.Errorf("encode alertmanager config: %w", err)
	}
	doc.HeadComment = strings.TrimSpace(fmt.Sprintf(`
Alertmanager configuration for duban (督办), generated from the catalog %s by
  duban generate --catalog CATALOG --out deploy
Do not edit by hand: change alerts/alertmanager.go or the flags and regenerate.

Every duban alert carries department (the lead department's id) and severity;
indicator alerts also carry indicator. Each department's alerts go to its own
receiver (webhook, email, WeChat Work), grouped by department; the supervision office
(督查室) receives what no department claims and a copy of every critical alert.
Secrets are never written here: the SMTP password is read from a file; replace the
<WECHAT_WORK_SECRET>, <AGENT_ID> and <PARTY_ID_…> placeholders at deploy time.
Check: amtool check-config alertmanager.yml`, cat.Plan.ID))
	// Head each department's route and receiver with its Chinese name.
	name := func(n *yaml.Node, key string) {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				if d, ok := cat.Department(strings.TrimPrefix(n.Content[j+1].Value, "dept-")); ok {
					n.HeadComment = d.Name
				}
			}
		}
	}
	for _, r := range value(&doc, "receivers").Content {
		name(r, "name")
	}
	for _, r := range value(value(&doc, "route"), "routes").Content {
		name(r, "receiver")
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode alertmanager config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode alertmanager config: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write alertmanager config: %w", err)
	}
	return nil
}

// value returns the value node of key in a mapping node (an empty node when absent).
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return &yaml.Node{}
}
