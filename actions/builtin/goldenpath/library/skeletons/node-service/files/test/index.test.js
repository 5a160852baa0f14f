import { test } from "node:test";
import assert from "node:assert/strict";
import { greeting } from "../src/index.js";

test("greets", () => {
  assert.equal(greeting("{{ name }}"), "Hello, {{ name }}");
});
