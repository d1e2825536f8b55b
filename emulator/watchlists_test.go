package emulator

import (
	"slices"
	"strings"
	"testing"
)

func listIDs(l *watchList) []int64 {
	var out []int64
	for _, e := range l.exts {
		out = append(out, e.ID)
	}
	return out
}

func TestSeededListsAreColleaguesAndDoNotDependOnWhoAskedFirst(t *testing.T) {
	cfg := Config{Users: 300, Queues: 6, Seed: 9}.withDefaults()
	a, b := newPlatform(cfg, &faultBox{}), newPlatform(cfg, &faultBox{})
	users := []*Extension{}
	for _, e := range a.dir.Extensions {
		if e.Type == TypeUser {
			users = append(users, e)
		}
	}
	withMates := 0
	for i, owner := range users {
		other := b.dir.ByID[users[len(users)-1-i].ID] // b materialises in the reverse order
		b.watchList(other, linesList)
		b.watchList(other, favoritesList)

		favs, lines := a.watchList(owner, favoritesList), a.watchList(owner, linesList)
		if len(favs.exts) == 0 || len(favs.exts) > seededFavorites || len(lines.exts) > seededLines {
			t.Fatalf("%s: %d favorites, %d lines", owner.Name, len(favs.exts), len(lines.exts))
		}
		mates := 0
		for _, l := range [][]*Extension{favs.exts, lines.exts} {
			for _, x := range l {
				mate := slices.ContainsFunc(owner.Queues, func(q *Queue) bool { return q.IsMember(x.ID) })
				if x == owner || x.Type != TypeUser || (x.Department != owner.Department && !mate) {
					t.Fatalf("%s (%s) watches %s (%s), neither a department colleague nor a queue mate",
						owner.Name, owner.Department, x.Name, x.Department)
				}
				if mate {
					mates++
				}
			}
		}
		if mates > 0 {
			withMates++
		}
	}
	for _, owner := range users {
		bo := b.dir.ByID[owner.ID]
		if !slices.Equal(listIDs(a.watchList(owner, favoritesList)), listIDs(b.watchList(bo, favoritesList))) ||
			!slices.Equal(listIDs(a.watchList(owner, linesList)), listIDs(b.watchList(bo, linesList))) {
			t.Fatalf("%s: the seeded lists depend on the order they were asked for", owner.Name)
		}
	}
	if withMates < len(users)/2 {
		t.Fatalf("only %d of %d users watch a queue mate", withMates, len(users))
	}
}

