package state

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// referenceOrder is the projection's order as first written: a stable sort
// of the directory order by the column, with lowered copies of the text,
// ties by extension number.
func referenceOrder(m *Mirror, idx []int, col Column, desc bool) []int {
	out := slices.Clone(idx)
	key := func(x, y *Entry) int {
		switch col {
		case ColName:
			return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
		case ColNumber:
			return compareNumbers(x.Number, y.Number)
		case ColAvailability:
			return cmp.Compare(x.Availability, y.Availability)
		case ColTelephony:
			return cmp.Compare(x.TelephonyStatus, y.TelephonyStatus)
		case ColDND:
			return cmp.Compare(x.DNDStatus, y.DNDStatus)
		case ColStatus:
			if c := cmp.Compare(x.UserStatus, y.UserStatus); c != 0 {
				return c
			}
			return cmp.Compare(strings.ToLower(x.Message), strings.ToLower(y.Message))
		case ColSince:
			return compareSince(x.AvailSince, y.AvailSince)
		case ColCall:
			return compareSince(firstCallStart(x), firstCallStart(y))
		case ColDepartment:
			return cmp.Compare(strings.ToLower(x.Department), strings.ToLower(y.Department))
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b int) int {
		x, y := &m.entries[a], &m.entries[b]
		c := key(x, y)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return compareNumbers(x.Number, y.Number)
	})
	return out
}

// TestSortMatchesTheStableReference checks every column, both ways,
// against the comparator the projection was first written with, on a
// directory with equal names in different cases, equal statuses and
// messages, and unknown times (extension numbers are unique and numeric,
// as the sort assumes).
func TestSortMatchesTheStableReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m := NewMirror(nil)
	names := []string{"Ann Lee", "ann lee", "ANN LEE", "Zoë", "zoë", "Émile", "emile", "王伟", "", "Bob"}
	depts := []string{"Sales", "sales", "Support", "", "Ünits"}
	statuses := []string{"Available", "Busy", "Offline"}
	dnds := []string{"TakeAllCalls", "DoNotAcceptAnyCalls", "DoNotAcceptDepartmentCalls"}
	tels := []string{"NoCall", "Ringing", "CallConnected", "OnHold"}
	msgs := []string{"", "Back at 4", "back at 4", "Lunch", "LUNCH", "Ärzte"}
	base := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	var exts []rc.Extension
	for _, i := range r.Perm(300) {
		var x rc.Extension
		x.ID = rc.ID(fmt.Sprint("e", i))
		x.ExtensionNumber = fmt.Sprint(100 + i*7)
		x.Name = names[r.IntN(len(names))]
		x.Contact.Department = depts[r.IntN(len(depts))]
		x.Type = TypeUser
		exts = append(exts, x)
	}
	m.AddExtensions(exts)
	for i := range exts {
		id := ID(exts[i].ID)
		st, dnd, tel, msg := statuses[r.IntN(3)], dnds[r.IntN(3)], tels[r.IntN(4)], msgs[r.IntN(len(msgs))]
		p := rc.Presence{ExtensionID: rc.ID(id), UserStatus: &st, DNDStatus: &dnd, TelephonyStatus: &tel, Message: &msg}
		if r.IntN(2) == 0 {
			p.ActiveCalls = []rc.ActiveCall{{ID: "c", TelephonyStatus: "CallConnected", StartTime: rc.Time{Time: base.Add(time.Duration(r.IntN(5)) * time.Minute)}}}
		}
		m.ApplySnapshot([]rc.Presence{p}, true)
		if r.IntN(3) > 0 {
			seq := int64(1)
			m.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(id), Sequence: &seq, UserStatus: &statuses[r.IntN(3)]},
				base.Add(time.Duration(r.IntN(4))*time.Minute), true)
		}
	}
	idx := make([]int, len(m.entries))
	for i := range idx {
		idx[i] = i
	}
	for col := ColName; col <= ColDepartment; col++ {
		for _, desc := range []bool{false, true} {
			want := referenceOrder(m, idx, col, desc)
			got := slices.Clone(idx)
			m.sortIndices(got, col, desc)
			if !slices.Equal(got, want) {
				t.Fatalf("column %d desc %v: order differs from the stable reference", col, desc)
			}
		}
	}
}

func TestFindNumber(t *testing.T) {
	m := NewMirror(nil)
	var exts []rc.Extension
	for i, n := range []string{"1420", "142", "14", "205", "1499"} {
		var x rc.Extension
		x.ID, x.ExtensionNumber, x.Type = rc.ID(fmt.Sprint(i)), n, TypeUser
		exts = append(exts, x)
	}
	m.AddExtensions(exts)
	ids := []ID{"0", "1", "2", "3", "4", "missing"}
	for prefix, want := range map[string]string{"14": "14", "142": "142", "149": "1499", "1": "14", "2": "205", "3": ""} {
		k, num := m.FindNumber(ids, prefix)
		if num != want || (want == "") != (k < 0) || (k >= 0 && ids[k] == "missing") {
			t.Errorf("FindNumber(%q) = %d %q, want %q", prefix, k, num, want)
		}
	}
	if k, _ := m.FindNumber([]ID{"3", "4"}, "14"); k != 1 {
		t.Errorf("only the given ids count: got %d", k)
	}
}
