package config_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/config"
)

func TestChangedNamesTheKeysThatDiffer(t *testing.T) {
	base := config.Defaults()
	cases := map[string]struct {
		edit func(c *config.Config)
		want []string
	}{
		"the same configuration changed nothing": {edit: func(*config.Config) {}, want: nil},
		"a leaf of a nested section is named by its full key": {
			edit: func(c *config.Config) { c.Store.InfluxDB.Timeout = time.Minute }, want: []string{"store.influxdb.timeout"},
		},
		"a list of tokens is one key": {
			edit: func(c *config.Config) { c.Auth.Tokens = []auth.Token{{Role: auth.RoleAdmin, SHA256: auth.Hash("t")}} },
			want: []string{"auth.tokens"},
		},
		"an empty list is no list": {edit: func(c *config.Config) { c.HTTP.TrustedProxies = nil }, want: nil},
		"several keys come sorted": {
			edit: func(c *config.Config) {
				c.Listen = "0.0.0.0:1"
				c.Evaluate.DueDay = 15
				c.CORS.AllowedOrigins = []string{"*"}
			},
			want: []string{"cors.allowed_origins", "evaluate.due_day", "listen"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			next := base
			c.edit(&next)
			got, err := config.Changed(base, next)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("Changed = %q, want %q", got, c.want)
			}
		})
	}
}

func TestMergeTakesOnlyTheChosenKeys(t *testing.T) {
	base := config.Defaults()
	next := base
	next.Listen = "0.0.0.0:1"
	next.Limits.RatePerSecond = 3
	next.Auth.Tokens = []auth.Token{{Department: "rsj", SHA256: auth.Hash("t")}}
	next.HTTP.MinBodyRateGrace = time.Second
	got, err := config.Merge(base, next, func(k string) bool { return config.Under(k, "limits") || k == "auth.tokens" })
	if err != nil {
		t.Fatal(err)
	}
	want := base
	want.Limits.RatePerSecond = 3
	want.Auth.Tokens = next.Auth.Tokens
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge =\n%+v\nwant\n%+v", got, want)
	}
}

func TestUnder(t *testing.T) {
	cases := map[string]struct {
		key, prefix string
		want        bool
	}{
		"a key is under itself":                  {"auth.tokens", "auth.tokens", true},
		"a key is under its section":             {"limits.rate_burst", "limits", true},
		"a longer name is not under a shorter":   {"http.min_body_rate_grace", "http.min_body_rate", false},
		"a section is not under one of its keys": {"limits", "limits.rate_burst", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := config.Under(c.key, c.prefix); got != c.want {
				t.Fatalf("Under(%q, %q) = %v", c.key, c.prefix, got)
			}
		})
	}
}
