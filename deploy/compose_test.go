package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/deploy"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
)

// Docker cannot run here; these tests keep docker-compose.yml and the Dockerfile honest.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	Secrets  map[string]struct {
		Environment string `yaml:"environment"`
		File        string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     any               `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Secrets []string `yaml:"secrets"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("no services")
	}
	return c
}

// mount is one entry of a service's volumes.
type mount struct{ source, target string }

func mounts(s composeService) []mount {
	var out []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		out = append(out, mount{source: parts[0], target: parts[1]})
	}
	return out
}

func isBind(source string) bool {
	return strings.HasPrefix(source, ".") || strings.HasPrefix(source, "/")
}

func TestComposeMountsExistInTheRepository(t *testing.T) {
	c := loadCompose(t)
	root := testenv.RepoRoot()
	for name, s := range c.Services {
		for _, m := range mounts(s) {
			if !isBind(m.source) {
				if _, ok := c.Volumes[m.source]; !ok {
					t.Errorf("%s: named volume %q is not declared under volumes", name, m.source)
				}
				continue
			}
			if strings.HasPrefix(m.source, "/") {
				t.Errorf("%s: %s is an absolute host path; mount from the repository", name, m.source)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(m.source))); err != nil {
				t.Errorf("%s mounts %s, which does not exist in the repository: %v", name, m.source, err)
			}
		}
	}
}

func TestComposePublishedPortsDoNotClash(t *testing.T) {
	c := loadCompose(t)
	seen := map[string]string{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if len(parts) < 2 {
				t.Errorf("%s: port %q publishes a random host port; give it a fixed one", name, p)
				continue
			}
			host := parts[len(parts)-2]
			if other, ok := seen[host]; ok {
				t.Errorf("host port %s published by both %s and %s", host, other, name)
			}
			seen[host] = name
		}
	}
}

// containerPort is the container side of the service's first published port.
func containerPort(s composeService) string {
	if len(s.Ports) == 0 {
		return ""
	}
	parts := strings.Split(s.Ports[0], ":")
	return parts[len(parts)-1]
}

func TestComposeServicesMatchPrometheusTargetsAndDatasources(t *testing.T) {
	c := loadCompose(t)
	files := generate(t)
	check := func(what, hostport string) {
		t.Helper()
		host, port, ok := strings.Cut(hostport, ":")
		if !ok {
			t.Errorf("%s: %q has no port", what, hostport)
			return
		}
		if host == "localhost" || host == "127.0.0.1" {
			return
		}
		s, ok := c.Services[host]
		if !ok {
			t.Errorf("%s points at %s, which is not a compose service", what, host)
			return
		}
		if got := containerPort(s); got != port {
			t.Errorf("%s uses port %s but service %s listens on %s", what, port, host, got)
		}
	}

	var prom dashboards.PrometheusFile
	if err := yaml.Unmarshal(files[dashboards.FilePrometheusConfig], &prom); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		jobs[sc.JobName] = true
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				check("prometheus scrape job "+sc.JobName, target)
			}
		}
	}
	if !jobs[conventions.JobName] {
		t.Errorf("prometheus does not scrape job %q, which the collector alerts watch", conventions.JobName)
	}
	am := prom.Alerting["alertmanagers"].([]any)[0].(map[string]any)["static_configs"].([]any)[0].(map[string]any)["targets"].([]any)
	for _, target := range am {
		check("prometheus alertmanager", target.(string))
	}

	var ds dashboards.DatasourceFile
	if err := yaml.Unmarshal(files[dashboards.FileDatasources], &ds); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Datasources {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		check("datasource "+d.Name, u.Host)
	}

	u, err := url.Parse(c.Services[dashboards.ServiceDuban].Environment["DUBAN_STORE_INFLUXDB_URL"])
	if err != nil {
		t.Fatal(err)
	}
	check("duban's InfluxDB store", u.Host)
}

