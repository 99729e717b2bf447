package alerts

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"
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

// Inhibitions returns the inhibition rules an Alertmanager should apply. Each pairs
// alerts that can fire at the same time (two alerts on different statuses of one
// indicator cannot: TestInhibitionsPairAlertsThatCanFireTogether).
func Inhibitions() []Inhibition {
	var dataAlerts []string
	for _, a := range Alerts() {
		if a.Group != conventions.RuleGroupCollector {
			dataAlerts = append(dataAlerts, a.Name)
		}
	}
	return []Inhibition{
		{Source: AlertCollectorDown, Targets: dataAlerts,
			Why: "with no collector scraped the indicator and reporting series are gone: their alerts resolve, and a resolved notice would read as all clear"},
		{Source: "IndicatorProjectedMiss", Targets: []string{"IndicatorAtRisk"}, Equal: []string{conventions.LabelPlan, conventions.LabelIndicator, conventions.LabelDepartment},
			Why: "an indicator at risk that is also projected to miss its target is told once, as the projected miss (which says more)"},
		{Source: "DubanStoreDamaged", Targets: []string{"DubanStoreNotWritable"}, Equal: []string{"instance"},
			Why: "a damaged store takes no writes: the damage is the cause to report"},
	}
}

// AlertmanagerOptions are the site-specific parts of the generated Alertmanager
// configuration: where each audience's notifications go. Every field is optional. With
// no webhook set, every receiver posts to duban's own receiver in the compose stack
// (DubanReceiverURL) with the bearer token of the compose secret (DubanReceiverTokenFile),
// which renders the alerts for the departments' robots: the committed file, made with
// the zero value, does so. A webhook URL points them elsewhere instead (no token is sent
// there unless one is given); DepartmentWebhook NoWebhook turns webhooks off. Empty mail
// fields add no mail. In URLs and addresses, {department} is replaced by the department
// id ("office" and "ops" for those receivers). AlertmanagerSettings names the flag and
// environment variable of each field.
type AlertmanagerOptions struct {
	DepartmentWebhook string // each lead department's receiver posts here
	OfficeWebhook     string // supervision office (督查室); default DepartmentWebhook
	OpsWebhook        string // operators (collector alerts); default OfficeWebhook
	// WebhookToken (or the file holding it) is sent as a bearer token with every
	// webhook, as duban's own receiver will require.
	WebhookToken     string
	WebhookTokenFile string

	DepartmentEmail string
	OfficeEmail     string
	OpsEmail        string // default OfficeEmail

	SMTPSmarthost    string // host:port, required with any email
	SMTPFrom         string // required with any email
	SMTPUsername     string
	SMTPPassword     string
	SMTPPasswordFile string
}

// Duban's own receiver as the compose stack reaches it, and the file Alertmanager reads
// its token from: the compose secret duban_notify_token (DUBAN_NOTIFY_TOKEN in .env),
// which duban reads too (notify.token_file).
const (
	DubanReceiverURL       = "http://duban:8080/api/v1/notify/alertmanager"
	DubanReceiverTokenFile = "/run/secrets/duban_notify_token" //nolint:gosec // G101: a path to the secret, not the secret
	// NoWebhook as DepartmentWebhook sends no webhook at all (mail only, or nothing).
	NoWebhook = "none"
)

// resolved applies the default receiver: duban's, with its token file, when no webhook
// is set; NoWebhook clears it.
func (o AlertmanagerOptions) resolved() AlertmanagerOptions {
	switch {
	case o.DepartmentWebhook == NoWebhook:
		o.DepartmentWebhook = ""
	case o.DepartmentWebhook+o.OfficeWebhook+o.OpsWebhook == "":
		o.DepartmentWebhook = DubanReceiverURL
		if o.WebhookToken+o.WebhookTokenFile == "" {
			o.WebhookTokenFile = DubanReceiverTokenFile
		}
	}
	return o
}

// AlertmanagerSetting is one field of AlertmanagerOptions with the flag of `duban
// generate` and the environment variable (read with --from-env; docker-compose passes
// it from .env) that set it.
type AlertmanagerSetting struct {
	Flag, Env, Help string
	Kind            string // "url", "email", "hostport", "file", "secret"
	Field           func(*AlertmanagerOptions) *string
}

