// The "Run tool" command's arguments as the server sends them in a code lens, and the result it
// returns, turned into what the output channel and the inline decoration show. No vscode import.

import { paramsFromSchema, type ToolParam } from "./schema";

/** The server command that runs a tool (`workspace/executeCommand`). */
export const RUN_TOOL_COMMAND = "agentsense.runTool";

/** One tool the user can run, read from the first argument of an `agentsense.runTool` lens. */
export interface ToolTarget {
  /** The document holding the registration, as a URI string. */
  readonly uri: string | undefined;
  /** The registered tool name. */
  readonly name: string;
  /** The zero-based line of the registration, where the result decoration goes. */
  readonly line: number | undefined;
  /** The parameters to prompt for; undefined when the server sent no schema at all. */
  readonly params: readonly ToolParam[] | undefined;
  /** Arguments the lens already carries (they are not asked again). */
  readonly presetArguments: Readonly<Record<string, unknown>>;
  /** The original argument object, passed back to the server with `arguments` filled in. */
  readonly raw: Readonly<Record<string, unknown>>;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstString(object: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = object[key];
    if (typeof value === "string" && value !== "") {
      return value;
    }
  }
  return undefined;
}

function lineOf(object: JsonObject): number | undefined {
  for (const key of ["line", "lineNumber"]) {
    const value = object[key];
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
      return value;
    }
  }
  for (const key of ["range", "location", "selectionRange"]) {
    const value = object[key];
    if (isObject(value)) {
      const nested = isObject(value["range"]) ? value["range"] : value;
      const start = nested["start"];
      if (isObject(start) && typeof start["line"] === "number") {
        return start["line"];
      }
    }
  }
  return undefined;
}

function uriOf(object: JsonObject): string | undefined {
  const direct = firstString(object, ["uri", "documentUri", "textDocument", "file", "path"]);
  if (direct !== undefined) {
    return direct;
  }
  for (const key of ["textDocument", "location"]) {
    const value = object[key];
    if (isObject(value) && typeof value["uri"] === "string") {
      return value["uri"];
    }
  }
  return undefined;
}

function schemaOf(object: JsonObject): unknown {
  for (const key of ["parameters", "params", "schema", "input_schema", "inputSchema", "spec"]) {
    if (key in object) {
      return object[key];
    }
  }
  return undefined;
}

/** Reads the lens command's arguments; undefined when they are not a tool run. Accepts a single
 *  object (`{uri, name|tool, line|range, parameters|schema, arguments}`) as the first argument,
 *  or positional `[uri, name, ...]`. */
export function parseToolTarget(args: readonly unknown[]): ToolTarget | undefined {
  const first = args[0];
  if (isObject(first)) {
    const name = firstString(first, ["name", "tool", "toolName", "tool_name"]);
    if (name === undefined) {
      return undefined;
    }
    const schema = schemaOf(first);
    const preset = first["arguments"] ?? first["args"];
    return {
      uri: uriOf(first),
      name,
      line: lineOf(first),
      params: schema === undefined ? undefined : paramsFromSchema(schema),
      presetArguments: isObject(preset) ? preset : {},
      raw: first,
    };
  }
  if (typeof first === "string" && typeof args[1] === "string") {
    const rest = args[2];
    return {
      uri: first,
      name: args[1],
      line: typeof rest === "number" ? rest : undefined,
      params: undefined,
      presetArguments: {},
      raw: { uri: first, name: args[1] },
    };
  }
  return undefined;
}

/** The arguments to send to the server's `agentsense.runTool` once the user has answered. */
export function runToolArguments(
  target: ToolTarget,
  answers: Readonly<Record<string, unknown>>,
): unknown[] {
  return [{ ...target.raw, arguments: { ...target.presetArguments, ...answers } }];
}

/** The server's answer: `{ok, value | error, stdout, duration_ms}`. */
export interface ToolResult {
  readonly ok: boolean;
  readonly value: unknown;
  readonly errorKind: string | undefined;
  readonly errorMessage: string | undefined;
  readonly errorDetails: unknown;
  readonly stdout: string;
  readonly durationMs: number | undefined;
}

export function parseToolResult(result: unknown): ToolResult {
  if (!isObject(result) || typeof result["ok"] !== "boolean") {
    return {
      ok: false,
      value: undefined,
      errorKind: "protocol",
      errorMessage: `the server returned no tool result (${JSON.stringify(result) ?? "undefined"})`,
      errorDetails: undefined,
      stdout: "",
      durationMs: undefined,
    };
  }
  const error = result["error"];
  const duration = result["duration_ms"] ?? result["durationMs"];
  return {
    ok: result["ok"],
    value: result["value"],
    errorKind: isObject(error) && typeof error["kind"] === "string" ? error["kind"] : undefined,
    errorMessage: isObject(error)
      ? typeof error["message"] === "string"
        ? error["message"]
        : JSON.stringify(error)
      : typeof error === "string"
        ? error
        : undefined,
    errorDetails: isObject(error) ? error["details"] : undefined,
    stdout: typeof result["stdout"] === "string" ? result["stdout"] : "",
    durationMs: typeof duration === "number" && Number.isFinite(duration) ? duration : undefined,
  };
}

function duration(result: ToolResult): string {
  if (result.durationMs === undefined) {
    return "";
  }
  return result.durationMs >= 1000
    ? ` in ${(result.durationMs / 1000).toFixed(2)} s`
    : ` in ${Math.round(result.durationMs)} ms`;
}

/** One line for the inline decoration after the tool's registration, kept short. */
export function decorationText(result: ToolResult, maxLength = 120): string {
  const body = result.ok
    ? `✔ ${JSON.stringify(result.value) ?? "undefined"}`
    : `✘ ${result.errorKind ? `${result.errorKind}: ` : ""}${result.errorMessage ?? "failed"}`;
  const oneLine = body.replace(/\s+/g, " ");
  const shortened = oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
  return `  ${shortened}${duration(result)}`;
}

/** The block written to the output channel for one run. */
export function outputText(
  toolName: string,
  args: Readonly<Record<string, unknown>>,
  result: ToolResult,
): string {
  const lines = [
    `Run tool ${toolName}(${JSON.stringify(args)}) -> ${result.ok ? "ok" : "error"}${duration(result)}`,
  ];
  if (result.ok) {
    lines.push(`value: ${JSON.stringify(result.value, null, 2) ?? "undefined"}`);
  } else {
    lines.push(`error: ${result.errorKind ? `[${result.errorKind}] ` : ""}${result.errorMessage ?? ""}`);
    if (result.errorDetails !== undefined && result.errorDetails !== null) {
      const details = result.errorDetails;
      if (Array.isArray(details) && details.every((d) => typeof d === "string")) {
        lines.push(...details.map((d) => `  ${d}`));
      } else {
        lines.push(`details: ${JSON.stringify(details, null, 2)}`);
      }
    }
  }
  if (result.stdout) {
    lines.push("stdout:", ...result.stdout.replace(/\n$/, "").split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n");
}
