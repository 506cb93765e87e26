import type { PlanProbe } from "../../plan/schema.js";
import { maskCredentials } from "../redact.js";
import type { HttpProbeEvidence } from "../types.js";
import { classifyError } from "./failures.js";

/**
 * HTTP probes from the plan: one request per probe with the global fetch, redirects not followed
 * (a 302 is the result, not a step), and up to three attempts on network errors.
 */

/** Response headers that show which proxies a request went through. */
const PATH_HEADERS = ["server", "x-envoy-upstream-service-time", "location", "via"] as const;

export interface ProbeSettings {
  /** Attempts on network errors, the first included. @default 3 */
  maxAttempts: number;
  /** Pause between attempts. @default 250 */
  retryDelayMs: number;
  clock: () => Date;
}

/** fetch rejects URLs with credentials, so `user:password@` becomes a Basic Authorization header. */
function splitCredentials(raw: string): { url: string; headers: Record<string, string> } {
  const url = new URL(raw);
  if (url.username === "" && url.password === "") return { url: raw, headers: {} };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  const token = Buffer.from(`${user}:${password}`).toString("base64");
  return { url: url.toString(), headers: { authorization: `Basic ${token}` } };
}

function curlCommand(probe: PlanProbe, url: string): string {
  const method = probe.method === "HEAD" ? " -I" : "";
  return `curl -sS${method} -o /dev/null -w '%{http_code}\\n' --max-time ${probe.timeoutSeconds} '${url}'`;
}

/** Run one probe and record what came back, or why nothing did. */
export async function runProbe(probe: PlanProbe, settings: ProbeSettings): Promise<HttpProbeEvidence> {
  const url = maskCredentials(probe.url);
  const started = settings.clock();
  const base = {
    type: "http-probe" as const,
    id: `probe:${probe.name}`,
    command: curlCommand(probe, url),
    at: started.toISOString(),
    probe: probe.name,
    method: probe.method,
    url,
    expectedStatus: probe.expectedStatus,
  };

  let lastError: ReturnType<typeof classifyError> | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt += 1) {
    attempts = attempt;
    const attemptStart = performance.now();
    try {
      const { url: target, headers: requestHeaders } = splitCredentials(probe.url);
      const response = await fetch(target, {
        method: probe.method,
        headers: requestHeaders,
        redirect: "manual",
        signal: AbortSignal.timeout(probe.timeoutSeconds * 1000),
      });
      // The body is not evidence, so cancel it and release the connection.
      await response.body?.cancel();
      const latencyMs = Math.round(performance.now() - attemptStart);
      const headers: Record<string, string> = {};
      for (const name of PATH_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = maskCredentials(value);
      }
      const headerLines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
      return {
        ...base,
        output: [`HTTP ${response.status} ${response.statusText}`.trimEnd(), ...headerLines].join("\n"),
        durationMs: settings.clock().getTime() - started.getTime(),
        attempts: attempt,
        status: response.status,
        latencyMs,
        headers,
      };
    } catch (error) {
      lastError = classifyError(error);
      if (lastError.reason === "timeout") {
        lastError = { ...lastError, message: `no response within ${probe.timeoutSeconds} s` };
        break;
      }
      if (attempt < settings.maxAttempts) {
        await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs));
      }
    }
  }

  return {
    ...base,
    output: "",
    durationMs: settings.clock().getTime() - started.getTime(),
    attempts,
    headers: {},
    error: {
      reason: lastError?.reason ?? "unreachable",
      message: maskCredentials(`${probe.method} ${url} failed: ${lastError?.message ?? "no response"}`),
    },
  };
}
