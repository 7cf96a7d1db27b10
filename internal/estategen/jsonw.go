package estategen

import "strconv"

// line builds one compact JSON document by appending to a byte slice, so that
// writing a million resources costs no reflection and no maps. Members and
// elements are separated automatically; the caller only opens and closes.
type line struct {
	b        []byte
	comma    []bool // per open container: whether it holds a member already
	afterKey bool   // a member name was written; its value comes next
}

func (l *line) reset() {
	l.b, l.comma, l.afterKey = l.b[:0], l.comma[:0], false
}

// pre writes the separator a new value needs.
func (l *line) pre() {
	if l.afterKey {
		l.afterKey = false
		return
	}
	if n := len(l.comma); n > 0 {
		if l.comma[n-1] {
			l.b = append(l.b, ',')
		}
		l.comma[n-1] = true
	}
}

// k writes a member name; the next call writes its value.
func (l *line) k(name string) *line {
	l.pre()
	l.b = appendQuoted(l.b, name)
	l.b = append(l.b, ':')
	l.afterKey = true
	return l
}

func (l *line) obj() *line {
	l.pre()
	l.b = append(l.b, '{')
	l.comma = append(l.comma, false)
	return l
}

func (l *line) end() *line {
	l.b = append(l.b, '}')
	l.comma = l.comma[:len(l.comma)-1]
	return l
}

func (l *line) arr() *line {
	l.pre()
	l.b = append(l.b, '[')
	l.comma = append(l.comma, false)
	return l
}

func (l *line) endArr() *line {
	l.b = append(l.b, ']')
	l.comma = l.comma[:len(l.comma)-1]
	return l
}

func (l *line) str(v string) *line {
	l.pre()
	l.b = appendQuoted(l.b, v)
	return l
}

func (l *line) num(v int64) *line {
	l.pre()
	l.b = strconv.AppendInt(l.b, v, 10)
	return l
}

func (l *line) boolean(v bool) *line {
	l.pre()
	l.b = strconv.AppendBool(l.b, v)
	return l
}

func (l *line) null() *line {
	l.pre()
	l.b = append(l.b, "null"...)
	return l
}

// Shorthands for members.

func (l *line) ks(name, v string) *line { return l.k(name).str(v) }
func (l *line) kn(name string, v int64) *line {
	return l.k(name).num(v)
}
func (l *line) kb(name string, v bool) *line { return l.k(name).boolean(v) }
func (l *line) knull(name string) *line      { return l.k(name).null() }

// kobj opens an object member.
func (l *line) kobj(name string) *line { return l.k(name).obj() }

// karr opens an array member.
func (l *line) karr(name string) *line { return l.k(name).arr() }

// kstrs writes a member holding a list of strings.
func (l *line) kstrs(name string, vs ...string) *line {
	l.karr(name)
	for _, v := range vs {
		l.str(v)
	}
	return l.endArr()
}

// kid writes {"id": v} as a member.
func (l *line) kid(name, v string) *line { return l.kobj(name).ks("id", v).end() }

// appendQuoted appends s as a JSON string. Generated text is ASCII; quotes,
// backslashes and control characters are escaped all the same.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