// AlertmanagerSettings lists every setting in the order .env.example documents them.
var AlertmanagerSettings = []AlertmanagerSetting{
	{"department-webhook", "DUBAN_ALERT_WEBHOOK_URL", "Alertmanager webhook URL of the department receivers ({department} is replaced by the department id; without it every department posts to this URL and the payload's receiver and labels name the department); default, with no webhook set: duban's own receiver " + DubanReceiverURL + " with the token in " + DubanReceiverTokenFile + "; " + NoWebhook + ": no webhook", "url", func(o *AlertmanagerOptions) *string { return &o.DepartmentWebhook }},
	{"office-webhook", "DUBAN_ALERT_OFFICE_WEBHOOK_URL", "webhook URL of the supervision office (default: the department URL, {department} = office)", "url", func(o *AlertmanagerOptions) *string { return &o.OfficeWebhook }},
	{"ops-webhook", "DUBAN_ALERT_OPS_WEBHOOK_URL", "webhook URL of the operators, for the collector's own alerts (default: the office URL, {department} = ops)", "url", func(o *AlertmanagerOptions) *string { return &o.OpsWebhook }},
	{"webhook-token", "DUBAN_ALERT_WEBHOOK_TOKEN", "bearer token sent with every webhook", "secret", func(o *AlertmanagerOptions) *string { return &o.WebhookToken }},
	{"webhook-token-file", "DUBAN_ALERT_WEBHOOK_TOKEN_FILE", "file holding that token, read by Alertmanager", "file", func(o *AlertmanagerOptions) *string { return &o.WebhookTokenFile }},
	{"department-email", "DUBAN_ALERT_DEPARTMENT_EMAIL", "email address of each department ({department} is replaced by the department id)", "email", func(o *AlertmanagerOptions) *string { return &o.DepartmentEmail }},
	{"office-email", "DUBAN_ALERT_OFFICE_EMAIL", "email address of the supervision office", "email", func(o *AlertmanagerOptions) *string { return &o.OfficeEmail }},
	{"ops-email", "DUBAN_ALERT_OPS_EMAIL", "email address of the operators (default: the office's)", "email", func(o *AlertmanagerOptions) *string { return &o.OpsEmail }},
	{"smtp-smarthost", "DUBAN_SMTP_SMARTHOST", "SMTP server host:port (required with any email)", "hostport", func(o *AlertmanagerOptions) *string { return &o.SMTPSmarthost }},
	{"smtp-from", "DUBAN_SMTP_FROM", "sender address of the mails (required with any email)", "email", func(o *AlertmanagerOptions) *string { return &o.SMTPFrom }},
	{"smtp-username", "DUBAN_SMTP_USERNAME", "SMTP user name (default: the sender address when a password is set)", "", func(o *AlertmanagerOptions) *string { return &o.SMTPUsername }},
	{"smtp-password", "DUBAN_SMTP_PASSWORD", "SMTP password", "secret", func(o *AlertmanagerOptions) *string { return &o.SMTPPassword }},
	{"smtp-password-file", "DUBAN_SMTP_PASSWORD_FILE", "file holding the SMTP password, read by Alertmanager", "file", func(o *AlertmanagerOptions) *string { return &o.SMTPPasswordFile }},
}

// FromEnv fills every empty field from its environment variable (getenv is os.Getenv
// in production).
func (o *AlertmanagerOptions) FromEnv(getenv func(string) string) {
	for _, s := range AlertmanagerSettings {
		if p := s.Field(o); *p == "" {
			*p = strings.TrimSpace(getenv(s.Env))
		}
	}
}

