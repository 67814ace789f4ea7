#!/usr/bin/env bash
# Regenerates the test workbooks from the specs in src/ with LibreOffice
# and Gnumeric (apt-get install libreoffice-calc-nogui python3-uno
# gnumeric), so that the tests read files written by other programs than
# ours. The outputs are committed: tests and CI need neither.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile="-env:UserInstallation=file://$work/profile"

python3 src/make_fods.py "$work"
for f in problems demo; do
	soffice --headless "$profile" --convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$work" "$work/$f.fods" >/dev/null
	soffice --headless "$profile" --convert-to xls:"MS Excel 97" --outdir "$work" "$work/$f.fods" >/dev/null
	cp "$work/$f.xlsx" "$work/$f.xls" .
done

cp demo.xlsx ../demo/agenda.xlsx

# Long texts and text formulas for the .xls reader (TEXTS in
# src/make_fods.py), as LibreOffice writes them and as Gnumeric does:
# LibreOffice 7.4 writes 0 as the cached result of a text formula in an
# .xls, Gnumeric writes the text, in a STRING record after the FORMULA.
# Gnumeric reads .ods, not flat .fods. (Its warnings about the page styles
# LibreOffice writes are noise.)
soffice --headless "$profile" --convert-to xls:"MS Excel 97" --outdir "$work" "$work/texts.fods" >/dev/null
soffice --headless "$profile" --convert-to ods --outdir "$work" "$work/texts.fods" >/dev/null
ssconvert --recalc -T Gnumeric_Excel:excel_biff8 "$work/texts.ods" "$work/texts-gnumeric.xls" >/dev/null 2>&1
cp "$work/texts.xls" "$work/texts-gnumeric.xls" .

# CSV exports of the attendees as spreadsheet programs write them.
python3 - <<'PY'
rows = [
    ["Email", "Prénom", "Nom", "Société", "Téléphone"],
    ["zoe@example.com", "Zoé", "Durand", "Société Générale", "+33 6 12 34 56 78"],
    ["jose@example.com", "José", "Núñez", "Café, Bar & Co", "+34 600 000 000"],
    ["francois@example.com", "François", "Lemaître", "Crème brûlée SARL", ""],
]
def line(r, sep):
    return sep.join('"%s"' % c if (sep in c or '"' in c) else c for c in r)
text = lambda sep: "\r\n".join(line(r, sep) for r in rows) + "\r\n"
open("csv/utf8-bom-comma.csv", "wb").write(b"\xef\xbb\xbf" + text(",").encode("utf-8"))
open("csv/utf8-semicolon.csv", "wb").write(text(";").encode("utf-8"))
open("csv/utf16le-tab.csv", "wb").write(b"\xff\xfe" + text("\t").encode("utf-16-le"))   # Excel "Unicode text"
open("csv/windows1252-semicolon.csv", "wb").write(text(";").encode("cp1252"))           # Excel FR "CSV (;)"
PY

# Issue 13's ordinary files (TICKETS, REFERENCES, AGENDA, EVENT and
# UNKNOWN in src/make_fods.py), as LibreOffice saves them: .xlsx, .xls,
# and CSV (UTF-8 with commas; Windows-1252 with semicolons: the CSV
# filter's options are separator, quote, character set 1 = Windows-1252,
# 76 = UTF-8). The event workbook also as Gnumeric writes it (Gnumeric
# reads .ods, not flat .fods). An HTML page LibreOffice exports, named
# .xls as some systems "export to Excel".
mkdir -p org
soffice --headless "$profile" --convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$work" \
	"$work/tickets.fods" "$work/agenda.fods" "$work/event.fods" >/dev/null
soffice --headless "$profile" --convert-to xls:"MS Excel 97" --outdir "$work" \
	"$work/tickets.fods" "$work/agenda.fods" "$work/event.fods" >/dev/null
soffice --headless "$profile" --convert-to csv:"Text - txt - csv (StarCalc)":44,34,76 --outdir "$work" \
	"$work/tickets.fods" "$work/agenda.fods" "$work/references.fods" "$work/unknown.fods" >/dev/null
cp "$work"/{tickets,agenda,event}.xlsx "$work"/{tickets,agenda,event}.xls "$work"/{tickets,agenda,references,unknown}.csv org/
mkdir -p "$work/1252"
soffice --headless "$profile" --convert-to csv:"Text - txt - csv (StarCalc)":59,34,1 --outdir "$work/1252" "$work/tickets.fods" >/dev/null
cp "$work/1252/tickets.csv" org/tickets-semicolon-1252.csv
soffice --headless "$profile" --convert-to ods --outdir "$work" "$work/event.fods" >/dev/null
ssconvert -T Gnumeric_Excel:xlsx2 "$work/event.ods" org/event-gnumeric.xlsx >/dev/null 2>&1
soffice --headless "$profile" --convert-to html --outdir "$work" "$work/tickets.fods" >/dev/null
cp "$work/tickets.html" org/html-renamed.xls

