package main_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
)

func TestTokenCreate(t *testing.T) {
	bin := testenv.DubanBinary(t)
	line := regexp.MustCompile(`(?m)^token: (\S+)\n.*\n    - \{(department: rsj|role: admin|role: reader|role: metrics), sha256: ([0-9a-f]{64})\}\n$`)
	cases := map[string]struct {
		args []string
		who  string
		ok   bool
	}{
		"a department token":                     {[]string{"--department", "rsj"}, "department: rsj", true},
		"an admin token":                         {[]string{"--admin"}, "role: admin", true},
		"a read-only token":                      {[]string{"--reader"}, "role: reader", true},
		"a scrape token":                         {[]string{"--metrics"}, "role: metrics", true},
		"reader and metrics at once is an error": {[]string{"--reader", "--metrics"}, "", false},
		"neither is an error":                    {nil, "", false},
		"both at once is an error":               {[]string{"--admin", "--department", "rsj"}, "", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, append([]string{"token", "create"}, c.args...)...).CombinedOutput()
			if (err == nil) != c.ok {
				t.Fatalf("err %v, output %s", err, out)
			}
			if !c.ok {
				return
			}
			m := line.FindStringSubmatch(string(out))
			if m == nil || m[2] != c.who {
				t.Fatalf("output %q", out)
			}
			if auth.Hash(m[1]) != m[3] {
				t.Fatal("the printed hash is not the sha256 of the printed token")
			}
			tok := auth.Token{SHA256: m[3]}
			if role, ok := strings.CutPrefix(m[2], "role: "); ok {
				tok.Role = role
			} else {
				tok.Department = strings.TrimPrefix(m[2], "department: ")
			}
			a, err := auth.New(auth.Config{Tokens: []auth.Token{tok}})
			if err != nil {
				t.Fatal(err)
			}
			if id, ok := a.Authenticate(m[1]); !ok || id.Role != tok.Role || id.Principal.Department != tok.Department {
				t.Fatalf("the printed line does not authenticate the printed token as %s: %+v", m[2], id)
			}
		})
	}
}

