// Package config loads duban's configuration with its own viper instance (never the
// global one): defaults, then a YAML file (--config), then DUBAN_… environment
// variables, then command-line flags, each overriding the ones before.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// EnvPrefix prefixes every environment variable: store.path is DUBAN_STORE_PATH.
const EnvPrefix = "DUBAN"

// Config is the whole configuration of `duban serve`.
type Config struct {
	Listen  string `mapstructure:"listen"`
	Catalog string `mapstructure:"catalog"` // a file, or embedded:NAME for a shipped catalog (catalogs.Load); the one-plan shorthand of plans
	// Plans lists the catalogs served together (files or embedded:NAME), the first being
	// the default plan (the un-prefixed API routes); empty means [catalog]. See PlanRefs.
	Plans     []string        `mapstructure:"plans"`
	Testing   Testing         `mapstructure:"testing"`
	Store     Store           `mapstructure:"store"`
	Auth      Auth            `mapstructure:"auth"`
	TLS       TLS             `mapstructure:"tls"`
	HTTP      HTTP            `mapstructure:"http"`
	Limits    Limits          `mapstructure:"limits"`
	CORS      CORS            `mapstructure:"cors"`
	Log       Log             `mapstructure:"log"`
	Evaluate  evaluate.Config `mapstructure:"evaluate"`
	Board     Board           `mapstructure:"board"`
	Workspace Workspace       `mapstructure:"workspace"`
	Review    Review          `mapstructure:"review"`
	Notify    Notify          `mapstructure:"notify"`
	Metrics   Metrics         `mapstructure:"metrics"`
}

// Metrics configures what /metrics exports.
type Metrics struct {
	// ClosedPlans: keep (the default) exports a closed plan's series as before; drop
	// leaves its per-indicator and per-department series out, to save series once its
	// year is over (the counters of reports received stay). Reloadable.
	ClosedPlans string `mapstructure:"closed_plans"`
}

// Values of metrics.closed_plans.
const (
	ClosedPlansKeep = "keep"
	ClosedPlansDrop = "drop"
)

// Notify configures where notifications go: duban's Alertmanager receiver and the
// office's 催报 post to the departments' group robots (collector/notify).
type Notify struct {
	// TokenSHA256 is the sha256 (hex) of the bearer token Alertmanager sends to
	// POST /api/v1/notify/alertmanager (duban generate --webhook-token-file); empty
	// turns the receiver off (501).
	TokenSHA256 string `mapstructure:"token_sha256"`
	// TokenFile holds that token itself instead (docker-compose: the secret
	// duban_notify_token, which Alertmanager reads too); duban keeps its sha256 only.
	TokenFile string `mapstructure:"token_file"`
	// BoardURL is the board's public address, linked from every message.
	BoardURL string `mapstructure:"board_url"`
	// Robots: one per department (or office, ops), each {department, kind: wecom |
	// dingtalk, url_file, secret_file (DingTalk's 加签)}. The files hold the secrets.
	Robots []notify.Robot `mapstructure:"robots"`
}

// Review configures the office's review of reports (POST /api/v1/reviews).
type Review struct {
	// Required: only revisions the office approved count in evaluation, metrics, the
	// board and bulletins; a submitted one waits beside the last approved (待审核).
	// False (the default): every report counts once received, as before reviews.
	Required bool `mapstructure:"required"`
}

// Workspace configures the departments' pages in the browser (/login, /report, /office).
type Workspace struct {
	// SessionTTL is how long a sign-in lasts (default 8h): the session ends then, whatever
	// happens meanwhile, and sooner when its token leaves auth.tokens.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// SecureCookie marks the session cookie Secure even though duban serves plain HTTP:
	// for a reverse proxy that terminates TLS in front of it. With tls.* set the cookie
	// is Secure anyway.
	SecureCookie bool `mapstructure:"secure_cookie"`
	// LoginFailures is how many failed sign-ins one client address may make in a row
	// (default 10); LoginFailuresPerMinute how many more it regains per minute
	// (default 6). Beyond, sign-in answers 429 whatever the token, until one is regained.
	LoginFailures          int     `mapstructure:"login_failures"`
	LoginFailuresPerMinute float64 `mapstructure:"login_failures_per_minute"`
}

// Testing holds settings for tests only: never set them in production.
type Testing struct {
	// Now, when set (RFC 3339), stops the server's clock at that instant: reports are
	// received then and evaluated as of then, by every process reading the same file
	// (serve, bulletin --data). Tests set it so that what is due, late or current does
	// not depend on the day they run. Test-only: a server with it set logs a warning.
	Now string `mapstructure:"now"`
}

