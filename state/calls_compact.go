package state

import (
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// The call tracker keeps a party for every call in progress (tens of
// thousands on a busy front desk), so what it keeps is compact: times are
// stamps, enumerated words are the package's constants, and every text is
// kept once, not once per event that repeats it.

// stamp is a time as Unix nanoseconds, 0 for the zero time: 8 bytes with
// no location for the collector to scan. Only durations are shown, and
// the times a stamp gives back are UTC.
type stamp int64

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return 0
	}
	return stamp(t.UnixNano())
}

func (s stamp) time() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(s)).UTC()
}

// word is a party's status code or reason as the tracker keeps it: two
// bytes rather than a string (and a copy of the event's) in every party
// and every event of its history. The SPEC's words are constants; a word
// the tracker does not know gets a number of its own (Calls.wordOf), so it
// still compares and reads back exactly.
type word uint16

// The words the tracker knows, in wordNames' order.
const (
	wNone word = iota
	wSetup
	wProceeding
	wAnswered
	wHold
	wParked
	wVoiceMail
	wDisconnected
	wGone
	wVoiceMailScreening
	wAgentAnswered
	wCallRedirected
	wBlindTransfer
	wPickup
	wCancelled
	wNoAnswer
	wRejected
	wCallPark
	wAttendedTransfer
	wRccTransfer
	wCallerInputRedirect
	wDtmfTransfer
	wVoicemail
	knownWords
)

var wordNames = [knownWords]string{
	"", rc.PartySetup, rc.PartyProceeding, rc.PartyAnswered, rc.PartyHold, rc.PartyParked, rc.PartyVoiceMail,
	rc.PartyDisconnected, rc.PartyGone, "VoiceMailScreening",
	rc.ReasonAgentAnswered, rc.ReasonCallRedirected, rc.ReasonBlindTransfer, rc.ReasonPickup, rc.ReasonCancelled,
	rc.ReasonNoAnswer, rc.ReasonRejected, rc.ReasonCallPark, "AttendedTransfer", "RccTransfer", "CallerInputRedirect",
	"DtmfTransfer", "Voicemail",
}

// knownWord is s's constant, if the tracker knows it.
func knownWord(s string) (word, bool) {
	switch s {
	case "":
		return wNone, true
	case rc.PartySetup:
		return wSetup, true
	case rc.PartyProceeding:
		return wProceeding, true
	case rc.PartyAnswered:
		return wAnswered, true
	case rc.PartyHold:
		return wHold, true
	case rc.PartyParked:
		return wParked, true
	case rc.PartyVoiceMail:
		return wVoiceMail, true
	case rc.PartyDisconnected:
		return wDisconnected, true
	case rc.PartyGone:
		return wGone, true
	case "VoiceMailScreening":
		return wVoiceMailScreening, true
	case rc.ReasonAgentAnswered:
		return wAgentAnswered, true
	case rc.ReasonCallRedirected:
		return wCallRedirected, true
	case rc.ReasonBlindTransfer:
		return wBlindTransfer, true
	case rc.ReasonPickup:
		return wPickup, true
	case rc.ReasonCancelled:
		return wCancelled, true
	case rc.ReasonNoAnswer:
		return wNoAnswer, true
	case rc.ReasonRejected:
		return wRejected, true
	case rc.ReasonCallPark:
		return wCallPark, true
	case "AttendedTransfer":
		return wAttendedTransfer, true
	case "RccTransfer":
		return wRccTransfer, true
	case "CallerInputRedirect":
		return wCallerInputRedirect, true
	case "DtmfTransfer":
		return wDtmfTransfer, true
	case "Voicemail":
		return wVoicemail, true
	}
	return 0, false
}

// maxWords bounds the words a tracker numbers: past it (a server sending
// ever new words), every new one is wOther, equal to each other.
const maxWords = 1 << 12

// wOther is every word past maxWords.
const wOther = word(maxWords)

// wordOf is s's word, numbering it when it is new.
func (c *Calls) wordOf(s string) word {
	if w, ok := knownWord(s); ok {
		return w
	}
	if w, ok := c.wordNums[s]; ok {
		return w
	}
	n := int(knownWords) + len(c.words)
	if n >= maxWords {
		return wOther
	}
	if c.wordNums == nil {
		c.wordNums = map[string]word{}
	}
	s = strings.Clone(s) // not a piece of the decoded event
	c.words = append(c.words, s)
	c.wordNums[s] = word(n)
	return word(n)
}

