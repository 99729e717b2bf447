package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newTokenCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage push, read and scrape tokens",
	}
	cmd.AddCommand(newTokenCreateCmd(s), newTokenRotateCmd(s))
	return cmd
}

// owner is whom a token belongs to: a department, or a role (admin, reader, metrics).
type owner struct{ department, role string }

// ownerFlags are the flags choosing an owner, shared by create and rotate.
type ownerFlags struct {
	dept                   string
	admin, reader, metrics bool
}

func (o *ownerFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.dept, "department", "", "department id the token writes for")
	f.BoolVar(&o.admin, "admin", false, "a supervision-office token that writes and corrects any indicator")
	f.BoolVar(&o.reader, "reader", false, "a read-only token: board, API reads, bulletins, /metrics")
	f.BoolVar(&o.metrics, "metrics", false, "a scrape token for Prometheus: /metrics only")
}

// set counts the owners chosen and returns the last.
func (o *ownerFlags) set() (int, owner) {
	n, w := 0, owner{}
	for _, c := range []struct {
		on bool
		w  owner
	}{{o.dept != "", owner{department: o.dept}}, {o.admin, owner{role: auth.RoleAdmin}},
		{o.reader, owner{role: auth.RoleReader}}, {o.metrics, owner{role: auth.RoleMetrics}}} {
		if c.on {
			n, w = n+1, c.w
		}
	}
	return n, w
}

func (w owner) String() string {
	if w.department != "" {
		return "department " + w.department
	}
	return "role " + w.role
}

// tokenLine is the auth.tokens entry of a token hash, as pasted into the configuration.
func tokenLine(w owner, hash string) string {
	who := "role: " + w.role
	if w.department != "" {
		who = "department: " + w.department
	}
	return fmt.Sprintf("    - {%s, sha256: %s}", who, hash)
}

func newTokenCreateCmd(s streams) *cobra.Command {
	var who ownerFlags
	var out, catalog string
	var all bool
	create := &cobra.Command{
		Use:   "create (--department ID | --admin | --reader | --metrics | --all-departments --out FILE)",
		Short: "Print a new random token once, and the config line holding its sha256",
		Long: `Print a new random token (32 random bytes, base64url) and the line to add under
auth.tokens in the configuration. duban keeps only the hash: give the token to the
department now, it cannot be shown again.

--reader makes a read-only token (board, API reads, bulletins; for auth.read: token),
--metrics a scrape token for Prometheus (/metrics only): write it to a file readable by
Prometheus and point the scrape job's authorization.credentials_file at it.

--all-departments issues one token for every lead department of the catalog (--catalog,
default the shipped one) and writes them with the department's id and name to --out, a
CSV file (UTF-8 with BOM, so Excel shows the Chinese names) created with mode 0600; an
existing file is never overwritten. Only the lines with the hashes go to the standard
output, ready to paste under auth.tokens.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			n, w := who.set()
			if all {
				n++
			}
			if n != 1 {
				return errors.New("token create: give exactly one of --department ID, --admin, --reader, --metrics or --all-departments")
			}
			if all != (out != "") {
				return errors.New("token create: --out FILE goes with --all-departments (and only with it): the tokens are written to that file, never to the terminal")
			}
			if all {
				return createAll(s, catalog, out)
			}
			tok, err := auth.Generate()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.out, "token: %s\n# add under auth.tokens in the configuration:\n%s\n", tok, tokenLine(w, auth.Hash(tok)))
			return err
		},
	}
	f := create.Flags()
	who.register(f)
	f.BoolVar(&all, "all-departments", false, "one token for every lead department of the catalog, written to --out")
	f.StringVar(&out, "out", "", "CSV file to create for --all-departments (id,name,token; mode 0600; never overwritten)")
	f.StringVar(&catalog, "catalog", config.Defaults().Catalog, "catalog whose lead departments get a token (a file, or embedded:NAME)")
	return create
}

// createAll writes one token per lead department of the catalog to a new CSV file and
// prints the configuration lines of their hashes.
func createAll(s streams, catalog, out string) error {
	cat, err := catalogs.Load(catalog)
	if err != nil {
		return err
	}
	leads := cat.LeadDepartments()
	if len(leads) == 0 {
		return fmt.Errorf("catalog %s has no lead department", catalog)
	}
	var csvText bytes.Buffer
	csvText.WriteString("\uFEFF") // BOM: Excel then reads the file as UTF-8
	w := csv.NewWriter(&csvText)
	w.UseCRLF = true
	lines := make([]string, 0, len(leads))
	if err := w.Write([]string{"id", "name", "token"}); err != nil {
		return err
	}
	for _, id := range leads {
		name := id
		if d, ok := cat.Department(id); ok && d.Name != "" {
			name = d.Name
		}
		tok, err := auth.Generate()
		if err != nil {
			return err
		}
		if err := w.Write([]string{id, name, tok}); err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s  # %s", tokenLine(owner{department: id}, auth.Hash(tok)), name))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := writeNewSecretFile(out, csvText.Bytes()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.out, "# %d tokens, one per lead department of %s, written to %s (mode 0600).\n"+
		"# Hand each department its own row only, then delete the file. Add under auth.tokens:\n%s\n",
		len(leads), cat.Plan.ID, out, strings.Join(lines, "\n"))
	return err
}

// writeNewSecretFile creates path with mode 0600 and writes b, refusing to replace an
// existing file; on error nothing is left behind.
func writeNewSecretFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; duban never overwrites a token file: choose another --out, or move the old file away first", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), os.Remove(path))
	}
	return nil
}

func newTokenRotateCmd(s streams) *cobra.Command {
	var who ownerFlags
	var file string
	cmd := &cobra.Command{
		Use:   "rotate (--department ID | --admin | --reader | --metrics) [--config FILE]",
		Short: "Replace a lost or leaked token: print a new one and the line that replaces the old one",
		Long: `Print a new token and the auth.tokens line that replaces the old one. The configuration
holds only hashes, so the old line cannot be told from the hash of a token nobody has
any more; with --config FILE the lines of that department (or role) are shown with their line
numbers. Edit the file, then reload duban (systemctl reload duban, kill -HUP, or POST
/-/reload with the admin token): no restart; the old token stops working at once, the new
one works.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			n, w := who.set()
			if n != 1 {
				return errors.New("token rotate: give exactly one of --department ID, --admin, --reader or --metrics")
			}
			var old []configLine
			if file != "" {
				var err error
				if old, err = tokenLines(file, w); err != nil {
					return err
				}
			}
			tok, err := auth.Generate()
			if err != nil {
				return err
			}
			return printRotation(s, w, file, tok, old)
		},
	}
	f := cmd.Flags()
	who.register(f)
	f.StringVar(&file, "config", "", "configuration file: show the lines to replace")
	return cmd
}

