package b24

// Value types for what the portal really sends.
//
// The portal is written in PHP, and its JSON shows it: legacy methods send
// ids, money and counts as strings ("ID":"37", "OPPORTUNITY":"19999.99")
// while crm.item.* and REST 3.0 send numbers; booleans are mostly "Y"/"N";
// dates come in several layouts; an empty value may be null, "", false, []
// or {}; and an empty PHP map is written as [] where an object is expected.
// The types below read every one of those spellings and write the form the
// portal accepts, so that a user's struct can name a field once:
//
//	type Deal struct {
//		ID          b24.ID       `json:"ID"`
//		Opportunity b24.Float    `json:"OPPORTUNITY"`
//		Opened      b24.YN       `json:"OPENED"`
//		DateCreate  b24.DateTime `json:"DATE_CREATE"`
//	}
//
// The scalar types (ID, Int, Float, YN, DateTime) read the five empty
// spellings (null, "", false, [] and {}) as their zero value. Unlike the
// standard library's convention for plain Go values, null sets the zero value
// rather than leaving the old one: to the portal, null is one more way of
// saying "empty".

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b24go/b24/internal/jsonscan"
)

// ValueError reports a JSON value that one of this package's value types
// cannot represent, naming the type and quoting the offending value.
type ValueError struct {
	// Type is the Go type that was being decoded, e.g. "b24.ID".
	Type string
	// Value is the JSON text of the rejected value, shortened to at most 64
	// bytes.
	Value string
	// Reason says what was wrong with it.
	Reason string
}

func (e *ValueError) Error() string {
	return "b24: cannot decode " + e.Value + " into " + e.Type + ": " + e.Reason
}

const maxQuoted = 64

func valueErr(typ string, b []byte, reason string) error {
	v := b
	if len(v) > maxQuoted {
		v = v[:maxQuoted-3]
		for len(v) > 0 && !utf8.Valid(v) { // do not cut a rune in half
			v = v[:len(v)-1]
		}
		v = append(v[:len(v):len(v)], "..."...)
	}
	return &ValueError{Type: typ, Value: strings.ToValidUTF8(string(v), "\uFFFD"), Reason: reason}
}

// isJSONNumber reports whether s follows JSON's number grammar exactly
// (no sign '+', no leading zeros, no hex, no NaN or Inf, no spaces).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// scalarText reads a JSON number or a JSON string from b (trimmed, not an
// empty form) and returns its text: the number as written, or the string's
// content. ok is false if b is neither a number nor a valid string.
func scalarText(b []byte) (text string, quoted, ok bool) {
	if len(b) == 0 {
		return "", false, false
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", true, false
		}
		return s, true, true
	}
	if b[0] == '-' || ('0' <= b[0] && b[0] <= '9') {
		return string(b), false, true
	}
	return "", false, false
}

// parseInt64 implements ID and Int: an integer written as a JSON number or
// as a string holding one; the empty forms give 0.
func parseInt64(b []byte, typ string) (int64, error) {
	b = jsonscan.Trim(b)
	if n, ok := plainInt(b); ok {
		return n, nil
	}
	return parseInt64Long(b, typ)
}

// parseInt64Long is parseInt64 for any spelling (b trimmed).
func parseInt64Long(b []byte, typ string) (int64, error) {
	if jsonscan.IsEmptyForm(b) {
		return 0, nil
	}
	text, _, ok := scalarText(b)
	if !ok {
		return 0, valueErr(typ, b, "want an integer or a string holding one")
	}
	if !isJSONNumber(text) {
		return 0, valueErr(typ, b, "not a number")
	}
	if strings.ContainsAny(text, ".eE") {
		return 0, valueErr(typ, b, "not an integer")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, valueErr(typ, b, "out of range for int64")
	}
	return n, nil
}

// plainInt reads the common spelling of an id without allocating: 1 to 18
// decimal digits (no leading zero), an optional minus, bare or in quotes.
// ok is false for anything else, which parseInt64 reads the long way
// (TestPlainInt: both agree wherever plainInt answers).
func plainInt(b []byte) (int64, bool) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 || b[0] == '0' && len(b) > 1 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// ID is an entity id. The portal writes ids as JSON numbers in crm.item.*,
// REST 3.0 and the results of add-methods ("result": 394), and as strings in
// legacy methods and tasks v2 ("ID": "37", "id": "8017"); ID reads both, and
// reads the empty forms (null, "", false, [], {}) as 0. It always writes a
// JSON number, which every method accepts.
//
//	var d struct {
//		ID      b24.ID `json:"ID"`      // "410" -> 410
//		LeadID  b24.ID `json:"LEAD_ID"` // null  -> 0
//	}
//
// A fraction, an exponent, anything that is not a JSON number (inside the
// quotes too), and a value outside int64 are errors (*ValueError).
type ID int64

