package state

import (
	"slices"
	"strconv"

	"github.com/rchud/rchud/rc"
)

// The presence fields a body may carry, each merged on its own sequence.
const (
	fPresence = iota
	fUser
	fDND
	fTel
	fMeeting
	fMessage
	fPersonal // dndStatusPersonal (CHS)
	fAcceptQ  // acceptCallQueueCalls (CHS), "true" or "false"
	fCalls
	nFields
)

// update is a presence body split into its fields, each with the sequence
// it was sent at. Bodies may be partial (a field is left out when it did
// not change) and may arrive out of order: a late body still carries the
// fields no newer body restated, so fields are merged one by one, each
// keeping the value of the highest sequence that set it (rc-api.md §3.6).
type update struct {
	// str holds the fields' values (valid where has), not the body's
	// pointers to them, so an update kept in the journal does not keep
	// the decoded notification's block alive (fAcceptQ: "true" or
	// "false").
	str [fCalls]string
	has [nFields]bool
	seq [nFields]int64 // valid where has; unsequenced when !sequenced
	// sequenced is false for a body without a sequence: it applies whole.
	sequenced bool
	maxSeq    int64

	// The calls (fCalls): given, or to be cleared, or incomplete (to
	// fetch).
	calls      []rc.ActiveCall
	callsGiven bool
	total      *int
	detailed   bool
}

// updateOf splits a notification body; detailed reports that its filter
// was detailed (activeCalls expected).
func updateOf(p *rc.Presence, detailed bool) update {
	u := update{detailed: detailed}
	if p.Sequence != nil {
		u.sequenced, u.maxSeq = true, *p.Sequence
	}
	// The string fields, fPresence to fPersonal; fAcceptQ is a bool.
	for f, v := range [fAcceptQ]*string{p.PresenceStatus, p.UserStatus, p.DNDStatus, p.TelephonyStatus, p.MeetingStatus, p.Message,
		p.DNDStatusPersonal} {
		if v != nil {
			u.str[f], u.has[f], u.seq[f] = *v, true, u.maxSeq
		}
	}
	if b := p.AcceptCallQueueCalls; b != nil {
		u.str[fAcceptQ], u.has[fAcceptQ], u.seq[fAcceptQ] = strconv.FormatBool(*b), true, u.maxSeq
	}
	switch {
	case p.ActiveCalls != nil:
		u.calls, u.callsGiven, u.total = p.ActiveCalls, true, p.TotalActiveCalls
	case detailed && (p.TelephonyStatus != nil || p.TotalActiveCalls != nil):
		u.total = p.TotalActiveCalls
	case !detailed && p.TelephonyStatus != nil && *p.TelephonyStatus == "NoCall":
	default:
		return u
	}
	u.has[fCalls], u.seq[fCalls] = true, u.maxSeq
	return u
}

// newer reports whether a field sent at seq (in a body sequenced or not)
// wins over one kept at had.
func newer(sequenced bool, seq, had int64) bool { return !sequenced || seq >= had }

// overlay lays v over u as the mirror would apply v after u: field by
// field, the higher sequence wins.
func (u *update) overlay(v *update) {
	for f := range nFields {
		if !v.has[f] || u.has[f] && !newer(v.sequenced, v.seq[f], u.seq[f]) {
			continue
		}
		u.has[f], u.seq[f] = true, v.seq[f]
		if f == fCalls {
			u.calls, u.callsGiven, u.total, u.detailed = slices.Clone(v.calls), v.callsGiven, v.total, v.detailed
			if v.callsGiven && u.calls == nil {
				u.calls = []rc.ActiveCall{}
			}
		} else {
			u.str[f] = v.str[f]
		}
	}
	if v.sequenced {
		u.sequenced = true
		u.maxSeq = max(u.maxSeq, v.maxSeq)
	}
}