// TestTokensForAllDepartments: one command issues a token per lead department of the
// shipped catalog into a 0600 CSV (UTF-8 with BOM) and prints the lines to paste; pasted
// as printed, each token pushes its own department's indicator through a real
// `duban serve` (201) and is refused another department's (403).
func TestTokensForAllDepartments(t *testing.T) {
	bin := testenv.DubanBinary(t)
	cat, err := catalogs.Changzhi2026()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "tokens.csv")
	out, err := exec.Command(bin, "token", "create", "--all-departments", "--out", csvPath).Output()
	if err != nil {
		t.Fatalf("%v %s", err, out)
	}
	st, err := os.Stat(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("tokens.csv has mode %v, want 0600", st.Mode().Perm())
	}
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(raw, []byte("\uFEFF"))
	if !ok {
		t.Error("tokens.csv does not start with the UTF-8 BOM Excel needs for the Chinese names")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	leads := cat.LeadDepartments()
	if len(leads) != 42 || len(rows) != 1+len(leads) || strings.Join(rows[0], ",") != "id,name,token" {
		t.Fatalf("%d lead departments; tokens.csv has %d rows, header %v", len(leads), len(rows), rows[0])
	}
	tokens := map[string]string{}
	for i, id := range leads {
		d, _ := cat.Department(id)
		if r := rows[i+1]; r[0] != id || r[1] != d.Name || len(r[2]) != 43 {
			t.Fatalf("row %d: %q, want %s %s and a token", i+1, r, id, d.Name)
		}
		tokens[id] = rows[i+1][2]
	}
	if strings.Contains(string(out), rows[1][2]) {
		t.Fatal("a token was printed to the terminal; only hashes belong there")
	}
	hashed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^    - \{department: (\w+), sha256: ([0-9a-f]{64})\}  # (\S+)$`).FindAllStringSubmatch(string(out), -1) {
		d, _ := cat.Department(m[1])
		if auth.Hash(tokens[m[1]]) != m[2] || d == nil || d.Name != m[3] {
			t.Fatalf("printed line %q does not match the CSV", m[0])
		}
		hashed[m[1]] = true
	}
	if len(hashed) != len(leads) {
		t.Fatalf("%d lines printed for %d departments:\n%s", len(hashed), len(leads), out)
	}

	t.Run("an existing file is never overwritten", func(t *testing.T) {
		again, err := exec.Command(bin, "token", "create", "--all-departments", "--out", csvPath).CombinedOutput()
		if err == nil || !strings.Contains(string(again), "never overwrites") {
			t.Fatalf("second run: %v %s", err, again)
		}
		if now, _ := os.ReadFile(csvPath); !bytes.Equal(now, raw) {
			t.Fatal("the second run changed tokens.csv")
		}
	})
	t.Run("tokens never go to the terminal", func(t *testing.T) {
		if b, err := exec.Command(bin, "token", "create", "--all-departments").CombinedOutput(); err == nil {
			t.Fatalf("without --out: %s", b)
		}
	})

	// The printed output pasted as is under auth.tokens of a real collector.
	cfg := "auth:\n  tokens:\n" + string(out)
	if err := os.WriteFile(filepath.Join(dir, "duban.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startIn(t, dir, bin, "--config", "duban.yaml")
	first := map[string]*indicators.Target{}
	for _, e := range cat.Entries() {
		if first[e.Task.Lead] == nil {
			first[e.Task.Lead] = e.Target
		}
	}
	for i, id := range leads {
		other := leads[(i+1)%len(leads)]
		if code, b := s.post(tokens[id], reportFor(first[id], "own-"+id)); code != http.StatusCreated {
			t.Errorf("%s pushing its own %s: %d %s", id, first[id].ID, code, b)
		}
		if code, b := s.post(tokens[id], reportFor(first[other], "other-"+id)); code != http.StatusForbidden || !strings.Contains(b, "forbidden_indicator") {
			t.Errorf("%s pushing %s of %s: %d %s, want 403 forbidden_indicator", id, first[other].ID, other, code, b)
		}
	}
}

// TestTokenRotate: rotate prints a new token and the line replacing the old one; with
// --config it shows the old line and its number. Applied as printed and the collector
// reloaded as it says (SIGHUP, no restart: the same process), the old token is refused
// and the new one pushes.
func TestTokenRotate(t *testing.T) {
	bin := testenv.DubanBinary(t)
	dir := t.TempDir()
	oldRSJ, oldRSJHash := testenv.Token(t)
	_, fgw1 := testenv.Token(t)
	_, fgw2 := testenv.Token(t)
	cfgPath := filepath.Join(dir, "duban.yaml")
	cfg := "log: {level: info}\nauth:\n  tokens:\n" +
		"    - {department: rsj, sha256: " + oldRSJHash + "}\n" +
		"    - department: fgw\n      sha256: " + fgw1 + "\n" +
		"    - {department: fgw, sha256: " + fgw2 + "}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenRe := regexp.MustCompile(`(?m)^token: (\S+)$`)
	newLine := regexp.MustCompile(`(?m)^(    - \{(department: \w+|role: \w+), sha256: ([0-9a-f]{64})\})$`)
	cases := map[string]struct {
		args []string
		want []string // in the output, in order
		ok   bool
	}{
		"with --config the old line is shown by number": {
			args: []string{"--department", "rsj", "--config", cfgPath},
			want: []string{"replace line 4:", "#    - {department: rsj, sha256: " + oldRSJHash + "}", "# with:", "department: rsj"}, ok: true,
		},
		"several tokens of a department are all listed, block style too": {
			args: []string{"--department", "fgw", "--config", cfgPath},
			want: []string{"has 2 tokens of department fgw", "lines 5-6:    - department: fgw", "#      sha256: " + fgw1, "line 7:    - {department: fgw, sha256: " + fgw2 + "}"}, ok: true,
		},
		"a department without a line is told to add one": {
			args: []string{"--department", "slj", "--config", cfgPath},
			want: []string{"has no token of department slj", "department: slj"}, ok: true,
		},
		"without --config it says which line to replace and how to see it": {
			args: []string{"--department", "rsj"},
			want: []string{"replace the line of the old token of department rsj", "--config FILE", "department: rsj"}, ok: true,
		},
		"an admin token":               {args: []string{"--admin"}, want: []string{"role admin", "role: admin"}, ok: true},
		"a reader token":               {args: []string{"--reader", "--config", cfgPath}, want: []string{"has no token of role reader", "role: reader"}, ok: true},
		"two owners is an error":       {args: []string{"--admin", "--department", "rsj"}},
		"no department is an error":    {args: nil},
		"a missing config is an error": {args: []string{"--department", "rsj", "--config", filepath.Join(dir, "nope.yaml")}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, append([]string{"token", "rotate"}, c.args...)...).CombinedOutput()
			if (err == nil) != c.ok {
				t.Fatalf("err %v, output %s", err, out)
			}
			if !c.ok {
				return
			}
			text := string(out)
			for _, w := range c.want {
				i := strings.Index(text, w)
				if i < 0 {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
				text = text[i+len(w):]
			}
			tok, line := tokenRe.FindStringSubmatch(string(out)), newLine.FindStringSubmatch(string(out))
			if tok == nil || line == nil || auth.Hash(tok[1]) != line[3] {
				t.Fatalf("the printed line does not hold the hash of the printed token:\n%s", out)
			}
		})
	}

	// Apply what rotate printed, reload: the old token is refused, the new one works.
	s := startIn(t, dir, bin, "--config", cfgPath)
	push := `{"reports":[{"indicator":"57.1","period":"2026-09","value":100}]}`
	if code, b := s.post(oldRSJ, push); code != http.StatusCreated {
		t.Fatalf("old token before the rotation: %d %s", code, b)
	}
	out, err := exec.Command(bin, "token", "rotate", "--department", "rsj", "--config", cfgPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	oldLine := regexp.MustCompile(`(?m)^#(    - \{department: rsj, sha256: [0-9a-f]{64}\})$`).FindStringSubmatch(string(out))
	tok, line := tokenRe.FindStringSubmatch(string(out)), newLine.FindStringSubmatch(string(out))
	if oldLine == nil || tok == nil || line == nil {
		t.Fatalf("rotate printed %s", out)
	}
	edited := strings.Replace(cfg, oldLine[1], line[1], 1)
	if edited == cfg {
		t.Fatal("the old line shown is not in the file")
	}
	if err := os.WriteFile(cfgPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "then reload duban (systemctl reload duban)") {
		t.Fatalf("rotate does not say to reload:\n%s", out)
	}
	pid := s.Pid()
	s.Signal(syscall.SIGHUP) // what systemctl reload sends
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.Logs.String(), "configuration reloaded"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload after SIGHUP:\n%s", s.Logs.String())
		}
	}
	if s.Pid() != pid {
		t.Fatalf("the collector restarted: pid %d, then %d", pid, s.Pid())
	}
	if code, b := s.post(oldRSJ, push); code != http.StatusUnauthorized {
		t.Errorf("old token after the rotation: %d %s, want 401", code, b)
	}
	if code, b := s.post(tok[1], push); code != http.StatusCreated {
		t.Errorf("new token: %d %s, want 201", code, b)
	}
}
