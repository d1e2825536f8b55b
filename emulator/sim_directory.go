package emulator

// People joining and leaving while the call centre runs. Both hooks run
// under Platform.mu only (the control API's Tx), so they touch nothing but
// the routing index, which that lock guards: calls the leaver was on are
// let go the next time the simulation looks at them (stillUp), as when a
// client ends a call.

// directoryChanged is the Platform's onDirectory hook.
func (cc *callCentre) directoryChanged(ext *Extension, joined bool) {
	if joined {
		cc.join(ext)
	} else {
		cc.leave(ext)
	}
}

// join adds a new User to the floor, in their queues' lines, idle since now.
func (cc *callCentre) join(ext *Extension) {
	if cc.people[ext] != nil {
		return
	}
	rank := 0
	for _, u := range cc.users {
		rank = max(rank, u.rank+1)
	}
	who := &person{ext: ext, rank: rank, idleSince: cc.p.now().UnixNano()}
	for _, q := range ext.Queues {
		for _, line := range cc.lines {
			if line.q == q {
				who.seats = append(who.seats, &seat{who: who, line: line, pos: -1})
			}
		}
	}
	cc.people[ext] = who
	cc.users = append(cc.users, who)
	cc.reindex(who)
}

// leave takes a User off the floor: no new call, status change or queue
// call reaches them, and their pending spells away are dropped.
func (cc *callCentre) leave(ext *Extension) {
	who := cc.people[ext]
	if who == nil {
		return
	}
	who.removed = true
	for _, s := range who.seats {
		if s.pos >= 0 {
			s.line.remove(s)
		}
	}
	who.seats = nil
	delete(cc.people, ext)
	for i, u := range cc.users {
		if u == who {
			cc.users = append(cc.users[:i], cc.users[i+1:]...)
			break
		}
	}
}
