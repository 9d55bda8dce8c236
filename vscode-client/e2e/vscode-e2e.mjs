// @ts-check
// End-to-end test of the agentsense extension in real VS Code: code-server (VS Code 1.100 in the
// browser) driven through Debian's Chromium with puppeteer-core.
//
//   node e2e/vscode-e2e.mjs [--workspace DIR] [--vsix FILE] [--python PY] [--artifacts DIR]
//                           [--code-server BIN] [--server-command JSON] [--lint-file REL]
//                           [--tool-file REL] [--skip-trust] [--keep]
//
// It copies the workspace (default: the repo's examples/) to a temporary folder, installs the
// built .vsix into a fresh code-server, opens the folder in the workbench and checks, with a
// screenshot at each step (saved under --artifacts, default test-artifacts/vscode/):
//   1. a squiggle and a Problems entry with an AGT code appear on a file with a mutable default
//      (the workspace is still untrusted: linting works in Restricted Mode);
//   2. untrusted, the "Run tool" lens does not run the tool (the extension refuses and says so);
//      then the workspace is trusted through the Workspace Trust editor (skip with --skip-trust:
//      the workspace is trusted from the start);
//   3. Ctrl+. offers the fix, and applying it changes the file (saved and read back from disk);
//   4. "agentsense: Fix All" fixes the file again after the quick fix is undone;
//   5. the "Run tool" code lens runs a tool (its argument prompts answered) and the result
//      appears as an inline decoration and in the agentsense output channel;
//   6. "agentsense: Run Tool…" offers the workspace's tools and runs the one picked;
//   6b. a Jupyter notebook shows the finding in its cell (notebookDocument sync);
//   7. with an interpreter lacking agentsense, the restarted extension's notification says
//      exactly what to run, and its "Show Output" button opens the output channel;
//   8. its "Install into <interpreter>" button installs the wheel bundled in the .vsix into that
//      interpreter, and the server then starts from it (the status bar turns ready).
// Any step that does not happen fails the run with a message, a failure-*.png screenshot, the
// extension's output channel and code-server's log in the artifacts folder. Exit status 0 only
// when every step passed; result.json in the artifacts folder lists the steps.

import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import puppeteer from "puppeteer-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_ROOT = path.resolve(HERE, "..");
const REPO_ROOT = path.resolve(CLIENT_ROOT, "..");

const { values: options } = parseArgs({
  options: {
    workspace: { type: "string", default: path.join(REPO_ROOT, "examples") },
    vsix: { type: "string", default: path.join(CLIENT_ROOT, "dist", "agentsense.vsix") },
    python: { type: "string" },
    artifacts: { type: "string", default: path.join(REPO_ROOT, "test-artifacts", "vscode") },
    "code-server": { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    "server-command": { type: "string" },
    "lint-file": { type: "string" },
    "tool-file": { type: "string" },
    "step-timeout": { type: "string", default: "45" },
    keep: { type: "boolean", default: false },
    "skip-trust": { type: "boolean", default: false },
  },
});

const STEP_TIMEOUT_MS = Number(options["step-timeout"]) * 1000;
const artifacts = path.resolve(/** @type {string} */ (options.artifacts));
const startedAt = Date.now();

/** @typedef {{ name: string, ok: boolean, seconds: number, detail: string, screenshots: string[] }} StepRecord */
/** @type {StepRecord[]} */
const steps = [];
/** @type {string[]} */
let currentShots = [];

function log(/** @type {string} */ message) {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[vscode-e2e ${seconds}s] ${message}\n`);
}

class StepFailure extends Error {}

/** @param {string} message @returns {never} */
function fail(message) {
  throw new StepFailure(message);
}

/** Polls `check` until it returns a truthy value; fails with `what` after the timeout.
 * @template T
 * @param {string} what
 * @param {() => Promise<T | undefined | null | false>} check
 * @param {number} [timeoutMs]
 * @returns {Promise<T>} */
async function waitFor(what, check, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) {
        return value;
      }
    } catch (error) {
      if (error instanceof StepFailure) throw error; // a check that knows it cannot succeed
      lastError = error;
    }
    await sleep(250);
  }
  return fail(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}

function sleep(/** @type {number} */ ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// -- setup -------------------------------------------------------------------------------------

function findCodeServer() {
  if (options["code-server"]) {
    return options["code-server"];
  }
  // The install script is idempotent: it prints the cached binary when it is already there.
  const script = path.join(CLIENT_ROOT, "scripts", "install-code-server.sh");
  const out = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const bin = out.trim().split("\n").pop();
  if (!bin || !fs.existsSync(bin)) {
    throw new Error(`install-code-server.sh printed no code-server binary (${out})`);
  }
  return bin;
}

function defaultPython() {
  const venv = path.join(REPO_ROOT, ".venv", "bin", "python");
  return fs.existsSync(venv) ? venv : "python3";
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Python files of the workspace, relative, sorted; caches and virtualenvs skipped. */
function pythonFiles(/** @type {string} */ root) {
  /** @type {string[]} */
  const found = [];
  const skip = new Set(["__pycache__", ".venv", "venv", "node_modules", ".git", ".agentsense_cache"]);
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (skip.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".py")) found.push(path.relative(root, full));
    }
  };
  walk(root);
  return found;
}

const MUTABLE_DEFAULT = /^\s*(?:async\s+)?def\s+\w+\(.*?\b(\w+)\s*=\s*(\[\]|\{\}|set\(\)|list\(\)|dict\(\))/;

/** The file and position of a mutable default argument (AGT401, which has a safe fix). */
function findLintTarget(/** @type {string} */ root) {
  const files = options["lint-file"] ? [options["lint-file"]] : pythonFiles(root);
  for (const file of files) {
    const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n");
    for (const [index, line] of lines.entries()) {
      const match = MUTABLE_DEFAULT.exec(line);
      if (match && match[1]) {
        return { file, line: index + 1, column: line.indexOf(match[1]) + 1, text: line };
      }
    }
  }
  throw new Error(`no function with a mutable default argument (def f(x=[])) in ${files.join(", ") || root}`);
}

const EXAMPLE_COMMENT = /^\s*#\s*agentsense:\s*example\b(.*)$/;

/** `# agentsense: example city="Paris" days=2` -> {city: "Paris", days: 2} (values as JSON,
 *  else as text). */
function parseExample(/** @type {string} */ text) {
  /** @type {Record<string, string>} */
  const values = {};
  for (const match of text.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/g)) {
    const [, key, raw] = match;
    if (!key || raw === undefined) continue;
    values[key] = raw.startsWith("'") ? raw.slice(1, -1) : raw.startsWith('"') ? JSON.parse(raw) : raw;
  }
  return values;
}

