// Package buildinfo says which duban is running: the version, commit and build date
// that the release build (`go run ./build`) stamps with -ldflags -X, or else what the Go
// toolchain recorded in the binary (debug.ReadBuildInfo: the module version, and the
// vcs.revision, vcs.time and vcs.modified settings of a build inside a git checkout).
// `duban version` prints it and duban_build_info carries it.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Package is the import path the -X stamps name (see LDFlags).
const Package = "github.com/duban-gov/duban/internal/buildinfo"

// Set at link time by LDFlags; empty in a plain `go build`.
var (
	version string
	commit  string
	date    string
)

// Unknown stands for a field neither stamped nor recorded by the toolchain.
const Unknown = "unknown"

// Info describes the running binary.
type Info struct {
	Version   string // v1.2.0, a git describe, the module version, or "devel"
	Commit    string // full git commit, "-dirty" appended for a modified tree
	Date      string // build date, RFC 3339 UTC: the commit's time in a reproducible build
	GoVersion string // runtime.Version()
	Platform  string // GOOS/GOARCH
}

// LDFlags returns the -X flags that stamp version, commit and date into a binary.
func LDFlags(version, commit, date string) []string {
	return []string{
		"-X", Package + ".version=" + version,
		"-X", Package + ".commit=" + commit,
		"-X", Package + ".date=" + date,
	}
}

// Get returns the stamped values, each completed from the toolchain's record when not
// stamped.
func Get() Info {
	return from(version, commit, date, readBuildInfo())
}

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// from merges stamps with a build record (nil when the binary has none).
func from(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	var rev, vcsTime string
	var modified bool
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" && rev != "" {
		info.Commit = rev
		if modified {
			info.Commit += "-dirty"
		}
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	if info.Date == "" {
		info.Date = vcsTime
	}
	if info.Date == "" {
		info.Date = Unknown
	}
	return info
}

// String is the one-line form: "duban v1.2.0 (commit abc…, built …, go1.26.8 linux/arm64)".
func (i Info) String() string {
	return fmt.Sprintf("duban %s (commit %s, built %s, %s %s)", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}

// Lines is the form `duban version` prints: one "key: value" per line.
func (i Info) Lines() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"version", i.Version}, {"commit", i.Commit}, {"built", i.Date},
		{"go", i.GoVersion}, {"platform", i.Platform},
	} {
		fmt.Fprintf(&b, "%-9s %s\n", kv[0]+":", kv[1])
	}
	return b.String()
}
