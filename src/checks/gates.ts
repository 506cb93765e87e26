import type { PlanPhase, RolloutPlan } from "../plan/schema.js";
import { type GateParts, gateOutcome } from "./gates/common.js";
import { meshIngressGate } from "./gates/ingress.js";
import { strictGate } from "./gates/strict.js";
import { meshWorkloadsGate } from "./gates/workloads.js";
import type { CheckContext, CheckDefinition } from "./types.js";

/** Returns the id of the gate check of one plan phase. */
export function gateId(phaseId: string): string {
  return `MP-GATE-${phaseId}`;
}

const GATES: Record<
  PlanPhase["type"],
  { proves: string; reads: string[]; needs: string[]; run: (context: CheckContext, phase: PlanPhase) => GateParts }
> = {
  "mesh-workloads": {
    proves:
      "Every workload of the phase can be meshed: the injector will select it once its opt-out is removed, a ClusterSPIFFEID registers its pods, it is not crash-looping, and the external services it calls are exported to its namespace on declared ports.",
    reads: [
      "Deployment/StatefulSet/DaemonSet of the phase",
      "ClusterSPIFFEID *",
      "ServiceEntry *",
      "DestinationRule *",
      "ConfigMap (env sources)",
      "earlier results: workload-health, external-services",
    ],
    needs: [
      "pods",
      "namespaces",
      "deployments.apps",
      "replicasets.apps",
      "statefulsets.apps",
      "daemonsets.apps",
      "configmaps",
      "serviceentries.networking.istio.io",
      "clusterspiffeids.spire.spiffe.io",
    ],
    run: meshWorkloadsGate,
  },
  "mesh-ingress": {
    proves:
      "ingress-nginx can be meshed without an outage: no hostNetwork, no inbound capture, every Ingress with a meshed backend sends to the Service with its host, SPIRE registers the controller, and its nodes run a ready SPIRE agent and CSI driver.",
    reads: [
      "ingress controller workload",
      "Ingress *",
      "ClusterSPIFFEID *",
      "DaemonSet spire-agent",
      "DaemonSet spire-spiffe-csi-driver",
      "earlier results: spire",
    ],
    needs: [
      "pods",
      "namespaces",
      "deployments.apps",
      "daemonsets.apps",
      "services",
      "ingresses.networking.k8s.io",
      "clusterspiffeids.spire.spiffe.io",
    ],
    run: meshIngressGate,
  },
  strict: {
    proves:
      "The mesh-wide STRICT flip breaks no caller: no plaintext caller on a port that goes STRICT, in the telemetry over a window covering the slowest caller or in the cluster's structure; no client-side TLS conflict; and every principal can match.",
    reads: [
      "earlier results: MP-MTLS-01..04, MP-AUTHZ-01, external-services",
      "Prometheus istio_requests_total, istio_tcp_connections_opened_total",
      "PeerAuthentication *",
    ],
    needs: [
      "pods",
      "namespaces",
      "services",
      "configmaps",
      "ingresses.networking.k8s.io",
      "peerauthentications.security.istio.io",
      "destinationrules.networking.istio.io",
      "serviceentries.networking.istio.io",
      "authorizationpolicies.security.istio.io",
    ],
    run: strictGate,
  },
};

function gateCheck(phase: PlanPhase, first: boolean): CheckDefinition {
  const gate = GATES[phase.type];
  return {
    id: gateId(phase.id),
    category: "phase-gates",
    title: `Phase ${phase.id} is safe to start${phase.title ? ` (${phase.title})` : ""}`,
    proves: gate.proves,
    reads: gate.reads,
    needs: gate.needs,
    requiresPlan: true,
    run: (context) => gateOutcome(phase, gate.run(context, phase), first),
  };
}

/**
 * Builds one gate check per next phase of the plan, in plan order, and none without a plan. Gates read the
 * results of the checks that ran before them, so they must run after every other check: append
 * them to the end of the check list (`[...ALL_CHECKS, ...gateChecksFor(plan)]`). The first gate
 * publishes `nextStepWaitsOn` for the banner.
 */
export function gateChecksFor(plan: RolloutPlan | undefined): CheckDefinition[] {
  if (!plan) return [];
  return plan.spec.phases.next.map((phase, position) => gateCheck(phase, position === 0));
}
