package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/indicators/catalogs"
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
			return writeAtomic(s, out, alerts.FileName, buf.Bytes())
		},
	}
	gen.Flags().StringVar(&out, "out", "deploy/prometheus", "directory to write "+alerts.FileName+" into")
	gen.Flags().BoolVar(&stdout, "stdout", false, "write the rules to standard output instead")
	gen.Flags().DurationVar(&forDur, "for", 0, "replace every alert's for duration (tests and demos; 0 keeps the defined ones)")
	gen.Flags().DurationVar(&interval, "interval", 0, "evaluation interval of every group (0: Prometheus' global one)")
	cmd.AddCommand(gen, newRulesAlertmanagerCmd(s))
	return cmd
}

// alertmanagerFileName is the name of the generated Alertmanager configuration.
const alertmanagerFileName = "alertmanager.yml"

func newRulesAlertmanagerCmd(s streams) *cobra.Command {
	var (
		catalog, out string
		stdout       bool
		opts         alerts.AlertmanagerOptions
	)
	cmd := &cobra.Command{
		Use:   "alertmanager",
		Short: "Write an Alertmanager configuration routing each lead department of the catalog to its own receiver",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := catalogs.Load(catalog)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := alerts.WriteAlertmanager(&buf, cat, opts); err != nil {
				return err
			}
			if stdout {
				_, err := s.out.Write(buf.Bytes())
				return err
			}
			return writeAtomic(s, out, alertmanagerFileName, buf.Bytes())
		},
	}
	f := cmd.Flags()
	f.StringVar(&catalog, "catalog", catalogs.Default, "catalog file (or embedded:NAME) whose lead departments get a route each")
	f.StringVar(&out, "out", "deploy/alertmanager", "directory to write "+alertmanagerFileName+" into")
	f.BoolVar(&stdout, "stdout", false, "write the configuration to standard output instead")
	f.StringVar(&opts.DepartmentWebhook, "department-webhook", "", "webhook URL of a department; {department} is replaced by its id")
	f.StringVar(&opts.DepartmentEmail, "department-email", "", "email address of a department; {department} is replaced by its id")
	f.StringVar(&opts.OfficeWebhook, "office-webhook", "", "webhook URL of the supervision office")
	f.StringVar(&opts.OfficeEmail, "office-email", "", "email address of the supervision office")
	f.StringVar(&opts.OpsWebhook, "ops-webhook", "", "webhook URL of the operators (collector down)")
	f.StringVar(&opts.SMTPSmarthost, "smtp-smarthost", "", "SMTP server host:port")
	f.StringVar(&opts.SMTPFrom, "smtp-from", "", "sender address of the mails")
	f.StringVar(&opts.WeChatCorpID, "wechat-corp-id", "", "WeChat Work corp id")
	return cmd
}

// writeAtomic writes data to dir/name through a temp file and a rename.
func writeAtomic(s streams, dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintln(s.err, "wrote", path)
	return nil
}
