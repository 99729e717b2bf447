package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testenv"
)

// The stamps of the test builds: fixed, so that two builds must agree byte for byte.
var stamps = []string{"-version", "v0.0.0-test", "-commit", "0123456789abcdef0123456789abcdef01234567", "-date", "2026-11-30T10:10:10Z"}

// Cross-building costs minutes of CPU on a cold build cache (every package compiled for
// another architecture), so the tests build only linux/arm64 (twice: the reproducibility
// check, whose second build reuses the compiled packages, and the binary run under
// qemu) and linux/loong64 once; -short skips them.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("cross-builds take minutes of CPU; run without -short")
	}
}

// buildInto runs the build command from root for one platform into out.
func buildInto(t *testing.T, root, out, platform string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"-root", root, "-out", out, "-platforms", platform}, stamps...)
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("build %s: %v\n%s%s", platform, err, stdout.String(), stderr.String())
	}
	return filepath.Join(out, BinaryName(platform))
}

var (
	arm64Once sync.Once
	arm64Dir  string
	arm64Err  error
)

// arm64Binary builds linux/arm64 from the repository once per test process.
func arm64Binary(t *testing.T) (bin, dir string) {
	t.Helper()
	skipShort(t)
	arm64Once.Do(func() {
		if arm64Dir, arm64Err = os.MkdirTemp("", "duban-dist-"); arm64Err != nil {
			return
		}
		var stdout, stderr bytes.Buffer
		args := append([]string{"-root", testenv.RepoRoot(), "-out", arm64Dir, "-platforms", "linux/arm64"}, stamps...)
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			arm64Err = fmt.Errorf("%w\n%s%s", err, stdout.String(), stderr.String())
		}
	})
	if arm64Err != nil {
		t.Fatal(arm64Err)
	}
	return filepath.Join(arm64Dir, BinaryName("linux/arm64")), arm64Dir
}

// checkStaticELF checks the machine, that there is no dynamic loader (static: runs
// without the server's libc) and that the symbol table is stripped.
func checkStaticELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s is for %v, want %v", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is dynamically linked (program header %v); want static (CGO_ENABLED=0)", path, p.Type)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s keeps its symbol table; want -s -w", path)
	}
}

// copyTree copies the source tree (without VCS data, caches and build outputs) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	skip := map[string]bool{".git": true, ".cache": true, "dist": true, "data": true, "out": true}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && skip[d.Name()] && rel != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil // symlinks (.cache) and the like
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReleaseBuildIsReproducible: the same source built from another folder gives the
// same bytes and the same SHA256SUMS, the binary is static and stripped, and the sums
// file holds the binary's sha256 in sha256sum's format. The second build reuses the
// compiled packages only because -trimpath keeps the folder out of their cache keys;
// without it they are compiled again with the other folder's paths, and differ.
func TestReleaseBuildIsReproducible(t *testing.T) {
	first, firstDir := arm64Binary(t)
	elsewhere := filepath.Join(t.TempDir(), "another", "checkout")
	copyTree(t, testenv.RepoRoot(), elsewhere)
	second := buildInto(t, elsewhere, t.TempDir(), "linux/arm64")

	a, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds of one source differ (%d and %d bytes): a path, build id or time leaks into the binary", len(a), len(b))
	}
	sumsA, _ := os.ReadFile(filepath.Join(firstDir, SumsFile))
	sumsB, _ := os.ReadFile(filepath.Join(filepath.Dir(second), SumsFile))
	sum, err := sha256File(first)
	if err != nil {
		t.Fatal(err)
	}
	if want := sum + "  duban-linux-arm64\n"; string(sumsA) != want || !bytes.Equal(sumsA, sumsB) {
		t.Fatalf("SHA256SUMS %q and %q, want %q", sumsA, sumsB, want)
	}
	checkStaticELF(t, first, elf.EM_AARCH64)
	check := exec.Command("sha256sum", "-c", SumsFile)
	check.Dir = firstDir
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c %s: %v %s", SumsFile, err, out)
	}
}

