package state

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

var benchStatuses = []string{"Available", "Available", "Available", "Busy", "Offline"}
var benchTel = []string{"NoCall", "NoCall", "CallConnected", "Ringing", "OnHold"}

// benchMirror builds a mirror of n users with random presence and queues.
func benchMirror(b *testing.B, n int) *Mirror {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	m := NewMirror(nil)
	exts := make([]rc.Extension, n)
	for i := range exts {
		exts[i].ID = rc.ID(fmt.Sprint(1000000 + i))
		exts[i].ExtensionNumber = fmt.Sprint(10000 + i)
		exts[i].Name = fmt.Sprintf("%s %s", []string{"Ann", "Bob", "Chen", "Dana", "Eli", "Fay"}[r.IntN(6)], []string{"Lee", "Kim", "Diaz", "Novak", "Okafor"}[r.IntN(5)])
		exts[i].Type = "User"
		exts[i].Contact.Department = []string{"Sales", "Support", "Billing", "Ops"}[r.IntN(4)]
	}
	m.AddExtensions(exts)
	var qs []Queue
	for q := 0; q < 10; q++ {
		qq := Queue{ID: ID(fmt.Sprint("q", q)), Name: fmt.Sprint("Queue ", q)}
		for i := q; i < n; i += 20 {
			qq.Members = append(qq.Members, ID(exts[i].ID))
		}
		qs = append(qs, qq)
	}
	m.SetQueues(qs)
	ps := make([]rc.Presence, n)
	for i := range ps {
		us, tel := benchStatuses[r.IntN(len(benchStatuses))], benchTel[r.IntN(len(benchTel))]
		msg := ""
		if r.IntN(5) == 0 {
			msg = "In a meeting until 3"
		}
		ps[i] = rc.Presence{ExtensionID: exts[i].ID, UserStatus: &us, TelephonyStatus: &tel, Message: &msg}
	}
	m.ApplySnapshot(ps, false)
	return m
}

// BenchmarkApplyEvent measures the mirror's apply rate: one detailed
// notification body merged per op, over 10,000 extensions.
func BenchmarkApplyEvent(b *testing.B) {
	m := benchMirror(b, 10000)
	events := make([]rc.Presence, 1000)
	for i := range events {
		us, tel := benchStatuses[i%len(benchStatuses)], benchTel[i%len(benchTel)]
		events[i] = rc.Presence{ExtensionID: rc.ID(fmt.Sprint(1000000 + i*7%10000)), UserStatus: &us, TelephonyStatus: &tel}
		if tel != "NoCall" {
			events[i].ActiveCalls = []rc.ActiveCall{{ID: fmt.Sprint("c", i), Direction: "Inbound", FromName: "Globex", TelephonyStatus: tel}}
		}
		total := len(events[i].ActiveCalls)
		events[i].TotalActiveCalls = &total
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		seq := int64(i)
		ev.Sequence = &seq
		m.ApplyEvent(&ev, now, true)
		if i%4096 == 0 {
			m.Publish()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProject measures a full re-projection (filter, sort, group) at
// 1k, 10k and 100k extensions.
func BenchmarkProject(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		m := benchMirror(b, n)
		for _, c := range []struct {
			name string
			q    Query
		}{
			{"sort-name", Query{Sort: ColName}},
			{"sort-availability", Query{Sort: ColAvailability}},
			{"filter-text", Query{Text: "dana", Sort: ColName}},
			{"filter-state", Query{States: []Availability{Available}, Sort: ColNumber}},
			{"group-queue", Query{By: GroupQueue, Sort: ColName}},
		} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					p := m.Project(c.q)
					if p.Total == 0 && c.q.Text == "" {
						b.Fatal("empty projection")
					}
				}
			})
		}
	}
}
