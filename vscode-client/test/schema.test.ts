// Argument prompts built from a tool's schema, and how answers are read.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { collectArguments, paramsFromSchema, parseInput, promptFor, type PromptSpec, type ToolParam } from "../src/schema";

// agentsense.runtime.contract.ToolSpec as JSON (model_dump): what the server has for a registration.
const toolSpec = {
  name: "search",
  description: "Search the knowledge base.",
  parameters: [
    { name: "query", json_type: "string", required: true, default: null, description: "What to look for" },
    { name: "limit", json_type: "integer", required: false, default: 5, description: "" },
    { name: "exact", json_type: "boolean", required: false, default: false, description: "" },
    { name: "tags", json_type: "array", required: false, default: null, description: "" },
    { name: "extra", json_type: null, required: false, default: null, description: "" },
  ],
  is_async: false,
};

function param(name: string, params: ToolParam[]): ToolParam {
  const found = params.find((p) => p.name === name);
  assert.ok(found, `no parameter ${name}`);
  return found;
}

describe("parameters from a schema", () => {
  it("reads a runtime ToolSpec", () => {
    const params = paramsFromSchema(toolSpec);
    assert.deepEqual(params.map((p) => p.name), ["query", "limit", "exact", "tags", "extra"]);
    assert.deepEqual(param("query", params), {
      name: "query",
      type: "string",
      required: true,
      hasDefault: false,
      default: undefined,
      description: "What to look for",
      enumValues: undefined,
    });
    assert.equal(param("limit", params).default, 5);
    assert.equal(param("limit", params).hasDefault, true);
    assert.equal(param("extra", params).type, null);
  });

  it("reads a JSON Schema object and an OpenAI-style function", () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string", description: "City name" },
        units: { type: "string", enum: ["metric", "imperial"], default: "metric" },
        days: { type: ["integer", "null"] },
      },
      required: ["city"],
    };
    for (const shape of [schema, { name: "weather", parameters: schema }, { inputSchema: schema }]) {
      const params = paramsFromSchema(shape);
      assert.deepEqual(params.map((p) => [p.name, p.type, p.required]), [
        ["city", "string", true],
        ["units", "string", false],
        ["days", "integer", false],
      ]);
      assert.deepEqual(param("units", params).enumValues, ["metric", "imperial"]);
    }
  });

  it("gives no parameters for unknown shapes", () => {
    assert.deepEqual(paramsFromSchema(undefined), []);
    assert.deepEqual(paramsFromSchema("nope"), []);
    assert.deepEqual(paramsFromSchema({ something: 1 }), []);
  });

  it("a required parameter has no default even when the spec carries one", () => {
    const [query] = paramsFromSchema([{ name: "q", json_type: "string", required: true, default: "x" }]);
    assert.equal(query?.hasDefault, false);
  });
});

describe("prompts", () => {
  const params = paramsFromSchema(toolSpec);

  it("say the name, type, whether required, the default and the description", () => {
    const query = promptFor("search", param("query", params), 0, 5);
    assert.equal(query.title, "Run tool search (1/5)");
    assert.equal(query.prompt, "query: string (required). What to look for");
    assert.equal(query.value, "");
    const limit = promptFor("search", param("limit", params), 1, 5);
    assert.equal(limit.prompt, "limit: integer (optional, default 5).");
    assert.equal(limit.value, "5");
    assert.equal(promptFor("search", param("exact", params), 2, 5).value, "false");
    assert.equal(promptFor("search", param("extra", params), 4, 5).prompt, "extra: any (optional, default null).");
  });

  it("prefill string defaults as text", () => {
    const [units] = paramsFromSchema({ properties: { units: { type: "string", default: "metric" } } });
    assert.ok(units);
    assert.equal(promptFor("weather", units, 0, 1).value, "metric");
  });
});

describe("reading answers", () => {
  const params = paramsFromSchema(toolSpec);

  it("checks the type", () => {
    assert.deepEqual(parseInput(param("limit", params), "12"), { kind: "value", value: 12 });
    assert.equal(parseInput(param("limit", params), "1.5").kind, "error");
    assert.equal(parseInput(param("limit", params), "ten").kind, "error");
    assert.deepEqual(parseInput(param("exact", params), "yes"), { kind: "value", value: true });
    assert.deepEqual(parseInput(param("exact", params), "False"), { kind: "value", value: false });
    assert.equal(parseInput(param("exact", params), "maybe").kind, "error");
    assert.deepEqual(parseInput(param("tags", params), '["a", "b"]'), { kind: "value", value: ["a", "b"] });
    assert.equal(parseInput(param("tags", params), '{"a": 1}').kind, "error");
    assert.deepEqual(parseInput(param("extra", params), "[1]"), { kind: "value", value: [1] });
    assert.deepEqual(parseInput(param("extra", params), "plain words"), { kind: "value", value: "plain words" });
  });

  it("keeps strings as typed, and reads a JSON-quoted string", () => {
    assert.deepEqual(parseInput(param("query", params), " refunds  "), { kind: "value", value: " refunds  " });
    assert.deepEqual(parseInput(param("query", params), '""'), { kind: "value", value: "" });
    assert.deepEqual(parseInput(param("query", params), "42"), { kind: "value", value: "42" });
  });

  it("requires required parameters and omits empty optional ones", () => {
    assert.equal(parseInput(param("query", params), "  ").kind, "error");
    assert.deepEqual(parseInput(param("limit", params), ""), { kind: "omit" });
  });

  it("checks enum values", () => {
    const [units] = paramsFromSchema({ properties: { units: { type: "string", enum: ["metric", "imperial"] } } });
    assert.ok(units);
    assert.equal(parseInput(units, "kelvin").kind, "error");
    assert.deepEqual(parseInput(units, "metric"), { kind: "value", value: "metric" });
  });
});

describe("collecting arguments", () => {
  const params = paramsFromSchema(toolSpec);

  it("asks for each parameter in order and builds the arguments", async () => {
    const asked: PromptSpec[] = [];
    const answers: Record<string, string> = { query: "refund policy", limit: "3", exact: "", tags: "", extra: "" };
    const args = await collectArguments("search", params, async (spec) => {
      asked.push(spec);
      return answers[spec.param.name];
    });
    assert.deepEqual(asked.map((s) => s.param.name), ["query", "limit", "exact", "tags", "extra"]);
    assert.deepEqual(args, { query: "refund policy", limit: 3 });
  });

  it("stops at the first cancelled prompt", async () => {
    let count = 0;
    const args = await collectArguments("search", params, async () => {
      count += 1;
      return count === 2 ? undefined : "x";
    });
    assert.equal(args, undefined);
    assert.equal(count, 2);
  });

  it("asks nothing for a tool without parameters", async () => {
    const args = await collectArguments("ping", [], async () => assert.fail("asked"));
    assert.deepEqual(args, {});
  });
});
