// Package events receives a Bitrix24 portal's outbound webhook (its
// "events"): verified, spooled durably, then delivered to user code at
// least once.
//
// The portal POSTs each event once, as a form, and never resends it: a
// receiver that is down, slow or crashes after answering loses it. So:
//
//   - Handler checks the request (body ≤ MaxBody, ≤ MaxKeys pairs, ≤
//     MaxDepth brackets, no duplicate key, a form content type) and the
//     (member_id, domain, application_token) triple against the configured
//     Portals in constant time; anything else gets RefusedStatus (403) and
//     never reaches the spool.
//   - A verified event is appended to the Spool and fsynced before the 200.
//   - Spool.Consume runs the user's function on each spooled event, retrying
//     it until it returns nil; a crash re-delivers the event in flight.
//
// Events carry only an id, arrive in no order, may repeat (Duplicate marks
// a request seen before) and have no event id: act on the current state,
// read by id (Current), and keep polling as the source of truth.
// See docs/events.md.
package events
