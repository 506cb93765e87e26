import { Writable } from "node:stream";
import type * as k8s from "@kubernetes/client-node";
import { maskCredentials } from "../redact.js";
import type { SpireCliEvidence } from "../types.js";
import type { KubernetesClientModule } from "./client.js";
import { type ClassifiedFailure, classifyError, classifyStatus } from "./failures.js";

/**
 * Read-only `spire-server` commands run through the API server's exec subresource. Only the
 * commands in SPIRE_SERVER_COMMANDS can run, because spireServerArgv() is the one way to build an
 * exec argv and the generic exec helper is private to this module.
 */

export const SPIRE_SERVER_BINARY = "/opt/spire/bin/spire-server";
export const SPIRE_SERVER_CONTAINER = "spire-server";

/** The allowlist. Each entry is a complete argument list, compared element by element. */
export const SPIRE_SERVER_COMMANDS = [
  { id: "healthcheck", args: ["healthcheck"] },
  { id: "agent-list", args: ["agent", "list", "-output", "json"] },
  { id: "entry-show", args: ["entry", "show", "-output", "json"] },
  { id: "bundle-show", args: ["bundle", "show", "-format", "spiffe"] },
] as const satisfies ReadonlyArray<{ id: string; args: readonly string[] }>;

export class DisallowedCommandError extends Error {
  constructor(args: readonly string[]) {
    super(`refusing to run spire-server ${JSON.stringify(args)}: only read-only allowlisted commands may run`);
    this.name = "DisallowedCommandError";
  }
}

/** Build the exec argv for an allowlisted spire-server command. Throws DisallowedCommandError for any other. */
export function spireServerArgv(args: readonly string[]): string[] {
  const allowed = SPIRE_SERVER_COMMANDS.some(
    (command) => command.args.length === args.length && command.args.every((arg, index) => arg === args[index]),
  );
  if (!allowed) throw new DisallowedCommandError(args);
  return [SPIRE_SERVER_BINARY, ...args];
}

interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

interface ExecOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

class ExecFailure extends Error {
  constructor(readonly failure: ClassifiedFailure) {
    super(failure.message);
  }
}

function collectingSink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
}

/** Read the exit code from the Status on channel 3: Success, or Failure with reason NonZeroExitCode. */
function exitCodeOf(status: k8s.V1Status): number | undefined {
  if (status.status === "Success") return 0;
  if (status.reason !== "NonZeroExitCode") return undefined;
  const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
  const code = Number.parseInt(cause?.message ?? "", 10);
  return Number.isNaN(code) ? undefined : code;
}

/**
 * Classify a failed exec. A failed WebSocket handshake rejects with an ErrorEvent whose message is
 * "Unexpected server response: 403". The Status body is lost, so the status code is all there is.
 */
function classifyExecError(error: unknown, target: ExecTarget): ClassifiedFailure {
  const event = error as { message?: unknown; error?: unknown };
  const message = typeof event.message === "string" ? event.message : String(error);
  const handshake = /Unexpected server response: (\d{3})/.exec(message);
  if (handshake) {
    const status = Number(handshake[1]);
    const where = `pod ${target.namespace}/${target.pod}`;
    if (status === 403) {
      return {
        reason: "forbidden",
        status,
        retryable: false,
        message: `403 Forbidden: exec into ${where} was denied. Grant get and create on pods/exec (see deploy/rbac.yaml)`,
      };
    }
    if (status === 404) return classifyStatus(status, `${where} not found`);
    return classifyStatus(status, `exec into ${where} was rejected`);
  }
  return classifyError(event.error ?? error);
}

