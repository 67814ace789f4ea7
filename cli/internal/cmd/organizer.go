package cmd

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/attendify/hub"
	"github.com/attendify/platform/rpc"
)

// appFlag adds --app, defaulting to $ATTENDIFY_APP.
func appFlag(cmd *cobra.Command, app *string) {
	cmd.Flags().StringVar(app, "app", os.Getenv("ATTENDIFY_APP"), "the app's id (default $ATTENDIFY_APP)")
}

func needApp(app string) error {
	if app == "" {
		return usagef("--app is required (or set ATTENDIFY_APP); attendify apps list shows your apps")
	}
	return nil
}

func (c *CLI) appsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apps", Short: "The organizer's apps"}
	list := &cobra.Command{
		Use:   "list",
		Short: "The apps you organize, with your role",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			tok, err := c.token(ctx, "user", "")
			if err != nil {
				return err
			}
			hc, err := c.client("hub")
			if err != nil {
				return err
			}
			l, err := hub.ListApps.Call(as(ctx, tok), hc, hub.NoParams{})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(l)
			}
			var rows [][]string
			for _, a := range l.Apps {
				rows = append(rows, []string{a.ID, a.Slug, a.Name, a.Status, a.Access, a.Role})
			}
			c.table([]string{"ID", "SLUG", "NAME", "STATUS", "ACCESS", "ROLE"}, rows)
			return nil
		},
	}
	get := &cobra.Command{
		Use:   "get APP",
		Short: "One app",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			tok, err := c.token(ctx, "member", args[0])
			if err != nil {
				return err
			}
			hc, err := c.client("hub")
			if err != nil {
				return err
			}
			a, err := hub.GetApp.Call(as(ctx, tok), hc, hub.AppParams{AppRef: rpc.AppRef{App: args[0]}})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(a)
			}
			c.table([]string{"ID", "SLUG", "NAME", "STATUS", "ACCESS"}, [][]string{{a.ID, a.Slug, a.Name, a.Status, a.Access}})
			return nil
		},
	}
	cmd.AddCommand(list, get)
	return cmd
}

func (c *CLI) eventsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "An app's events"}
	var app string
	list := &cobra.Command{
		Use:   "list",
		Short: "The app's events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(app); err != nil {
				return err
			}
			ctx := cmd.Context()
			tok, err := c.token(ctx, "member", app)
			if err != nil {
				return err
			}
			hc, err := c.client("hub")
			if err != nil {
				return err
			}
			l, err := hub.ListEvents.Call(as(ctx, tok), hc, hub.AppParams{AppRef: rpc.AppRef{App: app}})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(l)
			}
			var rows [][]string
			for _, e := range l.Events {
				rows = append(rows, []string{e.ID, e.Name, e.Start, e.End, e.TimeZone, e.Visibility, e.Access})
			}
			c.table([]string{"ID", "NAME", "START", "END", "TIME ZONE", "VISIBILITY", "ACCESS"}, rows)
			return nil
		},
	}
	appFlag(list, &app)
	cmd.AddCommand(list)
	return cmd
}

func (c *CLI) membersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "members", Short: "An app's members"}
	var app, query, event, role string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "The app's member directory, by name (search with --query)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(app); err != nil {
				return err
			}
			ctx := cmd.Context()
			tok, err := c.token(ctx, "member", app)
			if err != nil {
				return err
			}
			hc, err := c.client("hub")
			if err != nil {
				return err
			}
			page, err := hub.SearchMembers.Call(as(ctx, tok), hc, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app}, Query: query, Event: event, Role: role, Limit: limit})
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(page)
			}
			var rows [][]string
			for _, m := range page.Members {
				rows = append(rows, []string{m.ID, m.Name, m.Email, m.Company, m.Role})
			}
			c.table([]string{"ID", "NAME", "EMAIL", "COMPANY", "ROLE"}, rows)
			if page.NextCursor != "" {
				c.Stderr.Write([]byte("(more: narrow with --query, or raise --limit)\n"))
			}
			return nil
		},
	}
	appFlag(list, &app)
	list.Flags().StringVar(&query, "query", "", "words the names or companies start with")
	list.Flags().StringVar(&event, "event", "", "only the attendees of this event")
	list.Flags().StringVar(&role, "role", "", "attendee, speaker, sponsor or staff")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many (1-200)")
	cmd.AddCommand(list)
	return cmd
}