// Validate refuses a setting Alertmanager could not use, naming its variable and flag
// (never echoing a secret): a URL that is not absolute http(s), an address without @,
// a smarthost without a port, email without a smarthost and sender, a secret given
// both inline and as a file.
func (o AlertmanagerOptions) Validate() error {
	var errs []error
	for _, s := range AlertmanagerSettings {
		v := *s.Field(&o)
		if v == "" {
			continue
		}
		name := fmt.Sprintf("%s (--%s)", s.Env, s.Flag)
		switch s.Kind {
		case "url":
			if s.Flag == "department-webhook" && v == NoWebhook {
				continue
			}
			u, err := url.Parse(strings.ReplaceAll(v, "{department}", "x"))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s = %q is not an absolute http(s) URL", name, v))
			}
		case "email":
			if !strings.Contains(v, "@") || strings.ContainsAny(v, " ,;") {
				errs = append(errs, fmt.Errorf("%s = %q is not one email address", name, v))
			}
		case "hostport":
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				errs = append(errs, fmt.Errorf("%s = %q is not host:port", name, v))
			}
		}
	}
	if o.DepartmentEmail+o.OfficeEmail+o.OpsEmail != "" && (o.SMTPSmarthost == "" || o.SMTPFrom == "") {
		errs = append(errs, fmt.Errorf("email receivers need DUBAN_SMTP_SMARTHOST (--smtp-smarthost) and DUBAN_SMTP_FROM (--smtp-from)"))
	}
	if o.WebhookToken != "" && o.WebhookTokenFile != "" {
		errs = append(errs, fmt.Errorf("set DUBAN_ALERT_WEBHOOK_TOKEN or DUBAN_ALERT_WEBHOOK_TOKEN_FILE, not both"))
	}
	if o.SMTPPassword != "" && o.SMTPPasswordFile != "" {
		errs = append(errs, fmt.Errorf("set DUBAN_SMTP_PASSWORD or DUBAN_SMTP_PASSWORD_FILE, not both"))
	}
	return errors.Join(errs...)
}

// Delivers reports whether the options send notifications anywhere.
func (o AlertmanagerOptions) Delivers() bool {
	o = o.resolved()
	return o.DepartmentWebhook+o.OfficeWebhook+o.OpsWebhook+o.DepartmentEmail+o.OfficeEmail+o.OpsEmail != ""
}

// AMConfig is the part of an Alertmanager configuration duban generates.
type AMConfig struct {
	Global        AMGlobal         `yaml:"global"`
	Route         AMRoute          `yaml:"route"`
	InhibitRules  []AMInhibit      `yaml:"inhibit_rules"`
	Receivers     []AMReceiver     `yaml:"receivers"`
	TimeIntervals []AMTimeInterval `yaml:"time_intervals"`
}

// AMGlobal holds the SMTP defaults, only when email is configured.
type AMGlobal struct {
	ResolveTimeout       string `yaml:"resolve_timeout"`
	SMTPSmarthost        string `yaml:"smtp_smarthost,omitempty"`
	SMTPFrom             string `yaml:"smtp_from,omitempty"`
	SMTPAuthUsername     string `yaml:"smtp_auth_username,omitempty"`
	SMTPAuthPassword     string `yaml:"smtp_auth_password,omitempty"`
	SMTPAuthPasswordFile string `yaml:"smtp_auth_password_file,omitempty"`
	SMTPRequireTLS       *bool  `yaml:"smtp_require_tls,omitempty"`
}

// AMRoute is a routing tree node.
type AMRoute struct {
	Receiver            string    `yaml:"receiver,omitempty"`
	Matchers            []string  `yaml:"matchers,omitempty,flow"`
	Continue            bool      `yaml:"continue,omitempty"`
	GroupBy             []string  `yaml:"group_by,omitempty,flow"`
	GroupWait           string    `yaml:"group_wait,omitempty"`
	GroupInterval       string    `yaml:"group_interval,omitempty"`
	RepeatInterval      string    `yaml:"repeat_interval,omitempty"`
	ActiveTimeIntervals []string  `yaml:"active_time_intervals,omitempty,flow"`
	Routes              []AMRoute `yaml:"routes,omitempty"`
}

// AMInhibit is an inhibition rule.
type AMInhibit struct {
	SourceMatchers []string `yaml:"source_matchers,flow"`
	TargetMatchers []string `yaml:"target_matchers,flow"`
	Equal          []string `yaml:"equal,omitempty,flow"`
}

// AMReceiver is a receiver with its notifiers.
type AMReceiver struct {
	Name           string      `yaml:"name"`
	WebhookConfigs []AMWebhook `yaml:"webhook_configs,omitempty"`
	EmailConfigs   []AMEmail   `yaml:"email_configs,omitempty"`
}

// AMWebhook posts the alerts as JSON (Alertmanager's webhook payload).
type AMWebhook struct {
	URL          string        `yaml:"url"`
	SendResolved bool          `yaml:"send_resolved"`
	HTTPConfig   *AMHTTPConfig `yaml:"http_config,omitempty"`
}