function execInPod(
  client: KubernetesClientModule,
  config: k8s.KubeConfig,
  target: ExecTarget,
  argv: string[],
  timeoutMs: number,
): Promise<ExecOutput> {
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  // Both sinks are always passed, because client-node 1.4 throws "Unknown stream: 2" inside the
  // WebSocket handler, an uncaught exception, when stderr is null and the server writes to channel 2.
  const stdout = collectingSink(stdoutChunks);
  const stderr = collectingSink(stderrChunks);

  return new Promise<ExecOutput>((resolve, reject) => {
    let socket: { close(): void } | undefined;
    let settled = false;
    const settle = (outcome: { output?: ExecOutput; failure?: ClassifiedFailure }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.close();
      if (outcome.output) resolve(outcome.output);
      else reject(new ExecFailure(outcome.failure ?? classifyError(new Error("exec failed"))));
    };
    const timer = setTimeout(
      () =>
        settle({ failure: { reason: "timeout", retryable: false, message: `exec timed out after ${timeoutMs} ms` } }),
      timeoutMs,
    );

    // The promise resolves when the WebSocket opens, not when the command ends. The status
    // callback signals the end.
    const onStatus = (status: k8s.V1Status) => {
      const exitCode = exitCodeOf(status);
      const output = {
        stdout: Buffer.concat(stdoutChunks).toString("utf8"),
        stderr: Buffer.concat(stderrChunks).toString("utf8"),
      };
      if (exitCode === undefined) {
        settle({
          failure: {
            reason: "server-error",
            retryable: false,
            message: `exec failed: ${status.reason ?? "Failure"}: ${status.message ?? "no message"}`,
          },
        });
        return;
      }
      settle({ output: { ...output, exitCode } });
    };

    new client.Exec(config)
      .exec(target.namespace, target.pod, target.container, argv, stdout, stderr, null, false, onStatus)
      .then((ws) => {
        socket = ws;
        if (settled) ws.close();
        ws.on("close", () =>
          settle({
            failure: {
              reason: "connection-dropped",
              retryable: false,
              message: "the exec stream closed before the command's exit status arrived",
            },
          }),
        );
      })
      .catch((error: unknown) => settle({ failure: classifyExecError(error, target) }));
  });
}

export interface SpireServerLocation {
  namespace: string;
  pod: string;
}

/** Write the kubectl command a person would run for the same spire-server command. */
export function spireServerCommandLine(server: SpireServerLocation, args: readonly string[]): string {
  return `kubectl -n ${server.namespace} exec ${server.pod} -c ${SPIRE_SERVER_CONTAINER} -- ${spireServerArgv(args).join(" ")}`;
}

/** Run one allowlisted spire-server command and record it as evidence, failed or not. */
export async function runSpireServerCommand(
  client: KubernetesClientModule,
  config: k8s.KubeConfig,
  server: SpireServerLocation,
  args: readonly string[],
  timeoutMs: number,
  clock: () => Date,
): Promise<SpireCliEvidence> {
  const argv = spireServerArgv(args);
  const id = SPIRE_SERVER_COMMANDS.find((command) => command.args.join(" ") === args.join(" "))?.id ?? "command";
  const started = clock();
  const base = {
    type: "spire-cli" as const,
    id: `spire:${id}`,
    command: spireServerCommandLine(server, args),
    at: started.toISOString(),
    attempts: 1,
    pod: server.pod,
    namespace: server.namespace,
    args: [...args],
  };

  try {
    const target = { namespace: server.namespace, pod: server.pod, container: SPIRE_SERVER_CONTAINER };
    const result = await execInPod(client, config, target, argv, timeoutMs);
    const stdout = maskCredentials(result.stdout);
    const stderr = maskCredentials(result.stderr);
    return {
      ...base,
      output: stderr === "" ? stdout : `${stdout}${stdout.endsWith("\n") || stdout === "" ? "" : "\n"}${stderr}`,
      durationMs: clock().getTime() - started.getTime(),
      exitCode: result.exitCode,
      stdout,
      stderr,
    };
  } catch (error) {
    const failure = error instanceof ExecFailure ? error.failure : classifyError(error);
    return {
      ...base,
      output: "",
      durationMs: clock().getTime() - started.getTime(),
      stdout: "",
      stderr: "",
      error: {
        reason: failure.reason,
        message: maskCredentials(failure.message),
        ...(failure.reason === "forbidden" ? { permission: "create pods/exec" } : {}),
      },
    };
  }
}
