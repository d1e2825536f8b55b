package emulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Directory is the generated account: its extensions, queues and sites.
// The slices and maps are built once; Extension fields marked mutable in
// model.go are guarded by Platform.mu.
type Directory struct {
	AccountID    int64
	Company      string
	Domain       string
	MainNumber   string
	Sites        []*Site
	Extensions   []*Extension // ordered by extension number
	ByID         map[int64]*Extension
	ByNumber     map[string]*Extension
	Queues       []*Queue
	Receptionist *Extension
	// Agents are the non-admin users that get JWT credentials.
	Agents []*Extension
}

// numberPlan picks the extension-number width so that users, queues (8xx)
// and the other extensions (9xx) never collide.
func numberPlan(users int) (userStart, queueStart, otherStart int) {
	base := 100
	for users > 6*base-1 {
		base *= 10
	}
	return base + 1, 8*base + 1, 9*base + 1
}

// generateDirectory builds a deterministic account from cfg.Seed.
func generateDirectory(cfg Config) *Directory {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_d1c7))
	created := cfg.Now().UTC().Add(-400 * 24 * time.Hour).Truncate(time.Second)

	d := &Directory{
		ByID:     map[int64]*Extension{},
		ByNumber: map[string]*Extension{},
	}
	d.AccountID = (r.Int64N(900000)+100000)*1000 + 4
	d.Company = companyNames[r.IntN(len(companyNames))]
	d.Domain = strings.ToLower(strings.Map(func(c rune) rune {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			return c
		}
		return -1
	}, d.Company)) + ".example.com"
	area := areaCodes[r.IntN(len(areaCodes))]
	d.MainNumber = "+1" + area + "555" + fmt.Sprintf("%04d", 100+r.IntN(100))

	nsites := 1 + min(len(siteNames)-1, cfg.Users/150)
	for i := 0; i < nsites; i++ {
		d.Sites = append(d.Sites, &Site{ID: siteID(i, d.AccountID), Name: siteNames[i].name, Code: siteNames[i].code})
	}

	userStart, queueStart, otherStart := numberPlan(cfg.Users)
	nextID := d.AccountID
	newID := func() int64 {
		id := nextID
		nextID += (r.Int64N(7) + 1) * 1000
		return id
	}
	add := func(e *Extension) {
		d.Extensions = append(d.Extensions, e)
		d.ByID[e.ID] = e
		d.ByNumber[e.Number] = e
	}

	used := map[string]bool{}
	for i := 0; i < cfg.Users; i++ {
		var first, last string
		for try := 0; ; try++ {
			first = firstNames[r.IntN(len(firstNames))]
			last = lastNames[r.IntN(len(lastNames))]
			if !used[first+" "+last] || try > 20 {
				break
			}
		}
		used[first+" "+last] = true
		dept := departments[r.IntN(len(departments))]
		if i == 0 {
			dept = "Reception"
		}
		titles := jobTitles[dept]
		title := "Receptionist"
		if len(titles) > 0 {
			title = titles[r.IntN(len(titles))]
		}
		e := &Extension{
			ID:         newID(),
			Number:     strconv.Itoa(userStart + i),
			Type:       TypeUser,
			Status:     "Enabled",
			FirstName:  first,
			LastName:   last,
			Name:       first + " " + last,
			Email:      emailLocal(first) + "." + emailLocal(last) + "@" + d.Domain,
			Department: dept,
			JobTitle:   title,
			Phone:      "+1" + area + "555" + fmt.Sprintf("%04d", 1000+r.IntN(9000)),
			Site:       d.Sites[r.IntN(len(d.Sites))],
			Created:    created.Add(time.Duration(r.IntN(300*24)) * time.Hour),
			Presence:   initialPresence(r, i == 0),
		}
		if i == 0 {
			e.Site = d.Sites[0]
			e.Admin = true
			e.Created = created
			d.Receptionist = e
		} else if r.IntN(40) == 0 {
			e.Admin = true // the odd IT or office manager
		}
		add(e)
	}

	for i := 0; i < cfg.Queues; i++ {
		name := fmt.Sprintf("Queue %d", i+1)
		if i < len(queueNames) {
			name = queueNames[i]
		}
		qe := &Extension{
			ID:       newID(),
			Number:   strconv.Itoa(queueStart + i),
			Type:     TypeDepartment,
			Status:   "Enabled",
			Name:     name,
			Site:     d.Sites[0],
			Created:  created,
			Presence: Presence{UserStatus: StatusOffline, DNDStatus: DNDTakeAll, MeetingStatus: MeetingDisconnected},
		}
		q := &Queue{
			Ext: qe,
			// Every fourth queue is locked by the admin, and with fewer than
			// four the last one, so some queue is always locked.
			EditableMemberStatus: i%4 != 3 && !(cfg.Queues > 1 && cfg.Queues < 4 && i == cfg.Queues-1),
			AcceptCurrent:        map[int64]bool{},
			SLAGoal:              80,
			SLAThreshold:         30 - 5*(i%3),
		}
		qe.Queue = q
		d.Queues = append(d.Queues, q)
		add(qe)
	}

	others := []struct{ typ, name string }{
		{TypeIvrMenu, "Main Menu"},
		{TypeParkLocation, "Park Location 1"},
		{TypeParkLocation, "Park Location 2"},
		{TypeAnnouncement, "Holiday Announcement"},
	}
	for i, o := range others {
		add(&Extension{
			ID: newID(), Number: strconv.Itoa(otherStart + i), Type: o.typ, Status: "Enabled",
			Name: o.name, Site: d.Sites[0], Created: created,
			Presence: Presence{UserStatus: StatusOffline, DNDStatus: DNDTakeAll, MeetingStatus: MeetingDisconnected},
		})
	}

	d.assignQueueMembers(r, cfg)
	d.pickAgents(cfg.Agents)
	for _, e := range d.Extensions {
		if e.Type == TypeUser && len(e.Queues) == 0 && e.Presence.DNDStatus == DNDNoDepartment {
			// DoNotAcceptDepartmentCalls is only valid for queue members.
			e.Presence.DNDStatus = DNDTakeAll
		}
	}
	if cfg.CHS {
		d.useCHS()
	}
	slices.SortStableFunc(d.Extensions, func(a, b *Extension) int {
		if len(a.Number) != len(b.Number) {
			return len(a.Number) - len(b.Number)
		}
		return strings.Compare(a.Number, b.Number)
	})
	return d
}

