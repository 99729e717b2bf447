package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/internal/buildinfo"
)

// streams are the command's standard streams, passed to every subcommand.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// notef tells the operator something on standard error (a file written, a warning).
// When standard error itself cannot be written there is no one left to tell, so the
// error is ignored here, and only here; what a command outputs goes to out and its
// write errors are returned.
func (s streams) notef(format string, args ...any) {
	_, _ = fmt.Fprintf(s.err, format, args...)
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	s := streams{in: stdin, out: stdout, err: stderr}
	root := &cobra.Command{
		Use:           "duban",
		Short:         "duban (督办): indicator metrics and alerting for a government's annual targets",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Get().Version, // --version; `duban version` says more
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newImportCmd(s),   // import.go (issue 2)
		newValidateCmd(s), // validate.go (issue 2)
		newServeCmd(s),    // serve.go (issue 3)
		newTokenCmd(s),    // token.go (issue 3)
		newGenerateCmd(s), // generate.go: every generated deployment file (issues 4, 6, 13)
		newBulletinCmd(s), // bulletin.go (issue 8)
		newTemplateCmd(s), // template.go (issue 8)
		newPushCmd(s),     // push.go (issue 8)
		newPlanCmd(s),     // plan.go: close or reopen a plan (issue 15)
		newStoreCmd(s),    // store.go (issue 11)
		newVersionCmd(s),  // version.go (issue 20)
	)
	return root
}
