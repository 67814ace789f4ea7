package sheet

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
)

// The legacy .xls reader: an OLE2 compound file holding a BIFF8
// "Workbook" stream. Only what an importer needs is decoded: sheet names,
// the shared string table, cell values (numbers, RK numbers, strings,
// booleans, and the cached results of formulas), hidden rows and the 1904
// date mode. Go's BIFF readers we tried drop formula results, hence this
// one.

// BIFF record types.
const (
	recFormula    = 0x0006
	recFormat     = 0x041E
	recXF         = 0x00E0
	recEOF        = 0x000A
	recFilePass   = 0x002F
	recDateMode   = 0x0022
	recContinue   = 0x003C
	recBoundSheet = 0x0085
	recMulRK      = 0x00BD
	recSST        = 0x00FC
	recLabelSST   = 0x00FD
	recRString    = 0x00D6
	recNumber     = 0x0203
	recLabel      = 0x0204
	recBoolErr    = 0x0205
	recString     = 0x0207
	recRow        = 0x0208
	recRK         = 0x027E
	recBOF        = 0x0809
)

type xlsBook struct {
	lim      Limits
	sheets   []xlsSheet
	date1904 bool
	sst      []string
	stream   []byte
	// xfs are the type of the cells of each cell format (XF record): a
	// date, time or date-time format, or Text for any other.
	xfs []CellType
	// pads are the zero-padded number formats (padFormat) of cell
	// formats, by XF index.
	pads map[int]string
}

type xlsSheet struct {
	name   string
	offset uint32
	hidden bool // hidden or very hidden
}

func openOLE(f *os.File, size int64, lim Limits) (Book, error) {
	doc, err := mscfb.New(f)
	if err != nil {
		return nil, fileErr(CodeCorrupt, err, "the file looks like an Excel 97-2003 workbook (.xls) but is damaged or truncated")
	}
	var book *mscfb.File
	var names []string
	for entry, err := doc.Next(); ; entry, err = doc.Next() {
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fileErr(CodeCorrupt, err, "the .xls file is damaged or truncated")
		}
		names = append(names, entry.Name)
		switch entry.Name {
		case "EncryptionInfo", "EncryptedPackage":
			return nil, fileErr(CodePasswordProtected, nil, "the workbook is protected by a password: remove the password in Excel (File > Info > Protect Workbook) and upload it again")
		case "Workbook", "Book":
			if book == nil || entry.Name == "Workbook" {
				book = entry
			}
		}
	}
	if book == nil {
		for _, n := range names {
			if n == "WordDocument" {
				return nil, fileErr(CodeUnsupported, nil, "the file is a Word document, not a spreadsheet")
			}
		}
		return nil, fileErr(CodeUnsupported, nil, "the file is an Office document but not an Excel workbook")
	}
	if book.Size > lim.MaxUnzipBytes || book.Size > size*64 {
		return nil, fileErr(CodeTooLarge, nil, "the workbook is too large to import")
	}
	stream := make([]byte, book.Size)
	if _, err := io.ReadFull(book, stream); err != nil {
		return nil, fileErr(CodeCorrupt, err, "the .xls file is truncated")
	}
	b := &xlsBook{lim: lim, stream: stream}
	if err := b.readGlobals(); err != nil {
		return nil, err
	}
	return b, nil
}

// record is one BIFF record.
type record struct {
	typ  uint16
	data []byte
	next int // offset of the following record
}

func readRecord(s []byte, off int) (record, error) {
	if off+4 > len(s) {
		return record{}, fileErr(CodeCorrupt, nil, "the .xls file is truncated")
	}
	typ := binary.LittleEndian.Uint16(s[off:])
	n := int(binary.LittleEndian.Uint16(s[off+2:]))
	if off+4+n > len(s) {
		return record{}, fileErr(CodeCorrupt, nil, "the .xls file is truncated")
	}
	return record{typ: typ, data: s[off+4 : off+4+n], next: off + 4 + n}, nil
}

// continued returns the data of r and of the CONTINUE records that follow
// it (a record holds at most 8,224 bytes), and the offset after them.
func continued(s []byte, r record) (segs [][]byte, next int) {
	segs, next = [][]byte{r.data}, r.next
	for {
		c, err := readRecord(s, next)
		if err != nil || c.typ != recContinue {
			return segs, next
		}
		segs = append(segs, c.data)
		next = c.next
	}
}

