import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type KubernetesClientModule, loadKubernetesClient } from "../../src/collect/live/client.js";
import { type KubeconfigOptions, loadClusterTarget } from "../../src/collect/live/kubeconfig.js";
import { ExitCode, InputError, UserError } from "../../src/errors.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVICE_ACCOUNT = "var/run/secrets/kubernetes.io/serviceaccount";
/** The variables that select a cluster. Each test sets the ones it needs. */
const CLUSTER_VARIABLES = ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] as const;

interface CliRun {
  code: number | null;
  stderr: string;
}

/** Run `meshproof ARGS` from source with the cluster variables removed and `env` added. */
function meshproofWithEnv(args: string[], env: Record<string, string>): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...env };
  for (const name of CLUSTER_VARIABLES) if (!(name in env)) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli.ts"), ...args], {
      cwd: REPO_ROOT,
      env: childEnv,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** Run `body` with the cluster variables set as `env` gives them and the rest removed, then restore them. */
async function withClusterVariables<T>(
  env: Partial<Record<(typeof CLUSTER_VARIABLES)[number], string>>,
  body: () => T,
) {
  const saved = Object.fromEntries(CLUSTER_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of CLUSTER_VARIABLES) {
    const value = env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await body();
  } finally {
    for (const name of CLUSTER_VARIABLES) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Assert that loading the target throws a UserError with exit code 2, and return its message. */
function usageErrorOf(client: KubernetesClientModule, options: KubeconfigOptions): string {
  try {
    loadClusterTarget(client, options);
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.invalidInput);
    return error.message;
  }
  assert.fail("loadClusterTarget did not throw");
}

const VALID_KUBECONFIG = (context: string, cluster: string, server = "https://127.0.0.1:6443") => `apiVersion: v1
kind: Config
clusters:
  - name: ${cluster}
    cluster:
      server: ${server}
contexts:
  - name: ${context}
    context:
      cluster: ${cluster}
      user: ${context}-user
users:
  - name: ${context}-user
    user:
      token: test-token
`;

describe("kubeconfig selection errors", () => {
  let client: KubernetesClientModule;
  let directory: string;

  before(async () => {
    client = await loadKubernetesClient();
    directory = await mkdtemp(join(tmpdir(), "meshproof-kubeconfig-errors-"));
  });

  async function kubeconfigFile(name: string, text: string): Promise<string> {
    const file = join(directory, name);
    await writeFile(file, text, { mode: 0o600 });
    return file;
  }

  test("empty file with unknown context", () => {
    assert.equal(
      usageErrorOf(client, { kubeconfig: "/dev/null", context: "nope" }),
      "the kubeconfig /dev/null is empty or has no clusters and contexts. Pass a kubeconfig with a context (kubectl config get-contexts), or use --snapshot PATH.",
    );
  });

  test("comment-only file counts as empty", async () => {
    const file = await kubeconfigFile("comments", "# nothing here yet\n");
    const message = usageErrorOf(client, { kubeconfig: file });
    assert.ok(message.startsWith(`the kubeconfig ${file} is empty or has no clusters and contexts.`), message);
  });

  test("clusters without contexts", async () => {
    const file = await kubeconfigFile(
      "no-contexts",
      "clusters:\n  - name: c\n    cluster:\n      server: https://127.0.0.1:6443\n",
    );
    const message = usageErrorOf(client, { kubeconfig: file });
    assert.ok(message.startsWith(`the kubeconfig ${file} has no contexts.`), message);
  });

  test("invalid YAML names file and line", async () => {
    const file = await kubeconfigFile("broken", "clusters: [\ncontexts: {}\n");
    const message = usageErrorOf(client, { kubeconfig: file });
    assert.match(message, new RegExp(`^${file}:2:\\d+: invalid YAML in the kubeconfig: `));
    assert.match(message, /--snapshot PATH\.$/);
    assert.doesNotMatch(message, /TypeError|Cannot read properties/);
  });

  test("invalid YAML is an InputError", async () => {
    const file = await kubeconfigFile("broken-input", "users: [\n");
    assert.throws(
      () => loadClusterTarget(client, { kubeconfig: file }),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.file, file);
        assert.equal(error.line, 2);
        return true;
      },
    );
  });

  test("YAML list is not a kubeconfig", async () => {
    const file = await kubeconfigFile("list", "- a\n- b\n");
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `${file}: not a kubeconfig: expected a YAML mapping with clusters, contexts and users, found a list.`,
    );
  });

  test("two YAML documents", async () => {
    const file = await kubeconfigFile("two-documents", `${VALID_KUBECONFIG("kind-a", "a")}---\n`);
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `${file}: a kubeconfig is one YAML document, but this file has 2. Remove the extra "---" separators.`,
    );
  });

  test("cluster entry without server", async () => {
    const file = await kubeconfigFile("no-server", "clusters:\n  - name: c\n    cluster: {}\ncontexts: []\n");
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `the kubeconfig ${file} is invalid: clusters[0].cluster.server is missing. Fix the file or pass another.`,
    );
  });

  test("missing --kubeconfig file", () => {
    const file = join(directory, "absent");
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `the kubeconfig ${file} does not exist. Pass the path of a kubeconfig file with --kubeconfig FILE, or read a saved snapshot with --snapshot PATH.`,
    );
  });

  test("unknown context lists the others", async () => {
    const file = await kubeconfigFile("one-context", VALID_KUBECONFIG("kind-a", "a"));
    assert.equal(
      usageErrorOf(client, { kubeconfig: file, context: "nope" }),
      `context "nope" not found in the kubeconfig ${file}. Available contexts: kind-a. Pass one of them with --context NAME.`,
    );
  });

  test("no current-context and no --context", async () => {
    const file = await kubeconfigFile("no-current", VALID_KUBECONFIG("kind-a", "a"));
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `the kubeconfig ${file} sets no current-context. Pass --context NAME with one of: kind-a.`,
    );
  });

  test("current-context names no context", async () => {
    const file = await kubeconfigFile("stale-current", `${VALID_KUBECONFIG("kind-a", "a")}current-context: gone\n`);
    assert.equal(
      usageErrorOf(client, { kubeconfig: file }),
      `the current-context "gone" of the kubeconfig ${file} is not one of its contexts (kind-a). Pass --context NAME with one of them.`,
    );
  });

  test("context refers to a missing cluster", async () => {
    const text = VALID_KUBECONFIG("kind-a", "a").replace("cluster: a", "cluster: elsewhere");
    const file = await kubeconfigFile("dangling", text);
    assert.equal(
      usageErrorOf(client, { kubeconfig: file, context: "kind-a" }),
      `context "kind-a" in the kubeconfig ${file} refers to cluster "elsewhere", which is not defined there. Add the cluster or pass another --context NAME.`,
    );
  });

  test("server that is not a URL", async () => {
    const file = await kubeconfigFile("bad-server", VALID_KUBECONFIG("kind-a", "a", "127.0.0.1:6443"));
    assert.equal(
      usageErrorOf(client, { kubeconfig: file, context: "kind-a" }),
      `cluster "a" in the kubeconfig ${file} has the invalid server URL "127.0.0.1:6443". Set it to the API server's https:// URL.`,
    );
  });

  test("no kubeconfig in KUBECONFIG", async () => {
    const first = join(directory, "missing-1");
    const second = join(directory, "missing-2");
    const message = await withClusterVariables({ KUBECONFIG: `${first}${delimiter}${second}` }, () =>
      usageErrorOf(client, {}),
    );
    assert.equal(
      message,
      `no kubeconfig found: tried ${first}, ${second} (from KUBECONFIG). Pass --kubeconfig FILE or set KUBECONFIG, run in a pod with --in-cluster, or read a saved snapshot with --snapshot PATH.`,
    );
  });

  test("KUBECONFIG skips missing files and merges", async () => {
    const first = await kubeconfigFile("merge-1", `${VALID_KUBECONFIG("kind-a", "a")}current-context: kind-a\n`);
    const second = await kubeconfigFile(
      "merge-2",
      `${VALID_KUBECONFIG("kind-b", "b", "https://127.0.0.1:7443")}current-context: kind-b\n`,
    );
    const missing = join(directory, "merge-missing");
    const variable = [missing, first, second].join(delimiter);

    const current = await withClusterVariables({ KUBECONFIG: variable }, () => loadClusterTarget(client, {}));
    assert.equal(current.context, "kind-a", "the first file's current-context wins");
    assert.equal(current.server, "https://127.0.0.1:6443");

    const other = await withClusterVariables({ KUBECONFIG: variable }, () =>
      loadClusterTarget(client, { context: "kind-b" }),
    );
    assert.equal(other.server, "https://127.0.0.1:7443");
    assert.equal(other.inCluster, false);
  });
});

