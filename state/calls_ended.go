package state

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// endedSession remembers a forgotten session's parties' last sequences,
// held in the map by value: tens of thousands are kept on a busy account
// (five minutes of the front desk's 17,000 calls a minute: 85,000). A
// party named as RingCentral and the emulator name them ("p-", the
// session id's digits, "-" and its number, 0 to 63) is kept as its number
// alone, a bit of nums, its sequence in seqs in number order: the rest of
// its id is the session's, and would be most of what is kept. Up to four
// such sequences that fit in 32 bits (a session's sequences count its
// events) are kept in the value itself, with no allocation of their own;
// more, or larger, go to more.seqs.
type endedSession struct {
	at   stamp
	nums uint64    // bit n: party number n left
	seqs [4]uint32 // the last sequences of nums' parties, in number order, while more.seqs is nil
	more *endedMore
}

// endedMore is what an ended session rarely has: more numbered parties
// than its seqs hold (or a sequence too large for them), and parties
// named otherwise.
type endedMore struct {
	seqs  []int64 // when not nil, the last sequences of nums' parties, in number order
	other []partySeq
}

type partySeq struct {
	party string
	seq   int64
}

// last is party's last sequence, and whether it was seen to leave (the
// zero e knows none).
func (e *endedSession) last(session, party string) (int64, bool) {
	if n, ok := partyNumber(session, party); ok {
		if e.nums&(1<<n) == 0 {
			return 0, false
		}
		i := bits.OnesCount64(e.nums & (1<<n - 1))
		if e.more != nil && e.more.seqs != nil {
			return e.more.seqs[i], true
		}
		return int64(e.seqs[i]), true
	}
	if e.more != nil {
		for _, p := range e.more.other {
			if p.party == party {
				return p.seq, true
			}
		}
	}
	return 0, false
}

// note records p's last sequence.
func (e *endedSession) note(p *callParty) {
	id := p.ownID()
	if id == "" {
		e.noteNum(uint(p.num), p.seq, len(p.s.parties))
		return
	}
	e.noteOther(id, p.seq)
}

// noteNum records the last sequence of party number k; n is how many
// parties the session has, to make room for at once when they do not fit
// in seqs.
func (e *endedSession) noteNum(k uint, seq int64, n int) {
	i := bits.OnesCount64(e.nums & (1<<k - 1))
	had := e.nums&(1<<k) != 0
	if e.more == nil || e.more.seqs == nil {
		count := bits.OnesCount64(e.nums)
		v := seq
		if had {
			v = max(int64(e.seqs[i]), seq)
		}
		if v >= 0 && v <= math.MaxUint32 && (had || count < len(e.seqs)) {
			if !had {
				copy(e.seqs[i+1:count+1], e.seqs[i:count])
				e.nums |= 1 << k
			}
			e.seqs[i] = uint32(v)
			return
		}
		// They no longer fit in seqs: all of them go to more.seqs.
		if e.more == nil {
			e.more = &endedMore{}
		}
		all := make([]int64, count, max(n, count+1))
		for j := range count {
			all[j] = int64(e.seqs[j])
		}
		e.more.seqs, e.seqs = all, [4]uint32{}
	}
	if had {
		e.more.seqs[i] = max(e.more.seqs[i], seq)
		return
	}
	e.more.seqs = slices.Insert(e.more.seqs, i, seq)
	e.nums |= 1 << k
}

// noteOther records the last sequence of a party not named by number.
func (e *endedSession) noteOther(party string, seq int64) {
	if e.more == nil {
		e.more = &endedMore{}
	}
	for i := range e.more.other {
		if p := &e.more.other[i]; p.party == party {
			p.seq = max(p.seq, seq)
			return
		}
	}
	e.more.other = append(e.more.other, partySeq{party, seq})
}

// endedKey is a session id as the ended sessions keep it: the 16 bytes
// of "s-" and 32 lower-case hex digits, how RingCentral and the emulator
// name every session. Not the id's text: 85,000 ended sessions on a busy
// front desk would keep as many 34-byte strings (48 bytes each on the
// heap, 4 MB) alive after their sessions are gone.
type endedKey [16]byte

// endedKeyOf is id's endedKey; false when id is named otherwise (kept as
// text then).
func endedKeyOf(id string) (k endedKey, ok bool) {
	if len(id) != 34 || id[0] != 's' || id[1] != '-' {
		return k, false
	}
	for j := range k {
		hi, ok1 := unhexLower(id[2+2*j])
		lo, ok2 := unhexLower(id[3+2*j])
		if !ok1 || !ok2 {
			return endedKey{}, false
		}
		k[j] = hi<<4 | lo
	}
	return k, true
}

// unhexLower is a lower-case hex digit's value (upper case is another
// text: kept as text).
func unhexLower(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// endedOf is the ended session id, if it is kept.
func (c *Calls) endedOf(id string) (endedSession, bool) {
	if k, ok := endedKeyOf(id); ok {
		e, ok := c.ended[k]
		return e, ok
	}
	e, ok := c.endedText[id]
	return e, ok
}

// setEnded keeps e for the session id (a kept copy, not a piece of an
// event: it becomes a key).
func (c *Calls) setEnded(id string, e endedSession) {
	if k, ok := endedKeyOf(id); ok {
		c.ended[k] = e
		return
	}
	c.endedText[id] = e
}

// deleteEnded forgets the ended session id.
func (c *Calls) deleteEnded(id string) {
	if k, ok := endedKeyOf(id); ok {
		delete(c.ended, k)
		return
	}
	delete(c.endedText, id)
}

// endedLen is how many ended sessions are kept.
func (c *Calls) endedLen() int { return len(c.ended) + len(c.endedText) }

// endedRetention is how long a forgotten session's sequences are kept:
// far longer than any event is late.
const endedRetention = 5 * time.Minute

// prune forgets ended sessions older than endedRetention, now and then.
func (c *Calls) prune(at time.Time) {
	if at.Before(c.pruneAt) {
		return
	}
	c.pruneAt = at.Add(endedRetention / 10)
	now := stampOf(at)
	for k, e := range c.ended {
		if time.Duration(now-e.at) > endedRetention {
			delete(c.ended, k)
		}
	}
	for id, e := range c.endedText {
		if time.Duration(now-e.at) > endedRetention {
			delete(c.endedText, id)
		}
	}
}
