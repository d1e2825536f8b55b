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

// referenceOrder is the projection's order written plainly: a stable sort
// of the directory order by the column (names and departments as the
// collator orders them), ties by extension number.
func referenceOrder(m *Mirror, idx []int, col Column, desc bool, pinned ...ID) []int {
	out := slices.Clone(idx)
	coll := newCollator("")
	key := func(x, y *Entry) int {
		switch col {
		case ColName:
			return cmp.Compare(coll.key(x.Name), coll.key(y.Name))
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
			return cmp.Compare(coll.key(x.Department), coll.key(y.Department))
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b int) int {
		x, y := m.store.entries[a], m.store.entries[b]
		if px, py := slices.Contains(pinned, x.ID), slices.Contains(pinned, y.ID); px != py {
			if px {
				return -1
			}
			return 1
		}
		c := key(x, y)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		c = compareNumbers(x.Number, y.Number)
		if desc && col == ColNumber {
			c = -c
		}
		return c
	})
	return out
}

// TestSortMatchesTheStableReference checks every column, both ways,
// against the plain comparator, on a directory with equal names in
// different cases and accents, equal statuses and messages, and unknown
// times (extension numbers are unique and numeric, as the sort assumes).
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
	idx := make([]int, len(m.store.entries))
	for i := range idx {
		idx[i] = i
	}
	pinned := []ID{ID(exts[7].ID), ID(exts[100].ID), ID(exts[3].ID)}
	for col := ColName; col <= ColDepartment; col++ {
		for _, desc := range []bool{false, true} {
			want := referenceOrder(m, idx, col, desc, pinned...)
			var got []int
			for _, id := range m.Project(Query{Sort: col, Desc: desc, Pinned: pinned}).Groups[0].IDs {
				got = append(got, m.store.index[id])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("column %d desc %v: order differs from the stable reference", col, desc)
			}
		}
	}
}

// TestNamesSortAsPeopleExpect: accents and case do not split the
// alphabet, and the language of LANG decides where its letters go.
func TestNamesSortAsPeopleExpect(t *testing.T) {
	order := func(locale string, names ...string) []string {
		m := NewMirrorIn(locale, nil)
		var exts []rc.Extension
		for i, n := range names {
			var x rc.Extension
			x.ID, x.ExtensionNumber, x.Name, x.Type = rc.ID(fmt.Sprint(i)), fmt.Sprint(100+i), n, TypeUser
			exts = append(exts, x)
		}
		m.AddExtensions(exts)
		var out []string
		for _, id := range m.Project(Query{Sort: ColName}).Groups[0].IDs {
			e, _ := m.Get(id)
			out = append(out, e.Name)
		}
		return out
	}
	if got := order("en_US.UTF-8", "Zed", "Joshua", "Émile", "João", "eve", "Frank"); !slices.Equal(got,
		[]string{"Émile", "eve", "Frank", "João", "Joshua", "Zed"}) {
		t.Errorf("English order: %q", got)
	}
	if got := order("C", "Émile", "Zed", "Eve"); !slices.Equal(got, []string{"Émile", "Eve", "Zed"}) {
		t.Errorf("C falls back to English: %q", got)
	}
	// Swedish puts Ö after Z; German puts it with O.
	if got := order("sv_SE.UTF-8", "Örjan", "Zlatan", "Olle"); !slices.Equal(got, []string{"Olle", "Zlatan", "Örjan"}) {
		t.Errorf("Swedish order: %q", got)
	}
	if got := order("de_DE", "Örjan", "Zlatan", "Olle"); !slices.Equal(got, []string{"Olle", "Örjan", "Zlatan"}) {
		t.Errorf("German order: %q", got)
	}
}

func TestJumpToNumber(t *testing.T) {
	m := NewMirror(nil)
	var exts []rc.Extension
	for i, n := range []string{"1420", "142", "14", "205", "1499"} {
		var x rc.Extension
		x.ID, x.ExtensionNumber, x.Type, x.Name = rc.ID(fmt.Sprint(i)), n, TypeUser, "P"+n
		exts = append(exts, x)
	}
	m.AddExtensions(exts)
	v := m.NewView(ViewOptions{Query: Query{Sort: ColName}, Height: 10})
	defer v.Close()
	var seq uint64
	for _, c := range []struct{ prefix, want string }{{"14", "14"}, {"142", "142"}, {"149", "1499"}, {"1", "14"}, {"2", "205"}} {
		seq++
		f := v.Apply(seq, JumpTo(c.prefix))
		l, ok := f.Selected()
		if !ok || !f.Jump.Found || l.Entry.Number != c.want {
			t.Errorf("JumpTo(%q) selected %+v (found %v), want %s", c.prefix, l.Entry, f.Jump.Found, c.want)
		}
	}
	seq++
	if f := v.Apply(seq, JumpTo("3")); f.Jump.Found {
		t.Errorf("no number starts with 3")
	}
	seq++
	if f := v.Apply(seq, SetQuery(Query{Text: "P2"}), JumpTo("14")); f.Jump.Found {
		t.Errorf("only the rows shown count")
	}
}
