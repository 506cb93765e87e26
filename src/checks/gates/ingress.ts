import { objectSubject } from "../../model/kube.js";
import type { PlanPhase } from "../../plan/schema.js";
import { objectEvidence, table } from "../evidence.js";
import {
  findIngressController,
  ingressBackends,
  ingressRoutes,
  nginxIngresses,
  SERVICE_UPSTREAM,
  UPSTREAM_VHOST,
} from "../mtls/ingress.js";
import { serviceIndexOf } from "../mtls/ports.js";
import type { CheckContext } from "../types.js";
import { type GateItem, type GateParts, relatedFindings } from "./common.js";
import { coverageVerdict, spireCoverageOf } from "./coverage.js";

const INCLUDE_INBOUND = "traffic.sidecar.istio.io/includeInboundPorts";

/**
 * Collects the items of a mesh-ingress gate, the preconditions of meshing ingress-nginx. The
 * controller must not use hostNetwork or capture inbound ports. Every Ingress with a meshed backend
 * needs service-upstream and upstream-vhost. SPIRE must register the controller's namespace and
 * ServiceAccount, and each of its nodes must run a ready SPIRE agent and CSI driver.
 */
export function meshIngressGate(context: CheckContext, _phase: PlanPhase): GateParts {
  const { model, plan } = context;
  const items: GateItem[] = [];
  const controller = findIngressController(model, plan);
  const evidenceRows: string[][] = [];

  if (!controller) {
    items.push({
      subject: plan?.spec.ingress?.workload ?? `Namespace ${plan?.spec.ingress?.namespace ?? "ingress-nginx"}`,
      verdict: "unknown",
      message: "The ingress-nginx controller is not in the objects, so its readiness cannot be judged.",
      hint: "Set spec.ingress.workload in the plan, or capture the ingress namespace.",
    });
    return { items, evidence: [] };
  }

  const subject = controller.subject;
  const template = controller.template;
  const annotations = template?.annotations ?? controller.pods[0]?.annotations ?? {};

  // 1. The injector skips hostNetwork pods, so such a controller cannot be meshed this way.
  const hostNetwork = template?.spec.hostNetwork === true || controller.pods.some((pod) => pod.hostNetwork);
  items.push(
    hostNetwork
      ? {
          subject,
          verdict: "fail",
          message: "Runs with hostNetwork: true, and the injector never injects hostNetwork pods.",
          short: `${controller.name} uses hostNetwork`,
          hint: "Run the controller without hostNetwork behind a LoadBalancer Service.",
        }
      : { subject, verdict: "pass", message: "Does not use hostNetwork." },
  );

  // 2. Client traffic from the load balancer (and the admission webhook) must bypass the sidecar.
  const include = annotations[INCLUDE_INBOUND];
  items.push(
    include === ""
      ? {
          subject,
          verdict: "pass",
          message: `Pod template sets ${INCLUDE_INBOUND}: "", so the sidecar captures no inbound port.`,
        }
      : {
          subject,
          verdict: "fail",
          message:
            include === undefined
              ? `The pod template lacks ${INCLUDE_INBOUND}: "", so once meshed the sidecar would capture client traffic on 80/443 and the admission webhook port, which then falls under mTLS.`
              : `The pod template sets ${INCLUDE_INBOUND}: "${include}", so the sidecar would capture those ports from load-balancer clients.`,
          short: `${controller.name}: set ${INCLUDE_INBOUND}: ""`,
          hint: `kubectl -n ${controller.namespace} patch ${controller.kind.toLowerCase()} ${controller.name} --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"${INCLUDE_INBOUND}":""}}}}}'`,
        },
  );

  // 3. nginx must send to the Service with its Host, or the sidecar cannot apply auto mTLS.
  const routes = ingressRoutes(model, serviceIndexOf(model));
  for (const ingress of nginxIngresses(model)) {
    const ingressSubject = objectSubject(ingress);
    const upstream = ingress.metadata.annotations?.[SERVICE_UPSTREAM];
    const vhost = ingress.metadata.annotations?.[UPSTREAM_VHOST];
    const meshedTargets = routes.filter((route) => route.ingress === ingress && route.workload?.meshed);
    const backend = ingressBackends(ingress)[0];
    const expectedVhost = backend
      ? `${backend.serviceName}.${ingress.metadata.namespace}.svc.cluster.local`
      : undefined;
    evidenceRows.push([
      ingress.metadata.namespace ?? "",
      ingress.metadata.name,
      upstream ?? "(unset)",
      vhost ?? "(unset)",
      meshedTargets.map((route) => route.workload?.name).join(",") || "-",
    ]);

    const missing = [
      upstream === "true" ? undefined : `${SERVICE_UPSTREAM}: "true"`,
      vhost ? undefined : `${UPSTREAM_VHOST}: ${expectedVhost ?? "<svc>.<ns>.svc.cluster.local"}`,
    ].filter((part) => part !== undefined);
    if (missing.length > 0) {
      const targets = [...new Set(meshedTargets.map((route) => `${route.workload?.name}:${route.containerPort}`))];
      items.push({
        subject: ingressSubject,
        verdict: targets.length > 0 ? "fail" : "info",
        message:
          targets.length > 0
            ? `Lacks ${missing.join(" and ")}; a meshed ingress-nginx would send to the pod IPs of meshed ${targets.join(", ")} with the public Host header, which misses the Service route and leaves in plaintext.`
            : `Lacks ${missing.join(" and ")}; its backends are not meshed, so this matters only once they are.`,
        short: targets.length > 0 ? `${ingressSubject} lacks service-upstream/upstream-vhost` : undefined,
        hint: `kubectl -n ${ingress.metadata.namespace} annotate ingress ${ingress.metadata.name} ${SERVICE_UPSTREAM}=true ${UPSTREAM_VHOST}=${expectedVhost ?? "<svc>.<ns>.svc.cluster.local"}`,
      });
    } else if (
      expectedVhost &&
      vhost !== expectedVhost &&
      !vhost?.startsWith(`${backend?.serviceName}.${ingress.metadata.namespace}.svc`)
    ) {
      items.push({
        subject: ingressSubject,
        verdict: "warn",
        message: `upstream-vhost is "${vhost}", not the backend Service's name ${expectedVhost}, so the sidecar may not match the Service route.`,
      });
    } else {
      items.push({
        subject: ingressSubject,
        verdict: "pass",
        message: "Sends to the Service ClusterIP with the Service host (service-upstream and upstream-vhost set).",
      });
    }
  }

  // 4. SPIRE must register the controller's pods, or a native-sidecar controller never starts.
  const coverage = spireCoverageOf(model, controller);
  const spiffeId = `spiffe://${model.mesh.trustDomain}/ns/${controller.namespace}/sa/${controller.serviceAccount}`;
  items.push({
    subject,
    verdict: coverageVerdict(coverage),
    message: `${coverage.sentence} ServiceAccount ${controller.serviceAccount} would present ${spiffeId}.`,
    short: coverage.coveredBy
      ? undefined
      : `no ClusterSPIFFEID covers namespace ${controller.namespace} (ServiceAccount ${controller.serviceAccount})`,
    hint:
      coverage.coveredBy || !coverage.spireDeployed
        ? undefined
        : `Add ${controller.namespace} to a ClusterSPIFFEID namespaceSelector whose podSelector matches the controller pods once injected.`,
  });

  // 5. A SPIRE agent and the CSI driver on each node the controller runs on.
  items.push(
    ...nodeItems(
      context,
      controller.pods.map((pod) => pod.nodeName).filter((node): node is string => node !== undefined),
      subject,
    ),
  );

  // Injection itself is a step of the phase, not a precondition: report what it takes.
  const decision = controller.injectionOnRestart;
  if (decision && !decision.injects) {
    items.push({
      subject,
      verdict: "info",
      message: `Not selected by the injector today (${decision.reason}); the phase must label the namespace or the pod template.`,
      hint: `kubectl label namespace ${controller.namespace} istio-injection=enabled`,
    });
  }

  const image = template?.spec.containers?.[0]?.image ?? "";
  if (image.includes("ingress-nginx")) {
    items.push({
      subject,
      verdict: "warn",
      message:
        "Kubernetes SIG Network announced on 2025-11-11 that ingress-nginx is retired, with best-effort maintenance only until March 2026; plan a replacement (Gateway API or an Istio gateway).",
    });
  }

  return {
    items,
    evidence: [
      objectEvidence(
        `kubectl -n ${controller.namespace} get ${controller.kind.toLowerCase()} ${controller.name} -o jsonpath='{.spec.template.spec.hostNetwork} {.spec.template.metadata.annotations}'`,
        `hostNetwork=${hostNetwork}\n${INCLUDE_INBOUND}=${include === undefined ? "(unset)" : `"${include}"`}`,
      ),
      objectEvidence(
        "kubectl get ingress -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,SERVICE-UPSTREAM:.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/service-upstream,UPSTREAM-VHOST:.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/upstream-vhost",
        evidenceRows.length
          ? table(["NAMESPACE", "NAME", "SERVICE-UPSTREAM", "UPSTREAM-VHOST", "MESHED-BACKENDS"], evidenceRows)
          : "No resources found",
      ),
    ],
  };
}