/** Whether `agentsense check` finds nothing in a file (a tool in a clean file imports and runs).
 *  Unknown (no CLI in the interpreter) counts as clean. */
function lintsClean(/** @type {string} */ python, /** @type {string} */ file) {
  try {
    execFileSync(python, ["-m", "agentsense", "check", "--quiet", file], {
      cwd: path.dirname(file), // its cache goes into the workspace copy
      stdio: "ignore",
      timeout: 30_000,
    });
    return true;
  } catch (error) {
    // 1: findings. Anything else (2: an error, or Python failing to start the command) must
    // not pass for either answer: it once made every file look unclean, silently.
    const status = /** @type {{ status?: number | null }} */ (error).status;
    if (status === 1) return false;
    throw new Error(`agentsense check ${file} failed to run (exit status ${status})`);
  }
}

/** The tool to run from its lens: the first `@tool` registration, preferring one with
 *  `# agentsense: example` arguments above it in a file that lints clean. */
function findToolTarget(/** @type {string} */ root, /** @type {string} */ python) {
  const files = options["tool-file"] ? [options["tool-file"]] : pythonFiles(root);
  /** @type {{ file: string, line: number, name: string, example: Record<string, string>, hasExample: boolean, clean: boolean }[]} */
  const found = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n");
    let example = /** @type {Record<string, string> | undefined} */ (undefined);
    let fileClean = /** @type {boolean | undefined} */ (undefined);
    for (const [index, line] of lines.entries()) {
      const comment = EXAMPLE_COMMENT.exec(line);
      if (comment) {
        example = parseExample(comment[1] ?? "");
        continue;
      }
      if (/^@tool\b/.test(line)) {
        fileClean ??= options["tool-file"] ? true : lintsClean(python, path.join(root, file));
        const explicit = /\bname\s*=\s*["']([^"']+)["']/.exec(line)?.[1];
        const defined = lines.slice(index).map((l) => /^\s*(?:async\s+)?def\s+(\w+)/.exec(l)?.[1]).find(Boolean);
        const name = explicit ?? defined ?? "";
        found.push({ file, line: index + 1, name, example: example ?? {}, hasExample: example !== undefined, clean: fileClean });
      }
      if (line.trim() !== "" && !line.trim().startsWith("#")) example = undefined;
    }
  }
  const rank = (/** @type {(typeof found)[number]} */ t) => (t.clean ? 0 : 2) + (t.hasExample ? 0 : 1);
  const best = [...found].sort((a, b) => rank(a) - rank(b))[0];
  if (!best) {
    throw new Error(`no @tool registration in ${files.join(", ") || root}`);
  }
  return best;
}

// -- the workbench -------------------------------------------------------------------------------

/** @typedef {import("puppeteer-core").Page} Page */

/** @param {Page} page @param {string} name */
async function screenshot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: /** @type {`${string}.png`} */ (file) });
  currentShots.push(path.relative(REPO_ROOT, file));
  log(`screenshot ${path.relative(REPO_ROOT, file)}`);
}

/** @param {Page} page @param {string} key */
async function chord(page, key, modifiers = ["Control"]) {
  for (const modifier of modifiers) await page.keyboard.down(/** @type {any} */ (modifier));
  await page.keyboard.press(/** @type {any} */ (key));
  for (const modifier of [...modifiers].reverse()) await page.keyboard.up(/** @type {any} */ (modifier));
}

/** The visible quick input (quick open, go to line, command palette, input boxes), or null. */
const QUICK_INPUT_VISIBLE = () => {
  const widget = document.querySelector(".quick-input-widget");
  return widget instanceof HTMLElement && widget.style.display !== "none" && widget.offsetParent !== null;
};

/** @param {Page} page */
async function quickInputVisible(page) {
  return page.evaluate(QUICK_INPUT_VISIBLE);
}

/** Opens a workspace file with Quick Open (Ctrl+P). @param {Page} page @param {string} relative */
async function openFile(page, relative) {
  const base = path.basename(relative);
  await page.click(".monaco-workbench .part.editor");
  await chord(page, "KeyP");
  await waitFor("the Quick Open box", () => quickInputVisible(page), 10_000);
  await page.keyboard.type(relative);
  // The list first shows recently opened files, then the search results: wait until the
  // selected row is the file, so Enter does not open whatever was first before.
  await waitFor(`${relative} selected in Quick Open`, () =>
    page.evaluate((name, typed) => {
      const input = document.querySelector(".quick-input-widget input");
      const focused = document.querySelector(".quick-input-widget .monaco-list-row.focused");
      return input instanceof HTMLInputElement && input.value === typed && !!focused && (focused.textContent ?? "").includes(name);
    }, base, relative),
  );
  await sleep(200);
  const selected = await page.evaluate(() => document.querySelector(".quick-input-widget .monaco-list-row.focused")?.textContent ?? "");
  if (!selected.includes(base)) fail(`Quick Open selected "${selected}" instead of ${relative}`);
  await page.keyboard.press("Enter");
  await waitFor(`the editor tab of ${relative}`, () =>
    page.evaluate((name, notebook) => {
      const tab = document.querySelector(".tabs-container .tab.active");
      // A notebook opens in the notebook editor, whose cells are editors of their own.
      const editor = document.querySelector(notebook ? ".notebook-editor .monaco-editor .view-lines" : ".editor-instance .monaco-editor .view-lines");
      return !!tab && (tab.textContent ?? "").includes(name) && !!editor;
    }, base, relative.endsWith(".ipynb")),
  );
}

