package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/internal/testenv"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "duban.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLaterSourcesOverrideEarlier(t *testing.T) {
	file := writeFile(t, "listen: 127.0.0.1:9001\nstore: {path: /file/data}\nlog: {format: json}\nlimits: {max_concurrent: 7}\n")
	cases := map[string]struct {
		env   map[string]string
		flags []string
		want  func(c config.Config) bool
	}{
		"the file overrides the defaults": {
			want: func(c config.Config) bool {
				return c.Listen == "127.0.0.1:9001" && c.Store.Path == "/file/data" && c.Store.Kind == "embedded" && c.Limits.MaxConcurrent == 7
			},
		},
		"the environment overrides the file": {
			env: map[string]string{"DUBAN_LISTEN": "127.0.0.1:9002", "DUBAN_STORE_PATH": "/env/data", "DUBAN_HTTP_READ_TIMEOUT": "3s"},
			want: func(c config.Config) bool {
				return c.Listen == "127.0.0.1:9002" && c.Store.Path == "/env/data" && c.HTTP.ReadTimeout == 3*time.Second
			},
		},
		"a list from the environment is comma-separated": {
			env: map[string]string{"DUBAN_CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example", "DUBAN_LIMITS_RATE_PER_SECOND": "-1"},
			want: func(c config.Config) bool {
				return len(c.CORS.AllowedOrigins) == 2 && c.CORS.AllowedOrigins[1] == "https://b.example" && c.Limits.RatePerSecond == -1
			},
		},
		"a flag overrides the environment": {
			env:   map[string]string{"DUBAN_LISTEN": "127.0.0.1:9002", "DUBAN_STORE_PATH": "/env/data"},
			flags: []string{"--listen", "127.0.0.1:9003"},
			want:  func(c config.Config) bool { return c.Listen == "127.0.0.1:9003" && c.Store.Path == "/env/data" },
		},
		"a flag not given does not override the file": {
			flags: []string{},
			want:  func(c config.Config) bool { return c.Listen == "127.0.0.1:9001" && c.Store.Path == "/file/data" },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			fs.String("listen", "127.0.0.1:8080", "")
			fs.String("store-path", "./data", "")
			if err := fs.Parse(c.flags); err != nil {
				t.Fatal(err)
			}
			got, err := config.Load(config.Options{File: file, Flags: fs})
			if err != nil {
				t.Fatal(err)
			}
			if !c.want(got) {
				t.Fatalf("unexpected configuration %+v", got)
			}
		})
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	c, err := config.Load(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Store.Path != "./data" || c.Catalog != "embedded:changzhi-2026" || c.HTTP.MaxBodyBytes != 1<<20 || len(c.CORS.AllowedOrigins) != 0 {
		t.Fatalf("defaults %+v", c)
	}
	if c.Auth.Read != "public" || c.Limits.PerTokenShare != 0.125 || c.HTTP.MinBodyRate != 1024 || c.HTTP.MinBodyRateGrace != 5*time.Second {
		t.Fatalf("access defaults: read %q, share %v, min body rate %d after %v", c.Auth.Read, c.Limits.PerTokenShare, c.HTTP.MinBodyRate, c.HTTP.MinBodyRateGrace)
	}
	if w := c.Workspace; w.SessionTTL != 8*time.Hour || w.SecureCookie || w.LoginFailures != 10 || w.LoginFailuresPerMinute != 6 {
		t.Fatalf("workspace defaults %+v", w)
	}
}

func TestBadConfigurationsAreRejected(t *testing.T) {
	h := auth.Hash("t")
	cases := map[string]string{
		"a misspelt key":                   "lisen: 127.0.0.1:1\n",
		"an unknown read access":           "auth: {read: private}\n",
		"reads by token without any token": "auth: {read: token}\n",
		"the retired board.token_sha256":   "board: {token_sha256: [" + h + "]}\n",
		"a token share of the whole pool":  "limits: {per_token_share: 1}\n",
		"a token share of nothing":         "limits: {per_token_share: 0}\n",
		"an in-flight limit of one":        "limits: {max_concurrent: 1}\n",
		"a negative body rate":             "http: {min_body_rate: -1}\n",
		"a misspelt access key":            "auth: {reads: token}\n",
		"an unknown store kind":            "store: {kind: sqlite}\n",
		"a certificate without a key":      "tls: {cert_file: a.pem}\n",
		"an unknown log format":            "log: {format: xml}\n",
		"a timeout that is not a duration": "http: {read_timeout: soon}\n",
		"a plan listed twice":              "plans: [embedded:changzhi-2026, embedded:changzhi-2026]\n",
		"an empty plan":                    "plans: [embedded:changzhi-2026, '']\n",
		"catalog and plans that disagree":  "catalog: a.yaml\nplans: [b.yaml]\n",
		"a test clock that is no instant":  "testing: {now: tomorrow}\n",
		"sessions that last no time":       "workspace: {session_ttl: 0s}\n",
		"no failed sign-in allowed":        "workspace: {login_failures: 0}\n",
		"an unknown closed_plans":          "metrics: {closed_plans: hide}\n",
		"an unknown change feed encoding":  "store: {influxdb: {feed: gzip}}\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := config.Load(config.Options{File: writeFile(t, body)}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestExampleConfigLoadsAndHoldsNoSecret checks the committed config/duban.yaml: it loads,
// its tokens are all hashes, and nothing in it looks like a token in clear.
func TestExampleConfigLoadsAndHoldsNoSecret(t *testing.T) {
	p := filepath.Join(testenv.RepoRoot(), "config", "duban.yaml")
	c, err := config.Load(config.Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Auth.Tokens) == 0 {
		t.Fatal("the example configures no token")
	}
	if _, err := auth.New(auth.Config{Tokens: c.Auth.Tokens}); err != nil {
		t.Fatalf("example tokens: %v", err)
	}
	if c.Store.InfluxDB.Token != "" {
		t.Fatal("the example holds an InfluxDB token in clear")
	}
	b, _ := os.ReadFile(p)
	// A generated token is 43 base64url characters; a hash is 64 hex digits.
	for _, m := range regexp.MustCompile(`[A-Za-z0-9_-]{32,}`).FindAllString(string(b), -1) {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m) && !strings.Contains(m, "_") {
			t.Fatalf("%q looks like a secret in clear", m)
		}
	}
}

// TestRetiredBoardTokenSaysHowToMigrate: a file still setting board.token_sha256 is
// refused with what to write instead, and what it means for Prometheus.
func TestRetiredBoardTokenSaysHowToMigrate(t *testing.T) {
	_, err := config.Load(config.Options{File: writeFile(t, "board:\n  token_sha256: ["+auth.Hash("t")+"]\n")})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"auth.read: token", "{role: reader, sha256: HASH}", "role: metrics", "401"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// TestReadAccessByToken: auth.read: token with reader and scrape tokens loads, from
// the file or the environment.
func TestReadAccessByToken(t *testing.T) {
	file := writeFile(t, "auth:\n  read: token\n  tokens:\n    - {role: reader, sha256: "+auth.Hash("r")+"}\n    - {role: metrics, sha256: "+auth.Hash("m")+"}\n")
	c, err := config.Load(config.Options{File: file})
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.Read != "token" || len(c.Auth.Tokens) != 2 {
		t.Fatalf("auth %+v", c.Auth)
	}
	if _, err := auth.New(auth.Config{Tokens: c.Auth.Tokens}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DUBAN_AUTH_READ", "public")
	t.Setenv("DUBAN_LIMITS_PER_TOKEN_SHARE", "0.25")
	t.Setenv("DUBAN_HTTP_MIN_BODY_RATE", "0")
	if c, err = config.Load(config.Options{File: file}); err != nil || c.Auth.Read != "public" || c.Limits.PerTokenShare != 0.25 || c.HTTP.MinBodyRate != 0 {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
}

// TestPlansAndTheCatalogShorthand: plans lists the catalogs served; catalog alone is
// one plan; the first plan listed is the default one.
func TestPlansAndTheCatalogShorthand(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"nothing set serves the shipped catalog": {"", []string{"embedded:changzhi-2026"}},
		"catalog alone is one plan":              {"catalog: a.yaml\n", []string{"a.yaml"}},
		"plans are served in order":              {"plans: [embedded:changzhi-2026, b.yaml]\n", []string{"embedded:changzhi-2026", "b.yaml"}},
		"catalog may repeat the first plan":      {"catalog: a.yaml\nplans: [a.yaml, b.yaml]\n", []string{"a.yaml", "b.yaml"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(config.Options{File: writeFile(t, tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.PlanRefs(); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("PlanRefs = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTestingClockStandsWhereTold: testing.now sets the server's clock (tests only).
func TestTestingClockStandsWhereTold(t *testing.T) {
	c, err := config.Load(config.Options{File: writeFile(t, "testing: {now: '2026-03-15T10:00:00+08:00'}\n")})
	if err != nil {
		t.Fatal(err)
	}
	now, err := c.Testing.Clock()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC)
	if got := now(); !got.Equal(at) {
		t.Errorf("clock = %v, want %v", got, at)
	}
	sysClock, _ := config.Defaults().Testing.Clock()
	if d := time.Since(sysClock()); d < 0 || d > time.Minute {
		t.Errorf("default clock is %v off the real time", d)
	}
}

// TestReceiverTokenFromAFile: notify.token_file holds the receiver's token (the compose
// secret Alertmanager reads too); duban keeps its sha256, refuses an empty or missing
// file naming it, and both keys at once.
func TestReceiverTokenFromAFile(t *testing.T) {
	dir := t.TempDir()
	tok, sum := testenv.Token(t)
	for name, body := range map[string]string{"token": tok + "\n", "empty": " \n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		notify        config.Notify
		want, wantErr string
	}{
		"the file's token is hashed":       {notify: config.Notify{TokenFile: filepath.Join(dir, "token")}, want: sum},
		"token_sha256 is taken as it is":   {notify: config.Notify{TokenSHA256: sum}, want: sum},
		"neither leaves the receiver off":  {},
		"an empty file is refused, named":  {notify: config.Notify{TokenFile: filepath.Join(dir, "empty")}, wantErr: "notify.token_file " + filepath.Join(dir, "empty") + " is empty"},
		"a missing file is refused, named": {notify: config.Notify{TokenFile: filepath.Join(dir, "nope")}, wantErr: "notify.token_file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.notify.ReceiverTokenSHA256()
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && (err != nil || got != tc.want):
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	c := config.Defaults()
	c.Notify = config.Notify{TokenSHA256: sum, TokenFile: filepath.Join(dir, "token")}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "token_sha256 or token_file, not both") {
		t.Errorf("both keys: %v", err)
	}
}
