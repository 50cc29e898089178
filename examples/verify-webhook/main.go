// Command verify-webhook is the README's quick start: it reads B24_WEBHOOK,
// calls profile and app.info, and prints who the webhook belongs to.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/b24go/b24"
)

func main() {
	h, err := b24.FromWebhookURL(os.Getenv("B24_WEBHOOK"))
	if err != nil {
		log.Fatal(err) // says what is wrong with the URL, never the secret
	}
	ctx := context.Background()

	type profile struct {
		ID       b24.ID `json:"ID"`
		Name     string `json:"NAME"`
		LastName string `json:"LAST_NAME"`
		Admin    bool   `json:"ADMIN"`
	}
	p, _, err := b24.CallAs[profile](ctx, h.V2(), "profile", nil)
	if err != nil {
		log.Fatal(err)
	}
	app, err := h.Call(ctx, "app.info", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("portal %s, user #%d %s %s (admin %v)\n", h.TargetOrigin(), p.ID, p.Name, p.LastName, p.Admin)
	fmt.Printf("app.info: %s\n", app.Result)
}
