package b24test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/b24go/b24/internal/php"
)

// CallAs runs a REST v2 method on the fake's data as another user, without
// a request: no limits, faults or audit. Writes record userID as their
// author (MODIFY_BY_ID, updatedBy), so a test can play a colleague who
// edits a record between a write and its read-back. params is what
// json.Marshal takes; the result is the method's JSON result.
func (s *Server) CallAs(userID int, method string, params any) (json.RawMessage, error) {
	if userID < 1 {
		return nil, errors.New("b24test: CallAs: user id must be positive")
	}
	m := s.method(V2, method)
	if m == nil {
		return nil, fmt.Errorf("b24test: CallAs: no method %s", method)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	p := php.NewArray()
	if v, err := php.DecodeJSON(raw); err != nil {
		return nil, fmt.Errorf("b24test: CallAs: %w", err)
	} else if a, ok := v.(*php.Array); ok {
		p = a
	}
	c := &Call{Method: m.Name, API: V2, Params: p, UserID: userID, Now: s.clock.Now().In(s.data.Location)}
	res, aerr := m.Handler(c)
	if aerr != nil {
		return nil, aerr
	}
	return json.Marshal(res.Value)
}
