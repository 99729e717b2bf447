package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newValidateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("validate: not built yet")
		},
	}
}
