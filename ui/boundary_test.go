package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// frameSide is the part of state the HUD may use: the frames it draws,
// the operations it sends its view, the domain values and rules they
// carry. Never the mirror, the sync or the writer: the HUD draws what it
// is given and asks for changes through commands.
var frameSide = map[string]bool{
	// Frames and what they hold.
	"Frame": true, "Line": true, "Heading": true, "Me": true, "MyQueue": true, "QueueCell": true, "Detail": true,
	"Jump": true, "Entry": true, "Call": true, "Health": true, "Progress": true, "Write": true, "Counts": true, "ID": true,
	// View operations.
	"Op": true, "MoveBy": true, "PageBy": true, "First": true, "Last": true, "SetQuery": true, "Resize": true,
	"ShowDetail": true, "JumpTo": true, "Query": true, "SetWatched": true, "Alert": true,
	// Domain values.
	"Availability": true, "Unknown": true, "Available": true, "Ringing": true, "Dialling": true, "OnCall": true, "OnHold": true,
	"Parked": true, "Busy": true, "DND": true, "Offline": true, "NoPresence": true,
	"Conn": true, "ConnConnecting": true, "ConnLive": true, "ConnRecovering": true, "ConnResyncing": true,
	"ConnOffline": true, "ConnClosed": true,
	"Column": true, "ColName": true, "ColNumber": true, "ColAvailability": true, "ColTelephony": true, "ColDND": true,
	"ColStatus": true, "ColSince": true, "ColCall": true, "ColDepartment": true,
	"GroupBy": true, "GroupNone": true, "GroupQueue": true, "GroupDepartment": true,
	"Status": true, "StatusAvailable": true, "StatusBusy": true, "StatusInvisible": true, "StatusDND": true,
	"DNDStatus": true, "MaxMessage": true, "Sanitize": true, "FormatDuration": true,
	// The desk and the call actions asked through a CallActor.
	"Desk": true, "MyCall": true, "Backlog": true, "ParkedCall": true, "Waiter": true, "CallAction": true, "CallRef": true, "CallRequest": true, "TransferTo": true,
	"ActAnswer": true, "ActHold": true, "ActUnhold": true, "ActTransfer": true, "ActVoicemail": true, "ActPark": true,
	"ActPickup": true, "ActHangUp": true, "ActionPending": true, "ActionSent": true, "ActionDone": true, "ActionFailed": true,
}

// TestUIUsesOnlyTheFrameSideOfState parses the HUD's sources and fails on
// any use of state beyond frameSide (a *state.Mirror in particular).
func TestUIUsesOnlyTheFrameSideOfState(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	bad := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		alias := ""
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) == "github.com/rchud/rchud/state" {
				alias = "state"
				if imp.Name != nil {
					alias = imp.Name.Name
				}
			}
		}
		if alias == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == alias && !frameSide[sel.Sel.Name] {
				bad[sel.Sel.Name] = append(bad[sel.Sel.Name], fset.Position(sel.Pos()).String())
			}
			return true
		})
	}
	if len(bad) > 0 {
		var names []string
		for n := range bad {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Errorf("ui uses state.%s (%s): the HUD draws frames and sends operations, it does not reach into the mirror", n, bad[n][0])
		}
	}
}
