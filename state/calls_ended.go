package state

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/rchud/rchud/rc"
)

// endedSession remembers a forgotten session's parties' last sequences,
// held in the map by value: tens of thousands are kept on a busy account
// (three and a half minutes of the front desk's queue calls: 55,000). A
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

// endedKey is a session id as the ended sessions keep it, 16 bytes and
// never the id's text: 85,000 ended sessions on a busy front desk would
// keep as many 34- to 40-byte strings (48 bytes each on the heap, 4 MB)
// alive after their sessions are gone. An id of "s-" and 32 lower-case
// hex digits (how the emulator and many RingCentral samples name
// sessions) is its digits' 16 bytes; any other id (RingCentral also sends
// "s-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000" and base64 ids) is a 128-bit
// hash of its text. Two ids share a key with a chance of about n²/2^129:
// below 10^-28 for the sessions of a day.
type endedKey [16]byte

// endedKeyOf is id's endedKey.
func endedKeyOf(id string) endedKey {
	if k, ok := hexKey(id); ok {
		return k
	}
	return rc.HashKey(id)
}

// hexKey is the 16 bytes of an id of "s-" and 32 lower-case hex digits;
// false when id is named otherwise.
func hexKey(id string) (k endedKey, ok bool) {
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
// text: hashed).
func unhexLower(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// endedRetention is how long a forgotten session's sequences are kept:
// longer than any event is late. The latest events are those a recovered
// WebSocket session replays, at most its recoveryTimeout (180 s,
// rc-api.md §2.7) after they were sent; half a minute more covers their
// way here. (It was five minutes, which at the front desk's rate kept
// 86,000 sessions, 4.4 MB, for no late event a session could deliver.)
const endedRetention = 3*time.Minute + 30*time.Second

// endedSpan is how long the ended sessions of one generation of
// endedStore span: the sessions ended in the last endedSpan are kept in
// a map, older ones in frozen generations, dropped whole.
const endedSpan = endedRetention / 10

// endedStore keeps the ended sessions named by endedKey: ~55,000 on the
// front desk (endedRetention of its queue calls). The sessions
// ended (or noted again) in the current generation, at most endedSpan
// long, are in a map; when the span passes it is frozen into an
// endedGen, packed arrays that cost ~45 bytes a session (a map of
// endedSession costs 110 to 180), and a new generation starts. A frozen
// generation is dropped whole once its newest session is older than
// endedRetention, so a session is kept from endedRetention to
// endedRetention+endedSpan after it was last noted (the old store pruned
// every endedRetention/10 too: the same).
//
// A session is in one place at a time: noting a frozen one again moves it
// to the current generation (its frozen copy is marked dead), and
// forgetting it marks it dead wherever it is. So the count is exact, and
// a lookup can stop at the first place that has it.
//
// Time is the tracker's clock (the at given to it), never the wall
// clock's.
type endedStore struct {
	cur map[endedKey]endedSession
	// curFrom and curNewest are when the first and the newest session of
	// cur were noted.
	curFrom, curNewest stamp
	// frozen are the frozen generations, oldest first.
	frozen []*endedGen
}

// endedGen is one frozen generation: its sessions, grouped in buckets by
// their key's hash, each bucket's records contiguous. A record is its
// key, a byte of its hash to look at before the key, the numbered
// parties that left (nums) and the offset of their sequences, in number
// order, in pool; the rare record that needs more (parties named
// otherwise, a sequence past 32 bits) has it in more, by record index.
// A dead record (forgotten, or noted again since) has neither nums nor
// more.
type endedGen struct {
	newest stamp // when its newest session was noted
	live   int   // its records not dead
	shift  uint8 // a key's bucket is its hash >> shift
	start  []uint32
	keys   []endedKey
	fp     []uint8
	nums   []uint64
	off    []uint32
	pool   []uint32
	// moreAt lists the records that have more, ascending; more holds
	// theirs (nil once dead).
	moreAt []uint32
	more   []*endedMore
}

// hash mixes k's bits (a session id's hex digits are random in practice,
// but the store need not count on it).
func (k *endedKey) hash() uint64 {
	a := uint64(k[0]) | uint64(k[1])<<8 | uint64(k[2])<<16 | uint64(k[3])<<24 | uint64(k[4])<<32 | uint64(k[5])<<40 | uint64(k[6])<<48 | uint64(k[7])<<56
	b := uint64(k[8]) | uint64(k[9])<<8 | uint64(k[10])<<16 | uint64(k[11])<<24 | uint64(k[12])<<32 | uint64(k[13])<<40 | uint64(k[14])<<48 | uint64(k[15])<<56
	return fmix64(a ^ bits.RotateLeft64(fmix64(b), 32))
}

// fmix64 is MurmurHash3's 64-bit finaliser.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// find is the index of k's record in g (dead or not), or -1.
func (g *endedGen) find(k *endedKey, h uint64) int {
	b := h >> g.shift
	fp := uint8(h)
	for i := g.start[b]; i < g.start[b+1]; i++ {
		if g.fp[i] == fp && g.keys[i] == *k {
			return int(i)
		}
	}
	return -1
}

// moreOf is record i's more, or nil.
func (g *endedGen) moreOf(i int) *endedMore {
	j, ok := slices.BinarySearch(g.moreAt, uint32(i))
	if !ok {
		return nil
	}
	return g.more[j]
}

// dead reports whether record i is dead.
func (g *endedGen) dead(i int) bool { return g.nums[i] == 0 && g.moreOf(i) == nil }

// kill marks record i dead, if it is not.
func (g *endedGen) kill(i int) {
	if g.dead(i) {
		return
	}
	g.nums[i] = 0
	if j, ok := slices.BinarySearch(g.moreAt, uint32(i)); ok {
		g.more[j] = nil
	}
	g.live--
}

// session is record i as an endedSession (at: the generation's newest).
// Its more is its own when the record has none, or a copy that shares
// the record's other.
func (g *endedGen) session(i int) endedSession {
	e := endedSession{at: g.newest, nums: g.nums[i]}
	m := g.moreOf(i)
	if m != nil && m.seqs != nil {
		e.more = m
		return e
	}
	n := bits.OnesCount64(e.nums)
	seqs := g.pool[g.off[i] : int(g.off[i])+n]
	if n <= len(e.seqs) {
		copy(e.seqs[:], seqs)
		e.more = m
		return e
	}
	more := &endedMore{seqs: make([]int64, n)}
	for j, s := range seqs {
		more.seqs[j] = int64(s)
	}
	if m != nil {
		more.other = m.other
	}
	e.more = more
	return e
}

// freeze packs m, the sessions noted from newest back, into a
// generation.
func freeze(m map[endedKey]endedSession, newest stamp) *endedGen {
	n := len(m)
	// About four records a bucket: a miss reads one bucket's four bytes
	// of hashes and, rarely, a key.
	nb := 1
	for nb*4 < n {
		nb *= 2
	}
	g := &endedGen{
		newest: newest,
		live:   n,
		shift:  uint8(64 - bits.TrailingZeros(uint(nb))), // 64 for one bucket: a hash >> 64 is 0
		start:  make([]uint32, nb+1),
		keys:   make([]endedKey, n),
		fp:     make([]uint8, n),
		nums:   make([]uint64, n),
		off:    make([]uint32, n),
	}
	type ent struct {
		k endedKey
		h uint64
		e endedSession
	}
	ents := make([]ent, 0, n)
	seqs := 0
	for k, e := range m {
		h := k.hash()
		ents = append(ents, ent{k, h, e})
		g.start[h>>g.shift+1]++
		seqs += bits.OnesCount64(e.nums)
	}
	for b := 1; b < len(g.start); b++ {
		g.start[b] += g.start[b-1]
	}
	// Records go to their bucket's next place; within a bucket in the
	// map's order (a lookup reads the whole bucket).
	next := slices.Clone(g.start[:len(g.start)-1])
	at := make([]uint32, n)
	for j := range ents {
		b := ents[j].h >> g.shift
		at[j] = next[b]
		next[b]++
	}
	g.pool = make([]uint32, 0, seqs)
	order := make([]int, n)
	for j := range ents {
		order[at[j]] = j
	}
	for i, j := range order {
		x := &ents[j]
		g.keys[i], g.fp[i], g.nums[i] = x.k, uint8(x.h), x.e.nums
		g.off[i] = uint32(len(g.pool))
		if m := packInto(&g.pool, &x.e); m != nil {
			g.moreAt = append(g.moreAt, uint32(i))
			g.more = append(g.more, m)
		}
	}
	return g
}

// packInto appends e's numbered sequences to pool when they fit in 32
// bits, and returns what the record must keep beside them: nil, or an
// endedMore with the parties named otherwise and, when they did not fit,
// the numbered sequences.
func packInto(pool *[]uint32, e *endedSession) *endedMore {
	n := bits.OnesCount64(e.nums)
	if e.more == nil {
		*pool = append(*pool, e.seqs[:n]...)
		return nil
	}
	if e.more.seqs != nil {
		fits := true
		for _, s := range e.more.seqs {
			fits = fits && s >= 0 && s <= math.MaxUint32
		}
		if !fits {
			return e.more
		}
		for _, s := range e.more.seqs {
			*pool = append(*pool, uint32(s))
		}
	} else {
		*pool = append(*pool, e.seqs[:n]...)
	}
	if len(e.more.other) == 0 {
		return nil
	}
	return &endedMore{other: e.more.other}
}

// get is k's session, if it is kept.
func (s *endedStore) get(k *endedKey) (endedSession, bool) {
	if e, ok := s.cur[*k]; ok {
		return e, true
	}
	if len(s.frozen) == 0 {
		return endedSession{}, false
	}
	h := k.hash()
	for j := len(s.frozen) - 1; j >= 0; j-- {
		g := s.frozen[j]
		if i := g.find(k, h); i >= 0 && !g.dead(i) {
			return g.session(i), true
		}
	}
	return endedSession{}, false
}

// set keeps e for k, noted at e.at.
func (s *endedStore) set(k *endedKey, e endedSession) {
	s.roll(e.at)
	if _, ok := s.cur[*k]; !ok {
		s.killFrozen(k)
	}
	if s.cur == nil {
		size := 0
		if len(s.frozen) > 0 {
			size = len(s.frozen[len(s.frozen)-1].keys) // about as many as the last span
		}
		s.cur = make(map[endedKey]endedSession, size)
	}
	if len(s.cur) == 0 {
		s.curFrom, s.curNewest = e.at, e.at
	}
	s.curNewest = max(s.curNewest, e.at)
	s.cur[*k] = e
}

// remove forgets k.
func (s *endedStore) remove(k *endedKey) {
	delete(s.cur, *k)
	s.killFrozen(k)
}

// killFrozen marks k's frozen records dead.
func (s *endedStore) killFrozen(k *endedKey) {
	if len(s.frozen) == 0 {
		return
	}
	h := k.hash()
	for _, g := range s.frozen {
		if i := g.find(k, h); i >= 0 {
			g.kill(i)
		}
	}
}

// len is how many sessions are kept.
func (s *endedStore) len() int {
	n := len(s.cur)
	for _, g := range s.frozen {
		n += g.live
	}
	return n
}

// roll freezes the current generation once it spans endedSpan at now,
// and drops the generations whose newest session is older than
// endedRetention.
func (s *endedStore) roll(now stamp) {
	if len(s.cur) > 0 && time.Duration(now-s.curFrom) >= endedSpan {
		s.frozen = append(s.frozen, freeze(s.cur, s.curNewest))
		s.cur = nil
	}
	if len(s.frozen) > 0 && time.Duration(now-s.frozen[0].newest) > endedRetention {
		s.frozen = slices.DeleteFunc(s.frozen, func(g *endedGen) bool {
			return time.Duration(now-g.newest) > endedRetention || g.live == 0
		})
	}
}

// endedOf is the ended session id, if it is kept.
func (c *Calls) endedOf(id string) (endedSession, bool) {
	k := endedKeyOf(id)
	return c.ended.get(&k)
}

// setEnded keeps e for the session id, noted at e.at.
func (c *Calls) setEnded(id string, e endedSession) {
	k := endedKeyOf(id)
	c.ended.set(&k, e)
}

// deleteEnded forgets the ended session id.
func (c *Calls) deleteEnded(id string) {
	k := endedKeyOf(id)
	c.ended.remove(&k)
}

// endedLen is how many ended sessions are kept.
func (c *Calls) endedLen() int { return c.ended.len() }

// prune forgets ended sessions older than endedRetention, their
// generations as they pass.
func (c *Calls) prune(at time.Time) { c.ended.roll(stampOf(at)) }
