package ui

import (
	"encoding/json"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/state"
)

// hostilePeople is a directory whose every string from the network is
// hostile: escape sequences, bidi overrides, wide characters, huge text.
func hostilePeople() []person {
	wide := []string{"王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟", "Zoë Ñuño 王伟 محمد", "🙂🙂🙂 emoji 🙂"}
	corpus := append(append([]string(nil), hostileStrings...), wide...)
	var out []person
	for i := range 40 {
		call := ""
		if i%3 == 0 {
			b, _ := json.Marshal([]map[string]any{{
				"id": fmt.Sprint("c", i), "direction": []string{"Inbound", "Outbound"}[i%2],
				"from": corpus[(i+7)%len(corpus)], "fromName": corpus[(i+1)%len(corpus)],
				"to": corpus[(i+8)%len(corpus)], "toName": corpus[(i+2)%len(corpus)],
				"telephonyStatus": []string{"Ringing", "CallConnected", "OnHold", "ParkedCall"}[i%4],
				"startTime":       "2026-05-04T08:40:00Z", "queueCall": i%2 == 0,
			}, {
				"id": fmt.Sprint("d", i), "direction": "Inbound", "from": corpus[i%len(corpus)],
				"telephonyStatus": "OnHold", "startTime": "2026-05-04T08:50:00Z",
			}})
			call = string(b)
		}
		out = append(out, person{
			id: fmt.Sprint(i + 1), number: fmt.Sprint(101 + i), name: corpus[i%len(corpus)],
			dept: corpus[(i+5)%len(corpus)], user: []string{"Available", "Busy", "Offline"}[i%3],
			dnd: []string{"TakeAllCalls", "DoNotAcceptAnyCalls", "DoNotAcceptDepartmentCalls", corpus[i%len(corpus)]}[i%4],
			tel: []string{"NoCall", "Ringing", "CallConnected", corpus[(i+3)%len(corpus)]}[i%4],
			msg: corpus[(i+3)%len(corpus)], calls: call,
		})
	}
	return out
}

func hostileFixture(t testing.TB) *fixture {
	f := newFixture(t, hostilePeople(), true)
	var members []state.ID
	for i := 1; i <= 40; i += 2 {
		members = append(members, state.ID(fmt.Sprint(i)))
	}
	f.m.SetQueues([]state.Queue{
		{ID: "q1", Number: "\x1b[31m801", Name: hostileStrings[1], EditableMemberStatus: true, Members: members},
		{ID: "q2", Number: "802", Name: "王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟王伟", Members: members[:5]},
	})
	acc := map[state.ID]bool{}
	for i, id := range members {
		acc[id] = i%2 == 0
	}
	f.m.ApplyQueueSnapshot("q1", acc)
	f.m.ApplyQueueSnapshot("q2", acc)
	f.m.Publish()
	return f
}

// checkFrame asserts the render invariants: exactly h lines of exactly w
// cells, and nothing but SGR styling reaches the terminal.
func checkFrame(t *testing.T, what, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Fatalf("%s at %dx%d: %d lines", what, w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("%s at %dx%d: line %d is %d cells wide:\n%q", what, w, h, i, got, ansi.Strip(l))
		}
		plain := sgr.ReplaceAllString(l, "")
		for _, r := range plain {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%s at %dx%d: line %d carries %U to the terminal: %q", what, w, h, i, r, plain)
			}
		}
	}
}

// screens puts a model into each of its screens in turn.
var screens = []struct {
	name string
	keys []string
}{
	{"grid", nil},
	{"grid scrolled", []string{"end"}},
	{"detail", []string{"5", "enter"}},
	{"my queues", []string{"p", "down"}},
	{"by queue", []string{"g"}},
	{"by department with detail", []string{"g", "g", "end", "enter"}},
	{"help", []string{"?"}},
	{"filter typing", []string{"/", "a"}},
	{"filter without match", []string{"/", "z", "z", "z", "enter"}},
	{"message", []string{"m", "x", "y"}},
	{"sort chooser", []string{"s"}},
	{"confirm", []string{"g", "down", "space"}},
	{"sorted by call, reversed", []string{"s", "c", "s", "c"}},
}

func TestRenderInvariantsOverSizes(t *testing.T) {
	f := hostileFixture(t)
	widths := []int{60, 72, 80, 100, 120, 160, 200, 250}
	heights := []int{20, 24, 30, 50, 80}
	for _, sc := range screens {
		h := newHUD(t, f, false, 80, 24)
		h.press(sc.keys...)
		for _, w := range widths {
			for _, ht := range heights {
				h.update(tea.WindowSizeMsg{Width: w, Height: ht})
				checkFrame(t, sc.name, h.m.Render(), w, ht)
				if c := h.m.View().Content; c != h.m.Render() {
					t.Fatalf("View content differs from Render")
				}
			}
		}
	}
}

func TestRenderInvariantsBelowTheMinimum(t *testing.T) {
	h := newHUD(t, hostileFixture(t), false, 80, 24)
	for w := 1; w <= MinWidth+2; w++ {
		for _, ht := range []int{1, 2, 5, MinHeight - 1, MinHeight, MinHeight + 1} {
			h.update(tea.WindowSizeMsg{Width: w, Height: ht})
			checkFrame(t, "small", h.m.Render(), w, ht)
		}
	}
	h.update(tea.WindowSizeMsg{Width: 48, Height: 10})
	h.wantScreen("terminal too small: 48x10, need 50x12")
	h.press("q")
	if !h.m.quitting {
		t.Fatalf("q must quit from the too-small screen")
	}
}

func TestRenderInvariantsInEveryColourProfileAndWhileStale(t *testing.T) {
	f := hostileFixture(t)
	f.clock.Advance(time.Second)
	f.m.StartResync("a gap")
	f.clock.Advance(highlightFor / 2)
	f.event(t, "4", `{"sequence":9,"userStatus":"Busy"}`)
	profiles := []colorprofile.Profile{colorprofile.NoTTY, colorprofile.ASCII, colorprofile.ANSI, colorprofile.ANSI256, colorprofile.TrueColor}
	for p, profile := range profiles {
		h := newHUD(t, f, false, 80, 24)
		h.update(tea.ColorProfileMsg{Profile: profile})
		h.update(tea.BackgroundColorMsg{Color: []color.Color{lipgloss.Color("#ffffff"), lipgloss.Color("#000000")}[p%2]})
		h.changed()
		for _, w := range []int{60, 80, 130} {
			h.update(tea.WindowSizeMsg{Width: w, Height: 24})
			checkFrame(t, fmt.Sprint("profile ", p), h.m.Render(), w, 24)
		}
		h.wantScreen("~ stale")
	}
}
