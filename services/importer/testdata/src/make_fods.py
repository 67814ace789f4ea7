#!/usr/bin/env python3
"""Writes flat OpenDocument spreadsheets (.fods) from the workbook specs
below; gen.sh has LibreOffice convert them to .xlsx and .xls. A cell is a
plain value (str, int, float), or a dict:
  {"date": "2025-06-12"}            a date cell (serial number in Excel)
  {"iso": "2025-06-12"}             a date cell shown as 2025-06-12 (so in CSV)
  {"bool": True}                    a boolean cell
  {"datetime": "2025-06-12T09:30"}  a date-time cell
  {"time": "09:30"}                 a time cell (a fraction of a day)
  {"f": "of:=...", "v": "cached"}   a formula (LibreOffice recalculates it)
  {"v": "x", "span": 3}             a cell merged across 3 columns
Rows: a list of cells, or {"hidden": True, "cells": [...]}.
"""
import sys
from xml.sax.saxutils import escape, quoteattr

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
 <number:date-style style:name="Ndate"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
 <number:date-style style:name="Ndt"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
 <number:time-style style:name="Ntime"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>
 <number:date-style style:name="Niso"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
 <number:boolean-style style:name="Nbool"><number:boolean/></number:boolean-style>
 <style:style style:name="cdate" style:family="table-cell" style:data-style-name="Ndate"/>
 <style:style style:name="ciso" style:family="table-cell" style:data-style-name="Niso"/>
 <style:style style:name="cbool" style:family="table-cell" style:data-style-name="Nbool"/>
 <style:style style:name="cdt" style:family="table-cell" style:data-style-name="Ndt"/>
 <style:style style:name="ctime" style:family="table-cell" style:data-style-name="Ntime"/>
 <style:style style:name="rhidden" style:family="table-row"><style:table-row-properties fo:break-before="auto"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
