package main

import (
	"fmt"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// shop/shipping/{country} quotes a delivery to one country and answers its caller: the
// carrier, the days on the road and the cost, by zone and by parcel of up to ten items.

// JSON message types, under the same type names as in functions.ts and functions.py.

type QuoteShipping struct {
	Country  string `json:"country"`
	Quantity int    `json:"quantity"`
}

type ShippingQuote struct {
	Country   string `json:"country"`
	Carrier   string `json:"carrier"`
	Days      int    `json:"days"`
	CostCents int    `json:"costCents"`
}

var (
	ShippingTypeName  = statefun.TypeNameFrom("shop/shipping")
	QuoteShippingType = statefun.MakeJsonType(statefun.TypeNameFrom("shop/QuoteShipping"))
	ShippingQuoteType = statefun.MakeJsonType(statefun.TypeNameFrom("shop/ShippingQuote"))
)

type zone struct {
	carrier     string
	days        int
	parcelCents int
}

var (
	domestic = zone{"DHL", 1, 490}
	europe   = zone{"DHL", 3, 990}
	world    = zone{"UPS", 7, 2490}
	// The European Union without Germany, where the shop is.
	eu = map[string]bool{
		"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DK": true, "EE": true, "ES": true, "FI": true,
		"FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true, "LU": true, "LV": true,
		"MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true,
	}
)

func Shipping(ctx statefun.Context, message statefun.Message) error {
	var request QuoteShipping
	if err := message.As(QuoteShippingType, &request); err != nil {
		return fmt.Errorf("failed to deserialize the quote request: %w", err)
	}
	if ctx.Caller() == nil {
		return nil // nobody to answer
	}
	ctx.Send(statefun.MessageBuilder{
		Target:    *ctx.Caller(),
		Value:     quote(ctx.Self().Id, request.Quantity),
		ValueType: ShippingQuoteType,
	})
	return nil
}

func quote(country string, quantity int) ShippingQuote {
	z := world
	if country == "DE" {
		z = domestic
	} else if eu[country] {
		z = europe
	}
	parcels := max(1, (quantity+9)/10)
	return ShippingQuote{Country: country, Carrier: z.carrier, Days: z.days, CostCents: parcels * z.parcelCents}
}