/** Moves the cursor with Go to Line (Ctrl+G, "line:column"). @param {Page} page */
async function goTo(page, /** @type {number} */ line, /** @type {number} */ column) {
  await chord(page, "KeyG");
  await waitFor("the Go to Line box", () => quickInputVisible(page), 10_000);
  await page.keyboard.type(`${line}:${column}`);
  await sleep(150);
  await page.keyboard.press("Enter");
  await waitFor("Go to Line to close", async () => !(await quickInputVisible(page)), 10_000);
}

/** Types `name` into the open quick-pick and waits until its row is there and selected. The
 *  list is virtual (only the rows on screen exist in the page), so it is filtered first.
 *  @param {Page} page */
async function selectInQuickPick(page, /** @type {string} */ name, /** @type {string} */ where) {
  await page.keyboard.type(name);
  await waitFor(`${name} among ${where}`, () =>
    page.evaluate(
      (wanted) => [...document.querySelectorAll(".quick-input-widget .monaco-list-row")].some((r) => (r.textContent ?? "").includes(wanted)),
      name,
    ),
  );
  await waitFor(`${name} selected in the quick-pick`, () =>
    page.evaluate((wanted) => (document.querySelector(".quick-input-widget .monaco-list-row.focused")?.textContent ?? "").includes(wanted), name),
  );
}

/** Runs a command by its title from the command palette (F1). @param {Page} page */
async function runCommand(page, /** @type {string} */ title) {
  await page.keyboard.press("F1");
  await waitFor("the command palette", () => quickInputVisible(page), 10_000);
  await page.keyboard.type(title);
  await waitFor(`"${title}" in the command palette`, () =>
    page.evaluate((wanted) => {
      const rows = [...document.querySelectorAll(".quick-input-widget .monaco-list-row")];
      return rows.some((row) => (row.getAttribute("aria-label") ?? row.textContent ?? "").includes(wanted));
    }, title),
  );
  await page.keyboard.press("Enter");
}

/** The agentsense status bar item: its text and codicon. @param {Page} page */
async function statusItem(page) {
  return page.evaluate(() => {
    for (const item of document.querySelectorAll(".part.statusbar .statusbar-item")) {
      const text = (item.textContent ?? "").trim();
      if (/agentsense/.test(text)) {
        const icon = item.querySelector(".codicon");
        const iconClass = icon ? [...icon.classList].find((c) => c.startsWith("codicon-") && c !== "codicon-modifier-spin") : undefined;
        return { text, icon: iconClass ?? "" };
      }
    }
    return null;
  });
}

/** The active editor's text, from the rendered lines (only those on screen). @param {Page} page */
async function visibleEditorText(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll(".editor-instance .monaco-editor .view-lines .view-line")];
    return lines
      .map((line) => ({ top: parseFloat(/** @type {HTMLElement} */ (line).style.top || "0"), text: (line.textContent ?? "").replace(/\u00a0/g, " ") }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text)
      .join("\n");
  });
}

/** Where the "Run tool" lens of the registration at `line` (1-based) is on screen: the lens
 * right above that line (within two line heights), or null while there is none.
 * @param {Page} page @param {number} line */
async function runToolLens(page, line) {
  return page.evaluate((/** @type {number} */ wanted) => {
    const number = [...document.querySelectorAll(".editor-instance .monaco-editor .margin-view-overlays .line-numbers")].find(
      (n) => (n.textContent ?? "").trim() === String(wanted),
    );
    if (!number) return null;
    const lineBox = number.getBoundingClientRect();
    let best = /** @type {{ x: number, y: number, text: string } | null} */ (null);
    let bestTop = Number.NEGATIVE_INFINITY;
    for (const link of document.querySelectorAll(".editor-instance .monaco-editor .codelens-decoration a")) {
      if (!/Run tool/i.test(link.textContent ?? "")) continue;
      const box = link.getBoundingClientRect();
      if (box.top < lineBox.top && box.top > bestTop && lineBox.top - box.top < 2.5 * Math.max(lineBox.height, 10)) {
        best = { x: box.left + box.width / 2, y: box.top + box.height / 2, text: (link.textContent ?? "").trim() };
        bestTop = box.top;
      }
    }
    return best;
  }, line);
}

/** Clicks the Run tool lens of the registration at `line` and checks that the tool it asks
 * arguments for is `name` (lenses are re-rendered as the server refreshes them, so a click can
 * land on another one: then it is cancelled and tried again). Returns the lens text.
 * @param {Page} page @param {number} line @param {string} name */
async function clickRunToolLens(page, line, name) {
  for (let attempt = 1; ; attempt++) {
    const lens = await waitFor(`a "Run tool" code lens right above line ${line}`, () => runToolLens(page, line));
    await sleep(300); // let a lens refresh under way settle
    const settled = await runToolLens(page, line);
    if (!settled || Math.abs(settled.y - lens.y) > 1) continue;
    await page.mouse.click(settled.x, settled.y);
    const title = await waitFor("the first argument prompt or a result", async () => {
      const text = await page.evaluate(() => {
        const widget = document.querySelector(".quick-input-widget");
        const visible = widget instanceof HTMLElement && widget.style.display !== "none" && widget.offsetParent !== null;
        return visible ? (widget.querySelector(".quick-input-title")?.textContent ?? "") : "";
      });
      if (/^Run tool/.test(text)) return text;
      return (await toolResultDecoration(page)) ? "(no prompt)" : null;
    }, 10_000);
    if (title === "(no prompt)" || title.startsWith(`Run tool ${name} `)) {
      return settled.text;
    }
    if (attempt >= 4) fail(`the lens above line ${line} runs "${title}", not ${name}`);
    log(`  the click ran "${title}", not ${name}: cancelled, trying again`);
    await page.keyboard.press("Escape");
    await sleep(1000);
  }
}

