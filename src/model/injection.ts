import type { KubeObject, LabelSelector } from "./kube.js";
import { matchesSelector } from "./selectors.js";

/** Decision of the sidecar injector for a pod created now from given labels and annotations. */
export interface InjectionDecision {
  injects: boolean;
  /** Why, in the injector's terms: which webhook selects the pod, or which rule skips it. */
  reason: string;
  /** The webhook that selected the pod, when one did. */
  webhook?: string;
  /** True when no MutatingWebhookConfiguration was in the input and the Istio 1.23 chart defaults were assumed. */
  assumedChartDefaults: boolean;
}

export interface InjectionTarget {
  namespace: string;
  namespaceLabels: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  hostNetwork: boolean;
}

interface WebhookRule {
  name: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

/** Namespaces the injector never injects into, whatever the labels (Istio's IgnoredNamespaces). */
const IGNORED_NAMESPACES = new Set(["kube-system", "kube-public"]);

/**
 * Returns the four webhooks the Istio 1.23 chart installs for a revision, used when the input has no
 * MutatingWebhookConfiguration.
 */
export function chartDefaultWebhooks(revision: string): WebhookRule[] {
  const notOptedOut = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
  return [
    {
      name: "rev.namespace.sidecar-injector.istio.io",
      namespaceSelector: {
        matchExpressions: [
          { key: "istio.io/rev", operator: "In", values: [revision] },
          { key: "istio-injection", operator: "DoesNotExist" },
        ],
      },
      objectSelector: { matchExpressions: [notOptedOut] },
    },
    {
      name: "rev.object.sidecar-injector.istio.io",
      namespaceSelector: {
        matchExpressions: [
          { key: "istio.io/rev", operator: "DoesNotExist" },
          { key: "istio-injection", operator: "DoesNotExist" },
        ],
      },
      objectSelector: {
        matchExpressions: [notOptedOut, { key: "istio.io/rev", operator: "In", values: [revision] }],
      },
    },
    {
      name: "namespace.sidecar-injector.istio.io",
      namespaceSelector: { matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }] },
      objectSelector: { matchExpressions: [notOptedOut] },
    },
    {
      name: "object.sidecar-injector.istio.io",
      namespaceSelector: {
        matchExpressions: [
          { key: "istio-injection", operator: "DoesNotExist" },
          { key: "istio.io/rev", operator: "DoesNotExist" },
        ],
      },
      objectSelector: {
        matchExpressions: [
          { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
          { key: "istio.io/rev", operator: "DoesNotExist" },
        ],
      },
    },
  ];
}

/** Reads the injector webhooks of one Istio revision from MutatingWebhookConfiguration objects. */
export function injectorWebhooks(configurations: KubeObject[], revision: string): WebhookRule[] {
  const names =
    revision === "default"
      ? ["istio-sidecar-injector"]
      : [`istio-sidecar-injector-${revision}`, "istio-sidecar-injector"];
  for (const name of names) {
    const configuration = configurations.find((candidate) => candidate.metadata.name === name);
    const webhooks = configuration?.webhooks;
    if (Array.isArray(webhooks)) {
      return webhooks.map((webhook: WebhookRule) => ({
        name: webhook.name,
        namespaceSelector: webhook.namespaceSelector,
        objectSelector: webhook.objectSelector,
      }));
    }
  }
  return [];
}

/**
 * Decides injection as the webhook and the injector do. The webhook selectors see only labels, so
 * the `sidecar.istio.io/inject` annotation can opt a pod out but never in. The label, when set,
 * wins over the annotation, and hostNetwork pods are always skipped.
 */
export function decideInjection(
  target: InjectionTarget,
  webhooks: WebhookRule[],
  assumedChartDefaults: boolean,
): InjectionDecision {
  const base = { assumedChartDefaults };
  if (IGNORED_NAMESPACES.has(target.namespace)) {
    return { ...base, injects: false, reason: `the injector never injects into namespace ${target.namespace}` };
  }

  const selecting = webhooks.find(
    (webhook) =>
      matchesSelector(webhook.namespaceSelector, target.namespaceLabels) &&
      matchesSelector(webhook.objectSelector, target.podLabels),
  );
  if (!selecting) {
    return { ...base, injects: false, reason: noWebhookReason(target) };
  }

  if (target.hostNetwork) {
    return { ...base, injects: false, webhook: selecting.name, reason: "hostNetwork pods are never injected" };
  }
  const label = target.podLabels["sidecar.istio.io/inject"];
  const annotation = target.podAnnotations["sidecar.istio.io/inject"];
  if (
    label === undefined &&
    annotation !== undefined &&
    annotation !== "true" &&
    annotation !== "y" &&
    annotation !== "yes"
  ) {
    return {
      ...base,
      injects: false,
      webhook: selecting.name,
      reason: `annotation sidecar.istio.io/inject="${annotation}" opts the pod out`,
    };
  }
  return { ...base, injects: true, webhook: selecting.name, reason: injectReason(target, selecting.name) };
}

function injectReason(target: InjectionTarget, webhook: string): string {
  const namespaceLabel = target.namespaceLabels["istio-injection"];
  if (namespaceLabel === "enabled") return `namespace ${target.namespace} has istio-injection=enabled`;
  const revision = target.namespaceLabels["istio.io/rev"];
  if (revision) return `namespace ${target.namespace} has istio.io/rev=${revision}`;
  return `webhook ${webhook} selects the pod by its labels`;
}

function noWebhookReason(target: InjectionTarget): string {
  const label = target.podLabels["sidecar.istio.io/inject"];
  if (label === "false") return 'pod label sidecar.istio.io/inject="false" opts the pod out';
  if (target.namespaceLabels["istio-injection"] === "disabled") {
    return `namespace ${target.namespace} has istio-injection=disabled, which wins over pod labels`;
  }
  if (target.podAnnotations["sidecar.istio.io/inject"] === "true") {
    return `namespace ${target.namespace} is not labelled for injection; the sidecar.istio.io/inject annotation cannot opt a pod in because webhook selectors only match labels`;
  }
  return `namespace ${target.namespace} is not labelled for injection and no pod label selects it`;
}