"""
TAIL = "</office:spreadsheet></office:body></office:document>\n"


def cell(c):
    if isinstance(c, dict):
        span = c.get("span", 1)
        attrs = ""
        if span > 1:
            attrs += ' table:number-columns-spanned="%d" table:number-rows-spanned="1"' % span
        if "iso" in c:
            x = '<table:table-cell table:style-name="ciso" office:value-type="date" office:date-value="%s"%s><text:p>%s</text:p></table:table-cell>' % (c["iso"], attrs, c["iso"])
        elif "bool" in c:
            v = "true" if c["bool"] else "false"
            x = '<table:table-cell table:style-name="cbool" office:value-type="boolean" office:boolean-value="%s"%s><text:p>%s</text:p></table:table-cell>' % (v, attrs, v.upper())
        elif "date" in c:
            x = '<table:table-cell table:style-name="cdate" office:value-type="date" office:date-value="%s"%s><text:p>%s</text:p></table:table-cell>' % (c["date"], attrs, c["date"])
        elif "datetime" in c:
            x = '<table:table-cell table:style-name="cdt" office:value-type="date" office:date-value="%s:00"%s><text:p>%s</text:p></table:table-cell>' % (c["datetime"], attrs, c["datetime"])
        elif "time" in c:
            h, m = c["time"].split(":")
            x = '<table:table-cell table:style-name="ctime" office:value-type="time" office:time-value="PT%sH%sM00S"%s><text:p>%s</text:p></table:table-cell>' % (h, m, attrs, c["time"])
        elif "f" in c:
            v = c.get("v", "")
            if isinstance(v, (int, float)):
                x = '<table:table-cell table:formula=%s office:value-type="float" office:value="%s"%s><text:p>%s</text:p></table:table-cell>' % (quoteattr(c["f"]), v, attrs, v)
            else:
                x = '<table:table-cell table:formula=%s office:value-type="string" office:string-value=%s%s><text:p>%s</text:p></table:table-cell>' % (quoteattr(c["f"]), quoteattr(v), attrs, escape(v))
        else:
            x = cell(c["v"]).replace("<table:table-cell", "<table:table-cell" + attrs, 1)
        return x + "<table:covered-table-cell/>" * (span - 1)
    if c is None or c == "":
        return "<table:table-cell/>"
    if isinstance(c, (int, float)):
        return '<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (c, c)
    return '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>' % escape(c)


def write(path, sheets):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for name, rows in sheets:
            f.write('<table:table table:name=%s>\n' % quoteattr(name))
            for r in rows:
                hidden = isinstance(r, dict) and r.get("hidden")
                cells = r["cells"] if isinstance(r, dict) else r
                vis = ' table:visibility="collapse"' if hidden else ""
                f.write("<table:table-row%s>%s</table:table-row>\n" % (vis, "".join(cell(c) for c in cells)))
            f.write("</table:table>\n")
        f.write(TAIL)


# The problem workbook of the component tests: three sheets, a merged title
# row, merged group headers, formulas, a hidden row, a blank row, dates as
# date cells and as text, and rows with mistakes.
PROBLEMS = [
    ("Attendees", [
        [{"v": "Conference attendees 2025", "span": 8}],
        ["Courriel", "Prénom", "Nom", "Société", "Fonction", "Téléphone", "VIP", "T-shirt"],
        ["ada@example.com", "Ada", "Lovelace", "Analytical Engines", "Programmer", "+44 20 7946 0018", "oui", "M"],
        ["grace@example.com", "Grace", "Hopper", {"f": 'of:="US "&"Navy"', "v": "US Navy"}, "Rear Admiral", "+1 202 555 0143", "no", "S"],
        [],
        ["alan@example", "Alan", "Turing", "Bletchley Park", "Cryptanalyst", "12", "maybe", "L"],
        {"hidden": True, "cells": ["cancelled@example.com", "Cancelled", "Person", "", "", "", "", ""]},
        ["ADA@example.com", "Ada", "Again", "", "", "", "", ""],
        ["", "", "", "Orphan Company", "", "", "", ""],
        ["edsger@example.com", "Edsger", "Dijkstra", "Eindhoven", "Professor", "+31 40 247 9111", "1", "XL"],
    ]),
    ("Speakers", [
        [{"v": "Speaker", "span": 2}, {"v": "Details", "span": 3}],
        ["ID", "Full name", "E-mail", "Company", "Bio"],
        ["spk-1", "Ada Lovelace", "ada@example.com", "Analytical Engines", "First programmer."],
        ["spk-2", "Grace Hopper", "grace@example.com", "US Navy", "Compilers."],
        ["spk-3", "", "nobody@example.com", "", ""],
    ]),
    ("Sessions", [
        ["Session ID", "Title", "Date", "Start", "End", "Room", "Track", "Speakers", "Capacity"],
        ["s1", "Opening keynote", {"date": "2025-06-12"}, {"time": "09:00"}, {"time": "10:00"}, "Main hall", "Keynotes", "spk-1", {"f": "of:=10*25", "v": 250}],
        ["s2", "Compilers", "12/06/2025", "10:30", "11:15", "Main hall", "Tech", "spk-2; spk-1"],
        ["s3", "Overlapping talk", {"date": "2025-06-12"}, {"time": "10:45"}, {"time": "11:30"}, "Main hall", "Tech", ""],
        ["s4", "Ghost speaker", {"date": "2025-06-12"}, {"time": "14:00"}, {"time": "15:00"}, "Room B", "Tech", "spk-9"],
        ["s5", "Backwards", {"date": "2025-06-12"}, {"time": "16:00"}, {"time": "15:00"}, "Room B", "", ""],
        ["s6", "Closing", {"datetime": "2025-06-13T17:00"}, "", {"time": "18:00"}, "Main hall", "Keynotes", "spk-2"],
    ]),
]

# The clean workbook: the demo app's attendees, speakers and agenda, also
# the first import of the component tests.
DEMO = [
    ("Attendees", [
        ["Email", "First name", "Last name", "Company", "Job title", "Phone", "VIP"],
        ["marie.curie@example.org", "Marie", "Curie", "Institut du Radium", "Director", "+33 1 42 34 67 00", "yes"],
        ["niels.bohr@example.org", "Niels", "Bohr", "Copenhagen University", "Professor", "+45 35 32 42 42", "no"],
        ["lise.meitner@example.org", "Lise", "Meitner", "Kaiser Wilhelm Institute", "Physicist", "", "no"],
        ["enrico.fermi@example.org", "Enrico", "Fermi", "University of Chicago", "Professor", "", "yes"],
        ["chien-shiung.wu@example.org", "Chien-Shiung", "Wu", "Columbia University", "Physicist", "", "no"],
        ["paul.dirac@example.org", "Paul", "Dirac", "Cambridge", "Lucasian Professor", "", "no"],
    ]),
    ("Speakers", [
        ["Speaker ID", "Name", "Email", "Company", "Title", "Bio"],
        ["curie", "Marie Curie", "marie.curie@example.org", "Institut du Radium", "Director", "Two Nobel prizes."],
        ["bohr", "Niels Bohr", "niels.bohr@example.org", "Copenhagen University", "Professor", "Atomic structure."],
        ["wu", "Chien-Shiung Wu", "chien-shiung.wu@example.org", "Columbia University", "Physicist", "Parity violation."],
    ]),
    ("Sessions", [
        ["Session ID", "Title", "Date", "Start", "End", "Room", "Track", "Speakers", "Description"],
        ["open", "Opening keynote", {"date": "2026-06-12"}, {"time": "09:00"}, {"time": "10:00"}, "Main hall", "Keynotes", "curie", "Welcome."],
        ["atoms", "Inside the atom", {"date": "2026-06-12"}, {"time": "10:30"}, {"time": "11:15"}, "Main hall", "Physics", "bohr", ""],
        ["parity", "Parity is not conserved", {"date": "2026-06-12"}, {"time": "10:30"}, {"time": "11:15"}, "Room B", "Physics", "wu", ""],
        ["panel", "Panel: the future of physics", {"date": "2026-06-12"}, {"time": "14:00"}, {"time": "15:00"}, "Main hall", "Keynotes", "curie; bohr; wu", ""],
        ["close", "Closing", {"date": "2026-06-12"}, {"time": "17:00"}, {"time": "17:30"}, "Main hall", "Keynotes", "", ""],
    ]),
]

# Long texts and text formulas, for the .xls reader: about 90 KB of shared
# strings, more than one BIFF record holds (8,224 bytes), so that the
# table goes on in CONTINUE records with strings cut across them (some
# stored as 8-bit characters, some as UTF-16, two longer than a record);
# and formulas with text results, which an .xls stores as a FORMULA record
# followed by a STRING record (itself continued when longer than a
# record). internal/sheet's TestTextsWorkbook builds the same values.
LATIN = "The quick brown fox jumps over the lazy dog; naïve façade, déjà vu. "
WIDE = "Zoé met François in Łódź, then flew to 東京 for €200. "


def note(i):
    return "%d: " % i + (WIDE if i % 2 else LATIN) * (5 + i % 7)


NOTES = [["Key", "Note"]] + [["n%02d" % i, note(i)] for i in range(1, 61)] + [
    ["long-latin", (LATIN * 300)[:20000]],
    ["long-wide", (WIDE * 200)[:10000]],
]
TEXTS = [
    ("Notes", NOTES),
    ("Formulas", [
        ["Formula", "Result"],
        ["upper", {"f": "of:=UPPER([Notes.A2])", "v": "N01"}],
        ["concat", {"f": 'of:=[Notes.A3]&" / "&LEFT([Notes.B3];20)', "v": "n02 / " + note(2)[:20]}],
        ["if", {"f": 'of:=IF(LEN([Notes.B4])>500;"long";"short")', "v": "long" if len(note(3)) > 500 else "short"}],
        ["rept-ascii", {"f": 'of:=REPT("ab";4500)', "v": "ab" * 4500}],
        ["rept-latin", {"f": 'of:=REPT("é";9000)', "v": "é" * 9000}],
        ["rept-wide", {"f": 'of:=REPT("東";5000)', "v": "東" * 5000}],
        ["empty", {"f": 'of:=""', "v": ""}],
        ["number", {"f": "of:=6*7", "v": 42}],
    ]),
]

# Issue 13: ordinary files that did not import as their author meant.
# The attendees of a registration system: a ticket type column (values
# that repeat, not ids), e-mails in mixed case, phones as people write
# them, a registration date and a boolean kept as custom fields, blank
# rows in the middle, and an e-mail repeated in another case.
TICKETS = [
    ("Attendees", [
        ["Email", "First name", "Last name", "Ticket", "Phone", "Registered on", "Newsletter"],
        ["Ada.Lovelace@Example.com", "Ada", "Lovelace", "Standard", "+44 20 7946 0018", {"iso": "2026-05-02"}, {"bool": True}],
        ["grace@example.com", "Grace", "Hopper", "VIP", "(202) 555-0143", {"iso": "2026-05-03"}, {"bool": False}],
        [],
        ["alan@example.com", "Alan", "Turing", "Early Bird", "0033 6 12 34 56 78", {"iso": "2026-04-30"}, {"bool": True}],
        ["edsger@example.com", "Edsger", "Dijkstra", "VIP", "", {"iso": "2026-05-04"}, {"bool": False}],
        ["barbara@example.com", "Barbara", "Liskov", "Standard", "+1 202 555 0199", {"iso": "2026-05-05"}, {"bool": True}],
        [],
        [],
        ["ADA.LOVELACE@example.com", "Ada", "Again", "VIP", "", "", ""],
    ]),
]

# An id-like header over categories: "Reference" holds pass names.
REFERENCES = [
    ("Attendees", [
        ["Reference", "Email", "Name"],
        ["Standard", "a1@example.com", "One"],
        ["VIP", "a2@example.com", "Two"],
        ["Standard", "a3@example.com", "Three"],
        ["Early Bird", "a4@example.com", "Four"],
        ["VIP", "a5@example.com", "Five"],
    ]),
]

# An agenda as organizers write one: no id column, dates as date cells
# and as day-first text (13/06 says the order of 12/06), a blank row, and
# two sessions that overlap in a room.
AGENDA_ROWS = [
    ["Title", "Date", "Start", "End", "Room", "Speakers"],
    ["Opening keynote", {"iso": "2026-06-12"}, {"time": "09:00"}, {"time": "10:00"}, "Main hall", "curie"],
    [],
    ["Compilers", "12/06/2026", {"time": "10:30"}, {"time": "11:15"}, "Main hall", ""],
    ["Overlapping talk", {"iso": "2026-06-12"}, {"time": "10:45"}, {"time": "11:30"}, "Main hall", ""],
    ["Day two", "13/06/2026", {"time": "09:00"}, {"time": "10:00"}, "Room B", "bohr"],
]
AGENDA = [("Agenda", AGENDA_ROWS)]

# The three-sheet event workbook of the component test, with bad rows in
# each sheet.
EVENT = [
    ("Attendees", [
        ["Email", "First name", "Last name", "Ticket type", "Phone", "Company"],
        ["Marie.Curie@Example.org", "Marie", "Curie", "VIP", "+33 1 42 34 67 00", "Institut du Radium"],
        ["niels.bohr@example.org", "Niels", "Bohr", "Standard", "+45 35 32 42 42", "Copenhagen University"],
        [],
        ["not-an-email", "Bad", "Address", "Standard", "", ""],
        ["lise.meitner@example.org", "Lise", "Meitner", "Early Bird", "12", "Kaiser Wilhelm Institute"],
        ["enrico.fermi@example.org", "Enrico", "Fermi", "Standard", "", "University of Chicago"],
    ]),
    ("Speakers", [
        ["Speaker ID", "Name", "Email", "Company"],
        ["curie", "Marie Curie", "marie.curie@example.org", "Institut du Radium"],
        ["nameless", "", "nobody@example.org", ""],
        [],
        ["bohr", "Niels Bohr", "niels.bohr@example.org", "Copenhagen University"],
    ]),
    ("Sessions", [
        ["Title", "Date", "Start", "End", "Room", "Speakers", "Capacity"],
        ["Opening keynote", {"iso": "2026-06-12"}, {"time": "09:00"}, {"time": "10:00"}, "Main hall", "curie", 300],
        ["Inside the atom", "12/06/2026", {"time": "10:30"}, {"time": "11:15"}, "Main hall", "bohr", ""],
        [],
        ["Overlapping talk", {"iso": "2026-06-12"}, {"time": "11:00"}, {"time": "11:30"}, "Main hall", "", ""],
        ["Ghost speaker", "13/06/2026", {"time": "14:00"}, {"time": "15:00"}, "Room B", "nobody-here", ""],
        ["Backwards", {"iso": "2026-06-13"}, {"time": "16:00"}, {"time": "15:00"}, "Room B", "", ""],
        ["Closing", {"iso": "2026-06-13"}, {"time": "17:00"}, {"time": "17:30"}, "Main hall", "curie; bohr", 300],
    ]),
]

# A sheet whose headers name nothing the importer knows.
UNKNOWN = [("Sheet1", [["Foo", "Bar", "Baz"], ["1", "2", "3"], ["4", "5", "6"]])]

if __name__ == "__main__":
    out = sys.argv[1]
    write(out + "/problems.fods", PROBLEMS)
    write(out + "/demo.fods", DEMO)
    write(out + "/texts.fods", TEXTS)
    write(out + "/tickets.fods", TICKETS)
    write(out + "/references.fods", REFERENCES)
    write(out + "/agenda.fods", AGENDA)
    write(out + "/event.fods", EVENT)
    write(out + "/unknown.fods", UNKNOWN)