func TestComposeWiresTheStack(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{dashboards.ServiceDuban, dashboards.ServiceInfluxDB, dashboards.ServicePrometheus, dashboards.ServiceAlertmanager, dashboards.ServiceGrafana} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
	}
	mountedAt := func(service, target string) string {
		for _, m := range mounts(c.Services[service]) {
			if m.target == target {
				return m.source
			}
		}
		return ""
	}
	cases := map[string]struct{ got, want string }{
		"grafana reads the generated provisioning":          {mountedAt(dashboards.ServiceGrafana, "/etc/grafana/provisioning"), "./deploy/grafana/provisioning"},
		"grafana's dashboard provider finds the dashboards": {mountedAt(dashboards.ServiceGrafana, dashboards.GrafanaDashboardsPath), "./deploy/" + dashboards.DirDashboards},
		"prometheus runs the generated configuration":       {mountedAt(dashboards.ServicePrometheus, dashboards.PrometheusConfigDir+"/prometheus.yml"), "./deploy/" + dashboards.FilePrometheusConfig},
		"prometheus loads the rule file beside it":          {mountedAt(dashboards.ServicePrometheus, dashboards.PrometheusConfigDir+"/"+alerts.FileName), "./deploy/" + deploy.FileRules},
		"duban stores in InfluxDB":                          {c.Services[dashboards.ServiceDuban].Environment["DUBAN_STORE_KIND"], "influxdb"},
		"duban writes to the bucket grafana reads":          {c.Services[dashboards.ServiceDuban].Environment["DUBAN_STORE_INFLUXDB_BUCKET"], dashboards.InfluxBucket},
		"influxdb creates that bucket":                      {c.Services[dashboards.ServiceInfluxDB].Environment["DOCKER_INFLUXDB_INIT_BUCKET"], dashboards.InfluxBucket},
		"influxdb creates the org grafana reads":            {c.Services[dashboards.ServiceInfluxDB].Environment["DOCKER_INFLUXDB_INIT_ORG"], dashboards.InfluxOrg},
		"duban uses that org":                               {c.Services[dashboards.ServiceDuban].Environment["DUBAN_STORE_INFLUXDB_ORG"], dashboards.InfluxOrg},
		"influxdb maps the bucket for InfluxQL at setup":    {mountedAt(dashboards.ServiceInfluxDB, "/docker-entrypoint-initdb.d"), "./deploy/influxdb/init"},
	}
	script, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy/influxdb/init/dbrp.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"influx v1 dbrp create", `--db "$db"`, "DOCKER_INFLUXDB_INIT_BUCKET"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("deploy/influxdb/init/dbrp.sh lacks %s: InfluxQL on /query would find no database", want)
		}
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}
	cmd := fmt.Sprint(c.Services[dashboards.ServicePrometheus].Command)
	if !strings.Contains(cmd, "--storage.tsdb.retention.time=5y") {
		t.Errorf("prometheus keeps less than the plan's years: %s", cmd)
	}
	if _, ok := c.Services[dashboards.ServiceGrafana].Environment[dashboards.EnvNotifyWebhook]; ok {
		t.Errorf("grafana is given %s: its alerting is not loaded, Alertmanager notifies", dashboards.EnvNotifyWebhook)
	}
	if !strings.HasPrefix(c.Services[dashboards.ServiceInfluxDB].Image, "influxdb:2.7") {
		t.Errorf("influxdb image %s, want influxdb:2.7", c.Services[dashboards.ServiceInfluxDB].Image)
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Z0-9_]+)`)

// TestComposeSecretsComeFromTheEnvironment: passwords and tokens are ${VAR} references
// documented in .env.example, never literals; a *_FILE variable names the file of a
// compose secret the service is granted, itself read from a variable of .env.
func TestComposeSecretsComeFromTheEnvironment(t *testing.T) {
	c := loadCompose(t)
	example := envExample(t)
	for name, s := range c.Services {
		for k, v := range s.Environment {
			secret := strings.Contains(k, "PASSWORD") || strings.Contains(k, "TOKEN") || strings.Contains(k, "SECRET")
			refs := envRef.FindAllStringSubmatch(v, -1)
			if file, ok := strings.CutPrefix(v, "/run/secrets/"); ok && strings.HasSuffix(k, "_FILE") {
				if !slices.Contains(s.Secrets, file) || !example[c.Secrets[file].Environment] {
					t.Errorf("%s: %s names /run/secrets/%s, which is not a secret granted to it and read from .env", name, k, file)
				}
				continue
			}
			if secret && len(refs) == 0 {
				t.Errorf("%s: %s is a literal secret; read it from .env", name, k)
			}
			for _, r := range refs {
				if !example[r[1]] {
					t.Errorf("%s: %s reads ${%s}, which .env.example does not document", name, k, r[1])
				}
			}
		}
	}
	for name, sec := range c.Secrets {
		if sec.File != "" || !example[sec.Environment] {
			t.Errorf("secret %s comes from %+v, want a variable .env.example documents", name, sec)
		}
	}
}

// envExample is the set of variables .env.example documents.
func envExample(t *testing.T) map[string]bool {
	t.Helper()
	example := map[string]bool{}
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			example[k] = true
		}
	}
	return example
}

// TestComposeAlertsReachDubansReceiver: the stack's Alertmanager configuration, rendered
// at start from an .env that sets no webhook, posts every receiver's alerts to duban's
// own receiver on the compose network with the token of the secret both services are
// granted, which duban reads as notify.token_file.
func TestComposeAlertsReachDubansReceiver(t *testing.T) {
	c := loadCompose(t)
	u, err := url.Parse(alerts.DubanReceiverURL)
	if err != nil || u.Hostname() != dashboards.ServiceDuban || u.Port() != fmt.Sprint(dashboards.PortDuban) || u.Path != "/api/v1/notify/alertmanager" {
		t.Errorf("duban's receiver %s is not the duban service's /api/v1/notify/alertmanager", alerts.DubanReceiverURL)
	}
	secret, ok := strings.CutPrefix(alerts.DubanReceiverTokenFile, "/run/secrets/")
	if !ok || c.Secrets[secret].Environment == "" {
		t.Fatalf("the receiver's token file %s is not a compose secret (%v)", alerts.DubanReceiverTokenFile, c.Secrets)
	}
	for _, svc := range []string{dashboards.ServiceDuban, dashboards.ServiceAlertmanager} {
		if !slices.Contains(c.Services[svc].Secrets, secret) {
			t.Errorf("%s is not granted the secret %s", svc, secret)
		}
	}
	if got := c.Services[dashboards.ServiceDuban].Environment["DUBAN_NOTIFY_TOKEN_FILE"]; got != alerts.DubanReceiverTokenFile {
		t.Errorf("duban reads the receiver's token from %q, want %s", got, alerts.DubanReceiverTokenFile)
	}
	var o alerts.AlertmanagerOptions
	o.FromEnv(func(string) string { return "" })
	cfg := alerts.Alertmanager(indicators.SinglePlan(mustCatalog(t)), o)
	for _, r := range cfg.Receivers {
		if len(r.WebhookConfigs) != 1 || r.WebhookConfigs[0].URL != alerts.DubanReceiverURL || r.WebhookConfigs[0].HTTPConfig == nil ||
			r.WebhookConfigs[0].HTTPConfig.Authorization.CredentialsFile != alerts.DubanReceiverTokenFile || r.WebhookConfigs[0].HTTPConfig.Authorization.Credentials != "" {
			t.Errorf("receiver %s: %+v, want duban's receiver with the secret's token file", r.Name, r.WebhookConfigs)
		}
	}
}

func mustCatalog(t *testing.T) *indicators.Catalog {
	t.Helper()
	cat, err := catalogs.Load(catalogs.Default)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestComposeAlertmanagerReadsItsReceiversFromEnv: one notification pipeline, Prometheus
// → Alertmanager, whose configuration a one-shot service renders from .env with duban
// generate before Alertmanager starts; Alertmanager keeps its notification log longer
// than the longest repeat; Grafana loads no alert rule of its own.
func TestComposeAlertmanagerReadsItsReceiversFromEnv(t *testing.T) {
	c := loadCompose(t)
	init, ok := c.Services[serviceAlertmanagerConfig]
	if !ok {
		t.Fatalf("no %s service", serviceAlertmanagerConfig)
	}
	cmd := strings.Join(commandOf(init), " ")
	if !strings.Contains(cmd, "generate --only alertmanager --from-env --out /var/lib/duban") || init.Image != c.Services[dashboards.ServiceDuban].Image {
		t.Errorf("%s runs %q on %s, want duban generate --only alertmanager --from-env into its volume, on the duban image", serviceAlertmanagerConfig, cmd, init.Image)
	}
	for _, st := range alerts.AlertmanagerSettings {
		if v := init.Environment[st.Env]; v != "${"+st.Env+":-}" {
			t.Errorf("%s does not pass %s from .env (got %q)", serviceAlertmanagerConfig, st.Env, v)
		}
	}
	am := c.Services[dashboards.ServiceAlertmanager]
	if am.DependsOn[serviceAlertmanagerConfig].Condition != "service_completed_successfully" {
		t.Errorf("alertmanager may start before its configuration is written: %+v", am.DependsOn)
	}
	var volume, configFile, retention string
	for _, m := range mounts(init) {
		if m.target == "/var/lib/duban" {
			volume = m.source
		}
	}
	for _, a := range commandOf(am) {
		if v, ok := strings.CutPrefix(a, "--config.file="); ok {
			configFile = v
		}
		if v, ok := strings.CutPrefix(a, "--data.retention="); ok {
			retention = v
		}
	}
	read := ""
	for _, m := range mounts(am) {
		if m.source == volume && volume != "" {
			read = m.target + "/" + deploy.FileAlertmanager
		}
	}
	if read == "" || configFile != read {
		t.Errorf("alertmanager reads %q; the rendered configuration is at %q (volume %q)", configFile, read, volume)
	}
	if d, err := time.ParseDuration(retention); err != nil || d < alerts.Retention {
		t.Errorf("alertmanager --data.retention=%q, want at least %s (the longest repeat is %s)", retention, alerts.RetentionFlag(), alerts.RepeatOnce)
	}
	prov := filepath.Join(testenv.RepoRoot(), "deploy", "grafana", "provisioning")
	if _, err := os.Stat(filepath.Join(prov, "alerting")); !os.IsNotExist(err) {
		t.Errorf("grafana/provisioning/alerting exists: Grafana would notify too (%v)", err)
	}
}

// serviceAlertmanagerConfig renders Alertmanager's configuration from .env.
const serviceAlertmanagerConfig = "alertmanager-config"

func commandOf(s composeService) []string {
	list, _ := s.Command.([]any)
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

// TestEnvRenderedAlertmanagerDelivers runs what the stack runs at start — duban
// generate --only alertmanager --from-env with the variables of .env — and loads the
// result into the real Alertmanager: an alert reaches the webhook .env names (the
// operators' receiver, which notifies at any hour), with the bearer token.
func TestEnvRenderedAlertmanagerDelivers(t *testing.T) {
	amtool := testenv.NeedBinary(t, "amtool")
	type post struct{ path, auth string }
	got := make(chan post, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got <- post{r.URL.Path, r.Header.Get("Authorization")}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cmd := exec.Command(testenv.DubanBinary(t), "generate", "--only", "alertmanager", "--from-env", "--out", dir)
	cmd.Env = append(os.Environ(), "DUBAN_ALERT_WEBHOOK_URL="+srv.URL+"/duban/{department}", "DUBAN_ALERT_WEBHOOK_TOKEN=hook-token")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("duban generate: %v\n%s", err, out)
	}
	file := filepath.Join(dir, filepath.FromSlash(deploy.FileAlertmanager))
	if out, err := exec.Command(amtool, "check-config", file).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("--only alertmanager wrote %d folders", len(entries))
	}
	am := testenv.StartAlertmanager(t, string(raw), nil, "--data.retention="+alerts.RetentionFlag())
	body := `[{"labels":{"alertname":"` + alerts.AlertCollectorDown + `","severity":"critical"}}]`
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status and headers are looked at
	select {
	case p := <-got:
		if p.path != "/duban/ops" || p.auth != "Bearer hook-token" {
			t.Errorf("posted to %s with %q, want /duban/ops with the bearer token", p.path, p.auth)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("nothing reached the webhook .env names\n%s", am.Log())
	}
}

func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"CGO_ENABLED=0", "go build", "AS build", "COPY --from=build", "HEALTHCHECK"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	var user string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "USER":
			user = fields[1]
		case "COPY":
			if strings.HasPrefix(fields[1], "--from") || fields[1] == "." {
				continue
			}
			for _, src := range fields[1 : len(fields)-1] {
				if _, err := os.Stat(filepath.Join(testenv.RepoRoot(), filepath.FromSlash(src))); err != nil {
					t.Errorf("Dockerfile copies %s, which does not exist: %v", src, err)
				}
			}
		}
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("the image runs as %q; want a non-root user", user)
	}
	if !strings.Contains(text, "./cmd/duban") {
		t.Errorf("the image does not build ./cmd/duban, the binary that carries the catalogs")
	}
}

// TestComposeConfiguresDubanForInfluxDB loads duban's real configuration the way the
// container does: the mounted config file, then the service's environment.
func TestComposeConfiguresDubanForInfluxDB(t *testing.T) {
	c := loadCompose(t)
	s := c.Services[dashboards.ServiceDuban]
	var file string
	for _, m := range mounts(s) {
		if m.target == "/etc/duban/duban.yaml" {
			file = filepath.Join(testenv.RepoRoot(), filepath.FromSlash(m.source))
		}
	}
	if file == "" || !strings.Contains(fmt.Sprint(s.Command), "/etc/duban/duban.yaml") {
		t.Fatalf("duban does not run with the mounted configuration: command %v", s.Command)
	}
	for k, v := range s.Environment {
		t.Setenv(k, regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(v, "from-env"))
	}
	cfg, err := config.Load(config.Options{File: file})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ got, want string }{
		"the store is InfluxDB":        {cfg.Store.Kind, "influxdb"},
		"it listens for Prometheus":    {cfg.Listen, fmt.Sprintf("0.0.0.0:%d", dashboards.PortDuban)},
		"on the influxdb service":      {cfg.Store.InfluxDB.URL, fmt.Sprintf("http://%s:%d", dashboards.ServiceInfluxDB, dashboards.PortInfluxDB)},
		"in the bucket Grafana reads":  {cfg.Store.InfluxDB.Bucket, dashboards.InfluxBucket},
		"of the org Grafana reads":     {cfg.Store.InfluxDB.Org, dashboards.InfluxOrg},
		"with the token from .env":     {cfg.Store.InfluxDB.Token, "from-env"},
		"spooling in the named volume": {cfg.Store.Path, "/var/lib/duban"},
		"on the embedded catalog":      {cfg.Catalog, catalogs.Default},
		"the receiver's token secret":  {cfg.Notify.TokenFile, alerts.DubanReceiverTokenFile},
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}
	// deploy/ is generated from catalogs.Default, the catalog the binary carries and the
	// compose collector serves: the file it is compiled from must be the one on disk.
	spec := catalogs.Shipped[0]
	if catalogs.EmbeddedPrefix+spec.Name() != catalogs.Default {
		t.Fatalf("the first shipped catalog %s is not the default %s", spec.Name(), catalogs.Default)
	}
	embedded, err := catalogs.Embedded(spec.Name())
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), spec.Output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(embedded, onDisk) {
		t.Errorf("the collector serves %s, which differs from %s", catalogs.Default, spec.Output)
	}
}

// TestPrometheusConfigPassesPromtool checks the committed Prometheus configuration with
// the real promtool, where it lies: it loads the rule file beside it.
func TestPrometheusConfigPassesPromtool(t *testing.T) {
	promtool := testenv.NeedBinary(t, "promtool")
	cmd := exec.Command(promtool, "check", "config", "prometheus.yml")
	cmd.Dir = filepath.Join(dir(), "prometheus")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1 rule files found") {
		t.Errorf("prometheus.yml does not load %s:\n%s", alerts.FileName, out)
	}
}

// Hosts a shipped file may name: the compose services and this machine.
var (
	urlHost   = regexp.MustCompile(`[a-z][a-z0-9+.-]*://([^/\s"'` + "`" + `:)\]]+)`)
	dottedTCP = regexp.MustCompile(`\b((?:[a-z0-9-]+\.)+[a-z]{2,}):[0-9]{2,5}\b`)
	mailHost  = regexp.MustCompile(`[A-Za-z0-9._%+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})\b`)
)

