package events

import (
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
)

// Streams names the event streams of one deployment namespace. All services
// of a namespace share the streams: a topic's stream is written by the
// service that owns the topic and read by every consumer group that
// subscribes to it.
//
// Naming (through redisx.Keys with service "events", the topic as the
// Redis Cluster hash tag):
//
//	<namespace>:events:{<topic>}        the stream of a topic, e.g. "prod:events:{member}"
//	<namespace>:events:{<topic>}:dead   its dead letters, one stream for every group
//
// A stream and its dead-letter stream share the hash tag, so a consumer moves
// a message to the dead letters and acknowledges it in one MULTI, also on a
// cluster. Different topics land on different slots and spread the load.
type Streams struct {
	keys redisx.Keys
}

// NewStreams returns the stream names of namespace (the deployment's Redis
// key namespace, e.g. "prod" or a test's namespace from testkit).
func NewStreams(namespace string) Streams {
	return Streams{keys: redisx.NewKeys(namespace, "events")}
}

// Stream is the name of topic's stream.
func (s Streams) Stream(topic string) string { return s.keys.Tagged(topic) }

// Dead is the name of topic's dead-letter stream.
func (s Streams) Dead(topic string) string { return s.keys.Tagged(topic, "dead") }

func checkTopic(topic string) error {
	if !validTopic(topic) {
		return errs.New(errs.Invalid, "events: bad topic %q (want lower-case letters, digits, '_' or '-')", topic)
	}
	return nil
}