describe("in-cluster configuration errors", () => {
  let client: KubernetesClientModule;
  let root: string;

  before(async () => {
    client = await loadKubernetesClient();
    root = await mkdtemp(join(tmpdir(), "meshproof-incluster-errors-"));
  });

  test("variables unset", async () => {
    const account = join(root, "complete");
    await mkdir(join(account, SERVICE_ACCOUNT), { recursive: true });
    await writeFile(join(account, SERVICE_ACCOUNT, "token"), "test-token");
    await writeFile(join(account, SERVICE_ACCOUNT, "ca.crt"), "not read before the first request");
    const message = await withClusterVariables({}, () =>
      usageErrorOf(client, { inCluster: true, inClusterPathPrefix: account }),
    );
    assert.equal(
      message,
      "in-cluster configuration needs the KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT variables and the " +
        `service-account token and ca.crt in ${account}/${SERVICE_ACCOUNT}, which exist only inside a pod. ` +
        "Missing: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT. " +
        "Outside a pod, pass --kubeconfig FILE or --context NAME, or read a saved snapshot with --snapshot PATH.",
    );
  });

  test("token and CA file missing", async () => {
    const empty = join(root, "empty");
    await mkdir(empty, { recursive: true });
    const message = await withClusterVariables(
      { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "6443" },
      () => usageErrorOf(client, { inCluster: true, inClusterPathPrefix: empty }),
    );
    assert.match(
      message,
      new RegExp(`Missing: ${empty}/${SERVICE_ACCOUNT}/token, ${empty}/${SERVICE_ACCOUNT}/ca\\.crt\\. Outside a pod`),
    );
  });

  test("port that makes no URL", async () => {
    const account = join(root, "port");
    await mkdir(join(account, SERVICE_ACCOUNT), { recursive: true });
    await writeFile(join(account, SERVICE_ACCOUNT, "token"), "test-token");
    await writeFile(join(account, SERVICE_ACCOUNT, "ca.crt"), "not read before the first request");
    const message = await withClusterVariables(
      { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "https" },
      () => usageErrorOf(client, { inCluster: true, inClusterPathPrefix: account }),
    );
    assert.equal(
      message,
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT give the invalid API server URL "https://127.0.0.1:https". Check both variables in the pod.',
    );
  });
});

