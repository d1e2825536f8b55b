package emulator

import (
	"net/http"
	"strings"
	"testing"
)

func TestSubscriptionsOverHTTP(t *testing.T) {
	f := newRESTFixture(t, Config{})
	mine, _ := f.capture(t, f.admin, acct+"/presence?detailedTelephonyState=true")
	theirs, _ := f.capture(t, f.agent, acct+"/extension/~/presence")

	var list struct {
		URI     string `json:"uri"`
		Records []struct {
			ID           string   `json:"id"`
			URI          string   `json:"uri"`
			Status       string   `json:"status"`
			EventFilters []string `json:"eventFilters"`
			DeliveryMode struct {
				TransportType string `json:"transportType"`
			} `json:"deliveryMode"`
		} `json:"records"`
	}
	f.get(t, f.admin, "/restapi/v1.0/subscription", &list)
	if list.URI != f.e.URL()+"/restapi/v1.0/subscription" || len(list.Records) != 1 || list.Records[0].ID != mine.ID ||
		list.Records[0].DeliveryMode.TransportType != "WebSocket" || list.Records[0].Status != "Active" ||
		!strings.HasSuffix(list.Records[0].URI, "/restapi/v1.0/subscription/"+mine.ID) {
		t.Fatalf("the admin's list must hold only their subscription: %+v", list)
	}
	f.get(t, f.admin, "/restapi/v1.0/subscription/", &list)
	if len(list.Records) != 1 {
		t.Fatal("the trailing-slash path lists too")
	}

	resp, body := call(t, f.e, f.admin, "GET", "/restapi/v1.0/subscription/"+mine.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), mine.ID) {
		t.Fatalf("read own: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, f.e, f.admin, "POST", "/restapi/v1.0/subscription/"+mine.ID+"/renew", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"expiresIn"`) {
		t.Fatalf("renew: %d %s", resp.StatusCode, body)
	}
	for _, m := range []string{"GET", "DELETE", "PUT"} {
		resp, body = call(t, f.e, f.admin, m, "/restapi/v1.0/subscription/"+theirs.ID, nil)
		wantError(t, m+" another user's subscription", resp, body, 404, "CMN-102", "subscriptionId")
		resp, body = call(t, f.e, f.admin, m, "/restapi/v1.0/subscription/no-such-id", nil)
		wantError(t, m+" unknown subscription", resp, body, 404, "CMN-102", "subscriptionId")
	}
	resp, body = call(t, f.e, f.admin, "POST", "/restapi/v1.0/subscription/no-such-id/renew", nil)
	wantError(t, "renew unknown", resp, body, 404, "CMN-102", "subscriptionId")

	resp, body = call(t, f.e, f.admin, "PUT", "/restapi/v1.0/subscription/"+mine.ID, map[string]any{"eventFilters": []string{acct + "/presence"}})
	wantError(t, "PUT a WebSocket subscription", resp, body, 400, "CMN-101", "")

	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"WebSocket over HTTP", `{"eventFilters":["/restapi/v1.0/account/~/presence"],"deliveryMode":{"transportType":"WebSocket"}}`, 400, "CMN-101"},
		{"WebHook", `{"eventFilters":["/restapi/v1.0/account/~/presence"],"deliveryMode":{"transportType":"WebHook","address":"https://example.com/hook"}}`, 403, "CMN-109"},
		{"no filters", `{"eventFilters":[],"deliveryMode":{"transportType":"WebHook"}}`, 400, "CMN-101"},
		{"no transport", `{"eventFilters":["/restapi/v1.0/account/~/presence"]}`, 400, "CMN-101"},
		{"malformed", `{"eventFilters":`, 400, "CMN-103"},
	} {
		req, _ := http.NewRequest("POST", f.e.URL()+"/restapi/v1.0/subscription", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+f.admin)
		req.Header.Set("Content-Type", "application/json")
		resp, body := do(t, req)
		wantError(t, c.name, resp, body, c.status, c.code, "")
	}

	resp, body = call(t, f.e, f.admin, "DELETE", "/restapi/v1.0/subscription/"+mine.ID, nil)
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	f.e.p.mu.Lock()
	deleted := mine.Deleted
	f.e.p.mu.Unlock()
	if !deleted {
		t.Fatal("DELETE must remove the subscription from the hub")
	}
	resp, body = call(t, f.e, f.admin, "GET", "/restapi/v1.0/subscription/"+mine.ID, nil)
	wantError(t, "read after delete", resp, body, 404, "CMN-102", "subscriptionId")
	f.get(t, f.admin, "/restapi/v1.0/subscription", &list)
	if len(list.Records) != 0 {
		t.Fatalf("list after delete: %+v", list.Records)
	}
}
