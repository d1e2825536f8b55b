package state

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// storeHeapKept keeps the last BenchmarkStoreHeap10k mirror alive, so that
// -memprofile (written after the benchmarks, at their end) shows what the
// store holds live:
//
//	go test ./state/ -run '^$' -bench 'StoreHeap10k' -benchtime 1x -memprofile /tmp/store.mem
//	go tool pprof -sample_index=inuse_space -top /tmp/store.mem
var storeHeapKept *Mirror

// BenchmarkStoreHeap10k reports the mirror's live heap at the issue's
// goal scale: the emulator's directory of 10,000 users (names,
// departments, sites, e-mail, 20 queues and their members) with its
// presence, then ~16,000 calls in progress on people's presence as the
// front desk has them (ringing, connected, some on hold), every string a
// fresh allocation as a JSON decoder makes them. B/ext is the directory
// and presence per extension before the calls, B/call what the calls add,
// MB the total. The call tracker is not fed: the calls' texts are the
// store's own (its worst case).
//
//	go test ./state/ -run '^$' -bench 'StoreHeap10k' -benchtime 1x
func BenchmarkStoreHeap10k(b *testing.B) {
	exts, queues, pres := emulatorDirectory(b, 10000, 20)
	var users []benchUser
	for _, x := range exts {
		if x.Type == "User" {
			users = append(users, benchUser{id: x.ID, number: x.ExtensionNumber, name: x.Name})
		}
	}
	var qnames []string
	for _, q := range queues {
		qnames = append(qnames, q.Name)
	}
	var dirBytes, callBytes, total uint64
	calls := 0
	for range b.N {
		storeHeapKept = nil
		base := liveHeap()
		m := NewMirror(nil)
		m.AddExtensions(decodedExtensions(exts))
		m.SetQueues(cloneQueues(queues))
		m.ApplySnapshot(decodedSnapshot(pres), false)
		m.Publish()
		mid := liveHeap()
		calls = presenceWithCallsFor(m, users, qnames, 16000, rand.New(rand.NewPCG(11, 12)))
		m.Publish()
		end := liveHeap()
		dirBytes, callBytes, total = mid-base, end-mid, end-base
		storeHeapKept = m
	}
	b.ReportMetric(float64(dirBytes)/float64(len(exts)), "B/ext")
	b.ReportMetric(float64(callBytes)/float64(calls), "B/call")
	b.ReportMetric(float64(total)/float64(len(exts)), "B/ext-total")
	b.ReportMetric(float64(total)/1e6, "MB")
	b.ReportMetric(float64(calls), "calls")
}

