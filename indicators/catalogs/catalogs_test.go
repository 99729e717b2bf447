package catalogs_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/duban-gov/duban/indicators/catalogs"
)

var update = flag.Bool("update", false, "rewrite the shipped catalogs from their notice and overlay")

func readRoot(path string) ([]byte, error) { return os.ReadFile(filepath.Join("..", "..", path)) }

// TestShippedCatalogs is the drift check and the golden test of each whole catalog:
// the committed file must equal import(notice) + overlay, byte for byte.
func TestShippedCatalogs(t *testing.T) {
	for _, s := range catalogs.Shipped {
		t.Run(s.Output, func(t *testing.T) {
			var got bytes.Buffer
			if err := catalogs.Generate(&got, s, readRoot); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join("..", "..", s.Output)
			if *update {
				if err := os.WriteFile(out, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("%s drifted from import + overlay; run `go generate ./indicators/catalogs` and review the diff", s.Output)
			}
		})
	}
}
