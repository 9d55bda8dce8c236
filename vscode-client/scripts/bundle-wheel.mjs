// Builds the agentsense wheel (pure Python) into bundled/, which the .vsix ships: the extension
// offers to install it into an interpreter that lacks agentsense.
//   node scripts/bundle-wheel.mjs          (the Python: $AGENTSENSE_PYTHON, else python3)
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const client = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(client, "..");
const out = join(client, "bundled");
const python = process.env.AGENTSENSE_PYTHON || (process.platform === "win32" ? "python" : "python3");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const wheel = (extra) =>
  execFileSync(python, ["-m", "pip", "wheel", "--no-deps", "-q", ...extra, "-w", out, repo], {
    stdio: ["ignore", "inherit", "inherit"],
  });
try {
  // The development environment has the build backend: no download needed.
  wheel(["--no-build-isolation"]);
} catch {
  wheel([]); // pip fetches setuptools into an isolated build environment
}
const built = readdirSync(out).filter((name) => name.endsWith(".whl"));
if (built.length !== 1) {
  throw new Error(`expected one wheel in ${out}, found: ${built.join(", ") || "none"}`);
}
console.log(`bundled/${built[0]}`);
