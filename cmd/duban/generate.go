package main

import (
	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/deploy"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newGenerateCmd(s streams) *cobra.Command {
	var (
		catalog, out string
		opts         deploy.Options
	)
	cmd := &cobra.Command{
		Use:   "generate [--catalog FILE] [--out deploy]",
		Short: "Write every generated deployment file: Prometheus rules and configuration, Alertmanager routing, Grafana dashboards and provisioning",
		Long: `Write every generated file of a deployment into --out (the repository's deploy/
folder by default, which docker-compose.yml mounts): prometheus/prometheus.yml and
prometheus/duban.rules.yml, alertmanager/alertmanager.yml (a route and receiver per lead
department of the catalog), grafana/dashboards/*.json and grafana/provisioning/.
The committed files are generated from the shipped catalog with no other flag;
go generate ./deploy runs this command, and a test fails while they differ.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cat, err := catalogs.Load(catalog)
			if err != nil {
				return err
			}
			files, err := deploy.Generate(cat, opts)
			if err != nil {
				return err
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
	f.StringVar(&out, "out", "deploy", "deployment folder to write into")
	f.DurationVar(&opts.Rules.For, "for", 0, "replace every alert's for duration (tests and demos; 0 keeps the defined ones)")
	f.DurationVar(&opts.Rules.Interval, "interval", 0, "evaluation interval of every rule group (0: Prometheus' global one)")
	am := &opts.Alertmanager
	f.StringVar(&am.DepartmentWebhook, "department-webhook", "", "webhook URL of a department; {department} is replaced by its id")
	f.StringVar(&am.DepartmentEmail, "department-email", "", "email address of a department; {department} is replaced by its id")
	f.StringVar(&am.OfficeWebhook, "office-webhook", "", "webhook URL of the supervision office")
	f.StringVar(&am.OfficeEmail, "office-email", "", "email address of the supervision office")
	f.StringVar(&am.OpsWebhook, "ops-webhook", "", "webhook URL of the operators (collector down, configuration not reloaded)")
	f.StringVar(&am.SMTPSmarthost, "smtp-smarthost", "", "SMTP server host:port")
	f.StringVar(&am.SMTPFrom, "smtp-from", "", "sender address of the mails")
	f.StringVar(&am.WeChatCorpID, "wechat-corp-id", "", "WeChat Work corp id")
	return cmd
}