func (b *xlsBook) readGlobals() error {
	s := b.stream
	r, err := readRecord(s, 0)
	if err != nil {
		return err
	}
	if r.typ != recBOF || len(r.data) < 4 {
		return fileErr(CodeCorrupt, nil, "the .xls file does not start with a workbook header")
	}
	if v := binary.LittleEndian.Uint16(r.data); v != 0x0600 {
		return fileErr(CodeUnsupported, nil, "the workbook is in an Excel format older than 97 (BIFF version %#x): save it as .xlsx", v)
	}
	off := r.next
	formats := map[int]CellType{} // FORMAT records come before the XFs
	pads := map[int]string{}
	for off < len(s) {
		r, err := readRecord(s, off)
		if err != nil {
			return err
		}
		off = r.next
		switch r.typ {
		case recFilePass:
			return fileErr(CodePasswordProtected, nil, "the workbook is protected by a password: remove the password and upload it again")
		case recFormat:
			if len(r.data) >= 4 {
				if code, _, err := readXLUnicode16(r.data[2:]); err == nil {
					formats[int(binary.LittleEndian.Uint16(r.data))] = FormatType(code)
					if padFormat(code) {
						pads[int(binary.LittleEndian.Uint16(r.data))] = code
					}
				}
			}
		case recXF:
			if len(r.data) >= 4 {
				id := int(binary.LittleEndian.Uint16(r.data[2:]))
				t, ok := formats[id]
				if !ok {
					t = builtinFormatType(id)
				}
				if code, ok := pads[id]; ok {
					if b.pads == nil {
						b.pads = map[int]string{}
					}
					b.pads[len(b.xfs)] = code
				}
				b.xfs = append(b.xfs, t)
			}
		case recDateMode:
			b.date1904 = len(r.data) >= 2 && binary.LittleEndian.Uint16(r.data) == 1
		case recBoundSheet:
			if len(r.data) < 8 {
				return fileErr(CodeCorrupt, nil, "the .xls file has a damaged sheet list")
			}
			kind := r.data[5]
			name, _, err := readXLUnicode8(r.data[6:])
			if err != nil {
				return err
			}
			if kind == 0 { // a worksheet (not a chart, macro or module sheet)
				b.sheets = append(b.sheets, xlsSheet{name: name, offset: binary.LittleEndian.Uint32(r.data), hidden: r.data[4]&0x03 != 0})
			}
		case recSST:
			var segs [][]byte
			segs, off = continued(s, r)
			if b.sst, err = readSST(segs); err != nil {
				return err
			}
		case recEOF:
			if len(b.sheets) > b.lim.MaxSheets {
				return fileErr(CodeTooManySheets, nil, "the workbook has %d sheets; the limit is %d", len(b.sheets), b.lim.MaxSheets)
			}
			return nil
		}
	}
	return fileErr(CodeCorrupt, nil, "the .xls file is truncated")
}

// readXLUnicode8 reads a string with an 8-bit length (sheet names).
func readXLUnicode8(d []byte) (string, int, error) {
	if len(d) < 2 {
		return "", 0, fileErr(CodeCorrupt, nil, "the .xls file has a damaged string")
	}
	return readChars(d[2:], int(d[0]), d[1]&1 == 1, 2)
}

// readXLUnicode16 reads a string with a 16-bit length (labels, formats).
func readXLUnicode16(d []byte) (string, int, error) {
	if len(d) < 3 {
		return "", 0, fileErr(CodeCorrupt, nil, "the .xls file has a damaged string")
	}
	n := int(binary.LittleEndian.Uint16(d))
	flags := d[2]
	skip := 3
	if flags&0x08 != 0 { // rich text: run count
		skip += 2
	}
	if flags&0x04 != 0 { // extended (phonetic) data size
		skip += 4
	}
	if skip > len(d) {
		return "", 0, fileErr(CodeCorrupt, nil, "the .xls file has a damaged string")
	}
	return readChars(d[skip:], n, flags&1 == 1, skip)
}

func readChars(d []byte, n int, wide bool, used int) (string, int, error) {
	if wide {
		if 2*n > len(d) {
			return "", 0, fileErr(CodeCorrupt, nil, "the .xls file has a damaged string")
		}
		u := make([]uint16, n)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(d[2*i:])
		}
		return string(utf16.Decode(u)), used + 2*n, nil
	}
	if n > len(d) {
		return "", 0, fileErr(CodeCorrupt, nil, "the .xls file has a damaged string")
	}
	return latin1(d[:n]), used + n, nil
}

