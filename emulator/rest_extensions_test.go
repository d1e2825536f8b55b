package emulator

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// extensionPage is the subset of GetExtensionListResponse tests read.
type extensionPage struct {
	URI     string `json:"uri"`
	Records []struct {
		URI             string `json:"uri"`
		ID              int64  `json:"id"`
		ExtensionNumber string `json:"extensionNumber"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		Status          string `json:"status"`
		Contact         struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
			Email     string `json:"email"`
		} `json:"contact"`
		Permissions struct {
			Admin struct {
				Enabled bool `json:"enabled"`
			} `json:"admin"`
		} `json:"permissions"`
		CallQueueInfo *struct {
			SLAGoal int `json:"slaGoal"`
		} `json:"callQueueInfo"`
	} `json:"records"`
	Paging struct {
		Page          int  `json:"page"`
		TotalPages    int  `json:"totalPages"`
		PerPage       int  `json:"perPage"`
		TotalElements int  `json:"totalElements"`
		PageStart     *int `json:"pageStart"`
		PageEnd       *int `json:"pageEnd"`
	} `json:"paging"`
	Navigation map[string]struct {
		URI string `json:"uri"`
	} `json:"navigation"`
}

func TestListExtensionsFollowsAbsoluteNavigationOverPages(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var ids []int64
	next := acct + "/extension?type=User&status=Enabled&perPage=7&access_token=" + f.admin
	for page := 1; next != ""; page++ {
		var pg extensionPage
		f.get(t, f.admin, next, &pg)
		if pg.Paging.Page != page || pg.Paging.PerPage != 7 || pg.Paging.TotalElements != 40 || pg.Paging.TotalPages != 6 {
			t.Fatalf("page %d: paging %+v", page, pg.Paging)
		}
		if *pg.Paging.PageStart != (page-1)*7 || *pg.Paging.PageEnd != *pg.Paging.PageStart+len(pg.Records)-1 {
			t.Fatalf("page %d: pageStart/pageEnd %d/%d for %d records", page, *pg.Paging.PageStart, *pg.Paging.PageEnd, len(pg.Records))
		}
		for name, link := range pg.Navigation {
			u, err := url.Parse(link.URI)
			if err != nil || !strings.HasPrefix(link.URI, f.e.URL()+"/restapi/v1.0/account/"+strconv.FormatInt(f.e.p.dir.AccountID, 10)+"/extension?") {
				t.Fatalf("page %d: %s is not an absolute URI of this account: %q", page, name, link.URI)
			}
			q := u.Query()
			if q.Get("type") != "User" || q.Get("status") != "Enabled" || q.Get("perPage") != "7" || q.Has("access_token") {
				t.Fatalf("page %d: %s lost the filters or leaks the token: %q", page, name, link.URI)
			}
		}
		if _, ok := pg.Navigation["previousPage"]; ok != (page > 1) {
			t.Fatalf("page %d: previousPage present=%v", page, ok)
		}
		for _, r := range pg.Records {
			if r.Type != TypeUser || !strings.HasPrefix(r.URI, f.e.URL()+"/restapi/v1.0/account/") {
				t.Fatalf("record %+v", r)
			}
			ids = append(ids, r.ID)
		}
		next = pg.Navigation["nextPage"].URI
		if page > 6 {
			t.Fatal("nextPage never ends")
		}
	}
	if len(ids) != 40 {
		t.Fatalf("walked %d users, want 40", len(ids))
	}
	i := 0
	for _, e := range f.e.p.dir.Extensions {
		if e.Type == TypeUser {
			if ids[i] != e.ID {
				t.Fatalf("user %d: got id %d, want %d (extension-number order)", i, ids[i], e.ID)
			}
			i++
		}
	}
}

func TestListExtensionsFilters(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var pg extensionPage
	f.get(t, f.agent, acct+"/extension?type=Department", &pg)
	if len(pg.Records) != 4 {
		t.Fatalf("want the 4 queues, got %d", len(pg.Records))
	}
	for _, r := range pg.Records {
		if r.Type != TypeDepartment || r.CallQueueInfo == nil || r.CallQueueInfo.SLAGoal == 0 {
			t.Fatalf("queue record lacks callQueueInfo: %+v", r)
		}
	}
	f.get(t, f.agent, acct+"/extension?type=User&type=Department&status=", &pg)
	if pg.Paging.TotalElements != 44 {
		t.Fatalf("two types: want 44, got %d", pg.Paging.TotalElements)
	}
	f.get(t, f.agent, acct+"/extension?extensionNumber=101", &pg)
	if len(pg.Records) != 1 || pg.Records[0].ID != f.rec.ID || !pg.Records[0].Permissions.Admin.Enabled ||
		pg.Records[0].Contact.FirstName != f.rec.FirstName || pg.Records[0].Contact.Email != f.rec.Email {
		t.Fatalf("extensionNumber=101: %+v", pg.Records)
	}
	f.get(t, f.agent, acct+"/extension?email="+url.QueryEscape(strings.ToUpper(f.ag.Email)), &pg)
	if len(pg.Records) != 1 || pg.Records[0].ID != f.ag.ID {
		t.Fatalf("email filter: %+v", pg.Records)
	}
	f.get(t, f.agent, acct+"/extension?status=Disabled", &pg)
	if len(pg.Records) != 0 || pg.Paging.TotalElements != 0 || pg.Navigation["nextPage"].URI != "" || pg.Navigation["firstPage"].URI == "" {
		t.Fatalf("no match: want an empty page with first/last links, got %+v", pg)
	}
	for _, page := range []string{"3", "2147483647"} {
		pg = extensionPage{}
		f.get(t, f.agent, acct+"/extension?perPage=1000&page="+page, &pg)
		if len(pg.Records) != 0 || pg.Paging.PageStart != nil || strconv.Itoa(pg.Paging.Page) != page || pg.Navigation["nextPage"].URI != "" {
			t.Fatalf("page %s, past the end, must be empty without pageStart or nextPage: %+v", page, pg.Paging)
		}
	}
}

func TestListExtensionsRefusesBadParameters(t *testing.T) {
	f := newRESTFixture(t, Config{})
	for _, c := range []struct{ query, param string }{
		{"type=Robot", "type"},
		{"type=User&type=user", "type"},
		{"status=Sleeping", "status"},
		{"perPage=1001", "perPage"},
		{"perPage=0", "perPage"},
		{"perPage=ten", "perPage"},
		{"page=0", "page"},
		{"page=-2", "page"},
		{"page=2147483648", "page"},
		{"page=9223372036854775807", "page"},
		{"perPage=99999999999999999999", "perPage"},
		{"extensionNumber=123456789", "extensionNumber"},
	} {
		resp, body := call(t, f.e, f.admin, "GET", acct+"/extension?"+c.query, nil)
		wantError(t, c.query, resp, body, 400, "CMN-101", c.param)
	}
}

func TestReadExtension(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var me struct {
		ID      int64 `json:"id"`
		Account struct {
			ID  string `json:"id"`
			URI string `json:"uri"`
		} `json:"account"`
		Departments []struct {
			ID              string `json:"id"`
			ExtensionNumber string `json:"extensionNumber"`
		} `json:"departments"`
	}
	f.get(t, f.agent, acct+"/extension/~", &me)
	if me.ID != f.ag.ID || me.Account.ID != strconv.FormatInt(f.e.p.dir.AccountID, 10) || !strings.HasPrefix(me.Account.URI, f.e.URL()) {
		t.Fatalf("own extension: %+v", me)
	}
	if len(me.Departments) != len(f.ag.Queues) || me.Departments[0].ID != f.ag.Queues[0].Ext.IDString() {
		t.Fatalf("departments must list the agent's queues: %+v", me.Departments)
	}
	accountID := strconv.FormatInt(f.e.p.dir.AccountID, 10)
	f.get(t, f.agent, "/restapi/v1.0/account/"+accountID+"/extension/"+f.rec.IDString(), &me)
	if me.ID != f.rec.ID {
		t.Fatalf("by id with the real account id: %+v", me)
	}
	for _, id := range []string{"12345", "abc", "~,~"} {
		resp, body := call(t, f.e, f.agent, "GET", acct+"/extension/"+id, nil)
		wantError(t, "extension "+id, resp, body, 404, "CMN-102", "extensionId")
	}
	resp, body := call(t, f.e, f.agent, "GET", "/restapi/v1.0/account/"+accountID+"1/extension/~", nil)
	wantError(t, "another account", resp, body, 404, "CMN-102", "accountId")
}

// TestEveryRouteNeedsATokenAndReportsItsGroup checks each endpoint against
// the throttling groups of rc-api.md §5.3, written out independently here.
func TestEveryRouteNeedsATokenAndReportsItsGroup(t *testing.T) {
	f := newRESTFixture(t, Config{RateLimits: DefaultRateLimits()})
	q := "/call-queues/" + f.e.p.dir.Queues[0].Ext.IDString()
	want := []struct{ method, path, group string }{
		{"GET", acct, "light"},
		{"GET", acct + "/business-address", "light"},
		{"GET", acct + "/extension", "medium"},
		{"GET", acct + "/extension/~", "light"},
		{"GET", acct + "/presence", "heavy"},
		{"GET", acct + "/extension/~/presence", "light"},
		{"PUT", acct + "/extension/~/presence", "medium"},
		{"GET", acct + "/extension/~/presence/line", "light"},
		{"PUT", acct + "/extension/~/presence/line", "medium"},
		{"GET", acct + "/extension/~/favorite", "light"},
		{"PUT", acct + "/extension/~/favorite", "medium"},
		{"GET", acct + "/extension/~/unified-presence", "medium"},
		{"PATCH", acct + "/extension/~/unified-presence", "medium"},
		{"GET", acct + "/call-queues", "medium"},
		{"GET", acct + q, "light"},
		{"PUT", acct + q, "light"},
		{"GET", acct + q + "/members", "light"},
		{"GET", acct + q + "/presence", "light"},
		{"PUT", acct + q + "/presence", "medium"},
		{"GET", acct + "/extension/~/call-queue-presence", "light"},
		{"PUT", acct + "/extension/~/call-queue-presence", "medium"},
		{"GET", "/restapi/v1.0/subscription", "light"},
		{"POST", "/restapi/v1.0/subscription", "medium"},
		{"GET", "/restapi/v1.0/subscription/x", "light"},
		{"PUT", "/restapi/v1.0/subscription/x", "medium"},
		{"DELETE", "/restapi/v1.0/subscription/x", "medium"},
		{"POST", "/restapi/v1.0/subscription/x/renew", "light"},
	}
	if len(want) != len(restRoutes())-2 { // the two trailing-slash aliases
		t.Fatalf("the group table here has %d endpoints, the emulator %d", len(want), len(restRoutes())-2)
	}
	for _, w := range want {
		resp, body := call(t, f.e, "", w.method, w.path, map[string]any{})
		if resp.StatusCode != 401 || errorCode(t, body) != "OAU-123" {
			t.Fatalf("%s %s without a token: %d %s", w.method, w.path, resp.StatusCode, body)
		}
		resp, body = call(t, f.e, "U0pDMDFQMDFQQVMwMHwnope", w.method, w.path, map[string]any{})
		if resp.StatusCode != 401 || errorCode(t, body) != "OAU-213" || strings.Contains(string(body), "nope") {
			t.Fatalf("%s %s with a bad token: %d %s", w.method, w.path, resp.StatusCode, body)
		}
		resp, _ = call(t, f.e, f.admin, w.method, w.path, map[string]any{})
		if g := resp.Header.Get("X-Rate-Limit-Group"); g != w.group || resp.Header.Get("X-Rate-Limit-Remaining") == "" {
			t.Fatalf("%s %s: group %q, want %q", w.method, w.path, g, w.group)
		}
	}
}