func TestFavoritesAndMonitoredLinesDeliverTheirPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	e := f.e
	var others []*Extension
	for _, x := range e.p.dir.Extensions {
		if x.Type == TypeUser && x != f.ag && x != f.rec && len(others) < 4 {
			others = append(others, x)
		}
	}
	fa, fb, lc, ld := others[0], others[1], others[2], others[3]
	me := acct + "/extension/~"
	_, favSink := f.capture(t, f.agent, me+"/favorite/presence", me+"/favorite")
	_, lineSink := f.capture(t, f.agent, me+"/presence/line/presence?detailedTelephonyState=true", me+"/presence/line")
	// Detailed presence of fa as well: one notification per change, the detailed one.
	_, bothSink := f.capture(t, f.agent, me+"/favorite/presence", acct+"/extension/"+fa.IDString()+"/presence?detailedTelephonyState=true")

	favs := map[string]any{"records": []any{
		map[string]any{"extensionId": fb.IDString()}, map[string]any{"extensionId": fa.IDString()},
		map[string]any{"extensionId": f.ag.IDString()},
	}}
	var fl favoriteListJSON
	_, body := call(t, e, f.agent, "PUT", me+"/favorite", favs)
	mustJSON(t, body, &fl)
	if len(fl.Records) != 2 || fl.Records[0].ExtensionID != fb.IDString() || fl.Records[1].ExtensionID != fa.IDString() {
		t.Fatalf("favorites after PUT (oneself is no favorite): %s", body)
	}
	lines := func(ids ...string) map[string]any {
		var recs []any
		for _, id := range ids {
			recs = append(recs, map[string]any{"extension": map[string]any{"id": id}})
		}
		return map[string]any{"records": recs}
	}
	call(t, e, f.agent, "PUT", me+"/presence/line", lines(lc.IDString()))
	call(t, e, f.agent, "PUT", me+"/presence/line", lines(lc.IDString(), ld.IDString(), f.ag.IDString()))

	var got struct {
		Records []lineJSON `json:"records"`
	}
	f.get(t, f.agent, me+"/presence/line", &got)
	wantLines := []string{f.ag.IDString(), f.ag.IDString(), lc.IDString(), ld.IDString()}
	for i, r := range got.Records {
		if i >= len(wantLines) || r.ID != string(rune('1'+i)) || r.Extension.ID != wantLines[i] || r.Extension.Type != TypeUser {
			t.Fatalf("lines: %+v; want lines 1-2 oneself, then %s", got.Records, strings.Join(wantLines[2:], ", "))
		}
	}
	if len(got.Records) != len(wantLines) {
		t.Fatalf("lines: %+v", got.Records)
	}

	for _, x := range []*Extension{fa, lc, f.rec} {
		control(t, e, "PUT", "/_emulator/extensions/"+x.IDString()+"/presence", `{"userStatus":"Busy","message":"on it"}`)
	}

	fn := f.notes(favSink)
	if len(fn) != 2 || !fn[0].is(`{"extensionId":"`+f.ag.IDString()+`","ownerId":"`+f.ag.IDString()+`"}`) ||
		!strings.HasSuffix(fn[1].event, "/extension/"+f.ag.IDString()+"/favorite/presence") ||
		!strings.Contains(fn[1].body, `"extensionId":"`+fa.IDString()+`"`) {
		t.Fatalf("favorites: want the list change, then fa's presence: %+v", fn)
	}
	ln := f.notes(lineSink)
	if len(ln) != 3 || !ln[0].is(`{"extension":[{"id":"`+lc.IDString()+`"}],"sequence":1}`) ||
		!ln[1].is(`{"extension":[{"id":"`+lc.IDString()+`"},{"id":"`+ld.IDString()+`"}],"sequence":2}`) ||
		!strings.HasSuffix(ln[2].event, "/presence/line/presence?detailedTelephonyState=true") ||
		!strings.Contains(ln[2].body, `"extensionId":"`+lc.IDString()+`"`) || !strings.Contains(ln[2].body, `"totalActiveCalls":0`) {
		t.Fatalf("monitored lines: want two list changes, then lc's detailed presence: %+v", ln)
	}
	bn := f.notes(bothSink)
	if len(bn) != 1 || !strings.Contains(bn[0].body, `"totalActiveCalls"`) || !strings.Contains(bn[0].event, "/extension/"+fa.IDString()+"/presence") {
		t.Fatalf("a favorite also watched in detail: want one detailed notification: %+v", bn)
	}

	// Someone who hides their presence is not shown to a non-admin's favorites.
	control(t, e, "PUT", "/_emulator/extensions/"+fb.IDString()+"/presence", `{"allowSeeMyPresence":false}`)
	control(t, e, "PUT", "/_emulator/extensions/"+fb.IDString()+"/presence", `{"userStatus":"Busy"}`)
	if n := len(f.notes(favSink)); n != 2 {
		t.Fatalf("a favorite who disallowed monitoring was delivered (%d notifications)", n)
	}

	// Dropping fa from the favorites stops fa's notifications there.
	call(t, e, f.agent, "PUT", me+"/favorite", map[string]any{"records": []any{map[string]any{"extensionId": fb.IDString()}}})
	control(t, e, "PUT", "/_emulator/extensions/"+fa.IDString()+"/presence", `{"userStatus":"Available","message":""}`)
	if fn = f.notes(favSink); len(fn) != 3 || !fn[2].is(`{"extensionId":"`+f.ag.IDString()+`","ownerId":"`+f.ag.IDString()+`"}`) {
		t.Fatalf("after dropping fa: %+v", fn)
	}

	// The control API reads and sets the same lists.
	var cl watchListJSON
	_, body = control(t, e, "GET", "/_emulator/extensions/"+f.ag.IDString()+"/favorites", "")
	mustJSON(t, body, &cl)
	if !slices.Equal(cl.ExtensionIDs, []string{fb.IDString()}) {
		t.Fatalf("control favorites: %s", body)
	}
	_, body = control(t, e, "PUT", "/_emulator/extensions/"+f.ag.IDString()+"/lines", `{"extensionIds":["`+ld.IDString()+`"]}`)
	mustJSON(t, body, &cl)
	if ln = f.notes(lineSink); !slices.Equal(cl.ExtensionIDs, []string{ld.IDString()}) || len(ln) != 4 ||
		!ln[3].is(`{"extension":[{"id":"`+ld.IDString()+`"}],"sequence":3}`) {
		t.Fatalf("control lines: %s, notes %+v", body, ln)
	}
	for _, bad := range []string{`{"extensionIds":["424242"]}`, `{"extensionIds":["` + f.ag.IDString() + `"]}`, `{"ids":[]}`} {
		resp, body := control(t, e, "PUT", "/_emulator/extensions/"+f.ag.IDString()+"/lines", bad)
		wantControlError(t, "lines "+bad, resp, body, 400)
	}
}
