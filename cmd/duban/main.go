// Command duban is the indicator metrics and alerting stack: import a target list,
// run the collector, generate dashboards and bulletins. main only wires.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/duban-gov/duban/collector/store/boltstore"
)

// Exit codes: 0 done; 1 any error (and `duban store check` finding damage); 3 the data
// file is damaged (refused, left as it is); 4 the data file is not a duban store this
// build can use (another file, or a format of a newer duban).
const (
	exitError    = 1
	exitDamaged  = 3
	exitNotStore = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "duban:", err)
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	switch {
	case errors.Is(err, errCheckFailed):
		return exitError
	case errors.Is(err, boltstore.ErrDamaged):
		return exitDamaged
	case errors.Is(err, boltstore.ErrNotStore), errors.Is(err, boltstore.ErrFormat):
		return exitNotStore
	}
	return exitError
}

// Run executes the command line; main only calls it.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}
