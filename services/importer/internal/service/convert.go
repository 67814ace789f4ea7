package service

import (
	"strings"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/validate"
)

// memberInput is what hub receives for an attendee row: the stored
// member (when there is one) with the fields the row gives replaced, so
// that a column the file lacks, or a blank cell, keeps what hub has. The
// analysis passes no stored member: hub merges (bulk.members with merge).
func memberInput(r *validate.Row, cur *hub.Member) hub.MemberInput {
	var in hub.MemberInput
	if cur != nil {
		in = hub.MemberInput{Email: cur.Email, ExternalID: cur.ExternalID, Name: cur.Name, Company: cur.Company,
			Title: cur.Title, PhotoURL: cur.PhotoURL, Bio: cur.Bio, Links: cur.Links, Role: cur.Role, Phone: cur.Phone, TicketType: cur.TicketType, Custom: cur.Custom}
	}
	m := r.Member
	set := func(f mapping.Field, dst *string, v string) {
		if r.Has(f) {
			*dst = v
		}
	}
	set(mapping.Email, &in.Email, m.Email)
	set(mapping.ExternalID, &in.ExternalID, m.ExternalID)
	if r.Has(mapping.Name) || r.Has(mapping.FirstName) || r.Has(mapping.LastName) {
		in.Name = m.Name
	}
	set(mapping.Company, &in.Company, m.Company)
	set(mapping.Title, &in.Title, m.Title)
	set(mapping.PhotoURL, &in.PhotoURL, m.PhotoURL)
	set(mapping.Bio, &in.Bio, m.Bio)
	set(mapping.Role, &in.Role, m.Role)
	set(mapping.Phone, &in.Phone, m.Phone)
	set(mapping.TicketType, &in.TicketType, m.TicketType)
	if len(m.Custom) > 0 {
		c := make(map[string]string, len(in.Custom)+len(m.Custom))
		for k, v := range in.Custom {
			c[k] = v
		}
		for k, v := range m.Custom {
			c[k] = v
		}
		in.Custom = c
	}
	if len(m.Links) > 0 {
		links := make([]hub.Link, 0, len(m.Links))
		for _, l := range m.Links {
			links = append(links, hub.Link{Label: l.Label, URL: l.URL})
		}
		in.Links = mergeLinks(in.Links, links)
	}
	if len(in.Links) == 0 {
		in.Links = nil
	}
	return in // an empty role: hub's default for a new member, the stored one for an update
}

// mergeLinks replaces the stored links whose label the file gives.
func mergeLinks(old, given []hub.Link) []hub.Link {
	out := make([]hub.Link, 0, len(old)+len(given))
	for _, l := range old {
		keep := true
		for _, g := range given {
			if strings.EqualFold(g.Label, l.Label) {
				keep = false
			}
		}
		if keep {
			out = append(out, l)
		}
	}
	return append(out, given...)
}

func speakerInput(r *validate.Row, cur *hub.Speaker) hub.SpeakerInput {
	var in hub.SpeakerInput
	if cur != nil {
		in = hub.SpeakerInput{ExternalID: cur.ExternalID, Email: strings.ToLower(cur.Email), Name: cur.Name, Company: cur.Company,
			Title: cur.Title, Bio: cur.Bio, PhotoURL: cur.PhotoURL}
	}
	s := r.Speaker
	set := func(f mapping.Field, dst *string, v string) {
		if r.Has(f) {
			*dst = v
		}
	}
	set(mapping.ExternalID, &in.ExternalID, s.ExternalID)
	set(mapping.Email, &in.Email, s.Email)
	if r.Has(mapping.Name) || r.Has(mapping.FirstName) || r.Has(mapping.LastName) {
		in.Name = s.Name
	}
	set(mapping.Company, &in.Company, s.Company)
	set(mapping.Title, &in.Title, s.Title)
	set(mapping.Bio, &in.Bio, s.Bio)
	set(mapping.PhotoURL, &in.PhotoURL, s.PhotoURL)
	return in
}

// sessionInput is what hub receives for a session row; speakers are
// named by external id, else email, as hub's bulk upsert takes them.
func sessionInput(r *validate.Row, cur *hub.Session) hub.BulkSessionInput {
	var in hub.BulkSessionInput
	if cur != nil {
		in = hub.BulkSessionInput{ExternalID: cur.ExternalID, Title: cur.Title, Description: cur.Description, Start: cur.Start,
			End: cur.End, Capacity: cur.Capacity}
		if cur.Room != nil {
			in.Room = cur.Room.Name
		}
		if cur.Track != nil {
			in.Track = cur.Track.Name
		}
		for _, sp := range cur.Speakers {
			if sp.ExternalID != "" {
				in.Speakers = append(in.Speakers, sp.ExternalID)
			} else if sp.Email != "" {
				in.Speakers = append(in.Speakers, strings.ToLower(sp.Email))
			}
		}
	}
	s := r.Session
	set := func(f mapping.Field, dst *string, v string) {
		if r.Has(f) {
			*dst = v
		}
	}
	if s.ExternalID != "" { // given, or derived from the title and start
		in.ExternalID = s.ExternalID
	}
	set(mapping.Title, &in.Title, s.Title)
	set(mapping.Description, &in.Description, s.Description)
	if s.Start != "" {
		in.Start, in.End = s.Start, s.End
	}
	set(mapping.Room, &in.Room, s.Room)
	set(mapping.Track, &in.Track, s.Track)
	if r.Has(mapping.Capacity) {
		in.Capacity = s.Capacity
	}
	if r.Has(mapping.SpeakerRefs) {
		in.Speakers = nil
		for _, k := range s.Speakers {
			if len(k) > 2 && (k[:2] == "x:" || k[:2] == "e:") {
				k = k[2:]
			}
			in.Speakers = append(in.Speakers, k)
		}
	}
	return in
}