// latin1 decodes "compressed" BIFF8 characters: the low bytes of UTF-16
// code units, that is ISO-8859-1.
func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// sstReader reads the shared string table across its CONTINUE records,
// where a string's characters may be split and each continuation starts
// with a new "wide" flag byte.
type sstReader struct {
	segs [][]byte
	seg  int
	off  int
}

var errShort = errors.New("short SST")

func (r *sstReader) byteAt() (byte, error) {
	for r.seg < len(r.segs) && r.off >= len(r.segs[r.seg]) {
		r.seg++
		r.off = 0
	}
	if r.seg >= len(r.segs) {
		return 0, errShort
	}
	c := r.segs[r.seg][r.off]
	r.off++
	return c, nil
}

func (r *sstReader) u16() (uint16, error) {
	a, err := r.byteAt()
	if err != nil {
		return 0, err
	}
	b, err := r.byteAt()
	return uint16(a) | uint16(b)<<8, err
}

func (r *sstReader) u32() (uint32, error) {
	a, err := r.u16()
	if err != nil {
		return 0, err
	}
	b, err := r.u16()
	return uint32(a) | uint32(b)<<16, err
}

// atEnd reports whether every byte of every segment has been read.
func (r *sstReader) atEnd() bool {
	for r.seg < len(r.segs) && r.off >= len(r.segs[r.seg]) {
		r.seg++
		r.off = 0
	}
	return r.seg >= len(r.segs)
}

func (r *sstReader) skip(n int) error {
	for ; n > 0; n-- {
		if _, err := r.byteAt(); err != nil {
			return err
		}
	}
	return nil
}

func (r *sstReader) str() (string, error) {
	n, err := r.u16()
	if err != nil {
		return "", err
	}
	flags, err := r.byteAt()
	if err != nil {
		return "", err
	}
	var runs uint16
	var ext uint32
	if flags&0x08 != 0 {
		if runs, err = r.u16(); err != nil {
			return "", err
		}
	}
	if flags&0x04 != 0 {
		if ext, err = r.u32(); err != nil {
			return "", err
		}
	}
	wide := flags&1 == 1
	buf := make([]uint16, 0, n)
	for len(buf) < int(n) {
		if r.seg < len(r.segs) && r.off >= len(r.segs[r.seg]) {
			// The characters continue in the next record, which starts
			// with a new flag byte.
			r.seg++
			r.off = 0
			f, err := r.byteAt()
			if err != nil {
				return "", err
			}
			wide = f&1 == 1
		}
		if wide {
			u, err := r.u16()
			if err != nil {
				return "", err
			}
			buf = append(buf, u)
		} else {
			c, err := r.byteAt()
			if err != nil {
				return "", err
			}
			buf = append(buf, uint16(c))
		}
	}
	if err := r.skip(4*int(runs) + int(ext)); err != nil {
		return "", err
	}
	return string(utf16.Decode(buf)), nil
}

func readSST(segs [][]byte) ([]string, error) {
	r := &sstReader{segs: segs}
	if _, err := r.u32(); err != nil { // total references
		return nil, fileErr(CodeCorrupt, err, "the .xls shared strings are damaged")
	}
	unique, err := r.u32()
	if err != nil {
		return nil, fileErr(CodeCorrupt, err, "the .xls shared strings are damaged")
	}
	total := 0
	for _, seg := range segs {
		total += len(seg)
	}
	if int64(unique) > int64(total/3) { // each string takes at least 3 bytes
		return nil, fileErr(CodeCorrupt, nil, "the .xls shared strings are damaged")
	}
	out := make([]string, 0, unique)
	for range unique {
		s, err := r.str()
		if err != nil {
			return nil, fileErr(CodeCorrupt, err, "the .xls shared strings are damaged")
		}
		out = append(out, s)
	}
	return out, nil
}

func (b *xlsBook) Format() Format { return XLS }
func (b *xlsBook) Date1904() bool { return b.date1904 }
func (b *xlsBook) Close() error   { return nil }

func (b *xlsBook) Hidden(name string) bool {
	for _, s := range b.sheets {
		if s.name == name {
			return s.hidden
		}
	}
	return false
}

func (b *xlsBook) Sheets() []string {
	names := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		names[i] = s.name
	}
	return names
}

// Rows decodes a whole sheet (an .xls sheet has at most 65,536 rows of
// 256 columns) and iterates its rows.
func (b *xlsBook) Rows(name string) (Rows, error) {
	for _, sh := range b.sheets {
		if sh.name == name {
			cells, hidden, err := b.readSheet(sh)
			if err != nil {
				return nil, err
			}
			return &xlsRows{cells: cells, hidden: hidden}, nil
		}
	}
	return nil, fmt.Errorf("no sheet %q", name)
}

