package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/deploy"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newGenerateCmd(s streams) *cobra.Command {
	var (
		catalog, out, file string
		plans, only        []string
		fromEnv            bool
		opts               deploy.Options
	)
	cmd := &cobra.Command{
		Use:   "generate [--catalog FILE | --plans A,B | --config FILE] [--out deploy] [--only alertmanager] [--from-env]",
		Short: "Write every generated deployment file: Prometheus rules and configuration, Alertmanager routing, Grafana dashboards and provisioning",
		Long: `Write every generated file of a deployment into --out (the repository's deploy/
folder by default, which docker-compose.yml mounts): prometheus/prometheus.yml and
prometheus/duban.rules.yml, alertmanager/alertmanager.yml (a route and receiver per lead
department of every plan: one department id, one route), grafana/dashboards/*.json,
grafana/provisioning/ and grafana/alerting/ (Grafana's own alerting, for those who run it
instead of Alertmanager). The plans are those duban serve would serve: --plans A,B, or
--catalog FILE (one plan), or --config FILE's plans: (or catalog:), which --plans and
--catalog override. The committed files are generated from the shipped catalog with no
other flag; go generate ./deploy runs this command, and a test fails while they differ.

The Alertmanager receivers post to duban's own receiver (` + alerts.DubanReceiverURL + `,
the bearer token in ` + alerts.DubanReceiverTokenFile + `, docker-compose's secret) unless a
webhook is set: by the flags below, or with --from-env by the environment variables named
in their help (docker-compose runs "duban generate --only alertmanager --from-env" with
the variables of .env); --department-webhook ` + alerts.NoWebhook + ` sends no webhook.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromEnv {
				opts.Alertmanager.FromEnv(os.Getenv)
			}
			if err := opts.Alertmanager.Validate(); err != nil {
				return fmt.Errorf("alertmanager receivers: %w", err)
			}
			set, err := generatePlans(cmd, file)
			if err != nil {
				return err
			}
			files, err := deploy.Generate(set, opts)
			if err != nil {
				return err
			}
			if files, err = keep(files, only); err != nil {
				return err
			}
			if _, ok := files[deploy.FileAlertmanager]; ok && !opts.Alertmanager.Delivers() {
				s.notef("note: no Alertmanager receiver is set (--department-webhook %s and no mail): alerts show in Alertmanager and Grafana only\n", alerts.NoWebhook)
			}
			names, err := deploy.Write(out, files)
			for _, n := range names {
				s.notef("wrote %s/%s\n", out, n)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&catalog, "catalog", catalogs.Default, "catalog file (or embedded:NAME): its lead departments get routes, contact points and dashboard rows")
	f.StringSliceVar(&plans, "plans", nil, "catalogs served together, the first the default plan (instead of --catalog): the lead departments of every plan get routes")
	f.StringVar(&file, "config", "", "duban serve's YAML configuration: generate for its plans: (or catalog:)")
	f.StringVar(&out, "out", "deploy", "deployment folder to write into")
	f.StringSliceVar(&only, "only", nil, "write only these top folders of the deployment (alertmanager, prometheus, grafana)")
	f.BoolVar(&fromEnv, "from-env", false, "take every Alertmanager receiver setting not given as a flag from its environment variable")
	f.DurationVar(&opts.Rules.For, "for", 0, "replace every alert's for duration (tests and demos; 0 keeps the defined ones)")
	f.DurationVar(&opts.Rules.Interval, "interval", 0, "evaluation interval of every rule group (0: Prometheus' global one)")
	f.IntVar(&opts.Rules.Tuning.DueSoonDays, "due-soon-days", alerts.DefaultDueSoonDays, "DepartmentReportDueSoon reminds a department this many days before its reports are due")
	f.IntVar(&opts.Rules.Tuning.ReturnedDays, "returned-days", alerts.DefaultReturnedDays, "DepartmentReportReturned fires when a report the office returned is not sent again within this many days")
	for _, st := range alerts.AlertmanagerSettings {
		f.StringVar(st.Field(&opts.Alertmanager), st.Flag, "", st.Help+" [$"+st.Env+"]")
	}
	return cmd
}

// generatePlans loads the plans to generate for, as duban serve would serve them:
// --config FILE's plans: or catalog: (which --plans and --catalog override, as
// config.Load binds them), else --plans, else --catalog.
func generatePlans(cmd *cobra.Command, file string) (*indicators.PlanSet, error) {
	f := cmd.Flags()
	if f.Changed("plans") && f.Changed("catalog") {
		return nil, errors.New("give --plans A,B or --catalog FILE, not both")
	}
	var refs []string
	switch {
	case file != "":
		only := pflag.NewFlagSet("plans", pflag.ContinueOnError)
		only.AddFlag(f.Lookup("catalog"))
		only.AddFlag(f.Lookup("plans"))
		cfg, err := config.Load(config.Options{File: file, Flags: only})
		if err != nil {
			return nil, err
		}
		refs = cfg.PlanRefs()
	case f.Changed("plans"):
		refs, _ = f.GetStringSlice("plans")
	default:
		ref, _ := f.GetString("catalog")
		refs = []string{ref}
	}
	return catalogs.LoadSet(refs)
}

// keep returns the files under the top folders named in only (all when none).
func keep(files map[string][]byte, only []string) (map[string][]byte, error) {
	if len(only) == 0 {
		return files, nil
	}
	out := map[string][]byte{}
	for _, top := range only {
		n := 0
		for name, b := range files {
			if strings.HasPrefix(name, path.Clean(top)+"/") {
				out[name] = b
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("--only %s: no generated file lies under %s/ (alertmanager, prometheus or grafana)", top, top)
		}
	}
	return out, nil
}
