import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const recorder = path.join(repoRoot, "test", "support", "record-imports.mjs");

const CLIENT_NODE = "/node_modules/@kubernetes/client-node/";
const HTML_RENDERER = "/src/render/html";
const LIVE_COLLECTOR = "/src/collect/live/";

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** Runs the CLI from source with the import recorder and returns the exit code and the loaded module URLs. */
async function loadedModules(args: string[]): Promise<{ status: number | null; stderr: string; urls: string[] }> {
  const folder = await mkdtemp(path.join(tmpdir(), "meshproof-imports-"));
  folders.push(folder);
  const log = path.join(folder, "imports.log");
  const run = spawnSync(process.execPath, ["--import", "tsx", "--import", recorder, "src/cli.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, MESHPROOF_IMPORT_LOG: log, NO_COLOR: "1" },
    timeout: 60_000,
  });
  const text = await readFile(log, "utf8").catch(() => "");
  return { status: run.status, stderr: run.stderr, urls: text.split("\n").filter(Boolean) };
}

function matching(urls: string[], fragment: string): string[] {
  return urls.filter((url) => url.includes(fragment));
}

describe("CLI module loading", () => {
  it("--help loads no command module", async () => {
    const { status, urls } = await loadedModules(["--help"]);
    assert.equal(status, 0);
    assert.ok(matching(urls, "/src/cli.ts").length === 1, "the recorder must see the entry module");
    assert.deepEqual(matching(urls, CLIENT_NODE), []);
    assert.deepEqual(matching(urls, HTML_RENDERER), []);
    assert.deepEqual(matching(urls, LIVE_COLLECTOR), []);
    assert.deepEqual(matching(urls, "/src/checks/"), []);
    assert.deepEqual(matching(urls, "/node_modules/js-yaml/"), []);
  });

  it("snapshot verify skips the live client", async () => {
    const { status, stderr, urls } = await loadedModules([
      "verify",
      "--snapshot",
      "examples/snapshot",
      "--plan",
      "examples/plan.yaml",
      "--format",
      "json",
    ]);
    assert.ok(status === 0 || status === 1, `verify exited with ${status}: ${stderr}`);
    assert.ok(matching(urls, "/src/collect/snapshot/read.ts").length === 1, "the snapshot reader must load");
    assert.deepEqual(matching(urls, CLIENT_NODE), []);
    assert.deepEqual(matching(urls, LIVE_COLLECTOR), []);
    assert.deepEqual(matching(urls, HTML_RENDERER), []);
  });

  it("live verify loads the client", async () => {
    // Control for the two tests above: the recorder does see the client when a command needs it.
    // The kubeconfig does not exist, so the run stops before any connection.
    const missing = path.join(tmpdir(), "meshproof-no-such-kubeconfig.yaml");
    const { status, urls } = await loadedModules(["verify", "--kubeconfig", missing, "--format", "json"]);
    assert.equal(status, 2);
    assert.ok(matching(urls, CLIENT_NODE).length > 0, "a live run must load @kubernetes/client-node");
  });
});
