package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/attendify/cli/internal/config"
	"github.com/attendify/cli/internal/openrpc"
)

// index reads the discovery documents of the profile's services (of one,
// when service is set). Services that do not answer are left out, with a
// note on stderr unless quiet.
func (c *CLI) index(ctx context.Context, service string, quiet bool) (openrpc.Index, error) {
	_, p, err := c.current()
	if err != nil {
		return nil, err
	}
	ix := openrpc.Index{}
	services := config.Services
	if service != "" {
		services = []string{service}
	}
	var firstErr error
	for _, s := range services {
		if p.URLs[s] == "" {
			continue
		}
		rc, err := c.client(s)
		if err != nil {
			return nil, err
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d, err := openrpc.Discover(dctx, rc, s)
		cancel()
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("rpc.discover of %s: %w", s, err)
			}
			if !quiet {
				fmt.Fprintf(c.Stderr, "note: %s did not answer rpc.discover: %v\n", s, err)
			}
			continue
		}
		ix.Add(d)
	}
	if len(ix) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return ix, nil
}

func (c *CLI) callCmd() *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:   "call METHOD [name=value ...]",
		Short: "Call any method of any service, with its params checked against the method's schema first",
		Long: "The method is found in the services' rpc.discover documents (--service names one). Each\n" +
			"name=value is a param: taken as written for a string param, else read as JSON (numbers, true,\n" +
			"[\"a\",\"b\"], {\"k\":1}); name:=JSON forces JSON. The params are checked against the method's JSON\n" +
			"Schema before anything is sent (exit code 2, every bad field listed). The token is chosen by the\n" +
			"method's auth level: the account token, or an app token for app_id exchanged from it.",
		Example: "  attendify call app.list\n" +
			"  attendify call social.post.create app_id=app_1 event_id=ev_1 text=\"hello\"\n" +
			"  attendify call member.search app_id=app_1 query=ada limit=5",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: c.completeCall(&service),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, svc := args[0], service
			ix, err := c.index(ctx, svc, true)
			if err != nil {
				return err
			}
			m, ok := ix[name]
			// "social.post.create" names the service too.
			if s, rest, cut := strings.Cut(name, "."); !ok && cut && svc == "" && slices.Contains(config.Services, s) {
				m, ok = ix[rest]
				ok = ok && m.Service == s
			}
			if !ok {
				return usagef("no method %q in %s (attendify methods lists them)", name, orAll(svc))
			}
			params, err := m.ParseArgs(args[1:])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := m.Validate(params); err != nil {
				return withCode(ExitUsage, err)
			}
			app, _ := params["app_id"].(string)
			tok, err := c.token(ctx, m.Auth, app)
			if err != nil {
				return err
			}
			rc, err := c.client(m.Service)
			if err != nil {
				return err
			}
			var out json.RawMessage
			if err := rc.Call(as(ctx, tok), m.Name, m.Idempotent, params, &out); err != nil {
				return err
			}
			if len(out) == 0 {
				out = json.RawMessage("null")
			}
			var b bytes.Buffer // the answer as the service wrote it, indented
			if err := json.Indent(&b, out, "", "  "); err != nil {
				return err
			}
			b.WriteByte('\n')
			_, err = c.Stdout.Write(b.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "the service that has the method (default: found in every service's rpc.discover)")
	_ = cmd.RegisterFlagCompletionFunc("service", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return config.Services, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func orAll(service string) string {
	if service == "" {
		return "any service of the profile"
	}
	return service
}

// completeCall completes method names, then the method's param names
// (name=), from rpc.discover.
func (c *CLI) completeCall(service *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		ix, err := c.index(cmd.Context(), *service, true)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		if len(args) == 0 {
			var out []string
			for _, n := range ix.Names() {
				if strings.HasPrefix(n, toComplete) {
					out = append(out, n+"\t"+ix[n].Summary)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		m, ok := ix[args[0]]
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		given := map[string]bool{}
		for _, a := range args[1:] {
			k, _, _ := strings.Cut(a, "=")
			given[strings.TrimSuffix(k, ":")] = true
		}
		var out []string
		for _, p := range m.Params {
			if !given[p.Name] && strings.HasPrefix(p.Name+"=", toComplete) {
				out = append(out, p.Name+"=")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

func (c *CLI) methodsCmd() *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:   "methods",
		Short: "The methods of the profile's services (from rpc.discover): service, auth, whether they only read",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, err := c.index(cmd.Context(), service, false)
			if err != nil {
				return err
			}
			names := ix.Names()
			if c.json {
				out := make([]openrpc.Method, 0, len(names))
				for _, n := range names {
					out = append(out, ix[n])
				}
				return c.printJSON(out)
			}
			var rows [][]string
			for _, n := range names {
				m := ix[n]
				ro := ""
				if m.ReadOnly {
					ro = "read"
				}
				rows = append(rows, []string{m.Service, n, m.Auth, ro, strings.Join(m.ParamNames(), " "), m.Summary})
			}
			c.table([]string{"SERVICE", "METHOD", "AUTH", "READS", "PARAMS", "SUMMARY"}, rows)
			return nil
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's methods")
	return cmd
}