// AMHTTPConfig carries the bearer token of a webhook.
type AMHTTPConfig struct {
	Authorization AMAuthorization `yaml:"authorization"`
}

// AMAuthorization is a bearer token, inline or from a file.
type AMAuthorization struct {
	Type            string `yaml:"type"`
	Credentials     string `yaml:"credentials,omitempty"`
	CredentialsFile string `yaml:"credentials_file,omitempty"`
}

// AMEmail sends a Chinese HTML mail.
type AMEmail struct {
	To           string            `yaml:"to"`
	SendResolved bool              `yaml:"send_resolved"`
	Headers      map[string]string `yaml:"headers,omitempty"`
	HTML         string            `yaml:"html,omitempty"`
}

// AMTimeInterval is a named time interval routes refer to.
type AMTimeInterval struct {
	Name          string       `yaml:"name"`
	TimeIntervals []AMTimeSpec `yaml:"time_intervals"`
}

// AMTimeSpec is one span of a time interval: weekdays and times of day in a location.
type AMTimeSpec struct {
	Weekdays []string      `yaml:"weekdays,flow"`
	Times    []AMTimeRange `yaml:"times"`
	Location string        `yaml:"location"`
}

// AMTimeRange is a span of the day, start inclusive, end exclusive.
type AMTimeRange struct {
	Start string `yaml:"start_time"`
	End   string `yaml:"end_time"`
}

// Receiver names.
const (
	ReceiverOffice = "duban-office"
	ReceiverOps    = "duban-ops"
)

// DepartmentReceiver is the receiver name of a department.
func DepartmentReceiver(id string) string { return "dept-" + id }

// How often a notification repeats while its alert keeps firing. Reports are monthly
// (due by the 10th), so a status changes at most once a month: a warning (进度滞后, a
// report overdue, a projected miss) is repeated weekly, an info (存在风险) every two
// weeks, a missed target (未完成, settled for the year) is notified once — a repeat of a
// year — and then only counted in the quarterly bulletin (duban bulletin, 按季通报). The
// operators hear of a broken collector daily.
const (
	RepeatWarning = 7 * 24 * time.Hour
	RepeatInfo    = 14 * 24 * time.Hour
	RepeatOnce    = 365 * 24 * time.Hour
	RepeatOps     = 24 * time.Hour
	// Retention is the Alertmanager --data.retention the configuration needs: the
	// notification log must remember a notification longer than its longest repeat,
	// or Alertmanager sends it again when the entry expires (default 120h).
	Retention = 9000 * time.Hour
)

// RetentionFlag is Retention as Alertmanager's --data.retention value ("9000h").
func RetentionFlag() string { return fmt.Sprintf("%dh", int(Retention.Hours())) }

// WorkingHours is the time interval departments and the office are notified in:
// Monday to Friday, 08:30 to 17:30, in the plan's time zone (Asia/Shanghai). A
// notification due outside it waits for the next working hour. Public holidays and
// their make-up working days (调休) are not known to Alertmanager.
const (
	WorkingHoursName  = "workhours"
	WorkingHoursStart = "08:30"
	WorkingHoursEnd   = "17:30"
	WorkingWeekdays   = "monday:friday"
)

const (
	amHTML    = `{{ range .Alerts }}<p><b>{{ .Annotations.summary }}</b><br>{{ .Annotations.description }}</p>{{ end }}`
	amSubject = `【督办】{{ .CommonLabels.department_name }}:{{ .Alerts.Firing | len }}条告警`
)

func matcher(name, value string) string { return fmt.Sprintf("%s=%q", name, value) }

func dur(d time.Duration) string { return model.Duration(d).String() }

// CollectorAlerts are the names of the collector's own alerts (group duban.collector),
// which go to the operators.
func CollectorAlerts() []string {
	var out []string
	for _, a := range Alerts() {
		if a.Group == conventions.RuleGroupCollector {
			out = append(out, a.Name)
		}
	}
	return out
}

