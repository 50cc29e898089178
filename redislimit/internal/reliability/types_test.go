package reliability

import (
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/redislimit"
	"github.com/b24go/b24/redislimit/tokenstore"
	"github.com/redis/go-redis/v9"
)

// TestSecretInEveryExportedType prints a value of every exported type of
// this module, built for a hook with the secret, in every fmt verb, JSON
// and slog, and fails if the secret appears; a new exported type fails the
// test until a value of it is added here.
func TestSecretInEveryExportedType(t *testing.T) {
	declared := reltest.ExportedTypes(t, "../..")
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("redislimit exported types")
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithWebhook(1, reltest.Secret))
	// No connection is made until the limiter is used.
	lim, err := redislimit.NewFromURL("redis://:pw@127.0.0.1:1/0", srv.RestrictionParams().Params,
		redislimit.WithLogger(leak.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer lim.Close()
	// A token store whose client's password is the secret.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Password: reltest.Secret})
	defer client.Close()
	ts, err := tokenstore.New(client, "b24:tokens:app", 0)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string][]any{
		"tokenstore/Store": {ts},
		"Limiter":          {lim},
		"Option":           {redislimit.WithPrefix("b24:rel:")},
	}
	leak.Audit(declared, values)
}
