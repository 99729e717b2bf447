package logs_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/logs"
	"github.com/duban-gov/duban/internal/testenv"
)

func TestSetChangesLevelAndFormatOfEveryDerivedLogger(t *testing.T) {
	cases := map[string]struct {
		format, level string
		ok            bool
		debugShown    bool
		json          bool
	}{
		"debug lets debug lines through":        {format: "text", level: "debug", ok: true, debugShown: true},
		"json writes JSON, derived loggers too": {format: "json", level: "info", ok: true, json: true},
		"both at once":                          {format: "json", level: "DEBUG", ok: true, debugShown: true, json: true},
		"an unknown level changes nothing":      {format: "json", level: "loud"},
		"an unknown format changes nothing":     {format: "xml", level: "debug"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out testenv.Buffer
			l, err := logs.New(&out, "text", "info")
			if err != nil {
				t.Fatal(err)
			}
			derived := l.With("part", "store").WithGroup("g")
			derived.Debug("hidden before")
			derived.Info("before", "k", 1) // caches the derived text handler
			if err := l.Set(c.format, c.level); (err == nil) != c.ok {
				t.Fatalf("Set(%q, %q) = %v, want ok %v", c.format, c.level, err, c.ok)
			}
			if (logs.Check(c.format, c.level) == nil) != c.ok {
				t.Fatalf("Check disagrees with Set on (%q, %q)", c.format, c.level)
			}
			derived.Debug("debug after", "k", 2)
			derived.Info("info after", "k", 3)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if strings.Contains(out.String(), "hidden before") || !strings.Contains(lines[0], "part=store") {
				t.Fatalf("before Set: %q", lines)
			}
			if got := strings.Contains(out.String(), "debug after"); got != c.debugShown {
				t.Errorf("debug line shown %v, want %v:\n%s", got, c.debugShown, out.String())
			}
			last := lines[len(lines)-1]
			var rec map[string]any
			isJSON := json.Unmarshal([]byte(last), &rec) == nil
			if isJSON != c.json {
				t.Fatalf("last line %q: JSON %v, want %v", last, isJSON, c.json)
			}
			if isJSON && (rec["part"] != "store" || rec["g"].(map[string]any)["k"] != 3.0) {
				t.Errorf("the derived logger lost its attributes or group in JSON: %q", last)
			}
			if !isJSON && (!strings.Contains(last, "part=store") || !strings.Contains(last, "g.k=3")) {
				t.Errorf("the derived logger lost its attributes or group: %q", last)
			}
		})
	}
}
