// Package php models PHP's data as a Bitrix24 portal sees and writes it. It is
// the single reference for both sides of the wire: the SDK uses it to encode v2
// batch commands ("method?query"), and the fake portal (b24test) uses it to
// parse requests and to write responses byte for byte as PHP does.
//
// The pieces:
//
//   - Array is PHP's ordered array: keys are strings, integer-like keys are
//     kept as their canonical decimal text, insertion order is preserved, and
//     appends use the next free integer index as PHP computes it.
//   - Parse and (*Array).SetPath implement parse_str, the way PHP reads a
//     query string, a form body and each field of a multipart body.
//   - Encode is the inverse, for v2 batch commands: a Go value becomes a
//     query string that parse_str reads back into the same tree.
//   - DecodeJSON is json_decode($s, true) with key order kept; EncodeJSON is
//     json_encode with the flags Bitrix24 uses (Bitrix\Main\Web\Json::encode:
//     JSON_HEX_TAG|JSON_HEX_AMP|JSON_HEX_APOS|JSON_HEX_QUOT, slashes and
//     non-ASCII escaped).
//
// Where PHP versions differ, the package follows PHP 8.3 and later (the
// version current Bitrix24 cloud portals run).
//
// Values inside an Array are string, json.Number, bool, nil or *Array. Parse
// produces strings and arrays only, because everything in a query string is a
// string; DecodeJSON produces all five.
package php
