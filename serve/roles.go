package serve

import "fmt"

// Role is what a user of the hub may change, named in users.toml.
type Role string

// The roles, from least to most.
const (
	// Viewer sees the HUD and changes nothing.
	Viewer Role = "viewer"
	// Agent changes their own status, message, DND and queue availability.
	Agent Role = "agent"
	// Supervisor is an agent who also changes members' queue availability.
	Supervisor Role = "supervisor"
	// Frontdesk is an agent who also acts on their own calls.
	Frontdesk Role = "frontdesk"
)

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Agent, Supervisor, Frontdesk:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (viewer, agent, supervisor or frontdesk)", s)
}

// Action is one kind of change a user can ask of the hub.
type Action string

// What the HUD's writer asks (ui.Writer): always on the user's own
// extension, except ActionMember.
const (
	ActionStatus     Action = "status"      // Available, Busy, Invisible
	ActionDND        Action = "dnd"         // status DND
	ActionMessage    Action = "message"     // the status message
	ActionQueueCalls Action = "queue-calls" // global queue availability
	ActionMyQueue    Action = "my-queue"    // own availability in one queue
	ActionMember     Action = "member"      // a member's availability in a queue (supervisor)
)

// Call actions on the user's own calls (issue 11). The HUD has no call
// writer yet; when it does, each of its methods checks its action here,
// as Guard does for the presence writer.
const (
	ActionAnswer   Action = "call-answer"
	ActionTransfer Action = "call-transfer" // blind, to a colleague, their voicemail or a number
	ActionHold     Action = "call-hold"
	ActionUnhold   Action = "call-unhold"
	ActionPark     Action = "call-park"
	ActionPickup   Action = "call-pickup" // a parked call or a colleague's ringing call
	ActionHangup   Action = "call-hangup"
)

// ownActions are what every role above viewer may do to their own extension.
var ownActions = []Action{ActionStatus, ActionDND, ActionMessage, ActionQueueCalls, ActionMyQueue}

// CallActions are the call actions, allowed to the front desk only.
var CallActions = []Action{ActionAnswer, ActionTransfer, ActionHold, ActionUnhold, ActionPark, ActionPickup, ActionHangup}

// roleActions is the role table.
var roleActions = map[Role][]Action{
	Viewer:     nil,
	Agent:      ownActions,
	Supervisor: append(append([]Action{}, ownActions...), ActionMember),
	Frontdesk:  append(append([]Action{}, ownActions...), CallActions...),
}

// Allows reports whether role may take action.
func Allows(role Role, a Action) bool {
	for _, x := range roleActions[role] {
		if x == a {
			return true
		}
	}
	return false
}
