#!/usr/bin/env python3
"""Writes writers.fods, a flat OpenDocument workbook as organizers make
them, which gen.sh has LibreOffice save as .xlsx, .xls, .ods and CSV
(internal/sheet's TestWriters* read the results):

  "Old list"   a hidden sheet, before the data, with an attendee list
  "Attendees"  a title merged across the sheet, group headers merged over
               their columns, an empty column, phones and zip codes as text
               and as numbers (a zero-padded "00000" format), a date cell,
               a column of dates written as text (format @), a date-time
               cell, a boolean, a number with thousands separators, a text
               formula and a date formula (their cached values), accents,
               CJK and emoji, a long text with line breaks, a hidden row,
               and formatted empty rows at the end
  "Agenda"     date and time cells, a session across midnight, a capacity
               with thousands separators, a date formula

Usage: make_writers.py OUTDIR
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
 xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:settings><config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>
 <config:config-item config:name="ViewId" config:type="string">view1</config:config-item>
 <config:config-item config:name="ActiveTable" config:type="string">Attendees</config:config-item>
</config:config-item-map-entry></config:config-item-map-indexed></config:config-item-set></office:settings>
<office:automatic-styles>
 <number:date-style style:name="Ndate"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
 <number:date-style style:name="Ndt"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
 <number:time-style style:name="Ntime"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>
 <number:boolean-style style:name="Nbool"><number:boolean/></number:boolean-style>
 <number:number-style style:name="Nthou"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
 <number:number-style style:name="Nint"><number:number number:decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
 <number:number-style style:name="Nzip"><number:number number:decimal-places="0" number:min-integer-digits="5"/></number:number-style>
 <number:text-style style:name="Ntext"><number:text-content/></number:text-style>
 <style:style style:name="cdate" style:family="table-cell" style:data-style-name="Ndate"/>
 <style:style style:name="cdt" style:family="table-cell" style:data-style-name="Ndt"/>
 <style:style style:name="ctime" style:family="table-cell" style:data-style-name="Ntime"/>
 <style:style style:name="cbool" style:family="table-cell" style:data-style-name="Nbool"/>
 <style:style style:name="cthou" style:family="table-cell" style:data-style-name="Nthou"/>
 <style:style style:name="cint" style:family="table-cell" style:data-style-name="Nint"/>
 <style:style style:name="czip" style:family="table-cell" style:data-style-name="Nzip"/>
 <style:style style:name="ctext" style:family="table-cell" style:data-style-name="Ntext"/>
 <style:style style:name="cfill" style:family="table-cell"><style:table-cell-properties fo:background-color="#ffff99"/></style:style>
 <style:style style:name="cwrap" style:family="table-cell"><style:table-cell-properties fo:wrap-option="wrap"/></style:style>
 <style:style style:name="tvisible" style:family="table"><style:table-properties table:display="true"/></style:style>
 <style:style style:name="thidden" style:family="table"><style:table-properties table:display="false"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
"""
TAIL = "</office:spreadsheet></office:body></office:document>\n"


def p(text):
    return "".join("<text:p>%s</text:p>" % escape(line) for line in str(text).split("\n"))


def cell(c):
    """A cell: None (empty), str, int/float, or a dict with one of
    date, time, datetime, bool, zip, thou, int, text (a string in a
    text-formatted cell), fill (an empty formatted cell), f (a formula
    with its cached value v, and a type t: float, string, date), and
    span (merged across that many columns)."""
    if c is None:
        return "<table:table-cell/>"
    if isinstance(c, str):
        return '<table:table-cell office:value-type="string">%s</table:table-cell>' % p(c)
    if isinstance(c, (int, float)):
        return '<table:table-cell office:value-type="float" office:value="%s">%s</table:table-cell>' % (c, p(c))
    span = c.get("span", 1)
    a = ""
    if span > 1:
        a = ' table:number-columns-spanned="%d" table:number-rows-spanned="1"' % span
    if "date" in c:
        x = '<table:table-cell table:style-name="cdate" office:value-type="date" office:date-value="%s"%s>%s</table:table-cell>' % (c["date"], a, p(c["date"]))
    elif "datetime" in c:
        x = '<table:table-cell table:style-name="cdt" office:value-type="date" office:date-value="%s:00"%s>%s</table:table-cell>' % (c["datetime"], a, p(c["datetime"]))
    elif "time" in c:
        h, m = c["time"].split(":")
        x = '<table:table-cell table:style-name="ctime" office:value-type="time" office:time-value="PT%sH%sM00S"%s>%s</table:table-cell>' % (h, m, a, p(c["time"]))
    elif "bool" in c:
        v = "true" if c["bool"] else "false"
        x = '<table:table-cell table:style-name="cbool" office:value-type="boolean" office:boolean-value="%s"%s>%s</table:table-cell>' % (v, a, p(v.upper()))
    elif "zip" in c or "thou" in c or "int" in c:
        k = "zip" if "zip" in c else "thou" if "thou" in c else "int"
        x = '<table:table-cell table:style-name="c%s" office:value-type="float" office:value="%s"%s>%s</table:table-cell>' % (k, c[k], a, p(c[k]))
    elif "text" in c:
        x = '<table:table-cell table:style-name="ctext" office:value-type="string"%s>%s</table:table-cell>' % (a, p(c["text"]))
    elif "fill" in c:
        x = '<table:table-cell table:style-name="cfill"/>'
    elif "f" in c:
        t, v = c.get("t", "float"), c["v"]
        if t == "float":
            x = '<table:table-cell table:formula=%s office:value-type="float" office:value="%s"%s>%s</table:table-cell>' % (quoteattr(c["f"]), v, a, p(v))
        elif t == "date":
            x = '<table:table-cell table:formula=%s table:style-name="cdate" office:value-type="date" office:date-value="%s"%s>%s</table:table-cell>' % (quoteattr(c["f"]), v, a, p(v))
        else:
            x = '<table:table-cell table:formula=%s office:value-type="string" office:string-value=%s%s>%s</table:table-cell>' % (quoteattr(c["f"]), quoteattr(v), a, p(v))
    else:
        x = cell(c["v"]).replace("<table:table-cell", "<table:table-cell" + a, 1)
    return x + "<table:covered-table-cell/>" * (span - 1)


