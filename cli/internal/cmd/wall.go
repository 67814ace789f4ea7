package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/attendify/eventwall"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

func (c *CLI) wallCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "wall", Short: "Event walls"}
	var app, wall string
	var last, count int
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Follow a wall's live posts in the terminal (its Server-Sent Events stream)",
		Long: "Prints the wall's last posts, then each post as the wall shows it, as it arrives, until Ctrl-C\n" +
			"(or --count posts). --json prints one JSON object per post. The stream resumes by itself when\n" +
			"the connection drops.",
		Example: "  attendify wall tail --app app_123 --wall wall_456",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(app); err != nil {
				return err
			}
			if wall == "" {
				return usagef("--wall is required (attendify call wall.list app_id=%s lists the walls)", app)
			}
			return c.tail(cmd.Context(), app, wall, last, count)
		},
	}
	appFlag(tail, &app)
	tail.Flags().StringVar(&wall, "wall", "", "the wall's id")
	tail.Flags().IntVar(&last, "last", 10, "posts already on the wall to print first")
	tail.Flags().IntVar(&count, "count", 0, "stop after this many posts (0: follow until interrupted)")
	cmd.AddCommand(tail)
	return cmd
}

// tail follows the wall's stream and prints its posts.
func (c *CLI) tail(ctx context.Context, app, wallID string, last, count int) error {
	tok, err := c.token(ctx, "admin", app)
	if err != nil {
		return err
	}
	ec, err := c.client("eventwall")
	if err != nil {
		return err
	}
	w, err := eventwall.GetWall.Call(as(ctx, tok), ec, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: wallID})
	if err != nil {
		return err
	}
	_, p, _ := c.current()
	base, err := p.URL("eventwall")
	if err != nil {
		return withCode(ExitUsage, err)
	}
	path, query, _ := strings.Cut(w.Path, "?")
	stream := strings.TrimRight(base, "/") + path + "/stream"
	if !c.json {
		fmt.Fprintf(c.Stderr, "Following %q (Ctrl-C stops).\n", w.Title)
	}
	printed, cursor := 0, ""
	seen := map[string]bool{}
	emit := func(it eventwall.Item) bool {
		if seen[it.ID+it.Text] {
			return false
		}
		seen[it.ID+it.Text] = true
		if c.json {
			_ = json.NewEncoder(c.Stdout).Encode(it)
		} else {
			fmt.Fprintf(c.Stdout, "%s  %s: %s\n", it.CreatedAt.Local().Format("15:04:05"), it.Author, it.Text)
		}
		printed++
		return count > 0 && printed >= count
	}
	for {
		done, err := c.follow(ctx, stream, query, &cursor, func(ch eventwall.Changes) bool {
			items := ch.Items
			if ch.Reset { // newest first: print the last ones oldest first
				items = items[:min(len(items), last)]
				for i := len(items) - 1; i >= 0; i-- {
					if emit(items[i]) {
						return true
					}
				}
				return false
			}
			for _, it := range items {
				if emit(it) {
					return true
				}
			}
			return false
		})
		if done {
			return nil
		}
		if ctx.Err() != nil {
			return nil // interrupted: the normal way out
		}
		if err != nil {
			if e, ok := errs.As(err); ok && e.Code == errs.CodeNotFound {
				return err
			}
			fmt.Fprintf(c.Stderr, "note: the stream stopped (%v); reconnecting\n", err)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return nil
		}
	}
}

// streamIdle is how long a wall's stream may bring nothing, not even the
// keep-alive comment eventwall sends every 15 s, before the connection is
// taken as dead (dropped by a network without a word) and replaced.
var streamIdle = 45 * time.Second

// follow reads one connection of the wall's SSE stream, resuming from
// *cursor, and hands each "changes" event to on until on returns true
// (done) or the stream ends.
func (c *CLI) follow(ctx context.Context, stream, query string, cursor *string, on func(eventwall.Changes) bool) (done bool, err error) {
	u := stream
	if query != "" {
		u += "?" + query
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(streamIdle, cancel)
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *cursor != "" {
		req.Header.Set("Last-Event-ID", *cursor)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return false, errs.New(errs.NotFound, "the wall's stream is not found (the wall was deleted or its token rotated)")
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("the wall's stream answered HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var event, id string
	var data strings.Builder
	for sc.Scan() {
		idle.Reset(streamIdle)
		line := sc.Text()
		switch {
		case line == "":
			if event == "changes" && data.Len() > 0 {
				var ch eventwall.Changes
				if err := json.Unmarshal([]byte(data.String()), &ch); err == nil {
					if id != "" {
						*cursor = id
					}
					if on(ch) {
						return true, nil
					}
				}
			}
			event, id = "", ""
			data.Reset()
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(line[len("data:"):], " "))
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(line[len("id:"):])
		}
	}
	return false, sc.Err()
}
