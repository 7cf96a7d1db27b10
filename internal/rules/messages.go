package rules

// messages interns the messages an Env's outcomes repeat: across an estate
// most of them are repeated verbatim ("classified \"Confidential\" by tag
// dataClassification"), and a message found again costs no allocation. A
// rule writes the message into the buffer start returns and passes it to
// intern. At most maxMessages are remembered; past that the Env forgets
// them all and starts again, since the ones asked again come close
// together (one resource group's resources are judged one after the other).
// One message is written at a time: start hands out the same buffer again.
// A messages serves one goroutine, as its Env does.
//
// The messages of a count-only Env are off: intern and once return "" and
// remember nothing. Rules that write long messages check Env.countOnly
// before they start.
type messages struct {
	off  bool // a count-only Env's
	buf  []byte
	seen map[string]string
}

// maxMessages bounds the messages an Env remembers.
const maxMessages = 4096

// start returns the buffer to write a message into, emptied.
func (t *messages) start() []byte { return t.buf[:0] }

// intern returns the message written in b, as a string made before when
// there is one. b is the buffer start returned, perhaps grown: it is kept
// for the next message.
func (t *messages) intern(b []byte) string {
	t.buf = b[:0]
	if t.off {
		return ""
	}
	if s, ok := t.seen[string(b)]; ok {
		return s
	}
	s := string(b)
	if t.seen == nil {
		t.seen = make(map[string]string)
	}
	if len(t.seen) >= maxMessages {
		clear(t.seen)
	}
	t.seen[s] = s
	return s
}

// once returns the message written in b without remembering it: for a
// message that names its resource and will not be asked for again. b is
// kept for the next message, as intern keeps it.
func (t *messages) once(b []byte) string {
	t.buf = b[:0]
	if t.off {
		return ""
	}
	return string(b)
}
