// Command build makes duban's release binaries for the servers offices run: static
// (CGO_ENABLED=0, no libc needed, so one file runs on Debian, Kylin, UOS or anything
// else with a Linux kernel) and reproducible (-trimpath, no build id, no VCS record;
// version, commit and date stamped from git with the commit's time as the date), so
// that anyone with the same Go version rebuilds the same bytes and can check them
// against SHA256SUMS.
//
//	go run ./build                                # linux/amd64, linux/arm64, linux/loong64 into dist/
//	go run ./build -platforms linux/arm64 -out /tmp/dist -version v1.2.0
//
// Kunpeng and Phytium servers (Kylin, UOS) are linux/arm64 (built for ARMv8.0, which
// every one of them runs); Loongson 3A5000/3C5000 and later are linux/loong64; x86
// servers (Hygon, Zhaoxin, Intel, AMD) linux/amd64 (built for the baseline x86-64).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/buildinfo"
)

// Platforms are the release targets, in build order.
var Platforms = []string{"linux/amd64", "linux/arm64", "linux/loong64"}

// SumsFile lists the sha256 of every binary in the output directory, in the format of
// sha256sum (check with `sha256sum -c SHA256SUMS`).
const SumsFile = "SHA256SUMS"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	root, out             string
	platforms             []string
	version, commit, date string
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	var platforms string
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.root, "root", ".", "source tree (the folder holding go.mod)")
	fs.StringVar(&o.out, "out", "dist", "output directory")
	fs.StringVar(&platforms, "platforms", strings.Join(Platforms, ","), "comma-separated GOOS/GOARCH list")
	fs.StringVar(&o.version, "version", "", "version to stamp (default: git describe --tags --always --dirty)")
	fs.StringVar(&o.commit, "commit", "", "commit to stamp (default: git rev-parse HEAD, -dirty for a modified tree)")
	fs.StringVar(&o.date, "date", "", "build date to stamp, RFC 3339 (default: $SOURCE_DATE_EPOCH, else the commit's time)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, p := range strings.Split(platforms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.Contains(p, "/") {
				return o, fmt.Errorf("platform %q: write GOOS/GOARCH, e.g. linux/arm64", p)
			}
			o.platforms = append(o.platforms, p)
		}
	}
	if len(o.platforms) == 0 {
		return o, errors.New("no platform to build")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if err := o.stamp(ctx, stderr); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "duban %s (commit %s, date %s)\n", o.version, o.commit, o.date); err != nil {
		return err
	}
	var sums []string
	for _, p := range o.platforms {
		name, err := o.build(ctx, p)
		if err != nil {
			return err
		}
		sum, err := sha256File(filepath.Join(o.out, name))
		if err != nil {
			return err
		}
		sums = append(sums, sum+"  "+name)
		if _, err := fmt.Fprintf(stdout, "%s  %s\n", sum, filepath.Join(o.out, name)); err != nil {
			return err
		}
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i][66:] < sums[j][66:] })
	return writeAtomic(filepath.Join(o.out, SumsFile), []byte(strings.Join(sums, "\n")+"\n"))
}

// BinaryName is the file name of the binary for a GOOS/GOARCH platform.
func BinaryName(platform string) string {
	return "duban-" + strings.ReplaceAll(platform, "/", "-")
}

// build compiles ./cmd/duban for platform into the output directory.
func (o options) build(ctx context.Context, platform string) (string, error) {
	goos, goarch, _ := strings.Cut(platform, "/")
	name := BinaryName(platform)
	out, err := filepath.Abs(filepath.Join(o.out, name))
	if err != nil {
		return "", err
	}
	ldflags := append([]string{"-s", "-w", "-buildid="}, buildinfo.LDFlags(o.version, o.commit, o.date)...)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-mod=readonly",
		"-ldflags="+strings.Join(ldflags, " "), "-o", out, "./cmd/duban")
	cmd.Dir = o.root
	cmd.Env = append(cleanEnv(),
		"CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch,
		"GOAMD64=v1",   // any x86-64 server, however old
		"GOARM64=v8.0", // Phytium FT-2000+ and Kunpeng 920 alike
		"GOFLAGS=",     // nothing from the caller's environment changes the bytes
	)
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", platform, err, msg.Bytes())
	}
	return name, nil
}

// cleanEnv is the environment without the variables that change what go build makes.
func cleanEnv() []string {
	drop := map[string]bool{"GOOS": true, "GOARCH": true, "CGO_ENABLED": true, "GOFLAGS": true,
		"GOAMD64": true, "GOARM64": true, "GOARM": true, "GO386": true, "GOEXPERIMENT": true,
		"GOLOONG64": true, "GOMIPS": true, "GOMIPS64": true, "GOPPC64": true, "GORISCV64": true,
		"CGO_CFLAGS": true, "CGO_LDFLAGS": true}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return env
}

// stamp fills version, commit and date from git where not given. A tree outside git
// gets "devel" and "unknown", never the current time (which would change the bytes).
func (o *options) stamp(ctx context.Context, stderr io.Writer) error {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = o.root
		b, err := cmd.Output()
		return strings.TrimSpace(string(b)), err
	}
	if o.version == "" {
		v, err := git("describe", "--tags", "--always", "--dirty")
		if err != nil || v == "" {
			// A warning only: the build goes on with "devel" whether or not it is seen.
			_, _ = fmt.Fprintf(stderr, "build: no git version (%v); stamping devel\n", err)
			v = "devel"
		}
		o.version = v
	}
	if o.commit == "" {
		c, err := git("rev-parse", "HEAD")
		if err != nil || c == "" {
			c = buildinfo.Unknown
		} else if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
			c += "-dirty"
		}
		o.commit = c
	}
	if o.date == "" {
		if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
			sec, err := strconv.ParseInt(epoch, 10, 64)
			if err != nil {
				return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", epoch, err)
			}
			o.date = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		} else if ct, err := git("log", "-1", "--format=%ct"); err == nil && ct != "" {
			sec, err := strconv.ParseInt(ct, 10, 64)
			if err != nil {
				return fmt.Errorf("git commit time %q: %w", ct, err)
			}
			o.date = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		} else {
			o.date = buildinfo.Unknown
		}
	}
	for name, v := range map[string]string{"version": o.version, "commit": o.commit, "date": o.date} {
		if v == "" || strings.ContainsAny(v, " \t\n'\"\\") {
			return fmt.Errorf("-%s %q: give a value without spaces or quotes", name, v)
		}
	}
	return nil
}

func sha256File(path string) (sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeAtomic writes a file through a temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		return errors.Join(err, tmp.Close(), os.Remove(tmp.Name()))
	}
	if err := tmp.Close(); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return os.Rename(tmp.Name(), path)
}