/** Answers the "Run tool" argument prompts: the default when prefilled, else the value from
 * the `# agentsense: example` comment, else a value of the asked type. Returns "name=value"s.
 * Fails when a prompt is for another tool than `tool`.
 * @param {Page} page @param {Record<string, string>} example @param {string} shot @param {string} tool */
async function answerToolPrompts(page, example, shot, tool) {
  /** @type {string[]} */
  const answered = [];
  const deadline = Date.now() + 8_000;
  while (Date.now() < deadline && answered.length < 12) {
    const prompt = await page.evaluate(() => {
      const widget = document.querySelector(".quick-input-widget");
      if (!(widget instanceof HTMLElement) || widget.offsetParent === null) return null;
      const title = widget.querySelector(".quick-input-title")?.textContent ?? "";
      const message = widget.querySelector(".quick-input-message")?.textContent ?? "";
      const input = widget.querySelector("input");
      return { title, message, value: input instanceof HTMLInputElement ? input.value : "" };
    });
    if (!prompt || !/^Run tool/.test(prompt.title)) {
      if (answered.length > 0) break;
      await sleep(250);
      continue;
    }
    if (answered.length === 0) await screenshot(page, shot);
    if (!prompt.title.startsWith(`Run tool ${tool} `)) fail(`the prompt "${prompt.title}" is not for ${tool}`);
    const name = /^\s*(\w+):/.exec(prompt.message)?.[1] ?? "";
    const type = /^\s*\w+:\s*(\w+)/.exec(prompt.message)?.[1] ?? "any";
    let value = prompt.value;
    const fromExample = example[name];
    if (!value && fromExample !== undefined) {
      value = fromExample;
      await page.keyboard.type(value);
    } else if (!value) {
      value = { string: "hello world", integer: "2", number: "1.5", boolean: "true", array: "[]", object: "{}" }[type] ?? '"hello"';
      await page.keyboard.type(value);
    }
    answered.push(`${name}=${value}`);
    await page.keyboard.press("Enter");
    await sleep(300);
  }
  return answered;
}

/** A notification toast's button whose label contains `label`, once one is on screen.
 *  @param {Page} page @param {string} label */
async function notificationButton(page, label) {
  return waitFor(`the notification's "${label}" button`, async () => {
    for (const candidate of await page.$$(".notifications-toasts .notification-toast .monaco-button")) {
      if ((await candidate.evaluate((b) => b.textContent ?? "")).includes(label)) return candidate;
    }
    return null;
  });
}

/** Texts of the notification toasts on screen. @param {Page} page */
async function notifications(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".notifications-toasts .notification-toast")].map((t) => (t.textContent ?? "").trim()),
  );
}

