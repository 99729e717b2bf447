// Package notify delivers duban's notifications where Chinese offices read them: the
// group robots of 企业微信 (WeCom) and 钉钉 (DingTalk). Alertmanager posts its webhook
// payload to duban's receiver (POST /api/v1/notify/alertmanager), which renders each
// group of alerts as one short Chinese markdown message and posts it to the robot of
// the group's department; the office's 催报 (POST /api/v1/remind) sends a reminder the
// same way.
//
// One file per robot kind (wecom.go, dingtalk.go), each with its own Notify that says
// whether a failure is worth retrying: the robot answers HTTP 200 with an errcode, so
// only the kind knows. Failures are retried with backoff on 5xx, 429, timeouts and
// network errors, then counted (duban_notifications_total{result="failed"}) and logged
// with the robot's host only: the URL's key and the signing secret never reach a log.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kinds of robots.
const (
	KindWeCom    = "wecom"
	KindDingTalk = "dingtalk"
)

// Robot is one department's group robot as configured: the webhook URL (which holds
// the robot's key) and, for DingTalk's 加签, the signing secret, each in a file.
type Robot struct {
	Department string `mapstructure:"department"`
	Kind       string `mapstructure:"kind"`
	URLFile    string `mapstructure:"url_file"`
	SecretFile string `mapstructure:"secret_file"`
}

// Message is one notification: a title and markdown text.
type Message struct {
	Title string
	Text  string
}

// sender posts a message to one robot; retry says whether a failure may pass.
type sender interface {
	send(ctx context.Context, client *http.Client, m Message) (retry bool, err error)
	host() string
}

// Config configures a Notifier.
type Config struct {
	Robots []Robot
	Client *http.Client // default: 10 s timeout
	// Attempts per message (default 4) and the first backoff (default 1 s, doubling).
	Attempts int
	Backoff  time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Notifier sends messages to the departments' robots. Safe for concurrent use.
type Notifier struct {
	cfg    Config
	robots map[string]sender
	sent   *prometheus.CounterVec
}

// New reads the robots' files and checks them: an unknown kind, a missing file, a URL
// that is not https (or http to a loopback address, for tests), a DingTalk robot
// without its secret are errors naming the robot (never the URL).
func New(cfg Config) (*Notifier, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Notifier{cfg: cfg, robots: map[string]sender{},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duban_notifications_total",
			Help: "Notifications to the departments' robots, by department, robot kind and result (sent, failed).",
		}, []string{"department", "kind", "result"})}
	for i, r := range cfg.Robots {
		where := fmt.Sprintf("notify.robots[%d] (department %q)", i, r.Department)
		if r.Department == "" {
			return nil, fmt.Errorf("%s: department is required", where)
		}
		if _, dup := n.robots[r.Department]; dup {
			return nil, fmt.Errorf("%s: a second robot for the department", where)
		}
		raw, err := readSecret(r.URLFile)
		if err != nil {
			return nil, fmt.Errorf("%s: url_file: %w", where, err)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
			return nil, fmt.Errorf("%s: url_file does not hold an https URL", where)
		}
		switch r.Kind {
		case KindWeCom:
			n.robots[r.Department] = &wecom{url: raw, u: u}
		case KindDingTalk:
			secret, err := readSecret(r.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("%s: secret_file (the robot's 加签 secret): %w", where, err)
			}
			n.robots[r.Department] = &dingtalk{url: raw, u: u, secret: secret, now: cfg.Now}
		default:
			return nil, fmt.Errorf("%s: kind %q; use wecom or dingtalk", where, r.Kind)
		}
		for _, res := range []string{"sent", "failed"} {
			n.sent.WithLabelValues(r.Department, r.Kind, res)
		}
	}
	return n, nil
}

func readSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("not set")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

func loopback(host string) bool { return host == "127.0.0.1" || host == "localhost" || host == "::1" }

// Metrics is the notifier's counter, for the registry of /metrics.
func (n *Notifier) Metrics() prometheus.Collector { return n.sent }

// Has says whether the department has a robot.
func (n *Notifier) Has(department string) bool { _, ok := n.robots[department]; return ok }

// ErrNoRobot is the error of Send for a department without a robot.
var ErrNoRobot = errors.New("no robot is configured for the department")

// Send posts m to the department's robot, retrying with backoff; the error of the last
// attempt is returned, counted and logged (never silently lost).
func (n *Notifier) Send(ctx context.Context, department string, m Message) error {
	r, ok := n.robots[department]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoRobot, department)
	}
	kind := KindWeCom
	if _, ok := r.(*dingtalk); ok {
		kind = KindDingTalk
	}
	wait := n.cfg.Backoff
	var err error
	for attempt := 1; attempt <= n.cfg.Attempts; attempt++ {
		var retry bool
		retry, err = r.send(ctx, n.cfg.Client, m)
		if err == nil {
			n.sent.WithLabelValues(department, kind, "sent").Inc()
			return nil
		}
		if !retry || attempt == n.cfg.Attempts {
			break
		}
		n.cfg.Logger.Warn("notify: robot failed, retrying", "department", department, "kind", kind, "host", r.host(), "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			err = ctx.Err()
			attempt = n.cfg.Attempts
		case <-time.After(wait):
		}
		wait *= 2
	}
	n.sent.WithLabelValues(department, kind, "failed").Inc()
	n.cfg.Logger.Error("notify: a notification was not delivered", "department", department, "kind", kind, "host", r.host(), "title", m.Title, "err", err)
	return fmt.Errorf("notify %s (%s robot at %s): %w", department, kind, r.host(), err)
}

// statusRetry: whether an HTTP status of a robot is worth another attempt.
func statusRetry(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// scrub removes the URL (and so its key) from an error of the HTTP client.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