// Clock returns the server's clock: time.Now, or the instant Testing.Now sets.
func (t Testing) Clock() (func() time.Time, error) {
	if t.Now == "" {
		return time.Now, nil
	}
	at, err := time.Parse(time.RFC3339, t.Now)
	if err != nil {
		return nil, fmt.Errorf("testing.now %q: give an RFC 3339 instant in quotes, such as '2026-03-15T10:00:00+08:00'", t.Now)
	}
	return func() time.Time { return at }, nil
}

// PlanRefs are the catalogs to serve, in order: plans, or the one catalog.
func (c Config) PlanRefs() []string {
	if len(c.Plans) > 0 {
		return c.Plans
	}
	return []string{c.Catalog}
}

// Board configures the status board at "/". Who may read it is auth.read's business.
type Board struct {
	// TokenSHA256 is gone: it protected the board while the same data stayed public
	// under /api/v1, the bulletins and /metrics. Kept as a key only so that a file
	// still setting it is refused with the way to migrate (Validate), not with
	// "invalid keys".
	TokenSHA256 []string `mapstructure:"token_sha256"`
}

// Store selects and configures the storage backend.
type Store struct {
	Kind     string   `mapstructure:"kind"` // embedded | influxdb
	Path     string   `mapstructure:"path"` // data directory (embedded store, InfluxDB spool)
	InfluxDB InfluxDB `mapstructure:"influxdb"`
}

// InfluxDB configures the InfluxDB v2 backend. Prefer TokenFile (or the environment
// variable DUBAN_STORE_INFLUXDB_TOKEN) to a token written in the file.
type InfluxDB struct {
	URL       string        `mapstructure:"url"`
	Org       string        `mapstructure:"org"`
	Bucket    string        `mapstructure:"bucket"`
	Token     string        `mapstructure:"token"`
	TokenFile string        `mapstructure:"token_file"`
	Timeout   time.Duration `mapstructure:"timeout"`
	// Refresh is how often a collector rereads the latest values from InfluxDB, so
	// that replicas sharing one InfluxDB see each other's reports.
	Refresh time.Duration `mapstructure:"refresh"`
	// Feed is the change feed's encoding: auto (what the database says) or compact,
	// once every replica sharing the database runs a version that reads it.
	Feed string `mapstructure:"feed"`
}

// Auth lists the accepted tokens by their sha256 hashes and says who may read.
type Auth struct {
	Tokens []auth.Token `mapstructure:"tokens"`
	// Read is public (anyone reads the board, the API, bulletins, templates and
	// /metrics) or token (every read needs a department, admin or reader token; /metrics
	// also takes a {role: metrics} scrape token).
	Read string `mapstructure:"read"`
}

// TLS turns on HTTPS when both files are set.
type TLS struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// HTTP bounds what one connection may cost.
type HTTP struct {
	ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
	ReadTimeout       time.Duration `mapstructure:"read_timeout"`
	WriteTimeout      time.Duration `mapstructure:"write_timeout"`
	IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
	ShutdownTimeout   time.Duration `mapstructure:"shutdown_timeout"`
	MaxBodyBytes      int64         `mapstructure:"max_body_bytes"`
	// MinBodyRate (bytes/s) cuts bodies that arrive slower, once MinBodyRateGrace has
	// passed (408 body_too_slow); 0 turns it off.
	MinBodyRate      int64         `mapstructure:"min_body_rate"`
	MinBodyRateGrace time.Duration `mapstructure:"min_body_rate_grace"`
	TrustedProxies   []string      `mapstructure:"trusted_proxies"`
}

// Limits protect the collector from floods.
type Limits struct {
	RatePerSecond float64 `mapstructure:"rate_per_second"` // per token; < 0 turns it off
	RateBurst     int     `mapstructure:"rate_burst"`
	MaxConcurrent int     `mapstructure:"max_concurrent"` // requests in flight; < 0 turns it off
	// PerTokenShare is the part of MaxConcurrent one token (or all anonymous callers
	// together) may hold: max(1, ⌊max_concurrent × share⌋), in (0, 0.5].
	PerTokenShare float64 `mapstructure:"per_token_share"`
}

// CORS lists the browser origins allowed to call the API; empty means none.
type CORS struct {
	AllowedOrigins []string `mapstructure:"allowed_origins"`
}

// Log configures log/slog.
type Log struct {
	Format string `mapstructure:"format"` // text | json
	Level  string `mapstructure:"level"`  // debug | info | warn | error
}