/** Whether an inline "Run tool" result (✔/✘ decoration) is in the active editor. @param {Page} page */
async function toolResultDecoration(page) {
  return page.evaluate(() => {
    for (const span of document.querySelectorAll(".editor-instance .monaco-editor .view-lines span")) {
      const content = getComputedStyle(span, "::after").content;
      if (content && /[✔✘]/.test(content)) return content.replace(/^["']|["']$/g, "").trim();
    }
    return null;
  });
}

// -- main ----------------------------------------------------------------------------------------

async function main() {
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });

  const sourceWorkspace = path.resolve(/** @type {string} */ (options.workspace));
  if (!fs.existsSync(sourceWorkspace)) throw new Error(`workspace ${sourceWorkspace} does not exist`);
  const vsix = path.resolve(/** @type {string} */ (options.vsix));
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run npm run package first`);
  const chromium = /** @type {string} */ (options.chromium);
  if (!fs.existsSync(chromium)) throw new Error(`no Chromium at ${chromium} (apt-get install chromium)`);
  const codeServer = findCodeServer();
  const python = options.python ?? defaultPython();

  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "agentsense-vscode-e2e-"));
  const workspace = path.join(temp, path.basename(sourceWorkspace) || "workspace");
  fs.cpSync(sourceWorkspace, workspace, {
    recursive: true,
    filter: (src) => !/(^|[\\/])(__pycache__|\.agentsense_cache|\.mypy_cache|\.ruff_cache)$/.test(src),
  });
  const lintTarget = findLintTarget(workspace);
  const toolTarget = findToolTarget(workspace, python);
  const toolFile = toolTarget.file;
  log(`workspace copy ${workspace}; lint target ${lintTarget.file}:${lintTarget.line}; tool ${toolFile}:${toolTarget.line}`);

  const dirs = Object.fromEntries(
    ["user-data", "extensions", "home", "xdg-config", "xdg-data", "xdg-cache", "xdg-state", "chromium"].map((name) => {
      const dir = path.join(temp, name);
      fs.mkdirSync(dir, { recursive: true });
      return [name, dir];
    }),
  );
  /** @type {Record<string, unknown>} */
  const userSettings = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "security.workspace.trust.enabled": !options["skip-trust"],
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.emptyWindow": false,
    "extensions.ignoreRecommendations": true,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "git.enabled": false,
    "files.autoSave": "off",
    "editor.codeLens": true,
    "editor.minimap.enabled": false,
    "editor.lightbulb.enabled": "off",
    "chat.commandCenter.enabled": false,
    "workbench.colorTheme": "Default Dark Modern",
    "agentsense.trace.server": "messages",
    // The e2e types JSON into settings.json: no auto-closing or formatting in its way.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoIndent": "none",
    "editor.formatOnType": false,
    "editor.formatOnPaste": false,
  };
  if (options["server-command"]) {
    userSettings["agentsense.path"] = JSON.parse(options["server-command"]);
  } else {
    userSettings["agentsense.interpreter"] = [python];
  }
  fs.mkdirSync(path.join(dirs["user-data"], "User"), { recursive: true });
  fs.writeFileSync(path.join(dirs["user-data"], "User", "settings.json"), JSON.stringify(userSettings, null, 2));

  const env = {
    ...process.env,
    HOME: dirs["home"],
    XDG_CONFIG_HOME: dirs["xdg-config"],
    XDG_DATA_HOME: dirs["xdg-data"],
    XDG_CACHE_HOME: dirs["xdg-cache"],
    XDG_STATE_HOME: dirs["xdg-state"],
  };
  const common = ["--config", "/dev/null", "--user-data-dir", dirs["user-data"], "--extensions-dir", dirs["extensions"]];
  log(`installing ${path.relative(REPO_ROOT, vsix)} into code-server`);
  execFileSync(codeServer, [...common, "--install-extension", vsix, "--force"], { env, stdio: ["ignore", "pipe", "pipe"] });

  const port = await freePort();
  const serverLog = fs.openSync(path.join(artifacts, "code-server.log"), "w");
  const server = spawn(
    codeServer,
    [
      ...common,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      ...(options["skip-trust"] ? ["--disable-workspace-trust"] : []),
      "--disable-getting-started-override",
      workspace,
    ],
    { env, detached: true, stdio: ["ignore", serverLog, serverLog] },
  );
  /** @type {import("puppeteer-core").Browser | undefined} */
  let browser;
  /** @type {Page | undefined} */
  let page;
  let failed = false;

  const cleanup = () => {
    try {
      if (server.pid) process.kill(-server.pid, "SIGTERM"); // its whole process group (setsid)
    } catch {
      /* already gone */
    }
  };
  process.on("exit", cleanup);

  /** Runs one step; on failure records it, takes a screenshot and rethrows.
   * @param {string} name @param {() => Promise<string>} body */
  const step = async (name, body) => {
    const started = Date.now();
    currentShots = [];
    log(`step: ${name}`);
    try {
      const detail = await body();
      steps.push({ name, ok: true, seconds: (Date.now() - started) / 1000, detail, screenshots: currentShots });
      log(`  passed: ${detail}`);
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      if (page) {
        try {
          await screenshot(page, `failure-${name}`);
        } catch {
          /* the page is gone */
        }
      }
      steps.push({ name, ok: false, seconds: (Date.now() - started) / 1000, detail: message, screenshots: currentShots });
      log(`  FAILED: ${message}`);
      throw error;
    }
  };

  try {
    await step("code-server", async () => {
      await waitFor("code-server /healthz", async () => {
        if (server.exitCode !== null) fail(`code-server exited with status ${server.exitCode}; see code-server.log`);
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return response.ok;
      }, 60_000);
      return `listening on 127.0.0.1:${port}`;
    });

    await step("workbench", async () => {
      browser = await puppeteer.launch({
        executablePath: chromium,
        headless: true,
        userDataDir: dirs["chromium"],
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900", "--no-first-run"],
        defaultViewport: { width: 1400, height: 900 },
      });
      page = await browser.newPage();
      const opened = page;
      await opened.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: "domcontentloaded" });
      await waitFor("the workbench", () => opened.evaluate(() => !!document.querySelector(".monaco-workbench .part.editor")), 60_000);
      await waitFor("the explorer to list the workspace", () =>
        opened.evaluate(() => document.querySelectorAll(".explorer-folders-view .monaco-list-row").length > 0),
      );
      return "workbench loaded with the workspace folder";
    });
    const p = /** @type {Page} */ (page);

    await step("squiggle-and-problem", async () => {
      await openFile(p, lintTarget.file);
      await waitFor("the agentsense status bar item", () => statusItem(p));
      const status = await waitFor("the server to be ready (status bar)", async () => {
        const item = await statusItem(p);
        if (item?.icon === "codicon-error") fail(`the status bar says the server failed: "${item.text}" (see agentsense-output.log)`);
        return item?.icon === "codicon-check" ? item : null;
      }, 60_000);
      await goTo(p, lintTarget.line, lintTarget.column); // the squiggle's line on screen
      await waitFor("a squiggle in the editor", () =>
        p.evaluate(() => document.querySelectorAll(".editor-instance .monaco-editor [class*='squiggly-']").length > 0),
      );
      await screenshot(p, "01-squiggle");
      await chord(p, "KeyM", ["Control", "Shift"]);
      const entry = await waitFor("a Problems entry with an AGT code", () =>
        p.evaluate(() => {
          const rows = [...document.querySelectorAll(".markers-panel .monaco-list-row")];
          const row = rows.find((r) => /AGT\d{3}/.test(r.textContent ?? ""));
          return row ? (row.textContent ?? "").trim() : null;
        }),
      );
      const withCount = await waitFor("the finding count in the status bar", async () => {
        const item = await statusItem(p);
        return item && /agentsense\s+[1-9]\d*/.test(item.text) ? item.text : null;
      });
      await screenshot(p, "02-problems");
      return `status "${status.text}" -> "${withCount}"; problem: ${entry.slice(0, 160)}`;
    });

    if (!options["skip-trust"]) {
      await step("untrusted-no-tool-run", async () => {
        const restricted = await p.evaluate(() => /Restricted Mode/i.test(document.querySelector(".part.statusbar")?.textContent ?? ""));
        if (!restricted) fail("the workspace is not in Restricted Mode: the trust check cannot run");
        await openFile(p, toolFile);
        await goTo(p, toolTarget.line, 1);
        const lens = await waitFor("a Run tool lens (or none, when the server hides it)", () => runToolLens(p, toolTarget.line), 5_000).catch(
          () => null,
        );
        let how = "the lens";
        if (lens) {
          await p.mouse.click(lens.x, lens.y);
        } else {
          // The server shows no lens while untrusted; the extension's own refusal is then
          // reached through "agentsense: Run Tool…".
          how = "no lens from the server; Run Tool…";
          await runCommand(p, "agentsense: Run Tool");
          await waitFor("the Run Tool quick-pick with its tools", () =>
            p.evaluate(() => {
              const widget = document.querySelector(".quick-input-widget");
              if (!/Run Tool/.test(widget?.querySelector(".quick-input-title")?.textContent ?? "")) return false;
              return (widget?.querySelectorAll(".monaco-list-row").length ?? 0) > 0;
            }),
          );
          await selectInQuickPick(p, toolTarget.name, "the Run Tool quick-pick");
          await p.keyboard.press("Enter");
        }
        const refusal = await waitFor("the extension to refuse to run the tool", async () => {
          if (await toolResultDecoration(p)) fail("a tool ran in an untrusted workspace");
          const prompt = await p.evaluate(() => document.querySelector(".quick-input-widget .quick-input-title")?.textContent ?? "");
          if ((await quickInputVisible(p)) && /Run tool/.test(prompt)) fail("the Run tool lens asked for arguments in an untrusted workspace");
          return (await notifications(p)).find((text) => /untrusted/i.test(text));
        }, 10_000);
        await sleep(1000);
        if (await toolResultDecoration(p)) fail("a tool ran in an untrusted workspace");
        await screenshot(p, "03-untrusted-run-refused");
        return `untrusted, ${how}: "${refusal.replace(/\s+/g, " ").slice(0, 140)}"`;
      });

      await step("grant-trust", async () => {
        await runCommand(p, "Workspaces: Manage Workspace Trust");
        const button = await waitFor("the Trust button of the Workspace Trust editor", async () => {
          const buttons = await p.$$(".workspace-trust-editor .monaco-button");
          for (const candidate of buttons) {
            const text = await candidate.evaluate((b) => (b.textContent ?? "").trim());
            const visible = await candidate.evaluate((b) => b instanceof HTMLElement && b.offsetParent !== null);
            if (visible && /^Trust\b/.test(text)) return candidate;
          }
          return null;
        });
        await button.click();
        await waitFor("Restricted Mode to end", () =>
          p.evaluate(() => !/Restricted Mode/i.test(document.querySelector(".part.statusbar")?.textContent ?? "")),
        );
        // The extension restarts the server on trust; wait for it to be ready again.
        await sleep(500);
        const status = await waitFor("the server to be ready after trust", async () => {
          const item = await statusItem(p);
          if (item?.icon === "codicon-error") fail(`the server failed after trust: "${item.text}"`);
          return item?.icon === "codicon-check" ? item : null;
        });
        await screenshot(p, "04-trusted");
        await chord(p, "KeyW"); // close the trust editor
        return `trusted; status "${status.text}"`;
      });
    }

    await step("quick-fix", async () => {
      await openFile(p, lintTarget.file);
      const before = fs.readFileSync(path.join(workspace, lintTarget.file), "utf8");
      await p.click(".editor-instance .monaco-editor .view-lines");
      await goTo(p, lintTarget.line, lintTarget.column);
      /** @type {string[]} */
      let offered = [];
      for (let attempt = 1; attempt <= 6 && offered.length === 0; attempt++) {
        await sleep(500); // let the editor settle: code actions asked before diagnostics are empty
        await chord(p, "Period");
        offered = await waitFor("the quick fix menu", () =>
          p.evaluate(() => {
            const widget = document.querySelector(".action-widget");
            if (!(widget instanceof HTMLElement) || widget.offsetParent === null) return null;
            const rows = [...widget.querySelectorAll(".monaco-list-row.action")];
            return rows.map((row) => (row.getAttribute("aria-label") ?? row.textContent ?? "").trim());
          }),
          5_000,
        ).catch(() => /** @type {string[]} */ ([]));
        if (offered.length === 0) await p.keyboard.press("Escape");
      }
      if (offered.length === 0) fail("Ctrl+. offered no code actions at the mutable default");
      await screenshot(p, "05-quick-fix-menu");
      const index = offered.findIndex((title) => /AGT401|mutable|None/i.test(title) && !/disable|ignore|noqa|suppress/i.test(title));
      const chosen = index >= 0 ? index : offered.findIndex((title) => !/disable|ignore|noqa|suppress|fix all/i.test(title));
      if (chosen < 0) fail(`no fix among the code actions: ${offered.join(" | ")}`);
      const rows = await p.$$(".action-widget .monaco-list-row.action");
      const row = rows[chosen];
      if (!row) fail("the chosen code action row disappeared");
      await row.click();
      await waitFor("the fix to change the line", async () => {
        const text = await visibleEditorText(p);
        return !text.includes(lintTarget.text.trim());
      }, 15_000);
      await chord(p, "KeyS");
      const after = await waitFor("the fixed file on disk", async () => {
        const text = fs.readFileSync(path.join(workspace, lintTarget.file), "utf8");
        return text !== before ? text : null;
      }, 15_000);
      const fixedLine = after.split("\n")[lintTarget.line - 1] ?? "";
      if (MUTABLE_DEFAULT.test(fixedLine)) fail(`the line still has a mutable default after the fix: ${fixedLine}`);
      await screenshot(p, "06-fixed");
      return `"${offered[chosen]}" applied; line ${lintTarget.line} now: ${fixedLine.trim()}`;
    });


    await step("fix-all", async () => {
      // Undo the quick fix (the mutable default is back, unsaved), then "agentsense: Fix All".
      const target = lintTarget.text.trim();
      await chord(p, "KeyZ");
      await waitFor("the undo to bring the mutable default back", async () => (await visibleEditorText(p)).includes(target), 10_000);
      await sleep(800); // the server lints the new version before Fix All asks for its fixes
      await runCommand(p, "agentsense: Fix All");
      await waitFor('"agentsense: Fix All" to fix the line again', async () => !(await visibleEditorText(p)).includes(target), 20_000);
      await chord(p, "KeyS");
      const saved = await waitFor("the file fixed on disk again", async () => {
        const line = fs.readFileSync(path.join(workspace, lintTarget.file), "utf8").split("\n")[lintTarget.line - 1] ?? "";
        return MUTABLE_DEFAULT.test(line) ? null : line;
      }, 20_000); // the save waits for code actions on save: slow on a loaded machine
      await screenshot(p, "07-fix-all");
      return `line ${lintTarget.line} after Fix All: ${saved.trim()}`;
    });

    await step("run-tool-lens", async () => {
      await openFile(p, toolFile);
      await goTo(p, toolTarget.line, 1);
      await waitFor('a "Run tool" code lens above the registration', () => runToolLens(p, toolTarget.line));
      await screenshot(p, "08-run-tool-lens");
      const lens = await clickRunToolLens(p, toolTarget.line, toolTarget.name);
      const answered = await answerToolPrompts(p, toolTarget.example, "09-argument-prompt", toolTarget.name);
      const decoration = await waitFor("the tool result decoration", () => toolResultDecoration(p), 30_000);
      await screenshot(p, "10-tool-result");
      if (!decoration.startsWith("✔") && !/^✘ exception:/.test(decoration)) {
        fail(`the tool did not run: ${decoration}`);
      }
      await runCommand(p, "agentsense: Show Output");
      const resultLine = new RegExp(`Run tool ${toolTarget.name}\\(.*\\) -> (ok|error)`);
      // On screen when the output panel shows it (a long error scrolls it away), else in the
      // channel's log file, which is what the panel shows.
      const outputLine = await waitFor("the result in the agentsense output channel", async () => {
        const onScreen = await p.evaluate((pattern) => {
          const lines = [...document.querySelectorAll(".part.panel .monaco-editor .view-lines .view-line")];
          return lines.map((l) => (l.textContent ?? "").replace(/\u00a0/g, " ")).find((t) => new RegExp(pattern).test(t)) ?? null;
        }, resultLine.source);
        return onScreen ?? channelLog(dirs["user-data"]).split("\n").find((l) => resultLine.test(l)) ?? null;
      });
      await screenshot(p, "11-output-channel");
      return `lens "${lens}"; answered ${answered.join(", ") || "no prompts"}; decoration "${decoration}"; output: ${outputLine.trim()}`;
    });

    await step("run-tool-quick-pick", async () => {
      // An edit (typed, then undone) makes the lens run's result stale, so the decoration seen
      // after the quick-pick run is this run's.
      // The previous step left the focus in the output panel: put it back in the editor
      // first, or the keystrokes land in the (read-only) panel and nothing goes stale.
      await p.click(".editor-instance .monaco-editor .view-lines");
      await goTo(p, 1, 1);
      await p.keyboard.type("x");
      await chord(p, "KeyZ");
      await waitFor("the previous result decoration to go", async () => !(await toolResultDecoration(p)), 20_000);
      await runCommand(p, "View: Close All Editors");
      await runCommand(p, "agentsense: Run Tool");
      const offered = await waitFor("the workspace's tools in the Run Tool quick-pick", () =>
        p.evaluate(() => {
          const widget = document.querySelector(".quick-input-widget");
          if (!(widget instanceof HTMLElement) || widget.offsetParent === null) return null;
          if (!/Run Tool/.test(widget.querySelector(".quick-input-title")?.textContent ?? "")) return null;
          const rows = [...widget.querySelectorAll(".monaco-list-row")].map((r) => (r.textContent ?? "").trim());
          return rows.length > 0 ? rows : null;
        }),
      );
      await selectInQuickPick(p, toolTarget.name, `the tools offered (${offered.length} rows shown before filtering)`);
      await screenshot(p, "12-run-tool-quick-pick");
      await p.keyboard.press("Enter");
      const answered = await answerToolPrompts(p, toolTarget.example, "13-quick-pick-prompt", toolTarget.name);
      await waitFor(`${toolFile} to be shown`, () =>
        p.evaluate((base) => (document.querySelector(".tabs-container .tab.active")?.textContent ?? "").includes(base), path.basename(toolFile)),
      );
      const decoration = await waitFor("the tool result decoration", () => toolResultDecoration(p), 30_000);
      await screenshot(p, "14-quick-pick-result");
      if (!decoration.startsWith("✔") && !/^✘ exception:/.test(decoration)) fail(`the tool did not run: ${decoration}`);
      return `offered ${offered.length} tool(s); ran ${toolTarget.name}; answered ${answered.join(", ") || "no prompts"}; decoration "${decoration}"`;
    });

    await step("notebook-diagnostics", async () => {
      // A Jupyter notebook: the server gets it through notebookDocument sync and puts each
      // finding on its cell (the mutable default in the notebook's third cell).
      await openFile(p, "agent/prototype.ipynb");
      const count = await waitFor(
        "a squiggle in a notebook cell",
        () => p.evaluate(() => document.querySelectorAll(".notebook-editor .squiggly-warning").length || null),
        60_000,
      );
      await screenshot(p, "14b-notebook");
      return `${count} squiggle(s) in the notebook's cells`;
    });

    await step("not-installed-notification", async () => {
      // An interpreter without agentsense (a bare virtualenv): the extension restarts the server
      // on the settings change, cannot start it, and says what to run.
      const bare = path.join(temp, "bare-venv");
      execFileSync(python, ["-m", "venv", bare], { stdio: "ignore", timeout: 120_000 });
      const barePython = path.join(bare, "bin", "python");
      // Its dependencies (not agentsense) are there already, so step 8's install needs no index:
      // a folder of links to this interpreter's packages, less agentsense, on its path.
      const purelib = (/** @type {string} */ py) =>
        execFileSync(py, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();
      const source = purelib(python);
      const deps = path.join(temp, "bare-deps");
      fs.mkdirSync(deps);
      for (const name of fs.readdirSync(source)) {
        if (/^(agentsense|__editable__|_?pip\b|pip-|setuptools)/i.test(name)) continue;
        fs.symlinkSync(path.join(source, name), path.join(deps, name));
      }
      fs.writeFileSync(path.join(purelib(barePython), "agentsense-e2e-deps.pth"), deps + "\n");
      // Changed as a user does, in the user settings.json editor (code-server does not notice
      // the file changing on disk).
      /** @type {Record<string, unknown>} */
      const settings = { ...userSettings, "agentsense.interpreter": [barePython] };
      delete settings["agentsense.path"];
      await runCommand(p, "Preferences: Open User Settings (JSON)");
      await waitFor("the user settings.json editor", () =>
        p.evaluate(() => /settings\.json/.test(document.querySelector(".tabs-container .tab.active")?.textContent ?? "")),
      );
      await p.click(".editor-instance .monaco-editor .view-lines");
      await chord(p, "KeyA");
      await p.keyboard.press("Delete"); // typing over a selection would surround it with {}
      await p.keyboard.sendCharacter(JSON.stringify(settings, null, 2));
      await chord(p, "KeyS");
      const toast = await waitFor("a notification saying how to install agentsense", async () =>
        (await notifications(p)).find((text) => text.includes("pip install agentsense")),
      );
      if (!toast.includes(`${barePython} -m pip install agentsense`)) fail(`the notification does not name the interpreter: ${toast}`);
      // The toast can show a moment before the status item turns (a queued restart).
      await waitFor("the status bar showing the error", async () => (await statusItem(p))?.icon === "codicon-error", 30_000);
      await screenshot(p, "15-not-installed");
      const button = await notificationButton(p, "Show Output");
      await button.click();
      await waitFor("the output channel with the error", () =>
        p.evaluate(() =>
          [...document.querySelectorAll(".part.panel .monaco-editor .view-lines .view-line")].some((l) =>
            /is not installed in/.test((l.textContent ?? "").replace(/\u00a0/g, " ")),
          ),
        ),
      );
      await screenshot(p, "16-not-installed-output");
      return toast.replace(/\s+/g, " ").slice(0, 200);
    });

    await step("install-bundled-wheel", async () => {
      // "Show Output" closed the notification: a restart brings it back.
      await runCommand(p, "agentsense: Restart Server");
      const install = await notificationButton(p, "Install into");
      await install.click();
      await waitFor("the server started from the interpreter it was installed into", async () => (await statusItem(p))?.icon === "codicon-check", 120_000);
      const log = channelLog(dirs["user-data"]);
      if (!/Installing the bundled agentsense: .*bundled\/agentsense-[^ ]+-py3-none-any\.whl/.test(log)) {
        fail("the output channel does not show the bundled wheel being installed");
      }
      await screenshot(p, "17-installed-and-ready");
      return "installed the bundled wheel; the server is ready";
    });
  } catch (error) {
    failed = true;
    if (!(error instanceof StepFailure) && !steps.some((s) => !s.ok)) {
      steps.push({ name: "setup", ok: false, seconds: 0, detail: String(error), screenshots: [] });
    }
  } finally {
    collectLogs(dirs["user-data"]);
    if (browser) await browser.close().catch(() => undefined);
    cleanup();
    fs.closeSync(serverLog);
    if (!options.keep) fs.rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
  }
  const summary = {
    ok: !failed,
    seconds: (Date.now() - startedAt) / 1000,
    workspace: sourceWorkspace,
    lintTarget: `${lintTarget.file}:${lintTarget.line}`,
    toolTarget: `${toolFile}:${toolTarget.line}`,
    steps,
  };
  fs.writeFileSync(path.join(artifacts, "result.json"), JSON.stringify(summary, null, 2));
  if (failed) {
    const failure = steps.find((s) => !s.ok);
    log(`FAILED at step "${failure?.name}": ${failure?.detail}`);
    log(`screenshots and logs: ${path.relative(process.cwd(), artifacts) || artifacts}`);
    const output = path.join(artifacts, "agentsense-output.log");
    if (fs.existsSync(output)) {
      process.stderr.write(`--- agentsense output channel (last 40 lines) ---\n${fs.readFileSync(output, "utf8").split("\n").slice(-40).join("\n")}\n`);
    }
    process.exitCode = 1;
  } else {
    log(`all ${steps.length} steps passed in ${summary.seconds.toFixed(1)} s; screenshots in ${artifacts}`);
  }
}

/** The agentsense output channel's content, from its log file ("" before it exists). */
function channelLog(/** @type {string} */ userData) {
  const logs = path.join(userData, "logs");
  if (!fs.existsSync(logs)) return "";
  /** @param {string} dir @returns {string[]} */
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return walk(logs)
    .filter((file) => /agentsense\.log$/.test(path.basename(file)))
    .map((file) => fs.readFileSync(file, "utf8"))
    .join("\n");
}

/** Copies the extension's output channel and the extension host log into the artifacts. */
function collectLogs(/** @type {string} */ userData) {
  const logs = path.join(userData, "logs");
  if (!fs.existsSync(logs)) return;
  /** @param {string} dir @returns {string[]} */
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(logs)) {
    const name = path.basename(file);
    if (/agentsense\.log$/.test(name)) fs.copyFileSync(file, path.join(artifacts, "agentsense-output.log"));
    else if (name === "exthost.log" || name === "remoteexthost.log") fs.copyFileSync(file, path.join(artifacts, name));
  }
}

main().catch((error) => {
  log(`error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
});
