// Package mapping finds what each column of an uploaded sheet holds: it
// folds headers (case, accents, spacing and punctuation) and matches them
// against synonyms per kind of sheet (attendees, speakers, sessions), finds
// the header row under titles and merged group headers, guesses the kind
// of a sheet from its name or its headers, and applies the organizer's
// overrides.
package mapping

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Kind is what a sheet lists.
type Kind string

// The kinds of sheet.
const (
	Attendees Kind = "attendees"
	Speakers  Kind = "speakers"
	Sessions  Kind = "sessions"
)

// Kinds are the kinds in commit order: speakers before the sessions that
// name them.
var Kinds = []Kind{Attendees, Speakers, Sessions}

// Field names a column's meaning.
type Field string

// The fields, by kind (see Fields).
const (
	Email       Field = "email"
	ExternalID  Field = "external_id"
	Name        Field = "name"
	FirstName   Field = "first_name"
	LastName    Field = "last_name"
	Company     Field = "company"
	Title       Field = "title" // job title for people, the title of a session
	Phone       Field = "phone"
	PhotoURL    Field = "photo_url"
	Bio         Field = "bio"
	Role        Field = "role"
	VIP         Field = "vip"
	TicketType  Field = "ticket_type"
	Website     Field = "website"
	LinkedIn    Field = "linkedin"
	Twitter     Field = "twitter"
	Date        Field = "date"
	Start       Field = "start"
	End         Field = "end"
	Room        Field = "room"
	Track       Field = "track"
	Capacity    Field = "capacity"
	SpeakerRefs Field = "speakers"
	Description Field = "description"
)

// synonyms are folded header texts by kind and field.
var synonyms = map[Kind]map[Field][]string{
	Attendees: {
		Email:      {"email", "e mail", "mail", "email address", "e mail address", "courriel", "adresse email", "adresse e mail", "adresse mail", "adresse electronique", "correo", "correo electronico", "email adresse", "emailadresse"},
		ExternalID: {"id", "external id", "ext id", "attendee id", "participant id", "registration id", "registration number", "ticket id", "ticket number", "ticket no", "badge id", "badge number", "reference", "ref", "identifiant", "numero", "code"},
		Name:       {"name", "full name", "fullname", "nom complet", "attendee", "attendee name", "participant", "participant name", "contact", "contact name", "display name", "nombre completo"},
		FirstName:  {"first name", "firstname", "first", "given name", "prenom", "vorname", "nombre", "forename"},
		LastName:   {"last name", "lastname", "last", "surname", "family name", "nom de famille", "nom", "nachname", "apellido", "apellidos"},
		Company:    {"company", "company name", "organization", "organisation", "organization name", "societe", "entreprise", "employer", "firma", "unternehmen", "empresa", "org", "structure"},
		Title:      {"title", "job title", "job", "position", "fonction", "poste", "titre", "intitule du poste", "beruf", "cargo"},
		Phone:      {"phone", "phone number", "telephone", "telephone number", "tel", "mobile", "mobile phone", "cell", "cell phone", "portable", "gsm", "numero de telephone", "telefon", "telefono", "movil"},
		PhotoURL:   {"photo", "photo url", "picture", "picture url", "avatar", "image", "headshot", "photo link"},
		Bio:        {"bio", "biography", "biographie", "about", "about me", "profile", "presentation"},
		Role:       {"role", "type", "attendee type", "participant type", "member type", "category", "categorie", "statut"},
		VIP:        {"vip", "is vip", "v i p"},
		TicketType: {"ticket", "ticket type", "ticket category", "ticket class", "ticket name", "ticket kind", "pass", "pass type", "registration type",
			"admission type", "attendee ticket", "billet", "type de billet", "categorie de billet", "type d inscription", "tarif", "ticketart", "tipo de entrada"},
		Website:  {"website", "web site", "site", "site web", "url", "homepage", "web"},
		LinkedIn: {"linkedin", "linkedin url", "linkedin profile"},
		Twitter:  {"twitter", "x", "twitter handle", "twitter url"},
	},
	Speakers: {
		ExternalID: {"id", "speaker id", "external id", "ext id", "reference", "ref", "identifiant", "code"},
		Email:      {"email", "e mail", "mail", "email address", "e mail address", "courriel", "adresse email", "adresse e mail", "adresse mail", "correo"},
		Name:       {"name", "full name", "fullname", "speaker", "speaker name", "nom complet", "intervenant", "orateur", "display name"},
		FirstName:  {"first name", "firstname", "first", "given name", "prenom", "vorname"},
		LastName:   {"last name", "lastname", "last", "surname", "family name", "nom de famille", "nom", "nachname"},
		Company:    {"company", "company name", "organization", "organisation", "societe", "entreprise", "employer", "firma", "empresa"},
		Title:      {"title", "job title", "position", "fonction", "poste", "titre"},
		Bio:        {"bio", "biography", "biographie", "about", "description", "presentation"},
		PhotoURL:   {"photo", "photo url", "picture", "avatar", "image", "headshot"},
	},
	Sessions: {
		ExternalID:  {"id", "session id", "external id", "ext id", "reference", "ref", "code", "identifiant", "talk id"},
		Title:       {"title", "session", "session title", "session name", "name", "talk", "talk title", "titre", "intitule", "nom", "sujet", "subject"},
		Date:        {"date", "day", "jour", "session date", "datum", "fecha"},
		Start:       {"start", "start time", "starts", "starts at", "begin", "begins", "from", "debut", "heure de debut", "heure debut", "start date", "beginn", "inicio"},
		End:         {"end", "end time", "ends", "ends at", "until", "to", "fin", "heure de fin", "heure fin", "end date", "ende"},
		Room:        {"room", "room name", "salle", "location", "hall", "lieu", "stage", "raum", "sala"},
		Track:       {"track", "theme", "thematique", "parcours", "stream", "topic", "category", "categorie"},
		Capacity:    {"capacity", "seats", "places", "capacite", "max attendees", "nombre de places", "kapazitat"},
		SpeakerRefs: {"speakers", "speaker", "speaker ids", "speaker id", "speaker emails", "intervenants", "intervenant", "orateurs", "presenters", "presenter", "hosts"},
		Description: {"description", "abstract", "resume", "summary", "details", "beschreibung", "descripcion"},
	},
}