// Defaults is the configuration with nothing set.
func Defaults() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		Catalog: catalogs.Default, // inside the binary: runs from any directory
		Store: Store{Kind: "embedded", Path: "./data", InfluxDB: InfluxDB{
			URL: "http://127.0.0.1:8086", Org: "duban", Bucket: "duban", Timeout: 10 * time.Second, Refresh: 5 * time.Second, Feed: "auto",
		}},
		HTTP: HTTP{
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
			IdleTimeout: 120 * time.Second, ShutdownTimeout: 20 * time.Second, MaxBodyBytes: 1 << 20,
			MinBodyRate: 1024, MinBodyRateGrace: 5 * time.Second,
			TrustedProxies: []string{},
		},
		Auth:      Auth{Read: "public"},
		Limits:    Limits{RatePerSecond: 200, RateBurst: 400, MaxConcurrent: 256, PerTokenShare: 0.125},
		CORS:      CORS{AllowedOrigins: []string{}},
		Log:       Log{Format: "text", Level: "info"},
		Board:     Board{TokenSHA256: []string{}},
		Workspace: Workspace{SessionTTL: 8 * time.Hour, LoginFailures: 10, LoginFailuresPerMinute: 6},
		Plans:     []string{},
		Notify:    Notify{Robots: []notify.Robot{}},
		Metrics:   Metrics{ClosedPlans: ClosedPlansKeep},
	}
}

// Options says where Load reads from.
type Options struct {
	// File is the YAML configuration file; empty means none.
	File string
	// Flags, when set, override everything: a flag named like a key with dots and
	// underscores turned into dashes (store.path → --store-path) is bound to that key
	// and counts only when given on the command line.
	Flags *pflag.FlagSet
}

