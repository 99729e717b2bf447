package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/alerts"
)

func newRulesCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Prometheus alert and recording rules generated from the Go definitions",
	}
	var (
		out      string
		forDur   time.Duration
		stdout   bool
		interval time.Duration
	)
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write the Prometheus rule file (" + alerts.FileName + ") into --out",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := alerts.PrometheusOptions{For: forDur, Interval: interval}
			var buf bytes.Buffer
			if err := alerts.WritePrometheus(&buf, opts); err != nil {
				return err
			}
			if stdout {
				_, err := s.out.Write(buf.Bytes())
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", out, err)
			}
			path := filepath.Join(out, alerts.FileName)
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write rules: %w", err)
			}
			if err := os.Rename(tmp, path); err != nil {
				return fmt.Errorf("write rules: %w", err)
			}
			fmt.Fprintln(s.err, "wrote", path)
			return nil
		},
	}
	gen.Flags().StringVar(&out, "out", "deploy/prometheus", "directory to write "+alerts.FileName+" into")
	gen.Flags().BoolVar(&stdout, "stdout", false, "write the rules to standard output instead")
	gen.Flags().DurationVar(&forDur, "for", 0, "replace every alert's for duration (tests and demos; 0 keeps the defined ones)")
	gen.Flags().DurationVar(&interval, "interval", 0, "evaluation interval of every group (0: Prometheus' global one)")
	cmd.AddCommand(gen)
	return cmd
}