LONG = ("Zoé's notes: arrives late 🚆, vegetarian 🥗, needs a badge in 日本語.\n"
        "Second line, with \"quotes\", commas; semicolons and tabs\tinside.\n") * 40

OLD = [
    ["Email", "Name"],
    ["old.list@example.com", "Last Year"],
]

ATTENDEES = [
    [{"v": "Registrations – Festival 2026 🎉", "span": 15}],
    [{"v": "Person", "span": 3}, None, None, {"v": "Contact", "span": 4}, {"v": "Registration", "span": 7}],
    ["Email", "First name", "Last name", "Company", None, "Phone", "Mobile", "Zip", "Postcode",
     "Registered on", "Registration date", "Checked in", "Newsletter", "Amount paid", "Badge name"],
    ["zoe@example.com", "Zoé", "Lemaître", "Société Générale", None, "0612345678", 33612345678, "07501", {"zip": 7501},
     {"date": "2026-05-02"}, {"text": "02/05/2026"}, {"datetime": "2026-06-12T08:45"}, {"bool": True}, {"thou": 1234.5},
     {"f": 'of:=[.B4]&" "&[.C4]', "t": "string", "v": "Zoé Lemaître"}],
    ["taro@example.jp", "太郎", "山田", "株式会社テスト", None, "+81 3-1234-5678", 819012345678, "100-0001", {"zip": 501},
     {"date": "2026-04-30"}, {"text": "30/04/2026"}, {"datetime": "2026-06-12T23:59"}, {"bool": False}, {"thou": 1000000},
     {"f": 'of:=[.B5]&" "&[.C5]', "t": "string", "v": "太郎 山田"}],
    ["party@example.com", "Émilie 🎉", "O'Brien-Nuñez", "Fiesta 🎊 GmbH", None, "", None, "", None,
     {"f": "of:=[.J4]+1", "t": "date", "v": "2026-05-03"}, {"text": "2026-05-03"}, None, {"bool": True}, {"thou": 0.5},
     {"f": 'of:=UPPER([.C6])', "t": "string", "v": "O'BRIEN-NUÑEZ"}],
    ["long@example.com", "Long", "Notes", LONG[:3000], None, "00 44 20 7946 0018", None, "SW1A 1AA", None,
     {"date": "2026-01-01"}, {"text": "01/01/2026"}, {"datetime": "2026-06-13T00:15"}, {"bool": False}, {"thou": 12.0},
     {"f": "of:=LEN([.D7])", "v": 3000}],
    {"hidden": True, "cells": ["hidden@example.com", "Hidden", "Row", "", None, "", None, "", None, {"date": "2026-05-05"}]},
    ["last@example.com", "Last", "Row", "", None, "+1 (202) 555-0143", None, "", {"zip": 2134},
     {"date": "2026-12-31"}, {"text": "12/31/2026"}, {"datetime": "2026-06-12T12:00"}, {"bool": True}, {"thou": -42.25},
     {"f": 'of:=[.B9]&" "&[.C9]', "t": "string", "v": "Last Row"}],
    {"repeat": 5, "cells": [{"fill": 1}] * 15},
]

AGENDA = [
    ["Title", "Date", "Start", "End", "Room", "Capacity", "Description"],
    ["Opening keynote", {"date": "2026-06-12"}, {"time": "09:00"}, {"time": "10:00"}, "Main hall", {"int": 1200}, "Welcome 👋"],
    ["Atelier café ☕", {"date": "2026-06-12"}, {"time": "10:30"}, {"time": "11:15"}, "Salle Éiffel", 40, "Dégustation\nen deux parties"],
    ["夜のセッション Night session", {"date": "2026-06-12"}, {"time": "22:30"}, {"time": "00:30"}, "屋上 Rooftop", {"int": 250}, ""],
    ["Day two", {"f": "of:=[.B2]+1", "t": "date", "v": "2026-06-13"}, {"time": "09:00"}, {"time": "09:45"}, "Main hall", {"int": 1200}, LONG[:1500]],
    [],
    {"repeat": 3, "cells": [{"fill": 1}] * 7},
]


def write(path, sheets):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for name, hidden, rows in sheets:
            f.write('<table:table table:name=%s table:style-name="%s">\n' % (quoteattr(name), "thidden" if hidden else "tvisible"))
            for r in rows:
                attrs, cells = "", r
                if isinstance(r, dict):
                    cells = r["cells"]
                    if r.get("hidden"):
                        attrs += ' table:visibility="collapse"'
                    if r.get("repeat"):
                        attrs += ' table:number-rows-repeated="%d"' % r["repeat"]
                f.write("<table:table-row%s>%s</table:table-row>\n" % (attrs, "".join(cell(c) for c in cells)))
            f.write("</table:table>\n")
        f.write(TAIL)


if __name__ == "__main__":
    write(sys.argv[1] + "/writers.fods", [("Old list", True, OLD), ("Attendees", False, ATTENDEES), ("Agenda", False, AGENDA)])