// xlsMaxCol is the last column of a BIFF8 sheet, IV. (Rows are 16-bit
// indexes: none is past 65,535.)
const xlsMaxCol = 255

// xlsCell is a non-empty cell of a sheet. A sheet is kept as the list of
// its cells rather than as a grid, so that a few cells far apart cost no
// more than a few cells side by side.
type xlsCell struct {
	row uint16
	col uint8
	t   CellType
	v   string
}

// xlsCellSize is what an xlsCell takes in memory beside its text.
const xlsCellSize = 24

func (b *xlsBook) readSheet(sh xlsSheet) (cells []xlsCell, hidden map[int]bool, err error) {
	s := b.stream
	off := int(sh.offset)
	r, err := readRecord(s, off)
	if err != nil || r.typ != recBOF {
		return nil, nil, fileErr(CodeCorrupt, err, "sheet %q of the .xls file is damaged", sh.name)
	}
	off = r.next
	hidden = map[int]bool{}
	// size is what the decoded sheet takes: every cell and its text (a
	// shared string counted at each use, as an .xlsx spells it out), bound
	// like the unzipped XML of an .xlsx.
	var size int64
	set := func(row, col int, v string, t CellType) error {
		if col > xlsMaxCol {
			return fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged: it has a cell in column %d, past IV, the last column of an .xls sheet",
				sh.name, col+1)
		}
		if row >= b.lim.MaxRows {
			return fileErr(CodeTooManyRows, nil, "sheet %q has more than %d rows, the limit of one import", sh.name, b.lim.MaxRows)
		}
		if len(v) > b.lim.MaxCellChars && utf8.RuneCountInString(v) > b.lim.MaxCellChars {
			return fileErr(CodeCellTooLong, nil, "cell %s of sheet %q is %d characters long; the limit is %d",
				CellName(col, row+1), sh.name, utf8.RuneCountInString(v), b.lim.MaxCellChars)
		}
		if size += xlsCellSize + int64(len(v)); size > b.lim.MaxUnzipBytes {
			return fileErr(CodeTooLarge, nil, "sheet %q holds more than %s of cells, the limit of one import",
				sh.name, byteSize(b.lim.MaxUnzipBytes))
		}
		cells = append(cells, xlsCell{row: uint16(row), col: uint8(col), t: t, v: v})
		return nil
	}
	cell := func(d []byte) (int, int, bool) {
		if len(d) < 6 {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), true
	}
	// number is the text and type of a number in a cell of format xf.
	number := func(f float64, xf int) (string, CellType) {
		if code, ok := b.pads[xf]; ok {
			if text, ok := padText(code, f); ok {
				return text, Text
			}
		}
		if xf < len(b.xfs) && b.xfs[xf].IsDate() {
			if text, ok := SerialText(f, b.date1904, b.xfs[xf]); ok {
				return text, b.xfs[xf]
			}
		}
		return formatNumber(f), Number
	}
	xfOf := func(d []byte) int { return int(binary.LittleEndian.Uint16(d[4:])) }
	pendingString := -1 // a FORMULA with a string result waits for its STRING record
	pendingCol := 0
	for off < len(s) {
		r, err := readRecord(s, off)
		if err != nil {
			return nil, nil, err
		}
		off = r.next
		d := r.data
		var v string
		t := Text
		row, col, ok := cell(d)
		switch r.typ {
		case recEOF:
			return sortCells(cells), hidden, nil
		case recRow:
			if len(d) >= 14 && binary.LittleEndian.Uint16(d[12:])&0x20 != 0 {
				hidden[int(binary.LittleEndian.Uint16(d))] = true
			}
			continue
		case recLabelSST:
			if !ok || len(d) < 10 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			i := binary.LittleEndian.Uint32(d[6:])
			if int(i) >= len(b.sst) {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file refers to a missing string", sh.name)
			}
			v = b.sst[i]
		case recLabel, recRString:
			if !ok {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			if v, _, err = readXLUnicode16(d[6:]); err != nil {
				return nil, nil, err
			}
		case recNumber:
			if !ok || len(d) < 14 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			v, t = number(math.Float64frombits(binary.LittleEndian.Uint64(d[6:])), xfOf(d))
		case recRK:
			if !ok || len(d) < 10 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			v, t = number(rkValue(binary.LittleEndian.Uint32(d[6:])), xfOf(d))
		case recMulRK:
			if !ok || len(d) < 6 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			for i, p := 0, 4; p+6 <= len(d)-2; i, p = i+1, p+6 {
				v, t := number(rkValue(binary.LittleEndian.Uint32(d[p+2:])), int(binary.LittleEndian.Uint16(d[p:])))
				if err := set(row, col+i, v, t); err != nil {
					return nil, nil, err
				}
			}
			continue
		case recBoolErr:
			if !ok || len(d) < 8 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			if d[7] == 1 {
				v = "#ERROR"
			} else if d[6] != 0 {
				v, t = "TRUE", Bool
			} else {
				v, t = "FALSE", Bool
			}
		case recFormula:
			if !ok || len(d) < 20 {
				return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is damaged", sh.name)
			}
			num := d[6:14]
			if num[6] == 0xFF && num[7] == 0xFF {
				switch num[0] {
				case 0: // string: in the STRING record that follows
					pendingString, pendingCol = row, col
					continue
				case 1:
					v, t = "FALSE", Bool
					if num[2] != 0 {
						v = "TRUE"
					}
				case 2:
					v = "#ERROR"
				default: // empty string
					continue
				}
			} else {
				v, t = number(math.Float64frombits(binary.LittleEndian.Uint64(num)), xfOf(d))
			}
		case recString:
			var segs [][]byte
			segs, off = continued(s, r)
			if pendingString < 0 {
				continue
			}
			if v, err = readStringRecord(segs); err != nil {
				return nil, nil, err
			}
			row, col = pendingString, pendingCol
			pendingString = -1
		default:
			continue
		}
		if v == "" {
			continue
		}
		if err := set(row, col, v, t); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fileErr(CodeCorrupt, nil, "sheet %q of the .xls file is truncated", sh.name)
}

// byteSize formats a size for a message, in KB or MB.
func byteSize(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n>>20, 10) + " MB"
}

