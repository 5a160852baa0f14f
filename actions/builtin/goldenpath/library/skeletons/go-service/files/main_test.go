package main

import "testing"

func TestGreeting(t *testing.T) {
	if got := greeting("{{ name }}"); got != "Hello, {{ name }}" {
		t.Fatalf("greeting = %q", got)
	}
}
