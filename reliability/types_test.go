package reliability

import (
	"context"
	"errors"
	"reflect"
	"runtime/debug"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events"
	"github.com/b24go/b24/events/offline"
	"github.com/b24go/b24/internal/php"
	"github.com/b24go/b24/limit"
	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/oauth/install"
	"github.com/b24go/b24/rawjson"

	"github.com/b24go/b24/internal/reltest"
	"github.com/b24go/b24/reconcile"
)

// TestSecretInEveryExportedType prints a value of every exported type of
// every package, taken where possible from a real session with the secret
// (a hook, its answers, its errors under faults, a redirect to another
// host, the fake portal itself), in every fmt verb, JSON and slog, and
// fails if the secret appears. The list of values is kept by hand and
// checked against the source: a new exported type fails this test until a
// value of it is added here.
func TestSecretInEveryExportedType(t *testing.T) {
	declared := reltest.ExportedTypes(t, "..")
	// internal/php is shared by the SDK and the fake: audited too.
	declared["internal/php"] = []string{"Array", "SyntaxError"}
	synctest.Test(t, func(t *testing.T) {
		leak := reltest.NewLeakCheck(t)
		defer leak.Report("exported types")
		srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithTimeScale(10), b24test.WithWebhook(1, reltest.Secret),
			b24test.WithSeed(b24test.Seed{Deals: 60}), b24test.WithMovedTo("https://elsewhere.example.net"))
		h := srv.Hook(b24.WithLogger(leak.Logger()))
		ctx := t.Context()
		call := func(f b24test.Fault, method string, params any) (*b24.Response, error) {
			if f != b24test.NoFault {
				srv.FailNext(method, 1, f)
			}
			return h.Call(ctx, method, params)
		}
		resp, err := call(b24test.NoFault, "crm.deal.list", map[string]any{"select": []string{"ID", "TITLE"}})
		if err != nil {
			t.Fatal(err)
		}
		errOf := func(f b24test.Fault, method string) error {
			_, err := call(f, method, map[string]any{"id": 1, "fields": map[string]any{"TITLE": "x"}})
			if err == nil {
				t.Fatalf("%v on %s: no error", f, method)
			}
			return err
		}
		var apiErr *b24.APIError
		var respErr *b24.ResponseError
		var trErr *b24.TransportError
		var redirErr *b24.RedirectError
		errs := map[string]error{}
		for _, f := range []b24test.Fault{b24test.FaultInternal, b24test.FaultBadGateway, b24test.FaultReset,
			b24test.FaultTruncated, b24test.FaultSlow, b24test.FaultOverload, b24test.FaultMoved} {
			errs[f.String()] = errOf(f, "crm.deal.update")
		}
		_, errs["not found"] = h.Call(ctx, "crm.deal.get", map[string]any{"id": 999999})
		for name, err := range errs {
			leak.Value("error "+name, err)
			for e := err; e != nil; e = errors.Unwrap(e) {
				leak.Value("error chain "+name, e)
			}
		}
		if !errors.As(errs["not found"], &apiErr) || !errors.As(errs["truncated"], &respErr) ||
			!errors.As(errs["reset"], &trErr) || !errors.As(errs["moved"], &redirErr) {
			t.Fatalf("errors of unexpected types: %v", errs)
		}
		// The redirect named another host, and was not followed.
		if redirErr.Location != "https://elsewhere.example.net" {
			t.Errorf("redirect location %q", redirErr.Location)
		}
		cmds := []b24.Cmd{{Name: "a", Method: "crm.deal.update", Params: map[string]any{"id": 1, "fields": map[string]any{"TITLE": "y"}}},
			{Name: "b", Method: "crm.deal.get", Params: map[string]any{"id": 999999}}}
		srv.FailNext("batch", 1, b24test.FaultReset)
		bres, berr := h.V2().BatchByChunk(ctx, cmds, b24.WithHalt(false), b24.WithReconciler(reconcile.CRMUpdates),
			b24.WithRequestCutoff(6*time.Second))
		var batchErr *b24.BatchError
		if !errors.As(berr, &batchErr) {
			t.Fatalf("batch error %v", berr)
		}
		// A read-back of the update above, as BatchByChunk's settling does.
		readBacks := reconcile.CRMUpdates(ctx, h.V2(), cmds[:1], []time.Time{time.Now().Add(-time.Minute)})
		// The event receiver, with the secret as the portal's application
		// token: neither the portal, the handler nor the spool may show it.
		portal := events.Portal{Domain: "portal.example.com", MemberID: "m1", Token: reltest.Secret}
		spool, err := events.OpenSpool(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer spool.Close()
		evHandler, err := events.NewHandler(spool, portal)
		if err != nil {
			t.Fatal(err)
		}
		event, err := spool.Append(events.Event{Domain: portal.Domain, MemberID: portal.MemberID, Name: "ONCRMDEALUPDATE",
			Data: map[string]string{"FIELDS[ID]": "1"}, ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		lim, err := limit.New(h.RestrictionParams().Params)
		if err != nil {
			t.Fatal(err)
		}
		req := limit.Request{Portal: h.Portal(), Credential: h.CredentialHash(), Methods: []string{"crm.deal.get"}}
		permit, err := lim.Acquire(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		outcome := limit.Outcome{Sent: true, Reports: []limit.OperatingReport{{Method: "crm.deal.get", Operating: time.Second}}}
		permit.Release(outcome)
		// A limiter that shares batch billing: what a Hook hands it (the
		// portal and the credential's hash) must not carry the secret.
		sharer := &sharingLimiter{Limiter: lim}
		if _, err := srv.Hook(b24.WithLimiter(sharer)).V2().Batch(ctx, cmds[:1]); err != nil {
			t.Fatal(err)
		}
		if len(sharer.seen) == 0 {
			t.Fatal("the Hook never asked its BillingSharer")
		}
		var rep b24.ListReport
		var prog b24.ListProgress
		type row struct {
			ID b24.ID `json:"ID"`
		}
		if _, err := b24.CallList[row](ctx, h.V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}},
			b24.WithReport(&rep), b24.WithPageSize(20), b24.WithProgress(func(p b24.ListProgress) { prog = p })); err != nil {
			t.Fatal(err)
		}
		stopped := b24.ListReport{}
		lctx, lcancel := context.WithCancel(ctx)
		for _, err := range b24.FetchList[row](lctx, h.V2(), "crm.deal.list", nil, b24.WithReport(&stopped), b24.WithBatch(false)) {
			if err == nil {
				lcancel()
			}
		}
		lcancel()
		if prog.Cursor == nil && stopped.Cursor == nil {
			t.Fatal("no list cursor to print")
		}
		cursor := prog.Cursor
		if cursor == nil {
			cursor = stopped.Cursor
		}
		p := h.RestrictionParams()
		arr := php.NewArray()
		arr.Set("url", "https://portal/rest/1/****/")
		_, synErr := php.Parse("%")
		_, qpErr := h.V2().Batch(context.Background(), []b24.Cmd{{Method: "crm.deal.list", Params: map[string]any{"filter": map[string]any{"ID": []int{}}}}})
		if !errors.As(qpErr, new(*b24.QueryParamError)) {
			t.Fatalf("Batch with an empty array: %v", qpErr)
		}
		// An application with the secret as its client secret and its
		// refresh token: a refused refresh, its Hook, its source and stores.
		appTokens := srv.RegisterApp("app.rel", reltest.Secret)
		appTok := oauth.Token{AccessToken: reltest.Secret, RefreshToken: reltest.Secret, Expiry: time.Now()}
		memStore := oauth.NewMemoryStore(appTok)
		appCfg := oauth.Config{ClientID: "app.rel", ClientSecret: "wrong", Store: memStore,
			TokenURL: srv.OAuthURL(), HTTPClient: srv.Client()}
		src, err := oauth.New(appCfg)
		if err != nil {
			t.Fatal(err)
		}
		appHook, err := b24.NewApp(srv.URL(), src, b24.WithHTTPClient(srv.Client()), b24.WithLogger(leak.Logger()))
		if err != nil {
			t.Fatal(err)
		}
		_, appErr := appHook.Call(ctx, "profile", nil)
		instAuth := install.Auth{AccessToken: reltest.Secret, RefreshToken: reltest.Secret, ApplicationToken: reltest.Secret,
			Domain: "portal.example.com", MemberID: "m1", Expiry: time.Now()}
		instEvent := install.Event{Name: "ONAPPINSTALL", Auth: instAuth, Data: map[string]string{"VERSION": "1"}}
		instPlace := install.Placement{AccessToken: reltest.Secret, RefreshToken: reltest.Secret, MemberID: "m1", Options: []byte(`{}`)}
		instCred := install.Credential{MemberID: "m1", ApplicationToken: reltest.Secret, Token: appTok}
		offCfg := offline.Config{ProcessID: "rel", Connector: "c", Logger: leak.Logger()}
		consumer, err := offline.New(appHook, offCfg)
		if err != nil {
			t.Fatal(err)
		}
		offEvent := offline.Event{RecordID: 1, MessageID: "m", Name: "ONCRMDEALADD", ID: "5", Data: []byte(`{"FIELDS":{"ID":"5"}}`)}
		var oauthErr *oauth.Error
		if !errors.As(appErr, &oauthErr) {
			t.Fatalf("app call with a wrong client secret: %v", appErr)
		}
		appCfg.ClientSecret = reltest.Secret
		audit := srv.Audit()
		var bucketStats limit.BucketStats
		for _, b := range h.Stats().Limiter.Buckets {
			bucketStats = b
		}
		if bucketStats.Burst == 0 {
			t.Fatal("no request bucket in the limiter's stats")
		}
		stats := h.Stats()
		if len(stats.LastErrors) == 0 || len(stats.ByMethod) == 0 {
			t.Fatal("no errors or methods in the hook's stats")
		}
		var methodStats []any
		for _, m := range stats.ByMethod {
			methodStats = append(methodStats, m)
		}
		var errorRecords []any
		for _, r := range stats.LastErrors {
			errorRecords = append(errorRecords, r)
		}
		values := map[string][]any{
			"API":                      {h.V2(), h.V3()},
			"APIError":                 {apiErr},
			"APIVersion":               {b24.APIv3},
			"limit/AdaptiveDelay":      {p.Adaptive},
			"AuthData":                 {h.Auth()},
			"limit/BatchBilling":       {p.Operating.BatchBilling},
			"BatchError":               {batchErr},
			"BatchOption":              {b24.WithHalt(false)},
			"BatchResult":              {bres},
			"BatchSummary":             {bres.Summary()},
			"limit/BucketStats":        {bucketStats},
			"CallOption":               {b24.WithRequestID("r")},
			"Cmd":                      {cmds[0]},
			"Code":                     {b24.ErrNotFound},
			"CommandResult":            {bres.Commands[0], bres.Commands[1]},
			"CommandState":             {b24.CommandAmbiguous},
			"DateTime":                 {b24.DateTime{}},
			"Float":                    {b24.Float(1.5)},
			"YN":                       {b24.YN(true)},
			"ListOption":               {b24.WithPageSize(10)},
			"ListEnd":                  {rep.End, stopped.End},
			"ListReport":               {rep, stopped},
			"ListProgress":             {prog},
			"ListCursor":               {*cursor},
			"CursorRange":              {cursor.Ranges},
			"Hook":                     {h, reflect.ValueOf(h).Elem(), appHook, reflect.ValueOf(appHook).Elem()},
			"TokenSource":              {b24.TokenSource(src)},
			"oauth/Error":              {oauthErr, appErr},
			"oauth/FileStore":          {oauth.FileStore{Path: "tokens.json"}},
			"oauth/Config":             {appCfg, &appCfg},
			"oauth/Source":             {src, reflect.ValueOf(src).Elem()},
			"oauth/Store":              {oauth.Store(memStore)},
			"oauth/Locker":             {oauth.Locker(oauth.FileStore{Path: "tokens.json"})},
			"oauth/MemoryStore":        {memStore, reflect.ValueOf(memStore).Elem()},
			"oauth/Token":              {appTok, &appTok},
			"oauth/Secret":             {appCfg.ClientSecret},
			"oauth/install/Auth":       {instAuth, &instAuth},
			"oauth/install/Event":      {instEvent, &instEvent},
			"oauth/install/Placement":  {instPlace, &instPlace},
			"oauth/install/Credential": {instCred, &instCred},
			"oauth/install/Dir":        {install.Dir{Path: "portals"}},
			"oauth/install/EventFunc":  {install.EventFunc(nil)},
			"b24test/AppTokens":        {appTokens},
			"events/offline/Binding":   {offline.Binding{Event: "ONCRMDEALADD", Offline: true, Connector: "c"}},
			"events/offline/Func":      {offline.Func(nil)},
			"events/offline/BatchFunc": {offline.BatchFunc(nil)},
			"events/offline/Rejected":  {&offline.Rejected{Index: []int{0}, Err: errors.New("rejected")}},
			"events/offline/Config":    {offCfg, &offCfg},
			"events/offline/Consumer":  {consumer, reflect.ValueOf(consumer).Elem()},
			"events/offline/Stats":     {offline.Stats{Handled: 1}},
			"events/offline/Event":     {offEvent, &offEvent},
			"HookParams":               {b24.HookParams{PortalURL: "https://portal.example.com", UserID: 1, Secret: reltest.Secret}},
			"ID":                       {b24.ID(1)},
			"Int":                      {b24.Int(1)},
			"rawjson/Kind":             {rawjson.KindOf(resp.Result)},
			"limit/Request":            {req},
			"limit/Limiter":            {lim},
			"limit/Stats":              {h.Stats().Limiter},
			"Multifield":               {b24.Multifield{}},
			"limit/OperatingLimit":     {p.Operating},
			"limit/OperatingReport":    {outcome.Reports[0]},
			"Option":                   {b24.WithTimeout(time.Second)},
			"limit/Outcome":            {outcome},
			"PHPMap":                   {b24.PHPMap[string]{}},
			"limit/Permit":             {permit},
			"limit/WaitReporter":       {permit.(limit.WaitReporter)},
			"limit/Fitter":             {lim.(limit.Fitter)},
			"limit/BillingSharer":      {sharer, sharer.seen},
			"limit/RateLimit":          {p.RateLimit},
			"Reconciler":               {b24.Reconciler(reconcile.CRMUpdates)},
			"RedirectError":            {redirErr},
			"limit/Refusal":            {limit.RefusedRate},
			"Response":                 {resp, *resp},
			"ResponseError":            {respErr},
			"RestrictionParams":        {p},
			"limit/Params":             {p.Params},
			"RetryPolicy":              {p.Retry},
			"Secret":                   {h.Auth().AccessToken, h.TargetOriginWithPath(b24.APIv2), h.TargetOriginWithPath(b24.APIv3)},
			"Stats":                    {stats, &stats},
			"MethodStats":              methodStats,
			"ErrorRecord":              errorRecords,
			"Timing":                   {resp.Time, *resp.Time},
			"TransportError":           {trErr},
			"V3Reference":              {b24.Cmd{Name: "a"}.V3Ref("id")},
			"ValidationError":          {b24.ValidationError{Field: "f", Message: "m"}},
			"ValueError":               {&b24.ValueError{}},
			"QueryParamError":          {qpErr},
			"ConcurrencyOption":        {b24.WithConcurrency(4)},
			"Settled":                  {readBacks},

			"events/Event":   {event},
			"events/Portal":  {portal, &portal},
			"events/Handler": {evHandler, reflect.ValueOf(evHandler).Elem()},
			"events/Spool":   {spool, reflect.ValueOf(spool).Elem()},

			"b24test/Outbound": {b24test.Outbound{URL: "http://127.0.0.1:1/hook", Token: reltest.Secret}},

			"b24test/APIVersions":   {b24test.V3},
			"b24test/AbsurdFigure":  {b24test.AbsurdResetFarAhead, b24test.AbsurdTimes},
			"b24test/Audit":         {audit},
			"b24test/Call":          {&b24test.Call{Method: "crm.deal.get"}},
			"b24test/Clock":         {b24test.Clock(nil)},
			"b24test/CommandRecord": {b24test.CommandRecord{Key: "a"}, audit.CommandLog},
			"b24test/Data":          {srv.Data()},
			"b24test/Error":         {&b24test.Error{Code: "X"}},
			"b24test/Family":        {b24test.Family(nil)},
			"b24test/Fault":         {b24test.FaultMoved},
			"b24test/FaultRates":    {reltest.SoakFaults(1, true)},
			"b24test/FieldError":    {b24test.FieldError{}},
			"b24test/Handler":       {b24test.Handler(nil)},
			"b24test/Latency":       {b24test.DefaultLatency()},
			"b24test/Limits":        {srv.Limits()},
			"b24test/Method":        {b24test.Method{Name: "m"}},
			"b24test/Option":        {b24test.WithWebhook(1, reltest.Secret)},
			"b24test/RequestRecord": {audit.Log[0], audit.Log[len(audit.Log)-1]},
			"b24test/Result":        {b24test.Result{}},
			"b24test/Seed":          {b24test.Seed{}},
			"b24test/UserField":     {b24test.UserField{Name: "UF_CRM_REL", Type: "string", Title: "rel"}},
			"b24test/Server":        {srv, reflect.ValueOf(srv).Elem()},

			"internal/php/Array":       {arr},
			"internal/php/SyntaxError": {synErr},
			"internal/php/ValueError":  {&php.ValueError{Path: "filter[ID]", Value: "an empty array"}},
		}
		leak.Audit(declared, values)
		// The audit JSON the fake serves (AuditPath) and the audit log.
		leak.Scan("audit JSON", string(audit.JSON()))
		if n := audit.ByMethod["crm.deal.update"][302]; n != 1 {
			t.Errorf("%d redirects answered, want 1 (and not followed)", n)
		}
	})
}

// TestSecretInRecoveredPanics: a panic raised while a call is under way
// (in a limiter, a reconciler, a transport: user code the SDK calls) is
// recovered by the caller; neither its value nor its stack holds the
// secret, and the fake's own panics (a Hook that cannot be built) do not
// either.
func TestSecretInRecoveredPanics(t *testing.T) {
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("panics")
	catch := func(what string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil {
				t.Errorf("%s: no panic", what)
				return
			}
			leak.Value(what+" panic value", r)
			leak.Scan(what+" panic stack", string(debug.Stack()))
		}()
		f()
	}
	srv := b24test.NewServer(t, b24test.InMemory(), b24test.WithWebhook(1, reltest.Secret))
	catch("limiter", func() {
		h := srv.Hook(b24.WithLimiter(panicLimiter{}))
		h.Call(t.Context(), "profile", nil)
	})
	catch("reconciler", func() {
		h := srv.Hook()
		srv.FailNext("batch", 1, b24test.FaultReset)
		h.V2().BatchByChunk(t.Context(), []b24.Cmd{{Method: "crm.deal.update", Params: map[string]any{"id": 1, "fields": map[string]any{"TITLE": "z"}}}},
			b24.WithRequestCutoff(time.Millisecond), b24.WithReconciler(func(ctx context.Context, api *b24.API, cmds []b24.Cmd, sent []time.Time) []b24.Settled {
				panic(api) // the user's code panics with the API it was given
			}))
	})
	catch("fake hook", func() {
		s, err := b24test.Start(b24test.InMemory(), b24test.WithWebhook(1, reltest.Secret))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.Hook(b24.WithTimeout(-1))
	})
	catch("hook value", func() { panic(srv.Hook()) })
	catch("fake value", func() { panic(srv) })
}

type panicLimiter struct{}

func (panicLimiter) Acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	panic(req)
}

// sharingLimiter is a limit.BillingSharer that records what a Hook gives it.
type sharingLimiter struct {
	limit.Limiter
	mu   sync.Mutex
	seen []string
	mode limit.BatchBilling
}

func (s *sharingLimiter) BatchBilling(_ context.Context, portal, credential string) limit.BatchBilling {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, portal, credential)
	return s.mode
}

func (s *sharingLimiter) SetBatchBilling(_ context.Context, portal, credential string, b limit.BatchBilling) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, portal, credential)
	s.mode = b
}