function nodeItems(context: CheckContext, nodes: string[], controllerSubject: string): GateItem[] {
  const { model } = context;
  const agent = model.spire.agent;
  const csi = model.spire.csiDriver;
  if (!agent && !csi) {
    return [
      {
        subject: controllerSubject,
        verdict: "unknown",
        message:
          "The SPIRE agent and CSI driver DaemonSets are not in the objects, so the ingress nodes cannot be checked.",
      },
    ];
  }
  if (nodes.length === 0) {
    return [
      {
        subject: controllerSubject,
        verdict: "unknown",
        message: "No controller pod is scheduled in the objects, so its nodes are unknown.",
      },
    ];
  }

  const items: GateItem[] = [];
  const agentSubject = agent ? objectSubject(agent.workload) : undefined;
  const csiSubject = csi ? objectSubject(csi.workload) : undefined;
  for (const node of [...new Set(nodes)].sort()) {
    const pods = model.podsOnNode(node);
    const missing: string[] = [];
    for (const [name, workloadSubject] of [
      ["SPIRE agent", agentSubject],
      ["SPIFFE CSI driver", csiSubject],
    ] as const) {
      const pod = workloadSubject ? pods.find((candidate) => candidate.workload === workloadSubject) : undefined;
      if (!pod) missing.push(`no ${name} pod`);
      else if (!pod.ready) missing.push(`${name} pod ${pod.name} not ready`);
    }
    items.push(
      missing.length
        ? {
            subject: `Node ${node}`,
            verdict: "fail",
            message: `Runs ${controllerSubject}, but has ${missing.join(" and ")}; a meshed controller pod here could not get an SVID.`,
            short: `node ${node}: ${missing.join(", ")}`,
          }
        : {
            subject: `Node ${node}`,
            verdict: "pass",
            message: `Runs ${controllerSubject} with a ready SPIRE agent and CSI driver.`,
          },
    );
  }

  for (const { result, finding } of relatedFindings(
    context,
    ["spire"],
    (finding) => finding.verdict === "fail" && nodes.some((node) => finding.subject === `Node ${node}`),
  )) {
    items.push({ ...finding, message: `${result.id}: ${finding.message}` });
  }
  return items;
}
