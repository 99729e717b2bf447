package buildinfo

import (
	"reflect"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Version: "v0.0.0-20261130101010-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-11-30T10:10:10Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	cases := map[string]struct {
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		"stamped values win over the toolchain's record": {
			version: "v1.2.0", commit: "feedface", date: "2026-12-01T00:00:00Z", bi: vcs,
			want: Info{Version: "v1.2.0", Commit: "feedface", Date: "2026-12-01T00:00:00Z"},
		},
		"without stamps the vcs settings fill in, a modified tree marked dirty": {
			bi:   vcs,
			want: Info{Version: "v0.0.0-20261130101010-0123456789ab+dirty", Commit: "0123456789abcdef-dirty", Date: "2026-11-30T10:10:10Z"},
		},
		"a build outside git says devel and unknown": {
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			want: Info{Version: "devel", Commit: Unknown, Date: Unknown},
		},
		"a binary without a build record still answers": {
			want: Info{Version: "devel", Commit: Unknown, Date: Unknown},
		},
		"a stamped version alone keeps the vcs commit": {
			version: "v1.3.0", bi: &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}},
			want: Info{Version: "v1.3.0", Commit: "abc", Date: Unknown},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := from(c.version, c.commit, c.date, c.bi)
			c.want.GoVersion, c.want.Platform = runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestPackageIsThisPackage: the -X stamps name variables by import path; a moved
// package would make them stamp nothing.
func TestPackageIsThisPackage(t *testing.T) {
	if got := reflect.TypeOf(Info{}).PkgPath(); got != Package {
		t.Fatalf("Package is %q, the package is %q", Package, got)
	}
}
