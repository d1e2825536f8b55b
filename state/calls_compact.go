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

// word is the shared constant for a status code or reason, so that a
// party keeps no copy of the event's; an unknown word is copied out of
// the event (never a piece of a bigger decoded string).
func word(s string) string {
	switch s {
	case "":
		return ""
	case rc.PartySetup:
		return rc.PartySetup
	case rc.PartyProceeding:
		return rc.PartyProceeding
	case rc.PartyAnswered:
		return rc.PartyAnswered
	case rc.PartyHold:
		return rc.PartyHold
	case rc.PartyParked:
		return rc.PartyParked
	case rc.PartyVoiceMail:
		return rc.PartyVoiceMail
	case rc.PartyDisconnected:
		return rc.PartyDisconnected
	case rc.PartyGone:
		return rc.PartyGone
	case "VoiceMailScreening":
		return "VoiceMailScreening"
	case rc.ReasonAgentAnswered:
		return rc.ReasonAgentAnswered
	case rc.ReasonCallRedirected:
		return rc.ReasonCallRedirected
	case rc.ReasonBlindTransfer:
		return rc.ReasonBlindTransfer
	case rc.ReasonPickup:
		return rc.ReasonPickup
	case rc.ReasonCancelled:
		return rc.ReasonCancelled
	case rc.ReasonNoAnswer:
		return rc.ReasonNoAnswer
	case rc.ReasonRejected:
		return rc.ReasonRejected
	case rc.ReasonCallPark:
		return rc.ReasonCallPark
	case "AttendedTransfer":
		return "AttendedTransfer"
	case "RccTransfer":
		return "RccTransfer"
	case "CallerInputRedirect":
		return "CallerInputRedirect"
	case "DtmfTransfer":
		return "DtmfTransfer"
	case "Voicemail":
		return "Voicemail"
	}
	return strings.Clone(s)
}

// keep is s, sanitised, as the party keeps it: old when that is the same
// text (the event repeats it), else a text another party of the session
// keeps, else a copy of its own.
func (s *callSession) keep(old, raw string) string {
	v := Sanitize(raw)
	if v == old || v == "" {
		return v
	}
	for _, o := range s.parties {
		for _, k := range [...]string{o.from.name, o.from.number, o.to.name, o.to.number} {
			if k == v {
				return k
			}
		}
	}
	return strings.Clone(v)
}

// keepID is id as the party keeps it: old when the same, else the
// session's copy, else its own.
func (s *callSession) keepID(old ID, id ID) ID {
	if id == old || id == "" {
		return id
	}
	for _, o := range s.parties {
		if o.ext == id {
			return o.ext
		}
	}
	return ID(strings.Clone(string(id)))
}

// end is e as p keeps it (old its previous value).
func (s *callSession) end(old callEnd, name, number, extNumber string) callEnd {
	if number == "" {
		number = extNumber
	}
	return callEnd{name: s.keep(old.name, name), number: s.keep(old.number, number)}
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
