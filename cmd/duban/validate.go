package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newValidateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate CATALOG.yaml|embedded:NAME",
		Short: "Check a catalog: duplicate ids, unknown departments and measures, targets without unit, due dates outside the plan year",
		Long: `Check a catalog file (or a shipped one, embedded:NAME) and print each problem as
FILE:LINE: message. Exits 1 when there is any problem. Every command loads catalogs
through the same checks: duban serve refuses to start on a catalog validate rejects,
with the same messages. See indicators.Validate for the full list of checks.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			_, err := catalogs.Load(args[0])
			var ie *indicators.InvalidError
			if errors.As(err, &ie) {
				if lines := ie.Lines(); len(lines) > 0 {
					if _, err := fmt.Fprintln(s.out, strings.Join(lines, "\n")); err != nil {
						return err
					}
				}
				return fmt.Errorf("validate: %s: %d problem(s)", args[0], len(ie.Problems))
			}
			if err != nil {
				return fmt.Errorf("validate: %w", err)
			}
			return nil
		},
	}
}
