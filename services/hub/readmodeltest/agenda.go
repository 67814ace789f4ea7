package readmodeltest

import (
	"context"
	"encoding/json"

	"github.com/attendify/platform/events"
)

// PublishData publishes one of hub's events (app.*, event.*, session.*,
// speaker.*, room.*, track.*) about subject of app, with payload (one of
// hub's payload types), as hub's outbox relay does. It returns the event
// as published.
func (h *Hub) PublishData(typ, app, subject string, payload any) events.Event {
	h.T.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		h.T.Fatal(err)
	}
	ev := events.Event{ID: events.NewID(), Type: typ, App: app, Subject: subject, Data: data}
	if err := h.pub.Publish(context.Background(), ev); err != nil {
		h.T.Fatal(err)
	}
	return ev
}
