package rc

import "context"

// BusinessAddress is the account's business address record, which is
// where RingCentral keeps the company name (GET
// /restapi/v1.0/account/~/business-address; Light, ReadAccounts).
type BusinessAddress struct {
	Company      string `json:"company"`
	Email        string `json:"email"`
	MainSiteName string `json:"mainSiteName"`
}

// CompanyName reads the account's company name ("" when it has none).
func (c *Client) CompanyName(ctx context.Context) (string, error) {
	var b BusinessAddress
	if err := c.getJSON(ctx, Light, account+"/business-address", nil, &b, true); err != nil {
		return "", err
	}
	return b.Company, nil
}
