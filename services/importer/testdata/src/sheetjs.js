// Writes the attendee and agenda workbook of make_writers.py as SheetJS
// (the npm package xlsx, 0.18.5) does: inline strings in .xlsx (no shared
// string table), its own styles, cell types t: "n" "s" "b" "d", number
// formats given as z, merges in "!merges", a hidden sheet and a hidden row.
// Usage (gen.sh): node sheetjs.js OUTDIR   (npm install xlsx@0.18.5)
const XLSX = require("xlsx");
const out = process.argv[2];

const d = (iso, z = "dd/mm/yyyy") => ({ t: "d", v: new Date(iso + "Z"), z });
const n = (v, z) => (z ? { t: "n", v, z } : { t: "n", v });
const s = (v) => ({ t: "s", v });
const b = (v) => ({ t: "b", v });
const f = (f, v) => ({ t: typeof v === "number" ? "n" : "s", v, f });

const LONG = ("Zoé's notes: arrives late 🚆, vegetarian 🥗, needs a badge in 日本語.\n" +
  'Second line, with "quotes", commas; semicolons and tabs\tinside.\n').repeat(40).slice(0, 3000);

function sheet(rows) {
  const ws = XLSX.utils.aoa_to_sheet(rows.map((r) => r.map((c) => (c === undefined || c === null ? null : typeof c === "object" ? c : c))), { cellDates: true });
  return ws;
}

const old = sheet([["Email", "Name"], ["old.list@example.com", "Last Year"]]);
const att = sheet([
  ["Registrations – Festival 2026 🎉"],
  ["Person", null, null, null, null, "Contact", null, null, null, "Registration"],
  ["Email", "First name", "Last name", "Company", null, "Phone", "Mobile", "Zip", "Postcode",
    "Registered on", "Registration date", "Checked in", "Newsletter", "Amount paid", "Badge name"],
  ["zoe@example.com", "Zoé", "Lemaître", "Société Générale", null, s("0612345678"), n(33612345678), s("07501"), n(7501, "00000"),
    d("2026-05-02T00:00:00"), s("02/05/2026"), d("2026-06-12T08:45:00", "yyyy-mm-dd hh:mm"), b(true), n(1234.5, "#,##0.00"), f('B4&" "&C4', "Zoé Lemaître")],
  ["taro@example.jp", "太郎", "山田", "株式会社テスト", null, "+81 3-1234-5678", n(819012345678), "100-0001", n(501, "00000"),
    d("2026-04-30T00:00:00"), s("30/04/2026"), d("2026-06-12T23:59:00", "yyyy-mm-dd hh:mm"), b(false), n(1000000, "#,##0.00"), f('B5&" "&C5', "太郎 山田")],
  ["party@example.com", "Émilie 🎉", "O'Brien-Nuñez", "Fiesta 🎊 GmbH", null, null, null, null, null,
    { t: "n", v: 46145, z: "dd/mm/yyyy", f: "J4+1" }, s("2026-05-03"), null, b(true), n(0.5, "#,##0.00"), f("UPPER(C6)", "O'BRIEN-NUÑEZ")],
  ["long@example.com", "Long", "Notes", LONG, null, "00 44 20 7946 0018", null, "SW1A 1AA", null,
    d("2026-01-01T00:00:00"), s("01/01/2026"), d("2026-06-13T00:15:00", "yyyy-mm-dd hh:mm"), b(false), n(12, "#,##0.00"), f("LEN(D7)", 3000)],
  ["hidden@example.com", "Hidden", "Row", null, null, null, null, null, null, d("2026-05-05T00:00:00")],
  ["last@example.com", "Last", "Row", null, null, "+1 (202) 555-0143", null, null, n(2134, "00000"),
    d("2026-12-31T00:00:00"), s("12/31/2026"), d("2026-06-12T12:00:00", "yyyy-mm-dd hh:mm"), b(true), n(-42.25, "#,##0.00"), f('B9&" "&C9', "Last Row")],
]);
att["!merges"] = [XLSX.utils.decode_range("A1:O1"), XLSX.utils.decode_range("A2:C2"), XLSX.utils.decode_range("F2:I2"), XLSX.utils.decode_range("J2:O2")];
att["!rows"] = [];
att["!rows"][7] = { hidden: true };

const t = (hm) => { const [h, m] = hm.split(":").map(Number); return n((h * 60 + m) / 1440, "hh:mm"); };
const agenda = sheet([
  ["Title", "Date", "Start", "End", "Room", "Capacity", "Description"],
  ["Opening keynote", d("2026-06-12T00:00:00"), t("09:00"), t("10:00"), "Main hall", n(1200, "#,##0"), "Welcome 👋"],
  ["Atelier café ☕", d("2026-06-12T00:00:00"), t("10:30"), t("11:15"), "Salle Éiffel", 40, "Dégustation\nen deux parties"],
  ["夜のセッション Night session", d("2026-06-12T00:00:00"), t("22:30"), t("00:30"), "屋上 Rooftop", n(250, "#,##0"), null],
  ["Day two", { t: "n", v: 46186, z: "dd/mm/yyyy", f: "B2+1" }, t("09:00"), t("09:45"), "Main hall", n(1200, "#,##0"), LONG.slice(0, 1500)],
]);

const wb = XLSX.utils.book_new();
XLSX.utils.book_append_sheet(wb, old, "Old list");
XLSX.utils.book_append_sheet(wb, att, "Attendees");
XLSX.utils.book_append_sheet(wb, agenda, "Agenda");
wb.Workbook = { Sheets: [{ Hidden: 1 }, { Hidden: 0 }, { Hidden: 0 }] };
XLSX.writeFile(wb, out + "/writers-sheetjs.xlsx", { bookType: "xlsx", compression: true });
XLSX.writeFile(wb, out + "/writers-sheetjs.xls", { bookType: "biff8" });
