package rawjson_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/rawjson"
)

func ExampleUnwrap() {
	result := json.RawMessage(`{"item": {"id": 250, "opportunity": 999.9}}`)
	raw, err := rawjson.Unwrap(result, "item")
	if err != nil {
		panic(err)
	}
	var item struct {
		ID          b24.ID    `json:"id"`
		Opportunity b24.Float `json:"opportunity"`
	}
	_ = json.Unmarshal(raw, &item)
	fmt.Println(item.ID, item.Opportunity)

	_, err = rawjson.Unwrap(json.RawMessage(`[]`), "item")
	fmt.Println(errors.Is(err, rawjson.ErrKeyNotFound))
	// Output:
	// 250 999.9
	// true
}

func ExampleUnwrapFold() {
	task := json.RawMessage(`{"ufCrmTask": ["D_1723"], "ufTaskWebdavFiles": [1065]}`)
	raw, _ := rawjson.UnwrapFold(task, "UF_CRM_TASK")
	fmt.Println(string(raw))
	// Output:
	// ["D_1723"]
}

func ExampleKeys() {
	keys, _ := rawjson.Keys(json.RawMessage(`{"get_user": {}, "get_department": []}`))
	fmt.Println(keys)
	keys, _ = rawjson.Keys(json.RawMessage(`["a", "b"]`))
	fmt.Println(keys)
	// Output:
	// [get_user get_department]
	// [0 1]
}

func ExampleKindOf() {
	for _, r := range []string{`true`, `[]`, `{"item": {}}`, `"2024-08-05T09:02:13+00:00"`, `394`, `null`, `{`} {
		fmt.Println(rawjson.KindOf(json.RawMessage(r)))
	}
	// Output:
	// bool
	// array
	// object
	// string
	// number
	// null
	// invalid
}

func ExampleIsEmpty() {
	for _, r := range []string{`null`, `""`, `false`, `[]`, `{}`, `0`, `"N"`} {
		fmt.Printf("%-5s %v\n", r, rawjson.IsEmpty(json.RawMessage(r)))
	}
	// Output:
	// null  true
	// ""    true
	// false true
	// []    true
	// {}    true
	// 0     false
	// "N"   false
}
