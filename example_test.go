package b24_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// Build a Hook from an inbound webhook URL. Invalid URLs get a clear error
// that never contains the secret; printing a Hook redacts the secret.
func ExampleFromWebhookURL() {
	h, err := b24.FromWebhookURL("https://example.bitrix24.com/rest/1/8g9l071eismy9q2l/")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h)
	fmt.Println(h.TargetOriginWithPath(b24.APIv3))

	_, err = b24.FromWebhookURL("http://example.bitrix24.com/rest/1/8g9l071eismy9q2l/")
	fmt.Println(err)
	_, err = b24.FromWebhookURL("https://example.bitrix24.com/rest/1/8g9l071eismy9q2l/crm.deal.list")
	fmt.Println(errors.Is(err, b24.ErrInvalidWebhook))
	// Output:
	// b24.Hook(https://example.bitrix24.com/rest/1/****/)
	// https://example.bitrix24.com/rest/api/1/****
	// b24: invalid webhook: webhook URL must use https, not "http" (the secret must not travel in clear text)
	// true
}

// Call a method and read the raw result. The fake portal (package b24test)
// stands in for a real one.
func ExampleHook_Call() {
	srv, err := b24test.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	h := srv.Hook() // in real code: b24.FromWebhookURL(os.Getenv("B24_WEBHOOK"))

	resp, err := h.Call(context.Background(), "app.info", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(resp.Result))
	fmt.Println(resp.Time != nil, resp.Attempts)
	// Output:
	// {"SCOPE":["crm","department","task","tasks","user","user_basic","user_brief"],"LICENSE":"en_std"}
	// true 1
}

// Decode a result into your own type. b24.ID and b24.YN read the portal's
// quirks: ids as strings, booleans as "Y"/"N".
func ExampleCallAs() {
	srv, err := b24test.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	h := srv.Hook()

	type profile struct {
		ID       b24.ID `json:"ID"`
		Admin    bool   `json:"ADMIN"`
		Name     string `json:"NAME"`
		LastName string `json:"LAST_NAME"`
	}
	p, _, err := b24.CallAs[profile](context.Background(), h.V2(), "profile", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("#%d %s %s admin=%v\n", p.ID, p.Name, p.LastName, p.Admin)
	// Output:
	// #1 Maria Ivanov admin=true
}

// Tell errors apart with errors.Is (codes, matched case-insensitively, v3
// exception names included) and errors.As (the details).
func ExampleAPIError() {
	srv, err := b24test.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	h := srv.Hook()
	ctx := context.Background()

	_, err = h.Call(ctx, "crm.nothing.here", nil)
	fmt.Println(errors.Is(err, b24.ErrMethodNotFound))

	_, err = h.V3().Call(ctx, "tasks.task.nothing", nil)
	fmt.Println(errors.Is(err, b24.ErrMethodNotFound))

	var apiErr *b24.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code)
	}

	// A wrong secret: the error names the code, never the secret.
	bad, _ := b24.FromWebhookURL(srv.URL()+"/rest/1/wrongsecret/", b24.WithHTTPClient(srv.Client()))
	_, err = bad.Call(ctx, "profile", nil)
	fmt.Println(errors.Is(err, b24.ErrInvalidCredentials))
	fmt.Println(err)
	// Output:
	// true
	// true
	// 404 BITRIX_REST_V3_EXCEPTION_METHODNOTFOUNDEXCEPTION
	// true
	// b24: profile: INVALID_CREDENTIALS: Invalid request credentials [HTTP 401]
}
