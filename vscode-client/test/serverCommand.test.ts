// Interpreter discovery order and the server command line.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
  bundledWheelName,
  CLI_BOOTSTRAP,
  discoverInterpreter,
  installAdvice,
  resolvePathSetting,
  resolveServerCommand,
  shellQuote,
  substituteVariables,
  versionProbe,
  wheelInstallCommand,
  type DiscoveryInputs,
} from "../src/serverCommand";

const none: DiscoveryInputs = { path: [], interpreter: [], pythonExtension: undefined, defaultPython: "python3" };

describe("interpreter discovery order", () => {
  it("uses the agentsense.interpreter setting first", () => {
    const found = discoverInterpreter({ ...none, interpreter: ["/venv/bin/python"], pythonExtension: ["/other/python"] });
    assert.deepEqual(found, { python: ["/venv/bin/python"], source: "interpreter" });
  });

  it("falls back to the Python extension's active environment", () => {
    const found = discoverInterpreter({ ...none, pythonExtension: ["/ext/python"] });
    assert.deepEqual(found, { python: ["/ext/python"], source: "python-extension" });
  });

  it("falls back to python3 on PATH when neither is there", () => {
    assert.deepEqual(discoverInterpreter(none), { python: ["python3"], source: "PATH" });
  });

  it("treats blank entries as unset", () => {
    const found = discoverInterpreter({ ...none, interpreter: ["", "  "], pythonExtension: [] });
    assert.equal(found.source, "PATH");
  });

  it("keeps extra interpreter arguments", () => {
    const command = resolveServerCommand({ ...none, interpreter: ["/usr/bin/env", "python3.12"] });
    assert.equal(command.command, "/usr/bin/env");
    assert.deepEqual(command.args, ["python3.12", "-c", CLI_BOOTSTRAP, "server"]);
    assert.deepEqual(command.python, ["/usr/bin/env", "python3.12"]);
  });
});

describe("server command", () => {
  it("agentsense.path wins over every interpreter", () => {
    const command = resolveServerCommand({
      ...none,
      path: ["/opt/agentsense", "server"],
      interpreter: ["/venv/bin/python"],
      pythonExtension: ["/ext/python"],
    });
    assert.deepEqual(command, { command: "/opt/agentsense", args: ["server"], source: "path", python: undefined });
  });

  it("runs the CLI's server command from the interpreter, without --stdio (the client adds it)", () => {
    const command = resolveServerCommand({ ...none, interpreter: ["/venv/bin/python"] });
    assert.equal(command.command, "/venv/bin/python");
    assert.deepEqual(command.args, ["-c", CLI_BOOTSTRAP, "server"]);
    assert.ok(!command.args.includes("--stdio"));
  });

  it("the bootstrap imports the CLI and drops the working directory from sys.path", () => {
    assert.match(CLI_BOOTSTRAP, /from agentsense\.server\.entry import main/);
    assert.match(CLI_BOOTSTRAP, /sys\.path\[:\] = \[p for p in sys\.path if p not in \('', '\.'\)\]/);
  });

  it("probes with --version instead of server", () => {
    const fromPython = resolveServerCommand({ ...none, interpreter: ["/venv/bin/python"] });
    assert.deepEqual(versionProbe(fromPython).args, ["-c", CLI_BOOTSTRAP, "--version"]);
    const explicit = resolveServerCommand({ ...none, path: ["/opt/agentsense", "server"] });
    assert.deepEqual(versionProbe(explicit), { command: "/opt/agentsense", args: ["--version"] });
    const wrapper = resolveServerCommand({ ...none, path: ["/opt/run-agentsense.sh"] });
    assert.deepEqual(versionProbe(wrapper), { command: "/opt/run-agentsense.sh", args: ["--version"] });
  });
});

describe("install advice", () => {
  it("names the interpreter and the exact pip command", () => {
    const command = resolveServerCommand({ ...none, interpreter: ["/my venv/bin/python"] });
    const advice = installAdvice(command, "linux");
    assert.equal(advice.command, "'/my venv/bin/python' -m pip install agentsense");
    assert.match(advice.message, /agentsense\.interpreter/);
    assert.ok(advice.message.endsWith(`Run: ${advice.command}`));
  });

  it("says python3 on PATH for the fallback", () => {
    const advice = installAdvice(resolveServerCommand(none), "linux");
    assert.equal(advice.command, "python3 -m pip install agentsense");
    assert.match(advice.message, /python3 on PATH/);
  });

  it("points at the setting when agentsense.path does not start", () => {
    const advice = installAdvice(resolveServerCommand({ ...none, path: ["/nope/agentsense", "server"] }), "linux");
    assert.match(advice.message, /"agentsense\.path"/);
    assert.match(advice.message, /\/nope\/agentsense server --stdio/);
  });

  it("quotes for the shell", () => {
    assert.equal(shellQuote("/usr/bin/python3", "linux"), "/usr/bin/python3");
    assert.equal(shellQuote("it's", "linux"), "'it'\\''s'");
    assert.equal(shellQuote("C:\\Program Files\\py.exe", "win32"), '"C:\\Program Files\\py.exe"');
  });
});

describe("path settings", () => {
  const context = { workspaceFolder: "/ws", userHome: "/home/me", env: { VENV: "/envs/a" } };

  it("substitutes ${workspaceFolder}, ${userHome}, ${env:X} and ~", () => {
    assert.equal(substituteVariables("${workspaceFolder}/.venv/bin/python", context), "/ws/.venv/bin/python");
    assert.equal(substituteVariables("${userHome}/py", context), "/home/me/py");
    assert.equal(substituteVariables("${env:VENV}/bin/python", context), "/envs/a/bin/python");
    assert.equal(substituteVariables("${env:MISSING}x", context), "x");
    assert.equal(substituteVariables("~/bin/python", context), "/home/me/bin/python");
    assert.equal(substituteVariables("${unknown}", context), "${unknown}");
  });

  it("resolves relative paths from the workspace folder, leaves bare names for PATH", () => {
    const resolve = (v: string): string => resolvePathSetting(v, context, path.posix.isAbsolute, path.posix.join);
    assert.equal(resolve(".venv/bin/python"), "/ws/.venv/bin/python");
    assert.equal(resolve("python3.12"), "python3.12");
    assert.equal(resolve("/abs/python"), "/abs/python");
  });
});

describe("bundled wheel", () => {
  it("picks the newest agentsense wheel and ignores other files", () => {
    assert.equal(
      bundledWheelName(["README", "agentsense-0.2.0-py3-none-any.whl", "agentsense-0.10.1-py3-none-any.whl", "other-9.0-py3-none-any.whl"]),
      "agentsense-0.10.1-py3-none-any.whl",
    );
    assert.equal(bundledWheelName(["agentsense-0.1.0.tar.gz"]), undefined);
  });

  it("installs the wheel with the server's interpreter and its own arguments", () => {
    assert.deepEqual(wheelInstallCommand(["py", "-3.12"], "/ext/bundled/agentsense-0.1.0-py3-none-any.whl"), {
      command: "py",
      args: ["-3.12", "-m", "pip", "install", "--disable-pip-version-check", "/ext/bundled/agentsense-0.1.0-py3-none-any.whl"],
    });
  });
});