// Alertmanager builds the configuration for the lead departments of every plan (one
// department id, one route, whatever the number of plans it leads in):
//   - the collector's own alerts go to the operators (grouped per alert and instance,
//     daily, at any hour);
//   - every other alert goes to its department's receiver (grouped per department and
//     alert), in working hours only, repeated weekly (warning) or every two weeks (info);
//     a missed target (IndicatorMissed, grouped per indicator) is notified once, to the
//     department and to the supervision office;
//   - what no department claims goes to the office, in working hours;
//   - the Inhibitions.
func Alertmanager(plans *indicators.PlanSet, opts AlertmanagerOptions) AMConfig {
	opts = opts.resolved()
	cfg := AMConfig{
		Global: AMGlobal{ResolveTimeout: "5m"},
		Route: AMRoute{
			Receiver:       ReceiverOffice,
			GroupBy:        []string{conventions.LabelPlan, conventions.LabelDepartment, "alertname"},
			GroupWait:      "30s",
			GroupInterval:  "5m",
			RepeatInterval: dur(RepeatWarning),
		},
		TimeIntervals: []AMTimeInterval{{Name: WorkingHoursName, TimeIntervals: []AMTimeSpec{{
			Weekdays: []string{WorkingWeekdays},
			Times:    []AMTimeRange{{Start: WorkingHoursStart, End: WorkingHoursEnd}},
			Location: plans.Default().Plan.Location().String(),
		}}}},
	}
	if opts.SMTPSmarthost != "" {
		tls := true
		cfg.Global.SMTPSmarthost, cfg.Global.SMTPFrom, cfg.Global.SMTPRequireTLS = opts.SMTPSmarthost, opts.SMTPFrom, &tls
		cfg.Global.SMTPAuthPassword, cfg.Global.SMTPAuthPasswordFile = opts.SMTPPassword, opts.SMTPPasswordFile
		cfg.Global.SMTPAuthUsername = opts.SMTPUsername
		if cfg.Global.SMTPAuthUsername == "" && opts.SMTPPassword+opts.SMTPPasswordFile != "" {
			cfg.Global.SMTPAuthUsername = opts.SMTPFrom
		}
	}
	work := []string{WorkingHoursName}
	once := func(receiver string, matchers []string, cont bool) AMRoute {
		return AMRoute{Receiver: receiver, Matchers: matchers, Continue: cont,
			GroupBy:        []string{conventions.LabelPlan, conventions.LabelDepartment, "alertname", conventions.LabelIndicator},
			RepeatInterval: dur(RepeatOnce), ActiveTimeIntervals: work}
	}
	missed := []string{matcher("alertname", "IndicatorMissed")}
	cfg.Route.Routes = []AMRoute{
		{Receiver: ReceiverOps, Matchers: []string{fmt.Sprintf("alertname=~%q", strings.Join(CollectorAlerts(), "|"))},
			GroupBy: []string{"alertname", "instance"}, RepeatInterval: dur(RepeatOps)},
		once(ReceiverOffice, missed, true),
	}
	for _, in := range Inhibitions() {
		cfg.InhibitRules = append(cfg.InhibitRules, AMInhibit{
			SourceMatchers: []string{matcher("alertname", in.Source)},
			TargetMatchers: []string{fmt.Sprintf("alertname=~%q", strings.Join(in.Targets, "|"))},
			Equal:          in.Equal,
		})
	}
	cfg.Receivers = append(cfg.Receivers,
		receiver(ReceiverOffice, "office", first(opts.OfficeWebhook, opts.DepartmentWebhook), opts.OfficeEmail, opts),
		receiver(ReceiverOps, "ops", first(opts.OpsWebhook, opts.OfficeWebhook, opts.DepartmentWebhook), first(opts.OpsEmail, opts.OfficeEmail), opts))
	for _, id := range plans.LeadDepartments() {
		cfg.Route.Routes = append(cfg.Route.Routes, AMRoute{
			Receiver:            DepartmentReceiver(id),
			Matchers:            []string{matcher(conventions.LabelDepartment, id)},
			RepeatInterval:      dur(RepeatWarning),
			ActiveTimeIntervals: work,
			Routes: []AMRoute{
				once("", missed, false),
				{Matchers: []string{matcher(conventions.LabelSeverity, string(Info))}, RepeatInterval: dur(RepeatInfo), ActiveTimeIntervals: work},
			},
		})
		cfg.Receivers = append(cfg.Receivers, receiver(DepartmentReceiver(id), id, opts.DepartmentWebhook, opts.DepartmentEmail, opts))
	}
	// The root route may not have time intervals: what no department claims reaches the
	// office through this catch-all, in working hours too.
	cfg.Route.Routes = append(cfg.Route.Routes, AMRoute{Receiver: ReceiverOffice, RepeatInterval: dur(RepeatWarning), ActiveTimeIntervals: work})
	return cfg
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// receiver is a receiver with a webhook and an email when their templates are set,
// {department} replaced by dept.
func receiver(name, dept, webhook, email string, opts AlertmanagerOptions) AMReceiver {
	sub := func(tmpl string) string { return strings.ReplaceAll(tmpl, "{department}", dept) }
	r := AMReceiver{Name: name}
	if webhook != "" {
		w := AMWebhook{URL: sub(webhook), SendResolved: true}
		if opts.WebhookToken+opts.WebhookTokenFile != "" {
			w.HTTPConfig = &AMHTTPConfig{Authorization: AMAuthorization{Type: "Bearer", Credentials: opts.WebhookToken, CredentialsFile: opts.WebhookTokenFile}}
		}
		r.WebhookConfigs = []AMWebhook{w}
	}
	if email != "" {
		r.EmailConfigs = []AMEmail{{To: sub(email), SendResolved: true, Headers: map[string]string{"Subject": amSubject}, HTML: amHTML}}
	}
	return r
}

// WriteAlertmanager writes the configuration as YAML, each department receiver headed
// by the department's Chinese name.
func WriteAlertmanager(w io.Writer, plans *indicators.PlanSet, opts AlertmanagerOptions) error {
	var doc yaml.Node
	if err := doc.Encode(Alertmanager(plans, opts)); err != nil {
		return fmt.Errorf("encode alertmanager config: %w", err)
	}
	ids := make([]string, 0, len(plans.Plans()))
	for _, c := range plans.Plans() {
		ids = append(ids, c.Plan.ID)
	}
	from, how := "the catalog "+ids[0], "--catalog CATALOG"
	if len(ids) > 1 {
		from, how = "the plans "+strings.Join(ids, ", "), "--plans CATALOG,CATALOG…"
	}
	doc.HeadComment = strings.TrimSpace(fmt.Sprintf(`
Alertmanager configuration for duban (督办), generated from %s by
  duban generate %s --out deploy   (receivers: --department-webhook … or --from-env)
Do not edit by hand: change alerts/alertmanager.go or the flags and regenerate.

Every duban alert carries department (the lead department's id) and severity;
indicator alerts also carry indicator. Each department's alerts go to its own
receiver, grouped by department and alert, in working hours (%s–%s %s, %s),
repeated every %s (warning) or %s (info); a missed target is notified once, also to
the supervision office (督查室), then counted in the quarterly bulletin. The
collector's own alerts go to the operators at any hour, daily. Run Alertmanager with
--data.retention=%s or more, or notifications repeat when the log forgets them.
%s
Check: amtool check-config alertmanager.yml`, from, how, WorkingHoursStart, WorkingHoursEnd, WorkingWeekdays, plans.Default().Plan.Location(),
		dur(RepeatWarning), dur(RepeatInfo), RetentionFlag(), deliveryNote(opts)))
	// Head each department's route and receiver with its Chinese name.
	name := func(n *yaml.Node, key string) {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				if d, ok := plans.Department(strings.TrimPrefix(n.Content[j+1].Value, "dept-")); ok {
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

func deliveryNote(opts AlertmanagerOptions) string {
	if r := opts.resolved(); r.DepartmentWebhook == DubanReceiverURL && opts.DepartmentWebhook == "" {
		return "Receivers: duban's own receiver (" + DubanReceiverURL + "),\n" +
			"which posts to the departments' robots (notify.robots), with the token in\n" +
			DubanReceiverTokenFile + " (docker-compose: the secret duban_notify_token,\n" +
			"DUBAN_NOTIFY_TOKEN in .env). Point them elsewhere with DUBAN_ALERT_WEBHOOK_URL or the flags."
	}
	if opts.Delivers() {
		return "Receivers: as set by the deployment (flags or DUBAN_ALERT_* variables)."
	}
	return "Receivers have no integration yet: alerts show in Alertmanager and Grafana only.\nSet DUBAN_ALERT_WEBHOOK_URL (docker-compose: in .env) or the flags to deliver them."
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
