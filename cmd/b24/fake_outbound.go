package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/b24go/b24/b24test"
)

// fakeOutboundFlags are "b24 fake"'s flags for the outbound webhook.
type fakeOutboundFlags struct {
	url, token, member, domain *string
	reorder, double            *float64
}

func registerFakeOutbound(fs *pflag.FlagSet) *fakeOutboundFlags {
	return &fakeOutboundFlags{
		url:     fs.String("outbound", "", "POST an outbound event for every write to this handler `URL` (b24 events listen)"),
		token:   fs.String("outbound-token", "", "the outbound events' application `token` (with --outbound)"),
		member:  fs.String("outbound-member-id", "b24testmember", "the outbound events' auth[member_id]"),
		domain:  fs.String("outbound-domain", "", "the outbound events' auth[domain] (default: the fake's 127.0.0.1:PORT)"),
		reorder: fs.Float64("outbound-reorder", 0, "probability an outbound event is sent after the next one"),
		double:  fs.Float64("outbound-double", 0, "probability an UPDATE event is sent twice"),
	}
}

// option returns the fake's option, or nil without --outbound.
func (f *fakeOutboundFlags) option() (b24test.Option, error) {
	if *f.url == "" {
		if *f.token != "" {
			return nil, fmt.Errorf("--outbound-token needs --outbound")
		}
		return nil, nil
	}
	if *f.token == "" {
		return nil, fmt.Errorf("--outbound needs --outbound-token")
	}
	return b24test.WithOutbound(b24test.Outbound{URL: *f.url, Token: *f.token, MemberID: *f.member, Domain: *f.domain,
		Reorder: *f.reorder, Double: *f.double}), nil
}

// print tells where events go, and the line for b24 events listen's token file.
func (f *fakeOutboundFlags) print(w io.Writer, s *b24test.Server) {
	if *f.url == "" {
		return
	}
	domain := *f.domain
	if domain == "" {
		domain = strings.TrimPrefix(s.URL(), "https://")
	}
	fmt.Fprintf(w, "outbound:    %s (token file line: %s %s TOKEN)\n", *f.url, domain, *f.member)
}
