// A tool's parameters from its schema, and the input-box prompts that collect a call's
// arguments. No vscode import: the input boxes are built from `PromptSpec`s by runTool.ts.

export type JsonType = "string" | "integer" | "number" | "boolean" | "array" | "object" | "null";

const JSON_TYPES: ReadonlySet<string> = new Set([
  "string",
  "integer",
  "number",
  "boolean",
  "array",
  "object",
  "null",
]);

/** One parameter of a tool, whichever schema shape it came from. */
export interface ToolParam {
  readonly name: string;
  /** null: unannotated, or a type with no JSON equivalent (the input is read as JSON or text). */
  readonly type: JsonType | null;
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly description: string;
  /** Allowed values, when the schema has an `enum`. */
  readonly enumValues: readonly unknown[] | undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): JsonType | null {
  if (typeof value === "string" && JSON_TYPES.has(value)) {
    return value as JsonType;
  }
  // JSON Schema allows ["integer", "null"]: the non-null member is the type to prompt for.
  if (Array.isArray(value)) {
    const nonNull = value.filter((item) => item !== "null");
    if (nonNull.length === 1) {
      return jsonType(nonNull[0]);
    }
    if (nonNull.length === 0 && value.length > 0) {
      return "null";
    }
  }
  return null;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A parameter from the runtime's ParamSpec (`{name, json_type, required, default,
 *  description}`) or from a list entry in JSON-Schema style (`{name, type, ...}`). */
function paramFromEntry(entry: JsonObject): ToolParam | undefined {
  const name = entry["name"];
  if (typeof name !== "string" || name === "") {
    return undefined;
  }
  const required = entry["required"] === true;
  const hasDefault = !required && "default" in entry;
  return {
    name,
    type: jsonType(entry["json_type"] ?? entry["type"]),
    required,
    hasDefault,
    default: hasDefault ? entry["default"] : undefined,
    description: text(entry["description"]),
    enumValues: Array.isArray(entry["enum"]) ? entry["enum"] : undefined,
  };
}

/** Parameters from a JSON Schema object (`{type: "object", properties, required}`). */
function paramsFromJsonSchema(schema: JsonObject): ToolParam[] {
  const properties = isObject(schema["properties"]) ? schema["properties"] : {};
  const required = new Set(
    Array.isArray(schema["required"]) ? schema["required"].filter((n) => typeof n === "string") : [],
  );
  return Object.entries(properties).map(([name, property]) => {
    const prop = isObject(property) ? property : {};
    const isRequired = required.has(name);
    const hasDefault = !isRequired && "default" in prop;
    return {
      name,
      type: jsonType(prop["type"]),
      required: isRequired,
      hasDefault,
      default: hasDefault ? prop["default"] : undefined,
      description: text(prop["description"]),
      enumValues: Array.isArray(prop["enum"]) ? prop["enum"] : undefined,
    };
  });
}

/** The parameters of a tool from any of the shapes a server may send: a ToolSpec
 *  (`{parameters: [...]}`), a list of ParamSpecs, a JSON Schema object, or an OpenAI-style
 *  function (`{parameters: {type: "object", properties}}`). Unknown shapes give []. */
export function paramsFromSchema(schema: unknown): ToolParam[] {
  if (Array.isArray(schema)) {
    return schema.filter(isObject).flatMap((entry) => paramFromEntry(entry) ?? []);
  }
  if (!isObject(schema)) {
    return [];
  }
  if ("properties" in schema) {
    return paramsFromJsonSchema(schema);
  }
  for (const key of ["parameters", "input_schema", "inputSchema", "params", "schema"]) {
    if (key in schema) {
      return paramsFromSchema(schema[key]);
    }
  }
  return [];
}

/** An input box to show for one parameter. */
export interface PromptSpec {
  readonly param: ToolParam;
  readonly title: string;
  readonly prompt: string;
  readonly placeHolder: string;
  /** The initial text: the default, when there is one. */
  readonly value: string;
}

/** How a default or value is written in an input box: strings as they are, the rest as JSON. */
export function renderValue(value: unknown, type: JsonType | null): string {
  if (typeof value === "string" && (type === "string" || type === null)) {
    return value;
  }
  if (value === undefined) {
    return "";
  }
  return JSON.stringify(value) ?? "";
}

function typeLabel(param: ToolParam): string {
  return param.type ?? "any";
}

export function promptFor(
  toolName: string,
  param: ToolParam,
  index: number,
  count: number,
): PromptSpec {
  const status = param.required
    ? "required"
    : param.hasDefault
      ? `optional, default ${JSON.stringify(param.default) ?? "null"}`
      : "optional";
  const choices =
    param.enumValues !== undefined
      ? ` One of: ${param.enumValues.map((v) => JSON.stringify(v)).join(", ")}.`
      : "";
  const description = param.description ? ` ${param.description}` : "";
  return {
    param,
    title: `Run tool ${toolName} (${index + 1}/${count})`,
    prompt: `${param.name}: ${typeLabel(param)} (${status}).${description}${choices}`,
    placeHolder: placeholderFor(param),
    value: param.hasDefault ? renderValue(param.default, param.type) : "",
  };
}

function placeholderFor(param: ToolParam): string {
  switch (param.type) {
    case "string":
      return param.required ? "text" : "text (leave empty to omit)";
    case "integer":
      return "an integer, e.g. 3";
    case "number":
      return "a number, e.g. 0.5";
    case "boolean":
      return "true or false";
    case "array":
      return 'a JSON array, e.g. ["a", "b"]';
    case "object":
      return 'a JSON object, e.g. {"key": "value"}';
    case "null":
      return "null";
    default:
      return "a JSON value, or text";
  }
}

/** The outcome of reading one input: a value, "omit" (optional and left empty), or an error
 *  message for the input box's validation. */
export type ParsedInput =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "omit" }
  | { readonly kind: "error"; readonly message: string };

function tryJson(input: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(input) as unknown };
  } catch {
    return { ok: false };
  }
}

function checkEnum(param: ToolParam, value: unknown): ParsedInput {
  if (param.enumValues !== undefined && !param.enumValues.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    return {
      kind: "error",
      message: `${param.name} must be one of ${param.enumValues.map((v) => JSON.stringify(v)).join(", ")}`,
    };
  }
  return { kind: "value", value };
}

/** Read one input box's text as the parameter's value. */
export function parseInput(param: ToolParam, input: string): ParsedInput {
  const trimmed = input.trim();
  if (trimmed === "") {
    if (!param.required) {
      return { kind: "omit" };
    }
    return param.type === "string"
      ? { kind: "error", message: `${param.name} is required (type "" for an empty string)` }
      : { kind: "error", message: `${param.name} is required` };
  }
  switch (param.type) {
    case "string": {
      // A JSON-quoted string is taken as JSON, so "" and strings with escapes can be typed.
      if (trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2) {
        const parsed = tryJson(trimmed);
        if (parsed.ok && typeof parsed.value === "string") {
          return checkEnum(param, parsed.value);
        }
      }
      return checkEnum(param, input);
    }
    case "integer": {
      if (!/^[-+]?\d+$/.test(trimmed)) {
        return { kind: "error", message: `${param.name} must be an integer` };
      }
      const value = Number(trimmed);
      if (!Number.isSafeInteger(value)) {
        return { kind: "error", message: `${param.name} is too large` };
      }
      return checkEnum(param, value);
    }
    case "number": {
      const value = Number(trimmed);
      if (!Number.isFinite(value)) {
        return { kind: "error", message: `${param.name} must be a number` };
      }
      return checkEnum(param, value);
    }
    case "boolean": {
      const lowered = trimmed.toLowerCase();
      if (["true", "yes", "y", "1", "on"].includes(lowered)) {
        return { kind: "value", value: true };
      }
      if (["false", "no", "n", "0", "off"].includes(lowered)) {
        return { kind: "value", value: false };
      }
      return { kind: "error", message: `${param.name} must be true or false` };
    }
    case "array":
    case "object": {
      const parsed = tryJson(trimmed);
      const wanted = param.type;
      if (!parsed.ok) {
        return { kind: "error", message: `${param.name} must be a JSON ${wanted}` };
      }
      const isArray = Array.isArray(parsed.value);
      if ((wanted === "array") !== isArray || (wanted === "object" && !isObject(parsed.value))) {
        return { kind: "error", message: `${param.name} must be a JSON ${wanted}` };
      }
      return checkEnum(param, parsed.value);
    }
    case "null":
      return trimmed === "null"
        ? { kind: "value", value: null }
        : { kind: "error", message: `${param.name} must be null` };
    default: {
      // No declared type: JSON when it parses (numbers, lists, ...), the text otherwise.
      const parsed = tryJson(trimmed);
      return checkEnum(param, parsed.ok ? parsed.value : input);
    }
  }
}

/** Asks for one parameter: resolves with the text, or undefined when the user cancelled. */
export type AskFunction = (spec: PromptSpec) => Promise<string | undefined>;

/** Prompts for every parameter in order and builds the arguments object; undefined when the
 *  user cancelled any prompt. The input box validates with parseInput, so `ask` only returns
 *  text that parses; a parse error here is reported as a thrown Error. */
export async function collectArguments(
  toolName: string,
  params: readonly ToolParam[],
  ask: AskFunction,
): Promise<Record<string, unknown> | undefined> {
  const args: Record<string, unknown> = {};
  for (const [index, param] of params.entries()) {
    const answer = await ask(promptFor(toolName, param, index, params.length));
    if (answer === undefined) {
      return undefined;
    }
    const parsed = parseInput(param, answer);
    if (parsed.kind === "error") {
      throw new Error(parsed.message);
    }
    if (parsed.kind === "value") {
      args[param.name] = parsed.value;
    }
  }
  return args;
}