// Load reads the configuration: defaults < file < DUBAN_… environment < flags.
func Load(opts Options) (Config, error) {
	v := viper.New()
	def := map[string]any{}
	if err := mapstructure.Decode(Defaults(), &def); err != nil {
		return Config{}, fmt.Errorf("config defaults: %w", err)
	}
	keys := flatten("", def, func(key string, val any) { v.SetDefault(key, val) })
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if opts.File != "" {
		v.SetConfigFile(opts.File)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read config %s: %w", opts.File, err)
		}
	}
	if opts.Flags != nil {
		for _, k := range keys {
			name := strings.NewReplacer(".", "-", "_", "-").Replace(k)
			if f := opts.Flags.Lookup(name); f != nil {
				if err := v.BindPFlag(k, f); err != nil {
					return Config{}, fmt.Errorf("bind flag --%s: %w", name, err)
				}
			}
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// flatten walks nested maps and calls set for every leaf key ("store.path"); it returns
// the keys.
func flatten(prefix string, m map[string]any, set func(string, any)) []string {
	var keys []string
	for k, val := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := val.(map[string]any); ok {
			keys = append(keys, flatten(key, sub, set)...)
			continue
		}
		set(key, val)
		keys = append(keys, key)
	}
	return keys
}

// Validate rejects configurations the server cannot run with, saying what to fix.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: give host:port, e.g. 127.0.0.1:8080"))
	}
	if c.Catalog == "" && len(c.Plans) == 0 {
		errs = append(errs, errors.New("catalog: give a catalog file (YAML or JSON) or "+catalogs.Default+" for the shipped one"))
	}
	errs = append(errs, c.validatePlans()...)
	errs = append(errs, c.Store.validate()...)
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: set both cert_file and key_file, or neither"))
	}
	switch c.Metrics.ClosedPlans {
	case ClosedPlansKeep, ClosedPlansDrop:
	default:
		errs = append(errs, fmt.Errorf("metrics.closed_plans %q: use keep (a closed plan's series stay) or drop (left out of /metrics)", c.Metrics.ClosedPlans))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: use text or json", c.Log.Format))
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: use debug, info, warn or error", c.Log.Level))
	}
	for name, d := range map[string]time.Duration{
		"http.read_header_timeout": c.HTTP.ReadHeaderTimeout, "http.read_timeout": c.HTTP.ReadTimeout,
		"http.write_timeout": c.HTTP.WriteTimeout, "http.idle_timeout": c.HTTP.IdleTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be a positive duration such as 30s", name))
		}
	}
	switch c.Auth.Read {
	case "public":
	case "token":
		if len(c.Auth.Tokens) == 0 {
			errs = append(errs, errors.New("auth.read: token, but auth.tokens is empty: nobody could read; add {role: reader, sha256: …} lines (duban token create --reader)"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth.read %q: use public or token", c.Auth.Read))
	}
	if len(c.Board.TokenSHA256) > 0 {
		errs = append(errs, errors.New("board.token_sha256 is replaced by auth.read: token, which protects the board and every other read alike "+
			"(it protected only the board while the same data was public under /api/v1, the bulletins and /metrics). "+
			"Move each hash to auth.tokens as {role: reader, sha256: HASH}, set auth.read: token, "+
			"and give Prometheus a scrape token ({role: metrics}, duban token create --metrics) or the scrapes answer 401"))
	}
	if s := c.Limits.PerTokenShare; !(s > 0 && s <= 0.5) {
		errs = append(errs, fmt.Errorf("limits.per_token_share %v: give a fraction in (0, 0.5], so that one token can never hold every request slot", s))
	}
	if c.Limits.MaxConcurrent == 1 || c.Limits.MaxConcurrent == 0 {
		errs = append(errs, fmt.Errorf("limits.max_concurrent %d: give at least 2, so that one token cannot hold every slot (or -1 to turn the bound off)", c.Limits.MaxConcurrent))
	}
	if c.HTTP.MinBodyRate < 0 || c.HTTP.MinBodyRateGrace < 0 {
		errs = append(errs, errors.New("http.min_body_rate and http.min_body_rate_grace: give 0 (off) or a positive value"))
	}
	if c.Workspace.SessionTTL < time.Second {
		errs = append(errs, fmt.Errorf("workspace.session_ttl %v: give how long a sign-in lasts, e.g. 8h", c.Workspace.SessionTTL))
	}
	if c.Workspace.LoginFailures < 1 || !(c.Workspace.LoginFailuresPerMinute > 0) {
		errs = append(errs, errors.New("workspace.login_failures and workspace.login_failures_per_minute: give positive numbers (defaults 10 and 6)"))
	}
	if c.Notify.TokenSHA256 != "" && c.Notify.TokenFile != "" {
		errs = append(errs, errors.New("notify: set token_sha256 or token_file, not both"))
	}
	return errors.Join(errs...)
}

// validate checks store:.
func (s Store) validate() []error {
	var errs []error
	switch s.Kind {
	case "embedded", "influxdb":
	default:
		errs = append(errs, fmt.Errorf("store.kind %q: use embedded or influxdb", s.Kind))
	}
	if s.Path == "" {
		errs = append(errs, errors.New("store.path: give the data directory"))
	}
	if f := s.InfluxDB.Feed; f != "auto" && f != "compact" {
		errs = append(errs, fmt.Errorf("store.influxdb.feed %q: give auto or compact (compact once every replica sharing the database runs this version)", f))
	}
	if s.InfluxDB.Token != "" && s.InfluxDB.TokenFile != "" {
		errs = append(errs, errors.New("store.influxdb: set token or token_file, not both"))
	}
	return errs
}

// validatePlans checks plans: and its relation to catalog:, and the test clock.
func (c Config) validatePlans() []error {
	var errs []error
	if len(c.Plans) > 0 && c.Catalog != "" && c.Catalog != catalogs.Default && c.Catalog != c.Plans[0] {
		errs = append(errs, fmt.Errorf("catalog %q and plans are both set: catalog is the one-plan shorthand; list every catalog under plans: (the first is the default plan)", c.Catalog))
	}
	seen := map[string]bool{}
	for i, ref := range c.Plans {
		switch {
		case strings.TrimSpace(ref) == "":
			errs = append(errs, fmt.Errorf("plans[%d]: empty; give a catalog file or embedded:NAME", i))
		case seen[ref]:
			errs = append(errs, fmt.Errorf("plans[%d]: %s is listed twice", i, ref))
		}
		seen[ref] = true
	}
	if _, err := c.Testing.Clock(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// ReceiverTokenSHA256 returns the hex sha256 of the token of duban's Alertmanager
// receiver, from token_sha256 or the token in token_file ("" when neither is set: the
// receiver is off). An unreadable or empty token file is an error naming it.
func (n Notify) ReceiverTokenSHA256() (string, error) {
	if n.TokenFile == "" {
		return n.TokenSHA256, nil
	}
	b, err := os.ReadFile(n.TokenFile)
	if err != nil {
		return "", fmt.Errorf("notify.token_file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("notify.token_file %s is empty: put the token Alertmanager sends in it (docker-compose: DUBAN_NOTIFY_TOKEN in .env, e.g. openssl rand -hex 32)", n.TokenFile)
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:]), nil
}

// InfluxToken returns the InfluxDB token from token or token_file.
func (i InfluxDB) InfluxToken() (string, error) {
	if i.TokenFile == "" {
		return i.Token, nil
	}
	b, err := os.ReadFile(i.TokenFile)
	if err != nil {
		return "", fmt.Errorf("store.influxdb.token_file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