// emulatorDirectory is the emulator's generated directory of users and
// queues as the REST API gives it: the extensions, the queues with their
// members, and everyone's presence.
func emulatorDirectory(tb testing.TB, users, queues int) ([]rc.Extension, []Queue, []rc.Presence) {
	tb.Helper()
	e, err := emulator.Start(emulator.Config{Users: users, Queues: queues, Agents: 1, Seed: 3, CallsPerMinute: 0, RateLimitsOff: true}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer e.Close()
	d := e.Platform().Directory()
	var exts []rc.Extension
	var pres []rc.Presence
	for _, x := range d.Extensions {
		var r rc.Extension
		r.ID, r.ExtensionNumber, r.Name, r.Type, r.Status = rc.ID(x.IDString()), x.Number, x.Name, x.Type, x.Status
		r.Contact.FirstName, r.Contact.LastName, r.Contact.Email = x.FirstName, x.LastName, x.Email
		r.Contact.Department, r.Contact.JobTitle = x.Department, x.JobTitle
		if x.Site != nil {
			r.Site.ID, r.Site.Name = rc.ID(x.Site.ID), x.Site.Name
		}
		r.Permissions.Admin.Enabled = x.Admin
		exts = append(exts, r)
		if x.Type != "User" {
			continue
		}
		p := x.Presence
		tel, ps := "NoCall", "Available"
		if p.UserStatus != "Available" {
			ps = p.UserStatus
		}
		us, dnd, meet, msg := p.UserStatus, p.DNDStatus, p.MeetingStatus, p.Message
		pres = append(pres, rc.Presence{ExtensionID: r.ID, UserStatus: &us, DNDStatus: &dnd, MeetingStatus: &meet, Message: &msg,
			TelephonyStatus: &tel, PresenceStatus: &ps})
	}
	var qs []Queue
	for _, q := range d.Queues {
		qq := Queue{ID: ID(q.Ext.IDString()), Number: q.Ext.Number, Name: q.Ext.Name, EditableMemberStatus: q.EditableMemberStatus, MembersKnown: true}
		for _, m := range q.Members {
			qq.Members = append(qq.Members, ID(m.IDString()))
		}
		qs = append(qs, qq)
	}
	return exts, qs, pres
}

// decodedExtensions is exts with every string a fresh allocation.
func decodedExtensions(exts []rc.Extension) []rc.Extension {
	cl := strings.Clone
	out := make([]rc.Extension, len(exts))
	for i, x := range exts {
		x.ID, x.ExtensionNumber, x.Name, x.Type, x.Status = rc.ID(cl(string(x.ID))), cl(x.ExtensionNumber), cl(x.Name), cl(x.Type), cl(x.Status)
		x.Contact.FirstName, x.Contact.LastName, x.Contact.Email = cl(x.Contact.FirstName), cl(x.Contact.LastName), cl(x.Contact.Email)
		x.Contact.Department, x.Contact.JobTitle = cl(x.Contact.Department), cl(x.Contact.JobTitle)
		x.Site.ID, x.Site.Name = rc.ID(cl(string(x.Site.ID))), cl(x.Site.Name)
		out[i] = x
	}
	return out
}

// decodedSnapshot is ps with every string a fresh allocation.
func decodedSnapshot(ps []rc.Presence) []rc.Presence {
	out := make([]rc.Presence, len(ps))
	for i, p := range ps {
		out[i] = decodedPresence(p)
	}
	return out
}

// cloneQueues is qs with fresh ids, names and member lists.
func cloneQueues(qs []Queue) []Queue {
	out := make([]Queue, len(qs))
	for i, q := range qs {
		q.ID, q.Number, q.Name = ID(strings.Clone(string(q.ID))), strings.Clone(q.Number), strings.Clone(q.Name)
		ms := make([]ID, len(q.Members))
		for j, m := range q.Members {
			ms[j] = ID(strings.Clone(string(m)))
		}
		q.Members = ms
		out[i] = q
	}
	return out
}

// benchUser is a user a benchmark's calls ring.
type benchUser struct {
	id           rc.ID
	number, name string
}

// presenceWithCallsFor gives users about n active calls, as presence
// events (three rounds: ringing, connected, some on hold), callers from
// outside with names, queue calls named after qnames; it returns how many
// calls the last round carries.
func presenceWithCallsFor(m *Mirror, users []benchUser, qnames []string, n int, r *rand.Rand) int {
	type call struct {
		id, session, legacy, party, number, name, queue string
		start                                           time.Time
	}
	hex := func() string { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) }
	byUser := make([][]call, len(users))
	for i := range n {
		u := r.IntN(len(users))
		// The emulator's shapes: a 32-hex-digit call id, "s-" and 32 hex
		// digits, the legacy session id's 11 digits, the party "p-...-n".
		sh := hex()
		c := call{id: hex(), session: "s-" + sh, legacy: strconv.FormatInt(r.Int64N(9e10)+1e10, 10), party: "p-" + sh + "-" + strconv.Itoa(3+r.IntN(3)),
			number: "+1415" + strconv.Itoa(5000000+i), name: benchCallers[r.IntN(len(benchCallers))], start: at(float64(i) / 300)}
		if r.IntN(3) > 0 {
			c.queue = qnames[r.IntN(len(qnames))]
		}
		byUser[u] = append(byUser[u], c)
	}
	total := 0
	var seq int64
	for round, tel := range []string{"Ringing", "CallConnected", "OnHold"} {
		for u, cs := range byUser {
			if len(cs) == 0 {
				continue
			}
			st, us, dnd, ps := tel, "Busy", "TakeAllCalls", "Busy"
			if round == 2 && u%3 != 0 {
				st = "CallConnected"
			}
			p := rc.Presence{ExtensionID: users[u].id, TelephonyStatus: &st, UserStatus: &us, DNDStatus: &dnd, PresenceStatus: &ps}
			for _, c := range cs {
				ac := rc.ActiveCall{ID: c.id, Direction: "Inbound", From: c.number, FromName: c.name,
					To: users[u].number, ToName: users[u].name, StartTime: rc.Time{Time: c.start}, TelephonyStatus: st,
					SessionID: c.legacy, TelephonySessionID: c.session, PartyID: c.party, QueueCall: c.queue != ""}
				if c.queue != "" {
					ac.CallInfo = &struct {
						Primary    rc.CallInfoItem `json:"primary"`
						Additional rc.CallInfoItem `json:"additional"`
					}{Primary: rc.CallInfoItem{Type: "QueueName", Value: c.queue}}
				}
				p.ActiveCalls = append(p.ActiveCalls, ac)
			}
			seq++
			s := seq
			p.Sequence = &s
			tot := len(p.ActiveCalls)
			p.TotalActiveCalls = &tot
			p = decodedPresence(p)
			m.ApplyEvent(&p, at(float64(seq)/1000), true)
			if round == 2 {
				total += len(cs)
			}
		}
	}
	return total
}

// benchCallers are the names callers' numbers come with (CNAM), and none.
var benchCallers = []string{"", "", "WIRELESS CALLER", "Globex Corp", "Initech", "SMITH JOHN", "Umbrella Health", "Acme Supplies",
	"NGUYEN THANH", "Hooli Inc", "", "GARCIA MARIA", "Stark Logistics", "Wayne Ent", "PATEL RAJ", "Cyberdyne"}