// UnmarshalJSON reads a JSON number, a string holding an integer, or an
// empty form.
func (id *ID) UnmarshalJSON(b []byte) error {
	n, err := parseInt64(b, "b24.ID")
	if err != nil {
		return err
	}
	*id = ID(n)
	return nil
}

// MarshalJSON writes the id as a JSON number.
func (id ID) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(id), 10), nil
}

// String returns the id in decimal, the form a query parameter or a batch
// command wants.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// Int is an integer that is not an id: a count, a sort order, a status or a
// priority code. Legacy methods write them as strings ("PROBABILITY": "99",
// "status": "2"), others as numbers ("SORT": 500). Int reads both, and the
// empty forms as 0, exactly as ID does; it writes a JSON number.
//
//	var dept struct {
//		Sort b24.Int `json:"SORT"` // 500 or "500" -> 500
//	}
type Int int64

// UnmarshalJSON reads a JSON number, a string holding an integer, or an
// empty form.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := parseInt64(b, "b24.Int")
	if err != nil {
		return err
	}
	*n = Int(v)
	return nil
}

// MarshalJSON writes the value as a JSON number.
func (n Int) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// Float is a decimal quantity such as money. Legacy methods write amounts as
// strings ("OPPORTUNITY": "19999.99"), crm.item.* as numbers
// ("opportunity": 999.9); Float reads both, and the empty forms as 0. It
// writes a JSON number.
//
//	var deal struct {
//		Opportunity b24.Float `json:"OPPORTUNITY"` // "19999.99" -> 19999.99
//	}
//
// Being a float64, it holds the nearest binary value: format money with a
// fixed precision (strconv.FormatFloat(float64(v), 'f', 2, 64)) rather than
// comparing or summing many values exactly. A string must hold a JSON number
// ("1e3" yes; "1,5", " 1", "NaN", "Inf" and "0x10" no), and a value outside
// float64's range is an error.
type Float float64

// UnmarshalJSON reads a JSON number, a string holding a JSON number, or an
// empty form.
func (f *Float) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	if jsonscan.IsEmptyForm(b) {
		*f = 0
		return nil
	}
	text, _, ok := scalarText(b)
	if !ok {
		return valueErr("b24.Float", b, "want a number or a string holding one")
	}
	if !isJSONNumber(text) {
		return valueErr("b24.Float", b, "not a number")
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return valueErr("b24.Float", b, "out of range for float64")
	}
	*f = Float(v)
	return nil
}

// MarshalJSON writes the value as a JSON number. NaN and the infinities,
// which JSON cannot express, are an error.
func (f Float) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(f))
}

// YN is a boolean as the portal writes most of them: "Y" or "N" (OPENED,
// CLOSED, IS_ONLINE, isManualOpportunity). It also reads real JSON booleans
// (ACTIVE, ADMIN, INSTALLED), "1"/"0" and 1/0, a lower-case "y"/"n", and the
// empty forms (null, "", [], {}) as false. It writes "Y" or "N", the form
// add and update methods expect.
//
//	var deal struct {
//		Opened b24.YN `json:"OPENED"` // "Y" -> true
//	}
//	if deal.Opened { ... }
//
// Any other value ("yes", "true", 2, "2") is an error: a spelling nobody
// has seen should not silently read as false. Note that filters on boolean
// user fields of crm.item take 1/0 instead: pass a plain int there.
type YN bool

// UnmarshalJSON reads "Y"/"N", true/false, "1"/"0", 1/0 or an empty form.
func (v *YN) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	switch string(b) {
	case `"Y"`, `"y"`, `"1"`, "true", "1":
		*v = true
		return nil
	case `"N"`, `"n"`, `"0"`, "0":
		*v = false
		return nil
	}
	if jsonscan.IsEmptyForm(b) {
		*v = false
		return nil
	}
	return valueErr("b24.YN", b, `want "Y", "N", a boolean, 1 or 0`)
}

// MarshalJSON writes "Y" or "N".
func (v YN) MarshalJSON() ([]byte, error) {
	if v {
		return []byte(`"Y"`), nil
	}
	return []byte(`"N"`), nil
}

// String returns "Y" or "N".
func (v YN) String() string {
	if v {
		return "Y"
	}
	return "N"
}