func printRotation(s streams, w owner, file, tok string, old []configLine) error {
	who := w.String()
	var b strings.Builder
	fmt.Fprintf(&b, "token: %s\n", tok)
	switch {
	case file == "":
		fmt.Fprintf(&b, "# in auth.tokens, replace the line of the old token of %s (a hash does not say\n", who)
		fmt.Fprintf(&b, "# which token it was: give --config FILE to have the lines of %s shown) with:\n", who)
	case len(old) == 0:
		fmt.Fprintf(&b, "# %s has no token of %s under auth.tokens; add:\n", file, who)
		fmt.Fprintf(&b, "%s\n# then reload duban (systemctl reload duban): no restart needed.\n", tokenLine(w, auth.Hash(tok)))
		_, err := fmt.Fprint(s.out, b.String())
		return err
	case len(old) == 1:
		fmt.Fprintf(&b, "# in %s, replace %s:\n#%s\n# with:\n", file, old[0].where(), old[0].text)
	default:
		fmt.Fprintf(&b, "# %s has %d tokens of %s; remove the one being replaced (all of them to revoke every old token):\n", file, len(old), who)
		for _, l := range old {
			fmt.Fprintf(&b, "#   %s:%s\n", l.where(), l.text)
		}
		fmt.Fprintf(&b, "# and add:\n")
	}
	fmt.Fprintf(&b, "%s\n# then reload duban (systemctl reload duban): the old token stops working at once.\n", tokenLine(w, auth.Hash(tok)))
	_, err := fmt.Fprint(s.out, b.String())
	return err
}

// configLine is an auth.tokens entry as written in a configuration file.
type configLine struct {
	first, last int    // line numbers, 1-based
	text        string // the lines, joined with "\n#"
}

func (l configLine) where() string {
	if l.first == l.last {
		return fmt.Sprintf("line %d", l.first)
	}
	return fmt.Sprintf("lines %d-%d", l.first, l.last)
}

// tokenLines finds the auth.tokens entries of an owner in a configuration file.
func tokenLines(path string, w owner) ([]configLine, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	tokens := lookup(lookup(&doc, "auth"), "tokens")
	if tokens == nil || tokens.Kind != yaml.SequenceNode {
		return nil, nil
	}
	src := strings.Split(string(raw), "\n")
	var out []configLine
	for _, item := range tokens.Content {
		var t auth.Token
		if err := item.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s:%d: auth.tokens entry: %w", path, item.Line, err)
		}
		if t.Department != w.department || t.Role != w.role {
			continue
		}
		first, last := item.Line, lastLine(item)
		if first < 1 || last > len(src) {
			continue
		}
		out = append(out, configLine{first: first, last: last, text: strings.Join(src[first-1:last], "\n#")})
	}
	return out, nil
}

// lookup returns the value of key in a mapping node (or a document holding one).
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lastLine is the last line a node's content starts on.
func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		if l := lastLine(c); l > last {
			last = l
		}
	}
	return last
}