// assignQueueMembers puts the receptionist in the first queue and spreads
// users over the queues; each member is available in a queue most of the time.
func (d *Directory) assignQueueMembers(r *rand.Rand, cfg Config) {
	if len(d.Queues) == 0 {
		return
	}
	join := func(e *Extension, q *Queue) {
		if q.IsMember(e.ID) {
			return
		}
		q.Members = append(q.Members, e)
		q.AcceptCurrent[e.ID] = r.IntN(8) != 0
		e.Queues = append(e.Queues, q)
	}
	join(d.Receptionist, d.Queues[0])
	for _, e := range d.Extensions {
		if e.Type != TypeUser || e == d.Receptionist {
			continue
		}
		if r.IntN(10) < 6 {
			join(e, d.Queues[r.IntN(len(d.Queues))])
			if r.IntN(6) == 0 {
				join(e, d.Queues[r.IntN(len(d.Queues))])
			}
		}
	}
	for _, q := range d.Queues {
		for len(q.Members) < 2 {
			e := d.Extensions[1+r.IntN(cfg.Users-1)]
			join(e, q)
		}
	}
}

// pickAgents chooses n non-admin users with credentials, preferring queue
// members, and makes sure each is in at least two queues, one of them
// locked when a locked queue exists, so the HUD's queue pane has something
// to show.
func (d *Directory) pickAgents(n int) {
	var locked *Queue
	for _, q := range d.Queues {
		if !q.EditableMemberStatus {
			locked = q
			break
		}
	}
	for _, e := range d.Extensions {
		if len(d.Agents) == n {
			break
		}
		if e.Type != TypeUser || e.Admin || e == d.Receptionist || len(e.Queues) == 0 {
			continue
		}
		d.Agents = append(d.Agents, e)
	}
	for _, e := range d.Extensions {
		if len(d.Agents) == n {
			break
		}
		if e.Type == TypeUser && !e.Admin && e != d.Receptionist && !slices.Contains(d.Agents, e) {
			d.Agents = append(d.Agents, e)
		}
	}
	for i, a := range d.Agents {
		for _, q := range []*Queue{locked, d.Queues[i%len(d.Queues)], d.Queues[(i+1)%len(d.Queues)]} {
			if q != nil && !q.IsMember(a.ID) && len(a.Queues) < 3 {
				q.Members = append(q.Members, a)
				q.AcceptCurrent[a.ID] = true
				a.Queues = append(a.Queues, q)
			}
		}
	}
}

// initialPresence draws a plausible starting state: most people available,
// some busy with a message, a few invisible or in DND.
func initialPresence(r *rand.Rand, receptionist bool) Presence {
	p := Presence{
		UserStatus:         StatusAvailable,
		DNDStatus:          DNDTakeAll,
		MeetingStatus:      MeetingDisconnected,
		CallerIDVisibility: "All",
		AllowSeeMyPresence: true,
	}
	if receptionist {
		return p
	}
	switch x := r.IntN(100); {
	case x < 10:
		p.UserStatus = StatusBusy
		p.Message = statusMessages[r.IntN(len(statusMessages))]
	case x < 16:
		p.UserStatus = StatusOffline
	case x < 20:
		p.DNDStatus = DNDNoCalls
		p.Message = statusMessages[r.IntN(len(statusMessages))]
	case x < 23:
		p.DNDStatus = DNDNoDepartment
	case x < 26:
		p.MeetingStatus = MeetingConnected
		p.UserStatus = StatusBusy
		p.Message = "In a meeting"
	}
	return p
}

func siteID(i int, account int64) string {
	if i == 0 {
		return "main-site"
	}
	return strconv.FormatInt(account+int64(i)*17000, 10)
}

// emailLocal folds a name to the ASCII letters an email address would use.
func emailLocal(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
		default:
			if f, ok := asciiFold[c]; ok {
				b.WriteRune(f)
			}
		}
	}
	return b.String()
}

var asciiFold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'å': 'a', 'ã': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'ø': 'o', 'õ': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u',
	'ñ': 'n', 'ç': 'c', 'ý': 'y',
}
