package emulator

import (
	"math"
	"net/url"
	"strconv"
)

// Paging limits of RingCentral's list endpoints (SPEC EnumeratedPagingModel).
const (
	defaultPerPage = 100
	maxPerPage     = 1000
)

// pageRequest is a validated page/perPage pair.
type pageRequest struct {
	page, perPage int
}

// pageParams reads page and perPage. A perPage above 1000 is refused with
// CMN-101, or clamped to 1000 where the SPEC says so (account presence).
func (c *restCall) pageParams(clamp bool) (pageRequest, *apiError) {
	q := c.r.URL.Query()
	pr := pageRequest{page: 1, perPage: defaultPerPage}
	read := func(name string, dst *int) *apiError {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > math.MaxInt32 { // int32 in the SPEC
			return errInvalidValue(name, v)
		}
		*dst = n
		return nil
	}
	if err := read("page", &pr.page); err != nil {
		return pr, err
	}
	if err := read("perPage", &pr.perPage); err != nil {
		return pr, err
	}
	if pr.perPage > maxPerPage {
		if !clamp {
			return pr, errInvalidValue("perPage", q.Get("perPage"))
		}
		pr.perPage = maxPerPage
	}
	return pr, nil
}

// pagingJSON is EnumeratedPagingModel (and PresencePagingInfo). pageStart
// and pageEnd are absent on a page past the end.
type pagingJSON struct {
	Page          int  `json:"page"`
	TotalPages    int  `json:"totalPages"`
	PerPage       int  `json:"perPage"`
	TotalElements int  `json:"totalElements"`
	PageStart     *int `json:"pageStart,omitempty"`
	PageEnd       *int `json:"pageEnd,omitempty"`
}

type navLink struct {
	URI string `json:"uri"`
}

// navigationJSON is PageNavigationModel; nextPage is absent on the last
// page and previousPage on the first.
type navigationJSON struct {
	FirstPage    *navLink `json:"firstPage,omitempty"`
	NextPage     *navLink `json:"nextPage,omitempty"`
	PreviousPage *navLink `json:"previousPage,omitempty"`
	LastPage     *navLink `json:"lastPage,omitempty"`
}

// listJSON is the common list envelope (rc-api.md §4).
type listJSON[T any] struct {
	URI        string         `json:"uri"`
	Records    []T            `json:"records"`
	Paging     pagingJSON     `json:"paging"`
	Navigation navigationJSON `json:"navigation"`
}

// paginate cuts one page out of items and builds the envelope. resource
// is the absolute URI of the list; the request's other query parameters
// (the filters) are kept in every navigation link.
func paginate[S any, T any](c *restCall, resource string, pr pageRequest, items []S, render func(S) T) listJSON[T] {
	total := len(items)
	totalPages := (total + pr.perPage - 1) / pr.perPage
	out := listJSON[T]{
		URI:     pageURI(c, resource, pr.page, pr.perPage),
		Records: []T{},
		Paging:  pagingJSON{Page: pr.page, TotalPages: totalPages, PerPage: pr.perPage, TotalElements: total},
	}
	if pr.page <= totalPages {
		start := (pr.page - 1) * pr.perPage
		end := min(start+pr.perPage, total)
		for _, it := range items[start:end] {
			out.Records = append(out.Records, render(it))
		}
		out.Paging.PageStart, out.Paging.PageEnd = ptr(start), ptr(end-1)
	}
	link := func(n int) *navLink { return &navLink{URI: pageURI(c, resource, n, pr.perPage)} }
	last := max(1, totalPages)
	out.Navigation = navigationJSON{FirstPage: link(1), LastPage: link(last)}
	if pr.page < totalPages {
		out.Navigation.NextPage = link(pr.page + 1)
	}
	if pr.page > 1 {
		out.Navigation.PreviousPage = link(min(pr.page-1, last))
	}
	return out
}

// pageURI is resource with the request's filters and the given page. The
// access_token parameter never makes it into a link.
func pageURI(c *restCall, resource string, page, perPage int) string {
	q := url.Values{}
	for k, v := range c.r.URL.Query() {
		if k != "access_token" {
			q[k] = v
		}
	}
	q.Set("page", strconv.Itoa(page))
	q.Set("perPage", strconv.Itoa(perPage))
	return resource + "?" + q.Encode()
}
