package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newPushCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "push",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("push: not built yet")
		},
	}
}