// readStringRecord reads a STRING record, the cached text of a formula,
// and its CONTINUE records past 8,224 bytes. Excel starts each CONTINUE
// with a new flag byte, as in the shared string table; Gnumeric cuts the
// bytes where they fall. The first layout is tried, then the second.
func readStringRecord(segs [][]byte) (string, error) {
	if len(segs) > 1 {
		r := &sstReader{segs: segs}
		if v, err := r.str(); err == nil && r.atEnd() {
			return v, nil
		}
	}
	v, _, err := readXLUnicode16(bytes.Join(segs, nil))
	return v, err
}

// sortCells orders cells by row and column, and keeps the last value of a
// cell given several times, as a grid would.
func sortCells(cells []xlsCell) []xlsCell {
	slices.SortStableFunc(cells, func(a, b xlsCell) int {
		return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.col, b.col))
	})
	out := cells[:0]
	for _, c := range cells {
		if n := len(out); n > 0 && out[n-1].row == c.row && out[n-1].col == c.col {
			out[n-1] = c
			continue
		}
		out = append(out, c)
	}
	return out
}

// rkValue decodes an RK number: a 30-bit integer or the high 30 bits of
// a float64, optionally divided by 100.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&^3) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// xlsRows iterates a decoded sheet, building each row from its cells, as
// wide as its last cell, down to the last row with a cell.
type xlsRows struct {
	cells  []xlsCell // those of the rows not read yet, in order
	hidden map[int]bool
	row    Row
	buf    []string
	types  []CellType
}

func (r *xlsRows) Next() bool {
	if len(r.cells) == 0 {
		return false
	}
	i := r.row.Num // the 0-based index of the next row
	n := 0
	for n < len(r.cells) && int(r.cells[n].row) == i {
		n++
	}
	width := 0
	if n > 0 {
		width = int(r.cells[n-1].col) + 1
	}
	r.buf = slices.Grow(r.buf[:0], width)[:width]
	clear(r.buf)
	r.types = slices.Grow(r.types[:0], width)[:width]
	clear(r.types)
	for _, c := range r.cells[:n] {
		r.buf[c.col], r.types[c.col] = c.v, c.t
	}
	r.cells = r.cells[n:]
	r.row = Row{Num: i + 1, Cells: r.buf, Types: r.types, Hidden: r.hidden[i]}
	return true
}

func (r *xlsRows) Row() Row     { return r.row }
func (r *xlsRows) Err() error   { return nil }
func (r *xlsRows) Close() error { return nil }