// DateTime is a point in time as the portal writes it. It embeds time.Time,
// so every time.Time method works on it directly.
//
// Most dates are ISO 8601 with the offset of the portal's zone
// ("2024-08-30T14:29:00+02:00", fractions of a second allowed); date-only CRM
// fields come the same way, at midnight. A few fields use other layouts, and
// DateTime reads them too:
//
//	"2024-08-30T14:29:00+02:00"   ISO 8601 with offset (or Z)
//	"2024-07-23 08:08:50"         LAST_ACTIVITY_DATE in user.current
//	"24.08.2023 13:19:39"         TIMESTAMP_X (the portal's locale layout)
//	"2024-08-30T14:29:00"         ISO 8601 without offset
//	"2024-08-30", "24.08.2023"    a date alone
//
// The layouts without an offset do not say which zone they are in (it is
// the portal's); they are read as a wall clock in UTC. A caller who knows the
// portal's zone can reinterpret one with time.Date(t.Year(), t.Month(),
// t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc). The empty forms
// (null, "", false, [], {}) give the zero time; a number, true, a non-empty
// array or object, and any other string are errors (*ValueError).
//
// DateTime writes RFC 3339 with the value's own offset and whole seconds,
// the portal's precision (fractions are dropped), and the zero time as "",
// which the portal reads as "no date":
//
//	var deal struct {
//		BeginDate b24.DateTime `json:"BEGINDATE"`
//	}
//	fmt.Println(deal.BeginDate.Format(time.DateOnly))
type DateTime struct {
	time.Time
}

// dateLayouts lists the layouts DateTime reads, with an offset first.
var dateLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	time.DateTime,
	"02.01.2006 15:04:05",
	time.DateOnly,
	"02.01.2006",
}

// ParseDateTime reads s in any of the layouts DateTime accepts (see
// DateTime); "" gives the zero time.
func ParseDateTime(s string) (DateTime, error) {
	if s == "" {
		return DateTime{}, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return DateTime{t}, nil
		}
	}
	q, _ := json.Marshal(s)
	return DateTime{}, valueErr("b24.DateTime", q, "not a date in a known layout")
}

// UnmarshalJSON reads a date string in any accepted layout, or an empty form.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	if jsonscan.IsEmptyForm(b) {
		*d = DateTime{}
		return nil
	}
	text, quoted, ok := scalarText(b)
	if !ok || !quoted {
		return valueErr("b24.DateTime", b, "want a date string")
	}
	v, err := ParseDateTime(text)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes RFC 3339 in whole seconds, or "" for the zero time. A
// year outside 0000-9999 is an error.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`""`), nil
	}
	if y := d.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("b24: DateTime.MarshalJSON: year %d outside 0000-9999", y)
	}
	b := make([]byte, 0, len(time.RFC3339)+4)
	b = append(b, '"')
	b = d.AppendFormat(b, time.RFC3339)
	return append(b, '"'), nil
}

// PHPMap is a JSON object as a PHP array writes it. PHP has one array type
// for lists and maps, and its JSON encoder chooses by the keys: an empty
// array becomes [], keys 0..n-1 in order become a JSON array, anything else
// an object. So a map-valued field can arrive as {...}, [] or [...], and can
// change shape from one response to the next (batch result sections,
// auditorsData, tags).
//
// PHPMap reads all three: an object as itself, [] as an empty map, and a
// list as the map "0", "1", ... "n-1". null sets it to nil; "" and false read
// as an empty map. It writes a JSON object (nil: null).
//
//	var batch struct {
//		Result      b24.PHPMap[json.RawMessage] `json:"result"`
//		ResultError b24.PHPMap[struct {
//			Error       string `json:"error"`
//			Description string `json:"error_description"`
//		}] `json:"result_error"`
//		ResultTotal b24.PHPMap[b24.Int] `json:"result_total"`
//		ResultNext  b24.PHPMap[b24.Int] `json:"result_next"`
//	}
//
// The order of the keys is lost, as in any Go map; Keys reads it from the
// raw JSON.
type PHPMap[V any] map[string]V

// UnmarshalJSON reads a JSON object, a JSON array, or an empty form. It
// replaces the map's contents rather than merging into them.
func (m *PHPMap[V]) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	if string(b) == "null" {
		*m = nil
		return nil
	}
	if jsonscan.IsEmptyForm(b) {
		*m = PHPMap[V]{}
		return nil
	}
	switch {
	case len(b) > 0 && b[0] == '{':
		var obj map[string]V
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		*m = obj
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []V
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		out := make(PHPMap[V], len(list))
		for i, v := range list {
			out[strconv.Itoa(i)] = v
		}
		*m = out
		return nil
	}
	elem := strings.TrimPrefix(fmt.Sprintf("%T", (*V)(nil)), "*")
	return valueErr("b24.PHPMap["+elem+"]", b, "want an object or an array")
}

// MarshalJSON writes the map as a JSON object (keys sorted), or null if the
// map is nil.
func (m PHPMap[V]) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]V(m))
}