describe("CLI exit code for configuration errors", () => {
  let home: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "meshproof-home-"));
  });

  test("--in-cluster outside a pod exits 2", async () => {
    const run = await meshproofWithEnv(["verify", "--in-cluster"], { HOME: home });
    assert.equal(run.code, ExitCode.invalidInput, run.stderr);
    assert.match(
      run.stderr,
      /^meshproof: in-cluster configuration needs the KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT variables/,
    );
    assert.match(
      run.stderr,
      /which exist only inside a pod\. Missing: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT/,
    );
    assert.match(
      run.stderr,
      /pass --kubeconfig FILE or --context NAME, or read a saved snapshot with --snapshot PATH\.\n$/,
    );
    assert.doesNotMatch(run.stderr, /undefined|Invalid URL/);
  });

  test("empty --kubeconfig exits 2", async () => {
    const run = await meshproofWithEnv(["verify", "--context", "nope", "--kubeconfig", "/dev/null"], { HOME: home });
    assert.equal(run.code, ExitCode.invalidInput, run.stderr);
    assert.equal(
      run.stderr,
      "meshproof: the kubeconfig /dev/null is empty or has no clusters and contexts. Pass a kubeconfig with a context (kubectl config get-contexts), or use --snapshot PATH.\n",
    );
  });

  test("no kubeconfig anywhere exits 2", async () => {
    const run = await meshproofWithEnv(["verify"], { HOME: home });
    assert.equal(run.code, ExitCode.invalidInput, run.stderr);
    assert.equal(
      run.stderr,
      `meshproof: no kubeconfig found: tried ${join(home, ".kube", "config")} (KUBECONFIG is not set). ` +
        "Pass --kubeconfig FILE or set KUBECONFIG, run in a pod with --in-cluster, or read a saved snapshot with --snapshot PATH.\n",
    );
  });
});