// wordString is the text of w.
func (c *Calls) wordString(w word) string {
	switch {
	case w < knownWords:
		return wordNames[w]
	case int(w-knownWords) < len(c.words):
		return c.words[w-knownWords]
	}
	return "?"
}

// keepID is an owner's id as party p of session s keeps it: old when the
// same, else the session's copy, else the directory's (SetIDs), else its
// own.
func (c *Calls) keepID(s *callSession, old ID, id ID) ID {
	if id == old {
		return old
	}
	if id == "" {
		return ""
	}
	for _, o := range s.parties {
		if o.ext == id {
			return o.ext
		}
	}
	if c.ids != nil {
		if k, ok := c.ids(id); ok {
			return k
		}
	}
	return ID(strings.Clone(string(id)))
}

// keptTexts is the tracker's copy of session's id, and of the names and
// numbers of its party's two ends (from's, then to's; "" where it has
// none), for the store to keep rather than copies of its own: a presence
// call's session id, caller and callee are the tracker's too. ok is false
// when the tracker does not know the session. Not safe for concurrent use
// (the mirror's, under its lock).
func (c *Calls) keptTexts(session, party string) (id string, texts [4]string, ok bool) {
	s := c.sessions[session]
	if s == nil {
		return "", texts, false
	}
	if p := s.party(party); p != nil {
		texts = [4]string{p.from.name(), p.from.number(), p.to.name(), p.to.number()}
	}
	return s.id, texts, true
}

// SetIDs gives the tracker the directory's copy of an extension id, to
// keep rather than one of its own in every party (the mirror's, under
// its lock).
func (c *Calls) SetIDs(ids func(ID) (ID, bool)) { c.ids = ids }

// end is a side of a party as it keeps it (old its previous value): old
// when the same, else the same side another party of the session keeps,
// else its own.
func (s *callSession) end(old callEnd, name, number, extNumber string) callEnd {
	if number == "" {
		number = extNumber
	}
	n, m := Sanitize(name), Sanitize(number)
	if old.is(n, m) {
		return old
	}
	if n == "" && m == "" {
		return callEnd{}
	}
	for _, o := range s.parties {
		if o.from.is(n, m) {
			return o.from
		}
		if o.to.is(n, m) {
			return o.to
		}
	}
	return callEnd{n + "\x00" + m}
}

// callEnd is one side of a party, sanitised: what is shown of it, its
// name and number in one string (name, NUL, number; "" when both are: a
// sanitised text holds no NUL), one string header and one allocation
// rather than two.
type callEnd struct{ s string }

func (e callEnd) name() string {
	if i := strings.IndexByte(e.s, 0); i >= 0 {
		return e.s[:i]
	}
	return e.s
}

func (e callEnd) number() string {
	if i := strings.IndexByte(e.s, 0); i >= 0 {
		return e.s[i+1:]
	}
	return ""
}

// is reports whether e is name and number.
func (e callEnd) is(name, number string) bool {
	if e.s == "" {
		return name == "" && number == ""
	}
	return len(e.s) == len(name)+1+len(number) && e.name() == name && e.number() == number
}

// keepText is a sanitised text as kept: old when the same, else a copy.
func keepText(old, raw string) string {
	v := Sanitize(raw)
	if v == old {
		return old
	}
	return strings.Clone(v)
}

// keepQueueName is a queue's name as kept: old when the same, else the
// name the tracker has for the queue, else a copy.
func (c *Calls) keepQueueName(old, raw string) string {
	v := Sanitize(raw)
	if v == old {
		return old
	}
	if id, ok := c.byName[v]; ok {
		return c.queues[id]
	}
	return strings.Clone(v)
}

// maxQueueNames bounds the queue names a tracker shares (queueNameOf): past
// it (a server sending ever new names), each party keeps its own.
const maxQueueNames = 1 << 10

// queueNameOf is name as parties keep it: one pointer for every party
// that names the same queue (8 bytes in a party rather than a string's
// 16); nil for "".
func (c *Calls) queueNameOf(name string) *string {
	if name == "" {
		return nil
	}
	if q, ok := c.queueNames[name]; ok {
		return q
	}
	q := &name
	if len(c.queueNames) < maxQueueNames {
		if c.queueNames == nil {
			c.queueNames = map[string]*string{}
		}
		c.queueNames[name] = q
	}
	return q
}