// TestNoShippedFileNamesAHostOutsideTheStack: every host a shipped configuration names
// (URLs, host:port, mail domains) is a compose service or this machine; anything else
// comes from .env (a ${VAR}), so nothing points at a host that does not exist. Only a
// unit's Documentation= link is a link for people, never connected to.
func TestNoShippedFileNamesAHostOutsideTheStack(t *testing.T) {
	c := loadCompose(t)
	allowed := map[string]bool{"localhost": true, "127.0.0.1": true, "0.0.0.0": true}
	for name := range c.Services {
		allowed[name] = true
	}
	root := testenv.RepoRoot()
	files := []string{"docker-compose.yml", ".env.example", "Dockerfile", "config/duban.yaml"}
	err := filepath.WalkDir(dir(), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "Documentation=") {
				continue
			}
			line = envRef.ReplaceAllString(line, "") // ${VAR…}: from .env
			for _, re := range []*regexp.Regexp{urlHost, dottedTCP, mailHost} {
				for _, m := range re.FindAllStringSubmatch(line, -1) {
					checked++
					if !allowed[m[1]] {
						t.Errorf("%s:%d names host %s, which is neither a compose service nor this machine: %s", f, i+1, m[1], strings.TrimSpace(line))
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d hosts found in %d files; the patterns find nothing", checked, len(files))
	}
}

// grafanaSchema is the newest dashboard schemaVersion a Grafana release line migrates
// to (DashboardMigrator / apps/dashboard schemaversion LATEST_VERSION): 11.3 knows 40;
// 12.3 knows 42 (migration v42, hideFrom.tooltip, merged in September 2025, before 12.3).
var grafanaSchema = map[string]int{"11.3": 40, "12.3": 42}

// TestGrafanaKnowsTheDashboardSchema: the Grafana compose pins knows the schemaVersion
// grafana-foundation-sdk writes into the dashboards (a Grafana older than its dashboards
// does not migrate them and may drop what it does not know).
func TestGrafanaKnowsTheDashboardSchema(t *testing.T) {
	image := loadCompose(t).Services[dashboards.ServiceGrafana].Image
	_, tag, _ := strings.Cut(image, ":")
	parts := strings.SplitN(tag, ".", 3)
	if len(parts) < 2 {
		t.Fatalf("grafana image %q has no version tag", image)
	}
	known, ok := grafanaSchema[parts[0]+"."+parts[1]]
	if !ok {
		t.Fatalf("grafana %s: its dashboard schema version is not recorded here; add it to grafanaSchema", tag)
	}
	for n, raw := range generate(t) {
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		var d struct {
			SchemaVersion int `json:"schemaVersion"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		if d.SchemaVersion == 0 || d.SchemaVersion > known {
			t.Errorf("%s has schemaVersion %d; grafana %s knows %d", n, d.SchemaVersion, tag, known)
		}
	}
}
