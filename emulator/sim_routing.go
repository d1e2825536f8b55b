package emulator

// person is the simulation's view of one User extension.
type person struct {
	ext  *Extension
	rank int // directory order: breaks ties so routing is deterministic
	// credentialed people (the receptionist and the agents) belong to
	// whoever signs in as them: the simulation never changes their status.
	credentialed bool
	// removed people have left the account (or been disabled): nothing
	// of theirs runs any more (sim_directory.go).
	removed bool
	// idleSince is when the person's last call ended; the longest idle
	// eligible member gets the next queue call.
	idleSince int64
	onCall    bool
	seats     []*seat // one per queue the person is a member of

	episode    *episode
	episodeGen uint32
}

// seat is a person's place in one queue's idle line.
type seat struct {
	who  *person
	line *queueLine
	pos  int // index in line.idle, -1 when not eligible
}

// queueLine is one call queue's routing state.
type queueLine struct {
	q *Queue
	// idle is a min-heap of the members who may be offered a call right
	// now, longest idle first.
	idle []*seat
	// waiting are the callers on hold in the queue, first come first
	// served; entries that left (answered elsewhere, abandoned) are skipped.
	waiting      []*phoneCall
	head         int
	retryPending bool
}

// eligible is RingCentral's rule for offering a queue call to a member: available
// in this queue, taking queue calls (dndStatus TakeAllCalls), userStatus
// Available, and not on a call.
func eligible(who *person, q *Queue) bool {
	pr := &who.ext.Presence
	return q.AcceptCurrent[who.ext.ID] && pr.AcceptsQueueCalls() && pr.UserStatus == StatusAvailable && len(pr.Legs) == 0
}

// touched is the Platform's commit hook: every committed change, the
// simulation's or a client's, updates the routing index at once.
func (cc *callCentre) touched(ext *Extension) {
	if who := cc.people[ext]; who != nil {
		cc.reindex(who)
	}
}

// reindex brings who's seats in line with their live presence. The
// simulation calls it after each of its own changes too, so that a second
// decision in the same Tx sees the first.
func (cc *callCentre) reindex(who *person) {
	onCall := len(who.ext.Presence.Legs) > 0
	if who.onCall && !onCall {
		who.idleSince = cc.clock
	}
	who.onCall = onCall
	for _, s := range who.seats {
		want := eligible(who, s.line.q)
		switch {
		case want && s.pos < 0:
			s.line.push(s)
		case !want && s.pos >= 0:
			s.line.remove(s)
		case want:
			s.line.fix(s.pos)
		}
	}
}

// pick returns the longest-idle eligible member of the line other than
// skip (the agent who just let this call ring out), or nil.
func (cc *callCentre) pick(line *queueLine, skip *person) *person {
	for len(line.idle) > 0 {
		s := line.idle[0]
		if s.who == skip {
			s = nil
			for _, i := range []int{1, 2} {
				if i < len(line.idle) && (s == nil || line.less(i, s.pos)) {
					s = line.idle[i]
				}
			}
			if s == nil {
				return nil
			}
		}
		if eligible(s.who, line.q) {
			return s.who
		}
		line.remove(s) // cannot happen while every change goes through a Tx
	}
	return nil
}

func (l *queueLine) less(i, j int) bool {
	a, b := l.idle[i].who, l.idle[j].who
	if a.idleSince != b.idleSince {
		return a.idleSince < b.idleSince
	}
	return a.rank < b.rank
}

func (l *queueLine) swap(i, j int) {
	l.idle[i], l.idle[j] = l.idle[j], l.idle[i]
	l.idle[i].pos = i
	l.idle[j].pos = j
}

func (l *queueLine) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !l.less(i, parent) {
			return
		}
		l.swap(i, parent)
		i = parent
	}
}

func (l *queueLine) down(i int) bool {
	start := i
	for {
		left, right, m := 2*i+1, 2*i+2, i
		if left < len(l.idle) && l.less(left, m) {
			m = left
		}
		if right < len(l.idle) && l.less(right, m) {
			m = right
		}
		if m == i {
			return i > start
		}
		l.swap(i, m)
		i = m
	}
}

func (l *queueLine) push(s *seat) {
	s.pos = len(l.idle)
	l.idle = append(l.idle, s)
	l.up(s.pos)
}

func (l *queueLine) remove(s *seat) {
	i, last := s.pos, len(l.idle)-1
	if i != last {
		l.swap(i, last)
	}
	l.idle[last] = nil
	l.idle = l.idle[:last]
	s.pos = -1
	if i != last {
		l.fix(i)
	}
}

func (l *queueLine) fix(i int) {
	if !l.down(i) {
		l.up(i)
	}
}

// enqueue puts a caller on hold in the queue and makes sure the queue will
// offer its callers again soon.
func (cc *callCentre) enqueue(c *phoneCall) {
	line := c.line
	c.state = callWaiting
	c.gen++ // the agent's answer or ring-out no longer applies
	line.waiting = append(line.waiting, c)
	if !line.retryPending {
		line.retryPending = true
		cc.after(cc.model.queueRetry.draw(cc.rng), event{kind: evQueueRetry, line: line})
	}
}

// firstWaiting returns the caller at the head of the queue, dropping those
// who have left it.
func (l *queueLine) firstWaiting() *phoneCall {
	for l.head < len(l.waiting) {
		c := l.waiting[l.head]
		if c.state == callWaiting {
			return c
		}
		l.waiting[l.head] = nil
		l.head++
	}
	l.waiting, l.head = l.waiting[:0], 0
	return nil
}

func (l *queueLine) popWaiting() {
	l.waiting[l.head] = nil
	l.head++
	if l.head > 64 && l.head*2 > len(l.waiting) {
		n := copy(l.waiting, l.waiting[l.head:])
		clear(l.waiting[n:])
		l.waiting, l.head = l.waiting[:n], 0
	}
}

// retryQueue offers the waiting callers, in order, to whoever is free.
func (cc *callCentre) retryQueue(line *queueLine) {
	line.retryPending = false
	for {
		c := line.firstWaiting()
		if c == nil {
			return
		}
		who := cc.pick(line, nil)
		if who == nil {
			break
		}
		line.popWaiting()
		cc.ringAgent(c, who)
	}
	line.retryPending = true
	cc.after(cc.model.queueRetry.draw(cc.rng), event{kind: evQueueRetry, line: line})
}
