package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/indicators"
)

func newValidateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate CATALOG.yaml",
		Short: "Check a catalog: duplicate ids, unknown departments, targets without unit, due dates outside the plan year",
		Long: `Check a catalog file and print each problem as FILE:LINE: message.
Exits 1 when there is any problem. See indicators.Validate for the full list of checks.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			probs, err := indicators.ValidateFile(args[0])
			if err != nil {
				return fmt.Errorf("validate: %w", err)
			}
			for _, p := range probs {
				fmt.Fprintf(s.out, "%s:%d: %s\n", args[0], p.Line, p.Msg)
			}
			if len(probs) > 0 {
				return fmt.Errorf("validate: %s: %d problem(s)", args[0], len(probs))
			}
			return nil
		},
	}
}
