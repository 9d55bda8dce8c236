// The Run tool command's arguments, the server's result, and how they are shown.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { pickableTools, type WorkspaceSymbolLike } from "../src/symbols";
import { decorationText, outputText, parseToolResult, parseToolTarget, runToolArguments } from "../src/toolRun";

describe("lens arguments", () => {
  it("reads an object argument with a schema", () => {
    const target = parseToolTarget([
      {
        uri: "file:///ws/tools.py",
        name: "search",
        range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
        parameters: [{ name: "query", json_type: "string", required: true }],
      },
    ]);
    assert.ok(target);
    assert.equal(target.name, "search");
    assert.equal(target.uri, "file:///ws/tools.py");
    assert.equal(target.line, 4);
    assert.deepEqual(target.params?.map((p) => p.name), ["query"]);
  });

  it("reads the agentsense server's lens argument (parameters, example arguments)", () => {
    // server/lsp/code_lens.py run_command: {uri, name, line, parameters, arguments?}.
    const target = parseToolTarget([
      {
        uri: "file:///ws/clean/tools.py",
        name: "forecast",
        line: 15,
        parameters: [
          { name: "city", type: "string", annotation: "str", required: true },
          { name: "days", type: ["integer", "null"], annotation: "int | None", required: false, default: 1 },
        ],
        arguments: { city: "Paris" },
      },
    ]);
    assert.ok(target);
    assert.equal(target.line, 15);
    assert.deepEqual(target.presetArguments, { city: "Paris" });
    assert.deepEqual(
      target.params?.map((p) => [p.name, p.type, p.required, p.hasDefault, p.default]),
      [
        ["city", "string", true, false, undefined],
        ["days", "integer", false, true, 1],
      ],
    );
    assert.deepEqual(runToolArguments(target, { days: 2 }), [
      { ...target.raw, arguments: { city: "Paris", days: 2 } },
    ]);
  });

  it("accepts other key names and positional arguments", () => {
    assert.equal(parseToolTarget([{ tool: "t", line: 2, textDocument: { uri: "file:///a.py" } }])?.uri, "file:///a.py");
    const positional = parseToolTarget(["file:///a.py", "t", 7]);
    assert.deepEqual([positional?.uri, positional?.name, positional?.line, positional?.params], ["file:///a.py", "t", 7, undefined]);
    assert.equal(parseToolTarget([]), undefined);
    assert.equal(parseToolTarget([{ uri: "file:///a.py" }]), undefined);
  });

  it("sends the original argument back with the answers as `arguments`", () => {
    const target = parseToolTarget([{ uri: "u", name: "t", line: 1, arguments: { fixed: 1 }, extra: "kept" }]);
    assert.ok(target);
    assert.deepEqual(runToolArguments(target, { q: "x" }), [
      { uri: "u", name: "t", line: 1, extra: "kept", arguments: { fixed: 1, q: "x" } },
    ]);
  });
});

describe("results", () => {
  it("shows a value", () => {
    const result = parseToolResult({ ok: true, value: ["a", "b"], stdout: "hi\n", duration_ms: 12.4 });
    assert.equal(decorationText(result), '  ✔ ["a","b"] in 12 ms');
    const text = outputText("search", { query: "x" }, result);
    assert.match(text, /^Run tool search\(\{"query":"x"\}\) -> ok in 12 ms/);
    assert.match(text, /stdout:\n {2}hi$/);
  });

  it("shows an error with its kind", () => {
    const result = parseToolResult({
      ok: false,
      error: { kind: "validation", message: "limit: expected integer", details: [] },
      stdout: "",
      duration_ms: 1500,
    });
    assert.equal(decorationText(result), "  ✘ validation: limit: expected integer in 1.50 s");
    assert.match(outputText("search", {}, result), /error: \[validation\] limit: expected integer/);
  });

  it("reports a malformed answer instead of throwing", () => {
    const result = parseToolResult(null);
    assert.equal(result.ok, false);
    assert.equal(result.errorKind, "protocol");
  });

  it("keeps the decoration short", () => {
    const text = decorationText(parseToolResult({ ok: true, value: "x".repeat(500) }), 40);
    assert.ok(text.length <= 42, text);
    assert.ok(text.endsWith("…"));
  });
});

describe("Run Tool quick-pick", () => {
  const at = (line: number) => ({ start: { line, character: 0 }, end: { line: line + 3, character: 0 } });
  // As agentsense's server answers workspace/symbol: containerName "tool (REGISTRY)".
  const symbols: WorkspaceSymbolLike[] = [
    { name: "weather", kind: 5, containerName: "tool (BaseTool)", location: { uri: "file:///b.py", range: at(10) } },
    { name: "search", kind: 12, containerName: "tool (tool)", location: { uri: "file:///a.py", range: at(2) } },
    { name: "support", kind: 5, containerName: "agent (Agent)", location: { uri: "file:///a.py", range: at(20) } },
    { name: "tool_picker", kind: 5, containerName: "agent (tools.registry)", location: { uri: "file:///a.py", range: at(25) } },
    { name: "helper", kind: 12, location: { uri: "file:///a.py", range: at(30) } },
    { name: "search", kind: 12, containerName: "tool (tool)", location: { uri: "file:///a.py", range: at(2) } },
  ];

  it("offers tools, not agents, once each, sorted", () => {
    assert.deepEqual(
      pickableTools(symbols).map((t) => [t.name, t.uri, t.line]),
      [
        ["search", "file:///a.py", 2],
        ["weather", "file:///b.py", 10],
      ],
    );
  });

  it("reads other servers' marks too", () => {
    const other: WorkspaceSymbolLike[] = [
      { name: "a", kind: 12, data: { kind: "tool" }, location: { uri: "file:///x.py" } },
      { name: "tool: b", kind: 12, location: { uri: "file:///x.py" } },
      { name: "c", kind: 5, data: "agent", location: { uri: "file:///x.py" } },
    ];
    assert.deepEqual(pickableTools(other).map((t) => t.name), ["a", "b"]);
  });
});
