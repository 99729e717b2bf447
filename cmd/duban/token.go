package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newTokenCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "token",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("token: not built yet")
		},
	}
}
