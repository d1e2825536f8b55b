package state

// What the loader loads first: whose presence a reload has not loaded yet,
// in the order people look for it.
const (
	tierMe        = iota // the signed-in user, and each viewer
	tierScreen           // rows on someone's screen
	tierNear             // rows just off screen, pinned, watched, chosen
	tierColleague        // people in the viewers' own call queues
	tierRest             // everyone else, in directory order
	tierNone
)

// pickLoad returns up to max people the running reload has not loaded
// yet, the most wanted first, and the tier of the first; it looks no
// further than tier upTo and passes over skip. screenFirst offers the
// rows on screen before the signed-in user (who then fills a batch's
// room).
func (m *Mirror) pickLoad(n, upTo int, skip map[ID]bool, screenFirst bool) ([]ID, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.jn.reloading {
		return nil, tierNone
	}
	// The rows on screen as the directory is now, not as last published:
	// the first load's pick comes straight after the directory's pages.
	m.publishLocked()
	s := &m.store
	p := picker{max: n, first: tierNone, seen: map[ID]bool{}}
	want := func(id ID) bool {
		if p.seen[id] || skip[id] || m.jn.done[id] {
			return false
		}
		e := s.entry(id)
		return e != nil && e.Person()
	}
	tiers := []func(add func(ID) bool){
		tierMe: func(add func(ID) bool) {
			add(s.me)
			for v := range m.views {
				add(v.meID())
			}
		},
		tierScreen: func(add func(ID) bool) {
			for v := range m.views {
				v.rows(v.top, v.top+v.height, add)
			}
		},
		tierNear: func(add func(ID) bool) {
			for v := range m.views {
				margin := max(4, v.height/2)
				v.rows(v.top+v.height, v.top+v.height+margin, add)
				v.rows(v.top-margin, v.top, add)
				add(v.selID)
				for _, id := range v.ix.q.Pinned {
					add(id)
				}
				for id := range v.watched {
					add(id)
				}
			}
			for id := range m.load.chosen {
				add(id)
			}
		},
		tierColleague: func(add func(ID) bool) {
			mine := []ID{s.me}
			for v := range m.views {
				mine = append(mine, v.meID())
			}
			for _, me := range mine {
				if e := s.entry(me); e != nil {
					for _, q := range e.Queues {
						if qq := s.queue(q); qq != nil {
							for _, id := range qq.Members {
								if add(id) {
									return
								}
							}
						}
					}
				}
			}
		},
		tierRest: func(add func(ID) bool) {
			for _, e := range s.entries {
				if add(e.ID) {
					return
				}
			}
		},
	}
	order := []int{tierMe, tierScreen, tierNear, tierColleague, tierRest}
	if screenFirst {
		order[0], order[1] = tierScreen, tierMe
	}
	for _, tier := range order {
		if tier > min(upTo, tierRest) || p.full() {
			continue
		}
		tiers[tier](func(id ID) bool { return p.add(id, tier, want) })
	}
	return p.ids, p.first
}

// picker gathers a batch in the order it is offered.
type picker struct {
	max   int
	ids   []ID
	first int
	seen  map[ID]bool
}

func (p *picker) full() bool { return len(p.ids) >= p.max }

// add takes id when it is wanted; it reports whether the batch is full.
func (p *picker) add(id ID, tier int, want func(ID) bool) bool {
	if p.full() {
		return true
	}
	if id == "" || !want(id) {
		return false
	}
	p.seen[id] = true
	p.ids = append(p.ids, id)
	if p.first == tierNone {
		p.first = tier
	}
	return p.full()
}

// rows offers the ids of the rows on lines [from, to) of the view's list
// to add, until it reports the batch full (lock held).
func (v *View) rows(from, to int, add func(ID) bool) {
	lay := v.layout()
	from, to = max(0, from), min(to, lay.lines)
	full := false
	for line := from; line < to && !full; {
		gi, row := lay.at(line)
		if row < 0 {
			line++
			continue
		}
		g := lay.groups[gi]
		n := min(to-line, g.list.len()-row)
		g.list.each(row, row+n, func(_ int, x int32) {
			if !full {
				full = add(v.m.store.entries[x].ID)
			}
		})
		line += n
	}
}

// queuesWanted reports whether a viewer looks at queue membership now:
// the grid grouped by queue, or someone's details (their queues).
func (m *Mirror) queuesWanted() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.queuesWantedLocked()
}

func (m *Mirror) queuesWantedLocked() bool {
	for v := range m.views {
		if v.ix.q.By == GroupQueue || v.detail {
			return true
		}
	}
	return false
}

// peopleLeft is how many people the running reload has still to load.
func (m *Mirror) peopleLeft() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.jn.reloading {
		return 0
	}
	return max(0, m.store.counts.People()-m.jn.donePeople)
}

// queueIDs lists the queues, whether each one's members are known.
func (m *Mirror) queueIDs() (ids []ID, known []bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.store.queues {
		ids = append(ids, q.ID)
		known = append(known, q.MembersKnown)
	}
	return ids, known
}

// myQueues lists the queues the signed-in user is in.
func (m *Mirror) myQueues() []ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.store.entry(m.store.me); e != nil {
		return append([]ID(nil), e.Queues...)
	}
	return nil
}
