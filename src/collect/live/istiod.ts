import type * as k8s from "@kubernetes/client-node";
import type { KubeObject, Pod } from "../../model/kube.js";
import { maskCredentials } from "../redact.js";
import type { IstiodMeshEvidence } from "../types.js";
import type { KubernetesClientModule } from "./client.js";
import { isPodReady } from "./envoy-certs.js";
import { getThroughPortForward, ISTIOD_MONITORING_PORT, PortForwardFailure } from "./port-forward.js";

/** Pick the istiod pod to query: Running and labelled app=istiod, a Ready one first, then the first by name. */
export function selectIstiodPod(objects: readonly KubeObject[], namespace: string): Pod | undefined {
  return objects
    .filter(
      (object): object is Pod =>
        object.kind === "Pod" &&
        object.metadata.namespace === namespace &&
        object.metadata.labels?.app === "istiod" &&
        (object as Pod).status?.phase === "Running",
    )
    .sort((a, b) => Number(isPodReady(b)) - Number(isPodReady(a)) || a.metadata.name.localeCompare(b.metadata.name))[0];
}

/**
 * Read istiod's effective MeshConfig from `/debug/mesh` on its monitoring port, through a
 * port-forward. istiod's debug handlers accept requests from localhost without further
 * authentication, and a port-forwarded request arrives as localhost.
 */
export async function collectIstiodMesh(
  client: KubernetesClientModule,
  config: k8s.KubeConfig,
  namespace: string,
  objects: readonly KubeObject[],
  timeoutMs: number,
  clock: () => Date,
): Promise<IstiodMeshEvidence> {
  const pod = selectIstiodPod(objects, namespace)?.metadata.name;
  const started = clock();
  const base = {
    type: "istiod-debug-mesh" as const,
    id: "istiod:debug-mesh",
    command: `kubectl -n ${namespace} port-forward pod/${pod ?? "<istiod-pod>"} ${ISTIOD_MONITORING_PORT} & curl -s http://127.0.0.1:${ISTIOD_MONITORING_PORT}/debug/mesh`,
    at: started.toISOString(),
    attempts: 1,
    pod: pod ?? "",
    namespace,
  };
  const elapsed = () => clock().getTime() - started.getTime();

  if (pod === undefined) {
    return {
      ...base,
      output: "",
      durationMs: 0,
      attempts: 0,
      error: { reason: "not-found", message: `no Running pod labelled app=istiod in namespace ${namespace}` },
    };
  }

  let status: number;
  let body: string;
  try {
    const [response] = await getThroughPortForward(
      client,
      config,
      { namespace, pod, port: ISTIOD_MONITORING_PORT },
      ["/debug/mesh"],
      timeoutMs,
    );
    status = response?.status ?? 0;
    body = response?.body ?? "";
  } catch (error) {
    const failure =
      error instanceof PortForwardFailure ? error.failure : { reason: "unreachable" as const, message: String(error) };
    return {
      ...base,
      output: "",
      durationMs: elapsed(),
      error: {
        reason: failure.reason,
        message: maskCredentials(failure.message),
        ...(failure.reason === "forbidden" ? { permission: "create pods/portforward" } : {}),
      },
    };
  }

  const output = maskCredentials(body);
  if (status !== 200) {
    return {
      ...base,
      output,
      durationMs: elapsed(),
      error: { reason: "invalid-response", message: `/debug/mesh returned HTTP ${status}` },
    };
  }
  let mesh: unknown;
  try {
    mesh = JSON.parse(body);
  } catch (error) {
    return {
      ...base,
      output,
      durationMs: elapsed(),
      error: { reason: "invalid-response", message: `/debug/mesh is not JSON: ${String(error)}` },
    };
  }
  if (typeof mesh !== "object" || mesh === null || Array.isArray(mesh)) {
    return {
      ...base,
      output,
      durationMs: elapsed(),
      error: { reason: "invalid-response", message: "/debug/mesh is not a JSON object" },
    };
  }
  return { ...base, output, durationMs: elapsed(), mesh: mesh as Record<string, unknown> };
}