// sheetNames are folded sheet names that say a sheet's kind.
var sheetNames = map[Kind][]string{
	Attendees: {"attendees", "attendee", "participants", "participant", "inscrits", "members", "guests", "invites", "registrations", "people", "contacts", "teilnehmer", "asistentes"},
	Speakers:  {"speakers", "speaker", "intervenants", "orateurs", "presenters", "referents", "redner", "ponentes"},
	Sessions:  {"sessions", "session", "agenda", "programme", "program", "schedule", "talks", "planning", "conferences", "ateliers", "programm"},
}

// lookup maps a folded header to a field, per kind.
var lookup = func() map[Kind]map[string]Field {
	m := map[Kind]map[string]Field{}
	for k, fields := range synonyms {
		m[k] = map[string]Field{}
		for f, names := range fields {
			for _, n := range names {
				m[k][n] = f
			}
		}
	}
	return m
}()

// Fields lists the fields of a kind, sorted.
func Fields(k Kind) []Field {
	var out []Field
	for f := range synonyms[k] {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// ValidField reports whether f is a field of kind k.
func ValidField(k Kind, f Field) bool {
	_, ok := synonyms[k][f]
	return ok
}

var foldChain = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// Fold reduces a header to the form synonyms are written in: lower case,
// accents removed, every run of non-letters and non-digits (spaces,
// hyphens, underscores, punctuation) one space, trimmed. "E-Mail" and
// " e_mail " fold to "e mail"; "Société" to "societe".
func Fold(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		if t, _, err := transform.String(foldChain, s); err == nil {
			s = t
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		case r == '#' || r == '°' || r == 'º':
			// "No." and "#" in "Badge #" mean "number": drop them.
			space = true
		default:
			space = true
		}
	}
	return b.String()
}

// Match returns the field a header names in a sheet of kind k.
func Match(k Kind, header string) (Field, bool) {
	f, ok := lookup[k][Fold(header)]
	return f, ok
}

// KindOfSheet guesses a sheet's kind from its name.
func KindOfSheet(name string) (Kind, bool) {
	n := Fold(name)
	for _, k := range Kinds {
		for _, s := range sheetNames[k] {
			if n == s || strings.HasPrefix(n, s+" ") || strings.HasSuffix(n, " "+s) {
				return k, true
			}
		}
	}
	return "", false
}

// Column is one column of a mapped sheet.
type Column struct {
	Index  int    `json:"index"`  // 0-based
	Letter string `json:"letter"` // A, B, ... AA
	Header string `json:"header"`
	Field  Field  `json:"field,omitempty"`  // empty: not imported
	Custom string `json:"custom,omitempty"` // kept as a custom profile field under this name
}

// Sheet is how one sheet maps.
type Sheet struct {
	Name      string   `json:"name"`
	Kind      Kind     `json:"kind,omitempty"` // empty: the sheet is not imported
	HeaderRow int      `json:"header_row"`     // 1-based; 0 when none was found
	Columns   []Column `json:"columns"`
	Unknown   []string `json:"unknown,omitempty"` // headers no synonym matched
	// Missing lists required fields that no column gives.
	Missing []Field `json:"missing,omitempty"`
}

// Col returns the column giving field f, or -1.
func (s Sheet) Col(f Field) int {
	for _, c := range s.Columns {
		if c.Field == f {
			return c.Index
		}
	}
	return -1
}

// scoreRow counts the distinct fields a row's cells name in kind k.
func scoreRow(k Kind, cells []string) int {
	seen := map[Field]bool{}
	for _, c := range cells {
		if f, ok := Match(k, c); ok {
			seen[f] = true
		}
	}
	return len(seen)
}

// HeaderScan is how many rows from the top may hold the header.
const HeaderScan = 10

// Detect maps a sheet from its first rows (up to HeaderScan non-blank
// ones, with their 1-based numbers): the header row is the one naming the
// most fields of the sheet's kind, which is the kind hinted by the sheet's
// name, else want (when not empty), else the kind whose fields the best
// row names most. A header cell left empty by a merge takes the text of
// the cell above it (headers merged down over two rows).
func Detect(name string, want Kind, rows [][]string, nums []int) Sheet {
	kinds := Kinds
	if k, ok := KindOfSheet(name); ok {
		kinds = []Kind{k}
	} else if want != "" {
		kinds = []Kind{want}
	}
	best, bestRow, bestKind := 0, -1, Kind("")
	for _, k := range kinds {
		for i, r := range rows {
			if s := scoreRow(k, r); s > best {
				best, bestRow, bestKind = s, i, k
			}
		}
	}
	out := Sheet{Name: name}
	if bestRow < 0 || best < 2 && len(kinds) > 1 {
		return out
	}
	out.Kind, out.HeaderRow = bestKind, nums[bestRow]
	header := slices.Clone(rows[bestRow])
	if bestRow > 0 {
		above := rows[bestRow-1]
		for i := range header {
			if strings.TrimSpace(header[i]) == "" && i < len(above) {
				if _, ok := Match(bestKind, above[i]); ok {
					header[i] = above[i]
				}
			}
		}
	}
	out.Columns = columns(bestKind, header)
	for _, c := range out.Columns {
		if c.Field == "" && strings.TrimSpace(c.Header) != "" {
			out.Unknown = append(out.Unknown, c.Header)
		}
	}
	out.Missing = Missing(out)
	return out
}

func columns(k Kind, header []string) []Column {
	cols := make([]Column, 0, len(header))
	taken := map[Field]bool{}
	for i, h := range header {
		c := Column{Index: i, Letter: columnLetter(i), Header: strings.TrimSpace(h)}
		if f, ok := Match(k, h); ok && !taken[f] {
			c.Field = f
			taken[f] = true
		}
		cols = append(cols, c)
	}
	return cols
}

// Required fields per kind; a name may also come as first and last name,
// and a speaker needs an id or an email.
func Missing(s Sheet) []Field {
	var miss []Field
	has := func(f Field) bool { return s.Col(f) >= 0 }
	switch s.Kind {
	case Attendees:
		if !has(Email) {
			miss = append(miss, Email)
		}
		if !has(Name) && !has(FirstName) && !has(LastName) {
			miss = append(miss, Name)
		}
	case Speakers:
		if !has(Name) && !has(FirstName) && !has(LastName) {
			miss = append(miss, Name)
		}
		if !has(ExternalID) && !has(Email) {
			miss = append(miss, ExternalID)
		}
	case Sessions: // without an id column, the validator derives a key
		for _, f := range []Field{Title, Start, End} {
			if !has(f) {
				miss = append(miss, f)
			}
		}
	}
	return miss
}

// Override is the organizer's correction of one sheet's mapping.
type Override struct {
	Sheet string `json:"sheet"`
	// Kind changes the sheet's kind; "skip" leaves the sheet out.
	Kind string `json:"kind,omitempty"`
	// HeaderRow picks the header row (1-based); zero keeps the detected one.
	HeaderRow int `json:"header_row,omitempty"`
	// Columns maps a column (its letter, "C", or its header text) to a
	// field, to "" (not imported), or to "custom:<name>" (kept as a custom
	// profile field).
	Columns map[string]string `json:"columns,omitempty"`
}

// Apply applies an override to a detected sheet, given the header row's
// cells (when the header row changes, the caller passes the new row).
// Unknown fields are reported in the returned problems.
func Apply(s Sheet, o Override, header []string) (Sheet, []string) {
	var problems []string
	switch {
	case o.Kind == "skip":
		s.Kind = ""
		return s, nil
	case o.Kind != "":
		k := Kind(o.Kind)
		if _, ok := synonyms[k]; !ok {
			return s, []string{"unknown sheet kind " + o.Kind}
		}
		if k != s.Kind {
			s.Kind = k
			s.Columns = columns(k, header)
		}
	}
	if o.HeaderRow > 0 {
		s.HeaderRow = o.HeaderRow
		if s.Kind != "" {
			s.Columns = columns(s.Kind, header)
		}
	}
	for key, target := range o.Columns {
		idx := -1
		for _, c := range s.Columns {
			if c.Letter == strings.ToUpper(key) || Fold(c.Header) == Fold(key) && Fold(key) != "" {
				idx = c.Index
				break
			}
		}
		if idx < 0 {
			problems = append(problems, "no column "+key+" in sheet "+s.Name)
			continue
		}
		c := &s.Columns[idx]
		switch {
		case target == "":
			c.Field, c.Custom = "", ""
		case strings.HasPrefix(target, "custom:"):
			c.Field, c.Custom = "", strings.TrimSpace(strings.TrimPrefix(target, "custom:"))
		case ValidField(s.Kind, Field(target)):
			for i := range s.Columns { // a field comes from one column
				if s.Columns[i].Field == Field(target) {
					s.Columns[i].Field = ""
				}
			}
			c.Field, c.Custom = Field(target), ""
		default:
			problems = append(problems, "unknown field "+target+" for "+string(s.Kind))
		}
	}
	s.Unknown = nil
	for _, c := range s.Columns {
		if c.Field == "" && c.Custom == "" && c.Header != "" {
			s.Unknown = append(s.Unknown, c.Header)
		}
	}
	s.Missing = Missing(s)
	return s, problems
}

// KeepUnknownAsCustom maps every unknown column with a header to a custom
// field named after the header.
func KeepUnknownAsCustom(s Sheet) Sheet {
	for i, c := range s.Columns {
		if c.Field == "" && c.Custom == "" && c.Header != "" {
			s.Columns[i].Custom = c.Header
		}
	}
	s.Unknown = nil
	return s
}

func columnLetter(col int) string {
	var b []byte
	for col++; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b)
}
