package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newRulesCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("rules: not built yet")
		},
	}
}
