package main_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector/auth"
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
