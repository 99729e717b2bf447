package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/internal/buildinfo"
)

func newVersionCmd(s streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version of this binary",
		Long: `Print which duban this is: the version, commit and build date stamped by the release
build (go run ./build), else what the Go toolchain recorded from the git checkout, and
the Go version and platform. duban_build_info on /metrics carries the same values.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info := buildinfo.Get()
			if asJSON {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]string{
					"version": info.Version, "commit": info.Commit, "build_date": info.Date,
					"go_version": info.GoVersion, "platform": info.Platform,
				})
			}
			_, err := fmt.Fprint(s.out, info.Lines())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: version, commit, build_date, go_version, platform")
	return cmd
}