# The attendee and agenda workbook of src/make_writers.py as other
# programs write it (internal/sheet's TestWriters*): LibreOffice .xlsx,
# .xls and CSV (filter options: separator, quote, character set 76 UTF-8
# or 1 Windows-1252, first line, cell format, language, quoted as text,
# detect numbers, save as shown, formulas, trim spaces, sheet number),
# SheetJS (npm xlsx 0.18.5: inline strings; a BIFF8 .xls) and excelize's
# StreamWriter (inline strings). LibreOffice 7.4 headless writes the
# hidden sheet as visible; SheetJS and excelize keep it hidden.
mkdir -p writers "$work/u8" "$work/1252"
python3 src/make_writers.py "$work"
soffice --headless "$profile" --convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$work" "$work/writers.fods" >/dev/null
soffice --headless "$profile" --convert-to xls:"MS Excel 97" --outdir "$work" "$work/writers.fods" >/dev/null
cp "$work/writers.xlsx" "$work/writers.xls" writers/
soffice --headless "$profile" --convert-to 'csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true,false,false,2' --outdir "$work/u8" "$work/writers.fods" >/dev/null
soffice --headless "$profile" --convert-to 'csv:Text - txt - csv (StarCalc):59,34,1,1,,0,false,true,true,false,false,2' --outdir "$work/1252" "$work/writers.fods" >/dev/null
soffice --headless "$profile" --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,3' --outdir "$work/u8" "$work/writers.fods" >/dev/null
cp "$work/u8/writers-Attendees.csv" writers/attendees-utf8-semicolon.csv
cp "$work/1252/writers-Attendees.csv" writers/attendees-1252-semicolon.csv
cp "$work/u8/writers-Agenda.csv" writers/agenda-utf8.csv
(mkdir -p "$work/sheetjs" && cd "$work/sheetjs" && npm install --silent xlsx@0.18.5 >/dev/null &&
	NODE_PATH="$work/sheetjs/node_modules" node "$OLDPWD/src/sheetjs.js" "$OLDPWD/writers")
(cd .. && go run ./testdata/src/excelize testdata/writers)

# Hostile files.
head -c 3000 problems.xlsx > hostile/truncated.xlsx
head -c 2000 problems.xls > hostile/truncated.xls
printf '%%PDF-1.4\n%% not a spreadsheet\n' > hostile/report.xlsx      # a PDF named .xlsx
cp demo.xlsx hostile/really-xlsx.csv                                    # an .xlsx named .csv: imports fine
# Password-protected workbooks: an .xls saved with a password by
# LibreOffice itself (through UNO); LibreOffice 7.4 cannot write an
# encrypted .xlsx, so that one is encrypted (ECMA-376 agile encryption, in
# an OLE2 container, as Excel does) by the npm package officecrypto-tool.
/usr/bin/python3 src/encrypt.py demo.xlsx hostile/password.xls secret "MS Excel 97"
rm -f .~lock*
(mkdir -p "$work/npm" && cd "$work/npm" && npm install --silent officecrypto-tool@0.0.19 >/dev/null &&
	node -e 'const oc=require("officecrypto-tool"),fs=require("fs");fs.writeFileSync(process.argv[2],oc.encrypt(fs.readFileSync(process.argv[1]),{password:"secret"}))' \
		"$OLDPWD/demo.xlsx" "$OLDPWD/hostile/password.xlsx")
python3 - <<'PY'
import zipfile
# A zip bomb: a valid workbook whose sheet unpacks to 2 GiB of spaces
# (about 2 MB compressed).
src = zipfile.ZipFile("demo.xlsx")
with zipfile.ZipFile("hostile/bomb.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for item in src.infolist():
        if item.filename == "xl/worksheets/sheet1.xml":
            zi = zipfile.ZipInfo(item.filename)
            zi.compress_type = zipfile.ZIP_DEFLATED
            with z.open(zi, "w", force_zip64=True) as w:
                head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                w.write(head)
                chunk = b" " * (1 << 20)
                for _ in range(2048):
                    w.write(chunk)
                w.write(b"</sheetData></worksheet>")
        else:
            z.writestr(item, src.read(item.filename))
# A cell of 100,000 characters.
open("hostile/long-cell.csv", "w").write("Email,Name,Bio\nlong@example.com,Long," + "x" * 100000 + "\n")
PY
echo "generated: $(ls *.xlsx *.xls csv hostile | tr '\n' ' ')"
