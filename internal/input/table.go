package input

import (
	"errors"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// Tables are the columns-and-rows form of results: Resource Graph with
// resultFormat "table" ({"data": {"columns": [...], "rows": [[...]]}}) and the
// Log Analytics query API ({"tables": [{"name", "columns", "rows"}]}), which is
// how AzureDiagnostics and AZKVAuditLogs rows arrive. Each row becomes an
// object keyed by lower-cased column name and is read like any other item.

type column struct {
	name    string // lower-case
	dynamic bool   // Log Analytics "dynamic": the value is JSON in a string
}

// readTables reads a Log Analytics "tables" list.
func (rd *reader) readTables(depth int) error {
	if _, err := rd.dec.ReadToken(); err != nil {
		return rd.wrap(err)
	}
	for {
		kind := rd.dec.PeekKind()
		if kind == ']' || kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			return rd.wrap(err)
		}
		src := rd.src(rd.valueStart())
		if kind != '{' {
			if err := rd.skip(); err != nil {
				return rd.wrap(err)
			}
			rd.warn(src, "element of \"tables\" is a JSON %s, not a table; skipped", kindName(kind))
			continue
		}
		_, table, err := rd.readTable(depth)
		if err != nil {
			return err
		}
		if !table {
			rd.warn(src, "element of \"tables\" has no columns and rows; skipped")
		}
	}
}

// pendingRow is a row read before the columns that name its cells.
type pendingRow struct {
	src   estate.Source
	cells any
}

// readTable reads an object that may be a table. Rows are streamed when the
// columns come first, as both services write them; rows that come before
// their columns are held until the columns arrive. When the object has
// neither columns nor rows it is returned decoded, as an ordinary value.
func (rd *reader) readTable(depth int) (rest estate.Object, table bool, err error) {
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, false, rd.wrap(err)
	}
	rest = estate.Object{}
	var cols []column
	var pending []pendingRow
	sawCols, sawRows := false, false
	for {
		kind := rd.dec.PeekKind()
		if kind == '}' {
			break
		}
		tok, err := rd.dec.ReadToken()
		if err != nil {
			return nil, false, rd.wrap(err)
		}
		name := estate.Lower(tok.String())
		kind = rd.dec.PeekKind()
		vsrc := rd.src(rd.valueStart())
		switch {
		case name == "columns" && kind == '[':
			v, err := rd.decodeValue(false)
			if err != nil {
				return nil, false, rd.wrap(err)
			}
			sawCols = true
			cols = rd.columns(v.([]any), vsrc)
			for _, p := range pending {
				rd.row(cols, p.cells.([]any), p.src)
			}
			pending = nil
		case name == "rows" && kind == '[':
			sawRows = true
			if pending, err = rd.readRows(cols, sawCols, pending); err != nil {
				return nil, false, err
			}
		default:
			v, err := rd.decodeValue(keepCase(name))
			if err != nil {
				return nil, false, rd.wrap(err)
			}
			rest[name] = v
		}
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, false, rd.wrap(err)
	}
	if !sawCols && !sawRows {
		return rest, false, nil
	}
	for _, p := range pending {
		rd.warn(p.src, "table row without columns to name its cells; skipped")
	}
	return nil, true, nil
}

// readRows streams the rows of a table. Without columns yet, rows are kept
// in pending for the caller.
func (rd *reader) readRows(cols []column, haveCols bool, pending []pendingRow) ([]pendingRow, error) {
	if _, err := rd.dec.ReadToken(); err != nil {
		return nil, rd.wrap(err)
	}
	for {
		if err := rd.ctx.Err(); err != nil {
			return nil, err
		}
		kind := rd.dec.PeekKind()
		if kind == ']' || kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			return pending, rd.wrap(err)
		}
		src := rd.src(rd.valueStart())
		switch {
		case kind != '[':
			if err := rd.skip(); err != nil {
				return nil, rd.wrap(err)
			}
			rd.warn(src, "table row is a JSON %s, not an array of cells; skipped", kindName(kind))
		case !haveCols:
			v, err := rd.decodeValue(false)
			if err != nil {
				return nil, rd.wrap(err)
			}
			pending = append(pending, pendingRow{src, v})
		default:
			// Decode cell by cell so that a "tags" cell keeps its key case.
			if _, err := rd.dec.ReadToken(); err != nil {
				return nil, rd.wrap(err)
			}
			var cells []any
			for rd.dec.PeekKind() != ']' {
				keep := len(cells) < len(cols) && keepCase(cols[len(cells)].name)
				v, err := rd.decodeValue(keep)
				if err != nil {
					return nil, rd.wrap(err)
				}
				cells = append(cells, v)
			}
			if _, err := rd.dec.ReadToken(); err != nil {
				return nil, rd.wrap(err)
			}
			rd.row(cols, cells, src)
		}
	}
}

// columns reads a table's column list: [{"name": ..., "type": ...}], or bare
// names.
func (rd *reader) columns(list []any, src estate.Source) []column {
	cols := make([]column, 0, len(list))
	for i, c := range list {
		var col column
		switch x := c.(type) {
		case estate.Object:
			col = column{name: estate.Lower(x.Str("name")), dynamic: x.EqualFold("type", "dynamic")}
		case string:
			col = column{name: estate.Lower(x)}
		}
		if col.name == "" {
			rd.warn(src, "table column %d has no name; its cells are ignored", i+1)
		}
		cols = append(cols, col)
	}
	return cols
}

// row turns one table row into an object and reads it as an item.
func (rd *reader) row(cols []column, cells []any, src estate.Source) {
	if len(cells) != len(cols) {
		rd.warn(src, "table row has %d cells for %d columns; cells without a column are ignored", len(cells), len(cols))
	}
	it := &item{obj: make(estate.Object, len(cols)), src: src}
	for i, c := range cols {
		if i >= len(cells) || c.name == "" {
			continue
		}
		v := cells[i]
		if s, ok := v.(string); ok && c.dynamic {
			if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				if parsed, err := rd.parseDynamic(t, keepCase(c.name)); err == nil {
					v = parsed
				} else {
					rd.warn(src, "table column %q holds malformed JSON (%v); kept as text", c.name, err)
				}
			}
		}
		it.set(c.name, v)
	}
	rd.handle(it, "")
	rd.flush()
}

// parseDynamic decodes JSON held in a string (a Log Analytics dynamic column,
// such as AZKVAuditLogs' Identity).
func (rd *reader) parseDynamic(s string, keep bool) (any, error) {
	sub := &reader{ctx: rd.ctx, name: rd.name, sink: rd.sink, quiet: true}
	sub.lines = &lineCounter{r: strings.NewReader(s)}
	sub.dec = jsontext.NewDecoder(sub.lines, decodeOptions...)
	v, err := sub.decodeValue(keep)
	if err == nil {
		if _, end := sub.dec.ReadToken(); !errors.Is(end, io.EOF) {
			err = errors.New("text follows the JSON value")
		}
	}
	return v, err
}
