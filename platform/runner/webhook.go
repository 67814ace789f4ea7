package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DeployConfig is where the runner reports deploy activity: each
// instance's start, ready, stop and crash, posted to an incoming webhook
// in the shape Slack accepts ({"text": ..., "blocks": [...]}).
type DeployConfig struct {
	// WebhookURL receives the posts; empty: none are sent. It is a secret
	// (whoever has it can post to the channel): it comes from the
	// environment and is never logged.
	WebhookURL string `env:"DEPLOY_WEBHOOK_URL"`
	// WebhookTimeout bounds each post. Posts are sent in the background:
	// start-up never waits for them, and shutdown waits at most this long
	// for the last one.
	WebhookTimeout time.Duration `env:"DEPLOY_WEBHOOK_TIMEOUT" envDefault:"5s"`
}

// Deploy events, as posted.
const (
	deployStart = "start"
	deployReady = "ready"
	deployStop  = "stop"
	deployCrash = "crash"
)

// deployNotifier posts an instance's deploy events, one at a time and in
// the order they happened (a channel reads start, ready, crash, never ready
// after the crash). A nil notifier posts nothing.
type deployNotifier struct {
	url     string
	service string
	build   BuildInfo
	host    string
	client  *http.Client
	log     *slog.Logger

	queue  chan deployPost
	done   chan struct{} // closed when the sender has sent or dropped every post
	ctx    context.Context
	cancel context.CancelFunc // abandons the post in flight at wait's deadline
	mu     sync.Mutex
	shut   bool        // wait closed the queue; later posts are dropped
	ended  atomic.Bool // stop or crash was posted
}

type deployPost struct {
	event string
	body  []byte
}

func newDeployNotifier(cfg DeployConfig, service string, log *slog.Logger) *deployNotifier {
	if cfg.WebhookURL == "" {
		return nil
	}
	timeout := cfg.WebhookTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &deployNotifier{
		url: cfg.WebhookURL, service: service, build: Build(), host: host,
		client: &http.Client{Timeout: timeout}, log: log,
		// An instance posts at most start, ready and an end: the queue
		// never fills, and post never blocks.
		queue: make(chan deployPost, 8),
		done:  make(chan struct{}),
		ctx:   ctx, cancel: cancel,
	}
	go n.send()
	return n
}

// slackMessage is an incoming webhook's payload: text for notifications
// and clients without blocks, blocks for the channel.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (n *deployNotifier) message(event string, cause error) slackMessage {
	text := fmt.Sprintf("%s %s on %s: %s", n.service, n.build.Version, n.host, event)
	if cause != nil {
		text += ": " + cause.Error()
	}
	detail := fmt.Sprintf("service *%s* · version `%s` · host `%s`", n.service, n.build.Version, n.host)
	if n.build.Commit != "" {
		detail += fmt.Sprintf(" · commit `%s`", n.build.Commit)
	}
	return slackMessage{
		Text: text,
		Blocks: []slackBlock{
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: detail}}},
		},
	}
}

// post queues event for the sender; a failure is logged, never returned:
// deploy activity must not decide whether the service runs.
func (n *deployNotifier) post(event string, cause error) {
	if n == nil {
		return
	}
	if event == deployStop || event == deployCrash {
		if n.ended.Swap(true) {
			return // the end is posted once
		}
	}
	body, err := json.Marshal(n.message(event, cause))
	if err != nil {
		n.log.Warn("deploy webhook", slog.String("event", event), slog.Any("error", err))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.shut {
		return
	}
	select {
	case n.queue <- deployPost{event: event, body: body}:
	default:
		n.log.Warn("deploy webhook not delivered", slog.String("event", event), slog.String("error", "queue full"))
	}
}

// send posts the queue in order until wait closes it.
func (n *deployNotifier) send() {
	defer close(n.done)
	for p := range n.queue {
		if n.ctx.Err() != nil {
			n.log.Warn("deploy webhook not delivered", slog.String("event", p.event), slog.String("error", "shutdown deadline passed"))
			continue
		}
		n.deliver(p)
	}
}

func (n *deployNotifier) deliver(p deployPost) {
	ctx, cancel := context.WithTimeout(n.ctx, n.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(p.body))
	if err != nil {
		n.log.Warn("deploy webhook", slog.String("event", p.event), slog.Any("error", err))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		// The URL is a secret: url.Error carries it, so log the cause
		// only.
		n.log.Warn("deploy webhook not delivered", slog.String("event", p.event), slog.String("error", unwrapURLError(err)))
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		n.log.Warn("deploy webhook refused", slog.String("event", p.event), slog.Int("status", resp.StatusCode))
	}
}

// wait sends what is queued and returns; it waits at most one timeout in
// all (a hung webhook does not hold shutdown once per post), then abandons
// the rest. Nothing is posted after wait.
func (n *deployNotifier) wait() {
	if n == nil {
		return
	}
	n.mu.Lock()
	if !n.shut {
		n.shut = true
		close(n.queue)
	}
	n.mu.Unlock()
	t := time.NewTimer(n.client.Timeout)
	defer t.Stop()
	select {
	case <-n.done:
	case <-t.C:
		n.cancel()
		<-n.done
	}
	n.cancel()
}

// unwrapURLError is err without the URL net/http puts in it.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
