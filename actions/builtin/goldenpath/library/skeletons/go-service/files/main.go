// {{ name }}: {{ description }}
package main

import (
	"fmt"
	"log"
	"net/http"
)

func greeting(who string) string {
	return fmt.Sprintf("Hello, %s", who)
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, greeting("world"))
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
