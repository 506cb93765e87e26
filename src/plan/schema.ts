import { z } from "zod";

/**
 * The rollout plan: what the team meant. Checks compare the cluster with it. Every object is strict,
 * so a misspelt field is an error instead of a silently ignored intention.
 */

const labelSelector = z.strictObject({
  matchLabels: z
    .record(z.string(), z.string())
    .optional()
    .describe("Labels that must all be present with these values."),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const workloadKind = z.enum(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet", "Pod"]);

const workloadRef = z.strictObject({
  kind: workloadKind.default("Deployment"),
  namespace: z.string().min(1),
  name: z.string().min(1),
  canary: z.boolean().default(false).describe("A canary counts apart from the app services in the banner."),
});

const mtlsMode = z.enum(["PERMISSIVE", "STRICT", "DISABLE"]);

const phase = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "use lowercase letters, digits and dashes")
    .describe("Stable id, used by `meshproof gate ID`."),
  type: z.enum(["mesh-workloads", "mesh-ingress", "strict"]),
  title: z.string().optional(),
  workloads: z.array(workloadRef).optional().describe("For mesh-workloads: the workloads this phase meshes."),
  namespaces: z.array(z.string()).optional().describe("For mesh-workloads: namespaces this phase adds to the mesh."),
});

const externalPort = z.strictObject({
  number: z.number().int().min(1).max(65535),
  inUse: z.enum(["yes", "no", "unknown"]).default("unknown").describe("Whether the team knows clients dial this port."),
  description: z.string().optional(),
});

const externalService = z.strictObject({
  name: z.string().min(1),
  host: z.string().min(1),
  protocol: z.enum(["postgres", "mysql", "redis", "mongodb", "tls", "https", "http", "tcp"]),
  tlsByClient: z.boolean().default(true).describe("The client speaks TLS itself, so the mesh must pass it through."),
  ports: z.array(externalPort).min(1),
});

const policyException = z.strictObject({
  kind: z.enum(["PeerAuthentication", "AuthorizationPolicy", "DestinationRule"]).default("PeerAuthentication"),
  namespace: z.string().min(1),
  name: z.string().min(1),
  reason: z.string().min(1),
  mode: mtlsMode.optional().describe("The mTLS mode the exception is meant to keep."),
  callers: z
    .array(z.strictObject({ namespace: z.string(), workload: z.string().optional() }))
    .optional()
    .describe("Sidecar-less callers the exception keeps working."),
});

const httpProbe = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "use lowercase letters, digits and dashes"),
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(["GET", "HEAD"]).default("GET"),
  expectedStatus: z.number().int().min(100).max(599),
  workload: z.string().optional().describe("The workload the probe reaches, written `Kind namespace/name`."),
  control: z.boolean().default(false).describe("A control outside the mesh: proves non-mesh traffic is unaffected."),
  description: z.string().min(1).describe("One line: the path this probe proves."),
  timeoutSeconds: z.number().positive().max(120).default(10),
});

const spireComponent = z.strictObject({
  namespace: z.string().min(1),
  name: z.string().min(1),
});

export const planSchema = z.strictObject({
  apiVersion: z.literal("meshproof.dev/v1alpha1"),
  kind: z.literal("RolloutPlan"),
  metadata: z.strictObject({ name: z.string().min(1), description: z.string().optional() }),
  spec: z.strictObject({
    cluster: z
      .strictObject({
        name: z.string().optional(),
        kubernetesVersion: z
          .string()
          .regex(/^v?\d+\.\d+(\.\d+)?$/, "write it as 1.36 or v1.36.1")
          .optional()
          .describe("Used when the snapshot has no Node objects to read the kubelet version from."),
      })
      .default({}),
    window: z
      .strictObject({
        start: z.iso.datetime({ offset: true }).describe("When the rollout window opened (T0)."),
        capturedAt: z.iso
          .datetime({ offset: true })
          .optional()
          .describe("When the snapshot was captured, for snapshots that do not record it."),
      })
      .optional(),
    trustDomain: z.string().min(1).describe("The trust domain Istio, SPIRE and the policy layer must share."),
    callerIdTemplate: z
      .string()
      .default("spiffe://{trustDomain}/ns/{namespace}/sa/{serviceAccount}")
      .describe("The caller ID form the policy layer expects."),
    istio: z
      .strictObject({
        namespace: z.string().default("istio-system"),
        revision: z.string().default("default"),
        version: z
          .string()
          .regex(/^\d+\.\d+(\.\d+)?$/, "write it as 1.23 or 1.23.2")
          .optional(),
      })
      .default({ namespace: "istio-system", revision: "default" }),
    spire: z
      .strictObject({
        server: spireComponent,
        agent: spireComponent,
        csiDriver: spireComponent,
      })
      .optional(),
    mesh: z.strictObject({
      namespaces: z.array(z.string()).min(1),
      workloads: z.array(workloadRef).default([]),
    }),
    datastores: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          namespace: z.string().optional().describe("Limit the selector to one namespace; all namespaces when absent."),
          selector: labelSelector,
        }),
      )
      .default([]),
    phases: z.strictObject({
      current: z.strictObject({
        id: z.string().min(1),
        mtls: mtlsMode,
        title: z.string().optional(),
      }),
      next: z.array(phase).default([]),
    }),
    externalServices: z.array(externalService).default([]),
    policyExceptions: z.array(policyException).default([]),
    probes: z.array(httpProbe).default([]),
    ingress: z
      .strictObject({
        namespace: z.string().min(1),
        workload: z.string().optional().describe("`Kind namespace/name` of the ingress controller."),
      })
      .optional(),
    unmeshedClients: z
      .array(z.strictObject({ namespace: z.string().min(1), description: z.string().optional() }))
      .default([])
      .describe("Namespaces outside the mesh whose pods call meshed services."),
  }),
});

export type RolloutPlan = z.infer<typeof planSchema>;
export type PlanSpec = RolloutPlan["spec"];
export type PlanPhase = z.infer<typeof phase>;
export type PlanWorkloadRef = z.infer<typeof workloadRef>;
export type PlanExternalService = z.infer<typeof externalService>;
export type PlanProbe = z.infer<typeof httpProbe>;
export type PlanSelector = z.infer<typeof labelSelector>;