// Multifield is one row of a CRM multifield: the PHONE, EMAIL, WEB, IM and
// LINK arrays of contacts, companies and leads ({ID, VALUE_TYPE, VALUE,
// TYPE_ID}), or the fm array of crm.item.* ({id, valueType, value, typeId}).
// It reads both spellings (keys matched ignoring case and underscores), and
// the id as a number or a string.
//
// It writes the legacy form that crm.contact.update and its kin take inside
// fields. The portal applies the rows of an update one by one, and leaves
// the rows not mentioned alone:
//
//   - a row with an ID changes that row (MultifieldSet);
//   - a row without an ID adds a new one (MultifieldAdd);
//   - a row with an ID and DELETE "Y" removes it (MultifieldDelete); so do a
//     row with an ID and an empty VALUE, and a bare {ID}.
//
// The danger: re-sending an existing value without its ID does not match it
// up; it adds a duplicate. To change a phone number, read the contact, take
// the row's ID and send MultifieldSet(row.ID, newValue); to replace all
// numbers, delete the old rows by ID and add the new ones.
//
//	fields := map[string]any{"PHONE": []b24.Multifield{
//		b24.MultifieldAdd("WORK", "+15550100"),
//		b24.MultifieldSet(156, "+15550101"),
//		b24.MultifieldDelete(157),
//	}}
type Multifield struct {
	// ID identifies an existing row; 0 in a row to add.
	ID ID
	// TypeID is the multifield the row belongs to: PHONE, EMAIL, WEB, IM or
	// LINK. The portal sends it; inside fields.PHONE etc. it may be left
	// empty.
	TypeID string
	// ValueType is the row's kind within its field: WORK, HOME, MOBILE,
	// MAILING, ...
	ValueType string
	// Value is the phone number, address, URL or handle.
	Value string
	// Delete marks the row for deletion: it writes {ID, DELETE: "Y"}.
	Delete bool
}

// MultifieldAdd returns a row that adds a value (no ID). Never use it to
// re-send a value the entity already has: that duplicates it.
func MultifieldAdd(valueType, value string) Multifield {
	return Multifield{ValueType: valueType, Value: value}
}

// MultifieldSet returns a row that replaces the value of the existing row id.
// An empty value deletes the row. Set ValueType on the result to change the
// row's kind too.
func MultifieldSet(id ID, value string) Multifield {
	return Multifield{ID: id, Value: value}
}

// MultifieldDelete returns a row that deletes the existing row id:
// {ID, DELETE: "Y"}.
func MultifieldDelete(id ID) Multifield {
	return Multifield{ID: id, Delete: true}
}

// UnmarshalJSON reads a row in either spelling; unknown keys are ignored,
// and the empty forms give the zero row.
func (m *Multifield) UnmarshalJSON(b []byte) error {
	b = jsonscan.Trim(b)
	if jsonscan.IsEmptyForm(b) {
		*m = Multifield{}
		return nil
	}
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return valueErr("b24.Multifield", b, "want an object")
	}
	var row Multifield
	var err error
	jsonscan.EachMember(b, func(rawKey, val []byte) bool {
		key := jsonscan.Key(rawKey)
		switch jsonscan.FoldKey(key) {
		case "id":
			err = row.ID.UnmarshalJSON(val)
		case "typeid":
			row.TypeID, err = multifieldString(val)
		case "valuetype":
			row.ValueType, err = multifieldString(val)
		case "value":
			row.Value, err = multifieldString(val)
		case "delete":
			var yn YN
			err = yn.UnmarshalJSON(val)
			row.Delete = bool(yn)
		}
		if err != nil {
			err = fmt.Errorf("b24: Multifield %s: %w", key, err)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	*m = row
	return nil
}

func multifieldString(b []byte) (string, error) {
	b = jsonscan.Trim(b)
	if string(b) == "null" {
		return "", nil
	}
	text, quoted, ok := scalarText(b)
	if !ok || !quoted {
		return "", valueErr("string", b, "want a string")
	}
	return text, nil
}

// MarshalJSON writes the legacy form: ID when set, TYPE_ID and VALUE_TYPE
// when not empty, and VALUE; or {ID, DELETE: "Y"} (with TYPE_ID if set) for
// a row marked Delete.
func (m Multifield) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	sep := func() {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
	}
	str := func(key, v string) {
		sep()
		k, _ := json.Marshal(key)
		s, _ := json.Marshal(v)
		b.Write(k)
		b.WriteByte(':')
		b.Write(s)
	}
	if m.ID != 0 {
		sep()
		b.WriteString(`"ID":`)
		b.WriteString(m.ID.String())
	}
	if m.TypeID != "" {
		str("TYPE_ID", m.TypeID)
	}
	if m.Delete {
		str("DELETE", "Y")
	} else {
		if m.ValueType != "" {
			str("VALUE_TYPE", m.ValueType)
		}
		str("VALUE", m.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
