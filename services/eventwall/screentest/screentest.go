// Package screentest follows an EventWall the way a screen does, over HTTP,
// for the tests of eventwall and of the whole stack: a full state as a
// screen starting up gets it, and a projector that long-polls in the
// background and remembers every post it was ever shown.
package screentest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/attendify/eventwall"
)

// Full reads the full state of the wall at wallURL (eventwall's base URL
// and the wall's Path; a private wall's key in it), as a screen starting up.
func Full(ctx context.Context, wallURL string) (eventwall.Changes, error) {
	ch, _, err := poll(ctx, wallURL, "", 0)
	return ch, err
}

// poll asks once from cursor, waiting up to wait for a change; ok is false
// on a 304.
func poll(ctx context.Context, wallURL, cursor string, wait time.Duration) (ch eventwall.Changes, ok bool, err error) {
	u, err := url.Parse(wallURL)
	if err != nil {
		return ch, false, err
	}
	u.Path += "/poll"
	q := u.Query()
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return ch, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ch, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return ch, true, json.NewDecoder(resp.Body).Decode(&ch)
	case http.StatusNotModified:
		return ch, false, nil
	}
	return ch, false, fmt.Errorf("poll %s: HTTP %d", wallURL, resp.StatusCode)
}

// Projector long-polls a wall from when Watch starts it until Stop, as the
// projector page does when its stream fails, and remembers every post that
// any answer, full state or delta, carried.
type Projector struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	answers int
	shown   map[string]bool
}

// Watch starts a projector on the wall at wallURL.
func Watch(wallURL string) *Projector {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Projector{cancel: cancel, done: make(chan struct{}), shown: map[string]bool{}}
	go func() {
		defer close(p.done)
		cursor := ""
		for ctx.Err() == nil {
			ch, ok, err := poll(ctx, wallURL, cursor, 2*time.Second)
			if err != nil {
				time.Sleep(20 * time.Millisecond) // the server is away: try again
				continue
			}
			if !ok {
				continue
			}
			p.mu.Lock()
			p.answers++
			for _, it := range ch.Items {
				p.shown[it.ID] = true
			}
			p.mu.Unlock()
			cursor = ch.Cursor
		}
	}()
	return p
}

// Stop stops the projector and waits until it has; stopping it again does
// nothing.
func (p *Projector) Stop() {
	p.cancel()
	<-p.done
}

// Answers is how many answers with changes the projector got.
func (p *Projector) Answers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answers
}

// Shown reports whether any answer carried post.
func (p *Projector) Shown(post string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown[post]
}