// TestArm64BinaryUnderQemu runs the linux/arm64 release binary (Kunpeng, Phytium) under
// qemu-user: it prints its stamps, serves the shipped catalog from an empty folder,
// accepts a push, reads it back, and stops cleanly on SIGTERM.
func TestArm64BinaryUnderQemu(t *testing.T) {
	qemu := testenv.NeedBinary(t, "qemu-aarch64-static")
	bin, _ := arm64Binary(t)

	out, err := exec.Command(qemu, bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("version under qemu: %v", err)
	}
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"version": stamps[1], "commit": stamps[3], "build_date": stamps[5], "platform": "linux/arm64"} {
		if v[k] != want {
			t.Errorf("duban version: %s = %q, want %q", k, v[k], want)
		}
	}

	dir := t.TempDir()
	token, hash := testenv.Token(t)
	cfg := "auth:\n  tokens:\n    - {department: rsj, sha256: " + hash + "}\n"
	if err := os.WriteFile(filepath.Join(dir, "duban.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testenv.StartServe(t, testenv.ServeOptions{
		Command: []string{qemu, bin}, Args: []string{"serve", "--config", "duban.yaml"}, Listen: true,
		Dir: dir, Timeout: 90 * time.Second,
	})
	url := srv.URL
	testenv.Push(t, url, token, `{"reports":[{"indicator":"57.1","period":"2026-09","value":31000}]}`)
	resp, err := http.Get(url + "/api/v1/indicators/57.1/reports")
	if err != nil {
		t.Fatal(err)
	}
	body := testenv.ReadBody(t, resp)
	var hist struct {
		Revisions []struct {
			Value    *float64
			Revision int
		}
	}
	if err := json.Unmarshal(body, &hist); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(hist.Revisions) != 1 || hist.Revisions[0].Value == nil || *hist.Revisions[0].Value != 31000 {
		t.Fatalf("read back %s", body)
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics := testenv.ReadBody(t, resp)
	if want := `revision="` + stamps[3] + `",version="` + stamps[1] + `"} 1`; !bytes.Contains(metrics, []byte(want)) {
		t.Errorf("duban_build_info lacks the stamps %s", want)
	}
	if err := srv.Stop(60 * time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.Logs.String())
	}
}

// TestLoong64Builds: the linux/loong64 binary (Loongson) builds, static. It is not run:
// under Debian 12's qemu-loongarch64 (7.2) even a minimal bbolt program fails inside
// mmap, so a run here would test qemu, not duban.
func TestLoong64Builds(t *testing.T) {
	skipShort(t)
	bin := buildInto(t, testenv.RepoRoot(), t.TempDir(), "linux/loong64")
	checkStaticELF(t, bin, elf.EM_LOONGARCH)
}

func TestStampsWithoutGit(t *testing.T) {
	cases := map[string]struct {
		env  string
		args []string
		want options
		err  string
	}{
		"outside git: devel and unknown, never the current time": {
			want: options{version: "devel", commit: "unknown", date: "unknown"},
		},
		"SOURCE_DATE_EPOCH sets the date": {
			env:  "1796083200",
			want: options{version: "devel", commit: "unknown", date: "2026-12-01T00:00:00Z"},
		},
		"given stamps are kept": {
			args: stamps,
			want: options{version: stamps[1], commit: stamps[3], date: stamps[5]},
		},
		"a stamp with a space is refused": {
			args: []string{"-version", "v1 beta"}, err: "without spaces",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", c.env)
			t.Setenv("GIT_CEILING_DIRECTORIES", os.TempDir())
			o, err := parse(append([]string{"-root", t.TempDir()}, c.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			err = o.stamp(context.Background(), io.Discard)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.version != c.want.version || o.commit != c.want.commit || o.date != c.want.date {
				t.Fatalf("stamped %q %q %q, want %q %q %q", o.version, o.commit, o.date, c.want.version, c.want.commit, c.want.date)
			}
		})
	}
}
