package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newBulletinCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "bulletin",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("bulletin: not built yet")
		},
	}
}
