package b24_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/b24go/b24"
)

// A legacy method writes ids as strings, crm.item.* as numbers; ID reads
// both and writes a number.
func ExampleID() {
	var deal struct {
		ID     b24.ID `json:"ID"`
		LeadID b24.ID `json:"LEAD_ID"`
	}
	_ = json.Unmarshal([]byte(`{"ID": "410", "LEAD_ID": null}`), &deal)
	fmt.Println(deal.ID, deal.LeadID)

	var item struct {
		ID b24.ID `json:"id"`
	}
	_ = json.Unmarshal([]byte(`{"id": 250}`), &item)
	out, _ := json.Marshal(item)
	fmt.Println(string(out))

	err := json.Unmarshal([]byte(`{"ID": "41O"}`), &deal)
	fmt.Println(err)
	// Output:
	// 410 0
	// {"id":250}
	// b24: cannot decode "41O" into b24.ID: not a number
}

func ExampleFloat() {
	var deals []struct {
		Opportunity b24.Float `json:"OPPORTUNITY"`
	}
	_ = json.Unmarshal([]byte(`[{"OPPORTUNITY": "19999.99"}, {"OPPORTUNITY": 999.9}, {"OPPORTUNITY": ""}]`), &deals)
	for _, d := range deals {
		fmt.Printf("%.2f\n", float64(d.Opportunity))
	}
	// Output:
	// 19999.99
	// 999.90
	// 0.00
}

func ExampleYN() {
	var user struct {
		Active   b24.YN `json:"ACTIVE"`    // a real boolean
		IsOnline b24.YN `json:"IS_ONLINE"` // "Y"/"N"
	}
	_ = json.Unmarshal([]byte(`{"ACTIVE": true, "IS_ONLINE": "N"}`), &user)
	fmt.Println(bool(user.Active), bool(user.IsOnline))

	fields, _ := json.Marshal(map[string]b24.YN{"OPENED": true})
	fmt.Println(string(fields))
	// Output:
	// true false
	// {"OPENED":"Y"}
}

func ExampleDateTime() {
	var user struct {
		LastLogin        b24.DateTime `json:"LAST_LOGIN"`
		LastActivityDate b24.DateTime `json:"LAST_ACTIVITY_DATE"`
		TimestampX       b24.DateTime `json:"TIMESTAMP_X"`
		Birthday         b24.DateTime `json:"PERSONAL_BIRTHDAY"`
	}
	_ = json.Unmarshal([]byte(`{
		"LAST_LOGIN": "2024-08-30T14:29:00+02:00",
		"LAST_ACTIVITY_DATE": "2024-07-23 08:08:50",
		"TIMESTAMP_X": "24.08.2023 13:19:39",
		"PERSONAL_BIRTHDAY": ""
	}`), &user)
	fmt.Println(user.LastLogin.Format(time.RFC3339))
	fmt.Println(user.LastActivityDate.Format(time.DateTime))
	fmt.Println(user.TimestampX.Format(time.DateTime))
	fmt.Println(user.Birthday.IsZero())

	out, _ := json.Marshal(user)
	fmt.Println(string(out))
	// Output:
	// 2024-08-30T14:29:00+02:00
	// 2024-07-23 08:08:50
	// 2023-08-24 13:19:39
	// true
	// {"LAST_LOGIN":"2024-08-30T14:29:00+02:00","LAST_ACTIVITY_DATE":"2024-07-23T08:08:50Z","TIMESTAMP_X":"2023-08-24T13:19:39Z","PERSONAL_BIRTHDAY":""}
}

// The sections of a batch response are PHP arrays: [] when empty, an object
// keyed by command otherwise.
func ExamplePHPMap() {
	var batch struct {
		Result      b24.PHPMap[json.RawMessage] `json:"result"`
		ResultError b24.PHPMap[struct {
			Error string `json:"error"`
		}] `json:"result_error"`
		ResultTotal b24.PHPMap[b24.Int] `json:"result_total"`
	}
	_ = json.Unmarshal([]byte(`{
		"result": {"get_user": {"ID": "1"}, "deals": [{"ID": "37"}]},
		"result_error": [],
		"result_total": {"deals": 1}
	}`), &batch)
	fmt.Println(len(batch.Result), len(batch.ResultError), batch.ResultTotal["deals"])

	// A list-mode batch whose commands all succeeded comes back as a list.
	var results b24.PHPMap[b24.ID]
	_ = json.Unmarshal([]byte(`[394, 395]`), &results)
	fmt.Println(results["0"], results["1"])
	// Output:
	// 2 0 1
	// 394 395
}

// To change a contact's phone numbers, send rows that carry the IDs of the
// rows read from the portal; a row without an ID is a new number.
func ExampleMultifield() {
	var contact struct {
		Phone []b24.Multifield `json:"PHONE"`
	}
	_ = json.Unmarshal([]byte(`{"PHONE": [
		{"ID": "156", "VALUE_TYPE": "WORK", "VALUE": "+13333333555", "TYPE_ID": "PHONE"},
		{"ID": "157", "VALUE_TYPE": "HOME", "VALUE": "+15599888666", "TYPE_ID": "PHONE"}
	]}`), &contact)

	fields := map[string]any{"PHONE": []b24.Multifield{
		b24.MultifieldSet(contact.Phone[0].ID, "+13333333556"), // change the work number
		b24.MultifieldDelete(contact.Phone[1].ID),              // drop the home number
		b24.MultifieldAdd("MOBILE", "+15550100"),               // add a mobile number
	}}
	out, _ := json.Marshal(fields)
	fmt.Println(string(out))
	// Output:
	// {"PHONE":[{"ID":156,"VALUE":"+13333333556"},{"ID":157,"DELETE":"Y"},{"VALUE_TYPE":"MOBILE","VALUE":"+15550100"}]}
}
