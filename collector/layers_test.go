package collector_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testenv"
)

// TestLayersKnowOnlyWhatTheyMust keeps the dependency direction of the README's code
// map: the collector's core knows no HTTP (transports map an InputError's Kind to a
// status), the domain imports nothing of ours but itself, and no backend imports the
// HTTP surfaces.
func TestLayersKnowOnlyWhatTheyMust(t *testing.T) {
	const mod = "github.com/duban-gov/duban/"
	cases := map[string]struct {
		dir    string
		denied func(path string) bool
	}{
		"the collector's core imports no HTTP": {"collector", func(p string) bool {
			return p == "net/http" || strings.HasPrefix(p, "github.com/gin-gonic/") || strings.HasPrefix(p, mod+"collector/http")
		}},
		"the domain imports nothing of ours": {"indicators", func(p string) bool {
			return strings.HasPrefix(p, mod) && !strings.HasPrefix(p, mod+"indicators")
		}},
		"the evaluation imports only the domain": {"indicators/evaluate", func(p string) bool {
			return strings.HasPrefix(p, mod) && p != mod+"indicators"
		}},
		"the embedded store imports no HTTP surface": {"collector/store/boltstore", func(p string) bool {
			return strings.HasPrefix(p, mod+"collector/http")
		}},
		"the InfluxDB store imports no HTTP surface": {"collector/store/influx", func(p string) bool {
			return strings.HasPrefix(p, mod+"collector/http")
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(testenv.RepoRoot(), tc.dir)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
					continue
				}
				f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
				if err != nil {
					t.Fatal(err)
				}
				n++
				for _, imp := range f.Imports {
					if p, _ := strconv.Unquote(imp.Path.Value); tc.denied(p) {
						t.Errorf("%s/%s imports %s", tc.dir, e.Name(), p)
					}
				}
			}
			if n == 0 {
				t.Fatalf("no Go file in %s", tc.dir)
			}
		})
	}
}
