package sheetstest_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/duban-gov/duban/sheets/sheetstest"
)

// TestHostileWorkbooksAreWhatTheySay: each workbook fits the body limit and is a zip
// whose entries unzip to the sizes they declare (the repeated deflate blocks are valid),
// except the one built to lie about its size, which archive/zip refuses.
func TestHostileWorkbooksAreWhatTheySay(t *testing.T) {
	for _, c := range sheetstest.Hostile() {
		t.Run(c.Name, func(t *testing.T) {
			if len(c.Data) > sheetstest.MaxBody {
				t.Fatalf("%d bytes, over %d", len(c.Data), sheetstest.MaxBody)
			}
			zr, err := zip.NewReader(bytes.NewReader(c.Data), int64(len(c.Data)))
			if err != nil {
				t.Fatal(err)
			}
			lying := strings.Contains(c.Name, "says it unzips")
			var total uint64
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				_ = rc.Close() // the copy's error is the one compared
				switch {
				case lying && strings.HasPrefix(f.Name, "xl/worksheets/"):
					if !errors.Is(err, zip.ErrFormat) {
						t.Errorf("%s: read %d bytes, %v; want zip.ErrFormat", f.Name, n, err)
					}
				case err != nil || uint64(n) != f.UncompressedSize64:
					t.Errorf("%s: unzipped %d bytes of %d: %v", f.Name, n, f.UncompressedSize64, err)
				}
				total += f.UncompressedSize64
			}
			t.Logf("%d bytes, %d entries, %d bytes unzipped", len(c.Data), len(zr.File), total)
		})
	}
}
