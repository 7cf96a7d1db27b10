package input

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estate"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 256

// Read reads one input stream named name (a path, or "-" for stdin). It
// recognises every shape of the package documentation by content; a stream may
// hold several top-level values (NDJSON, or concatenated documents).
func Read(ctx context.Context, name string, r io.Reader, sink Sink) error {
	rd := &reader{
		ctx:  ctx,
		name: name,
		sink: sink,
		dec: jsontext.NewDecoder(bufio.NewReaderSize(r, 1<<16),
			jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)),
	}
	values := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		kind := rd.dec.PeekKind()
		if kind == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			if errors.Is(err, io.EOF) {
				if values == 0 {
					return &PositionError{File: name, Offset: rd.dec.InputOffset(), Err: errors.New("no JSON value (empty input)")}
				}
				return nil
			}
			return rd.wrap(err)
		}
		values++
		var err error
		switch kind {
		case '[':
			err = rd.readArray()
		case '{':
			err = rd.readTopObject()
		default:
			off := rd.dec.InputOffset()
			return &PositionError{File: name, Offset: off, Err: fmt.Errorf("expected a JSON object or array, found %v", kind)}
		}
		if err != nil {
			return err
		}
	}
}

type reader struct {
	ctx  context.Context
	name string
	dec  *jsontext.Decoder
	sink Sink
}

func (rd *reader) src(off int64) estate.Source { return estate.Source{File: rd.name, Offset: off} }

// wrap turns a decoder error into a PositionError.
func (rd *reader) wrap(err error) error {
	var perr *PositionError
	if err == nil || errors.As(err, &perr) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	off := rd.dec.InputOffset()
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		off = syn.ByteOffset
		err = syn.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of input: the JSON is truncated")
	}
	return &PositionError{File: rd.name, Offset: off, Err: err}
}

// readArray streams the elements of an array, one at a time.
func (rd *reader) readArray() error {
	if _, err := rd.dec.ReadToken(); err != nil {
		return rd.wrap(err)
	}
	for rd.dec.PeekKind() != ']' {
		if err := rd.ctx.Err(); err != nil {
			return err
		}
		if err := rd.readItem(); err != nil {
			return err
		}
	}
	_, err := rd.dec.ReadToken()
	return rd.wrap(err)
}

// readItem reads one array element: a resource, an audit record, or a header.
func (rd *reader) readItem() error {
	off := rd.dec.InputOffset()
	if k := rd.dec.PeekKind(); k != '{' {
		if k == jsontext.KindInvalid {
			_, err := rd.dec.ReadToken()
			return rd.wrap(err)
		}
		if err := rd.dec.SkipValue(); err != nil {
			return rd.wrap(err)
		}
		rd.sink.Warn(rd.src(off), "array element is a JSON %v, not an object; skipped", k)
		return nil
	}
	v, err := rd.decodeValue(false)
	if err != nil {
		return rd.wrap(err)
	}
	rd.handle(v.(estate.Object), off)
	return nil
}

// containers are the members that hold a list of items in the envelope shapes.
var containers = map[string]bool{"value": true, "data": true, "records": true}

// readTopObject reads a top-level object: an envelope ({"value": [...]},
// {"data": [...]}, {"records": [...]}) whose list is streamed, or a single item.
func (rd *reader) readTopObject() error {
	off := rd.dec.InputOffset()
	if _, err := rd.dec.ReadToken(); err != nil {
		return rd.wrap(err)
	}
	obj := estate.Object{}
	envelope := false
	for rd.dec.PeekKind() != '}' {
		tok, err := rd.dec.ReadToken()
		if err != nil {
			return rd.wrap(err)
		}
		name := strings.ToLower(tok.String())
		if containers[name] && rd.dec.PeekKind() == '[' {
			envelope = true
			if err := rd.readArray(); err != nil {
				return err
			}
			continue
		}
		v, err := rd.decodeValue(keepCase[name])
		if err != nil {
			return rd.wrap(err)
		}
		obj[name] = v
	}
	if _, err := rd.dec.ReadToken(); err != nil {
		return rd.wrap(err)
	}
	if !envelope {
		rd.handle(obj, off)
	}
	return nil
}

// keepCase names members whose own keys are data, not property names: tag keys
// and user-assigned identity ids keep the case they were written in.
var keepCase = map[string]bool{"tags": true, "userassignedidentities": true}

// decodeValue decodes the next value into string, float64, bool, nil, []any or
// estate.Object with lower-cased member names (unless keep is set).
func (rd *reader) decodeValue(keep bool) (any, error) {
	if rd.dec.StackDepth() > maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := rd.dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case 'n':
		return nil, nil
	case 'f', 't':
		return tok.Bool(), nil
	case '"':
		return tok.String(), nil
	case '0':
		f, err := tok.Float()
		if err != nil {
			return nil, err
		}
		return f, nil
	case '[':
		list := []any{}
		for rd.dec.PeekKind() != ']' {
			v, err := rd.decodeValue(false)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := rd.dec.ReadToken()
		return list, err
	case '{':
		obj := estate.Object{}
		for rd.dec.PeekKind() != '}' {
			nt, err := rd.dec.ReadToken()
			if err != nil {
				return nil, err
			}
			name := nt.String()
			lname := strings.ToLower(name)
			if !keep {
				name = lname
			}
			v, err := rd.decodeValue(keepCase[lname] && !keep)
			if err != nil {
				return nil, err
			}
			obj[name] = v
		}
		_, err := rd.dec.ReadToken()
		return obj, err
	}
	return nil, fmt.Errorf("unexpected token %v", tok.Kind())
}
