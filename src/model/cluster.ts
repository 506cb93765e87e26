import type { CollectedState, CollectionIssue, InputReport, LiveEvidence } from "../collect/types.js";
import type { RolloutPlan } from "../plan/schema.js";
import { chartDefaultWebhooks, decideInjection, type InjectionDecision, injectorWebhooks } from "./injection.js";
import type { ContainerStatus, KubeObject, LabelSelector, Pod } from "./kube.js";
import { subjectOf } from "./kube.js";
import { type MeshConfigView, readMeshConfig } from "./mesh-config.js";
import { composePeerAuthentication, type EffectiveMtls } from "./mtls.js";
import { isEmptySelector, matchesSelector } from "./selectors.js";
import { classifySidecar, imageTag, type SidecarInfo, type SidecarKind } from "./sidecar.js";
import { readSpireConfigs, type SpireView } from "./spire.js";
import {
  appContainerStatuses,
  isPodReady,
  OwnerResolver,
  type PodTemplate,
  podTemplateOf,
  type WorkloadKind,
} from "./workloads.js";

export interface PodView {
  subject: string;
  object: Pod;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName?: string;
  serviceAccount: string;
  /** Subject of the owning workload. */
  workload: string;
  sidecar: SidecarInfo;
  createdAt?: Date;
  phase: string;
  ready: boolean;
  /** Statuses of the app containers (not istio-proxy or istio-init). */
  appStatuses: ContainerStatus[];
  /** Highest restart count among the app containers. */
  restarts: number;
  /** A waiting reason such as CrashLoopBackOff on any container, proxy included. */
  waitingReason?: string;
  hostNetwork: boolean;
  /** Injector decision for this pod's labels if the pod were created now. */
  injection: InjectionDecision;
}

export interface WorkloadView {
  subject: string;
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** The controller object; absent when only its pods are in the input. */
  object?: KubeObject;
  template?: PodTemplate;
  pods: PodView[];
  serviceAccount: string;
  desiredReplicas?: number;
  readyReplicas?: number;
  /** native or classic when every pod has that kind, none when no pod has a sidecar, mixed otherwise. */
  sidecarKind: SidecarKind | "mixed";
  meshed: boolean;
  /** Injector decision for a pod recreated from the template now. */
  injectionOnRestart?: InjectionDecision;
}

export interface ModelStats {
  /** Index look-ups plus candidates examined: a count that grows with work, for linearity tests. */
  lookups: number;
}

export interface ModelOptions {
  istioNamespace: string;
  istioRevision: string;
  spire?: {
    server?: { namespace?: string; name: string };
    agent?: { namespace?: string; name: string };
    csiDriver?: { namespace?: string; name: string };
  };
  /** ISO time used as "now" when the state records no capture time. */
  capturedAtFallback?: string;
  kubernetesVersionFallback?: string;
}

/** The cluster as checks see it, built once per run from a CollectedState. Read-only after construction. */
export class ClusterModel {
  readonly now: Date;
  readonly nowSource: string;
  readonly kubernetesVersion?: { gitVersion: string; major: number; minor: number; source: string };
  readonly source: CollectedState["source"];
  readonly live: boolean;
  readonly evidence: readonly LiveEvidence[];
  readonly collectionIssues: readonly CollectionIssue[];
  readonly input: InputReport;
  readonly options: ModelOptions;
  readonly stats: ModelStats = { lookups: 0 };

  readonly pods: PodView[] = [];
  readonly workloads: WorkloadView[] = [];
  readonly mesh: MeshConfigView;
  readonly spire: SpireView;

  private readonly byKind = new Map<string, KubeObject[]>();
  /** Objects by kind, namespace ("" when cluster-scoped) and name: nested maps build no key string per object. */
  private readonly byName = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly workloadsBySubject = new Map<string, WorkloadView>();
  private readonly podsByNamespace = new Map<string, PodView[]>();
  private readonly podsByNode = new Map<string, PodView[]>();
  /** Pods by label key, then label value, so indexing builds no `key=value` string per pod label. */
  private readonly podsByLabel = new Map<string, Map<string, PodView[]>>();
  /** The pods of one `key=value` label by namespace, built the first time a namespaced query needs it. */
  private readonly podsByLabelInNamespace = new Map<string, Map<string, PodView[]>>();
  private readonly effectiveMtlsCache = new Map<PodView, EffectiveMtls>();
  private readonly peerAuthenticationsByNamespace = new Map<string, KubeObject[]>();

  constructor(state: CollectedState, options: ModelOptions) {
    this.options = options;
    this.source = state.source;
    this.live = state.live;
    this.evidence = state.evidence;
    this.collectionIssues = state.collectionIssues;
    this.input = state.input;

    for (const object of state.objects) {
      if (object.kind === "Secret") continue;
      let list = this.byKind.get(object.kind);
      if (!list) {
        list = [];
        this.byKind.set(object.kind, list);
      }
      list.push(object);
      let byNamespace = this.byName.get(object.kind);
      if (!byNamespace) {
        byNamespace = new Map();
        this.byName.set(object.kind, byNamespace);
      }
      const namespace = object.metadata.namespace ?? "";
      let named = byNamespace.get(namespace);
      if (!named) {
        named = new Map();
        byNamespace.set(namespace, named);
      }
      named.set(object.metadata.name, object);
    }

    // A capture time recorded in the input wins. A time stated in the plan beats one inferred from
    // the newest object timestamp, because that is only a lower bound on when the snapshot was taken.
    const recorded = state.capturedAt && state.capturedAtSource !== "newest-object-timestamp";
    const capture = recorded
      ? { at: state.capturedAt as string, source: state.capturedAtSource ?? "snapshot-file" }
      : options.capturedAtFallback
        ? { at: options.capturedAtFallback, source: "plan" }
        : state.capturedAt
          ? { at: state.capturedAt, source: "newest-object-timestamp" }
          : options.capturedAtFallback
            ? { at: options.capturedAtFallback, source: "plan" }
            : { at: new Date().toISOString(), source: "clock (no capture time in the input)" };
    this.now = new Date(capture.at);
    this.nowSource = capture.source;

    const gitVersion = state.kubernetesVersion?.gitVersion ?? options.kubernetesVersionFallback;
    const parsed = gitVersion ? /^v?(\d+)\.(\d+)/.exec(gitVersion) : null;
    if (gitVersion && parsed) {
      this.kubernetesVersion = {
        gitVersion,
        major: Number(parsed[1]),
        minor: Number(parsed[2]),
        source: state.kubernetesVersion ? state.kubernetesVersion.source : "plan",
      };
    }

    this.mesh = readMeshConfig(this.list("ConfigMap"), options.istioNamespace, options.istioRevision);
    for (const policy of this.list("PeerAuthentication")) {
      const namespace = policy.metadata.namespace ?? "";
      const list = this.peerAuthenticationsByNamespace.get(namespace) ?? [];
      list.push(policy);
      this.peerAuthenticationsByNamespace.set(namespace, list);
    }
    this.buildPodsAndWorkloads();
    this.spire = this.buildSpire();
  }

  /**
   * Objects of one kind, in input order. Counts as examining every object returned, so a listing
   * inside a loop over workloads shows as quadratic work in stats.lookups.
   */
  list(kind: string): KubeObject[] {
    const objects = this.byKind.get(kind) ?? [];
    this.stats.lookups += 1 + objects.length;
    return objects;
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    this.stats.lookups++;
    return this.byName
      .get(kind)
      ?.get(namespace ?? "")
      ?.get(name);
  }

  namespaceLabels(namespace: string): Record<string, string> {
    return this.get("Namespace", undefined, namespace)?.metadata.labels ?? {};
  }

  workload(subject: string): WorkloadView | undefined {
    this.stats.lookups++;
    return this.workloadsBySubject.get(subject);
  }

  podsInNamespace(namespace: string): PodView[] {
    this.stats.lookups++;
    return this.podsByNamespace.get(namespace) ?? [];
  }

  podsOnNode(node: string): PodView[] {
    this.stats.lookups++;
    return this.podsByNode.get(node) ?? [];
  }

  /**
   * Pods matching a label selector, in one namespace or all. Uses the label index: candidates are
   * the pods of the selector's rarest matchLabels pair in the namespace, so cost follows the
   * matches, not the cluster size, even when the same label appears in many namespaces.
   */
  podsMatching(selector: LabelSelector, namespace?: string): PodView[] {
    this.stats.lookups++;
    let candidates: PodView[] | undefined;
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
      const bucket = this.podsWithLabel(key, value, namespace);
      if (candidates === undefined || bucket.length < candidates.length) candidates = bucket;
      if (candidates.length === 0) break;
    }
    if (candidates === undefined) {
      candidates = namespace !== undefined ? (this.podsByNamespace.get(namespace) ?? []) : this.pods;
    }
    this.stats.lookups += candidates.length;
    return candidates.filter(
      (pod) => (namespace === undefined || pod.namespace === namespace) && matchesSelector(selector, pod.labels),
    );
  }

  /** Pods carrying one label, in one namespace or all. */
  private podsWithLabel(key: string, value: string, namespace: string | undefined): PodView[] {
    const all = this.podsByLabel.get(key)?.get(value) ?? [];
    if (namespace === undefined) return all;
    const label = `${key}=${value}`;
    let byNamespace = this.podsByLabelInNamespace.get(label);
    if (!byNamespace) {
      // Splitting examines each pod of the label once; later queries of any namespace reuse it.
      this.stats.lookups += all.length;
      byNamespace = new Map();
      for (const pod of all) pushTo(byNamespace, pod.namespace, pod);
      this.podsByLabelInNamespace.set(label, byNamespace);
    }
    return byNamespace.get(namespace) ?? [];
  }

  /** Workloads with at least one pod carrying a sidecar. */
  meshedWorkloads(): WorkloadView[] {
    return this.workloads.filter((workload) => workload.meshed);
  }

  /** Returns the effective PeerAuthentication of a pod, computed once. */
  effectiveMtls(pod: PodView): EffectiveMtls {
    this.stats.lookups++;
    let effective = this.effectiveMtlsCache.get(pod);
    if (!effective) {
      effective = this.composeMtls(pod.namespace, pod.labels);
      this.effectiveMtlsCache.set(pod, effective);
    }
    return effective;
  }

  /**
   * Effective PeerAuthentication for labels in a namespace, optionally with extra hypothetical
   * policies. The composition reads the labels only to test the policies' selectors, so label sets
   * that match the same policies share one result. The cost per pod is then one selector test per
   * selector policy instead of a sort and a composition.
   */
  composeMtls(namespace: string, labels: Record<string, string>, extraPolicies: KubeObject[] = []): EffectiveMtls {
    this.stats.lookups++;
    const compositions = this.mtlsCompositions(namespace, extraPolicies);
    let key = "";
    for (const { index, selector } of compositions.selectors) {
      if (matchesSelector(selector, labels)) key += `${index},`;
    }
    let effective = compositions.results.get(key);
    if (!effective) {
      effective = composePeerAuthentication(compositions.policies, this.mesh.rootNamespace, namespace, labels);
      compositions.results.set(key, effective);
    }
    return effective;
  }

  /** Compositions without extra policies, by namespace. */
  private readonly mtlsByNamespace = new Map<string, MtlsCompositions>();
  /** Compositions with extra policies, by the array passed, so a caller's fresh arrays are freed with it. */
  private readonly mtlsWithExtra = new WeakMap<readonly KubeObject[], Map<string, MtlsCompositions>>();

  /** Returns the policies that apply in a namespace, their selectors and the results composed so far. */
  private mtlsCompositions(namespace: string, extraPolicies: readonly KubeObject[]): MtlsCompositions {
    let byNamespace = this.mtlsByNamespace;
    if (extraPolicies.length > 0) {
      byNamespace = this.mtlsWithExtra.get(extraPolicies) ?? new Map();
      this.mtlsWithExtra.set(extraPolicies, byNamespace);
    }
    let compositions = byNamespace.get(namespace);
    if (!compositions) {
      const root = this.mesh.rootNamespace;
      const policies = [
        ...(this.peerAuthenticationsByNamespace.get(root) ?? []),
        ...(namespace === root ? [] : (this.peerAuthenticationsByNamespace.get(namespace) ?? [])),
        ...extraPolicies,
      ];
      const selectors: MtlsCompositions["selectors"] = [];
      policies.forEach((policy, index) => {
        const selector = policy.spec?.selector as LabelSelector | undefined;
        if (selector && !isEmptySelector(selector)) selectors.push({ index, selector });
      });
      compositions = { policies, selectors, results: new Map() };
      byNamespace.set(namespace, compositions);
    }
    return compositions;
  }

  /** Collection issues for one resource (as named in COLLECTED_KINDS via resourceName, or an evidence source). */
  issuesFor(resource: string): CollectionIssue[] {
    return this.collectionIssues.filter((issue) => issue.resource === resource);
  }

  /**
   * Decides injection for a template in a namespace. Calls with the same inputs share one decision
   * object, because a cluster has a few distinct inputs and tens of thousands of pods.
   */
  decideInjection(
    namespace: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    hostNetwork: boolean,
  ): InjectionDecision {
    // NOTE: the key must contain every input decideInjection reads: the namespace (and so its
    // labels), hostNetwork, the inject annotation and the pod labels the webhooks select on.
    let key = `${namespace}\n${hostNetwork}\n${JSON.stringify(annotations[INJECT_KEY])}`;
    for (const labelKey of this.injectionLabelKeys) {
      key += Object.hasOwn(labels, labelKey) ? `\n=${JSON.stringify(labels[labelKey])}` : "\n-";
    }
    let decision = this.injectionDecisions.get(key);
    if (!decision) {
      decision = decideInjection(
        {
          namespace,
          namespaceLabels: this.namespaceLabels(namespace),
          podLabels: labels,
          podAnnotations: annotations,
          hostNetwork,
        },
        this.webhooks.rules,
        this.webhooks.assumed,
      );
      this.injectionDecisions.set(key, decision);
    }
    return decision;
  }

  private readonly injectionDecisions = new Map<string, InjectionDecision>();
  private injectionLabelKeysCache?: string[];

  /** Returns the pod label keys an injection decision reads: the inject label and every webhook objectSelector key. */
  private get injectionLabelKeys(): string[] {
    if (!this.injectionLabelKeysCache) {
      const keys = new Set([INJECT_KEY]);
      for (const webhook of this.webhooks.rules) {
        for (const key of Object.keys(webhook.objectSelector?.matchLabels ?? {})) keys.add(key);
        for (const expression of webhook.objectSelector?.matchExpressions ?? []) keys.add(expression.key);
      }
      this.injectionLabelKeysCache = [...keys];
    }
    return this.injectionLabelKeysCache;
  }

  private webhooksCache?: { rules: ReturnType<typeof chartDefaultWebhooks>; assumed: boolean };

  private get webhooks(): { rules: ReturnType<typeof chartDefaultWebhooks>; assumed: boolean } {
    if (!this.webhooksCache) {
      const found = injectorWebhooks(this.list("MutatingWebhookConfiguration"), this.options.istioRevision);
      this.webhooksCache =
        found.length > 0
          ? { rules: found, assumed: false }
          : { rules: chartDefaultWebhooks(this.options.istioRevision), assumed: true };
    }
    return this.webhooksCache;
  }

  private buildPodsAndWorkloads(): void {
    const owners = new OwnerResolver((kind, namespace, name) => this.byName.get(kind)?.get(namespace)?.get(name));

    for (const object of this.byKind.get("Pod") ?? []) {
      const pod = object as Pod;
      const namespace = pod.metadata.namespace ?? "default";
      const owner = owners.resolve(pod);
      const labels = pod.metadata.labels ?? {};
      const annotations = pod.metadata.annotations ?? {};
      const appStatuses = appContainerStatuses(pod);
      const allStatuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      const view: PodView = {
        subject: subjectOf("Pod", namespace, pod.metadata.name),
        object: pod,
        namespace,
        name: pod.metadata.name,
        labels,
        annotations,
        nodeName: pod.spec?.nodeName,
        serviceAccount: pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? "default",
        workload: owner.subject,
        sidecar: classifySidecar(pod),
        createdAt: pod.metadata.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : undefined,
        phase: pod.status?.phase ?? "Unknown",
        ready: isPodReady(pod),
        appStatuses,
        restarts: Math.max(0, ...appStatuses.map((status) => status.restartCount ?? 0)),
        waitingReason: allStatuses.find((status) => status.state?.waiting?.reason)?.state?.waiting?.reason,
        hostNetwork: pod.spec?.hostNetwork === true,
        injection: this.decideInjection(namespace, labels, annotations, pod.spec?.hostNetwork === true),
      };
      this.pods.push(view);
      pushTo(this.podsByNamespace, namespace, view);
      if (view.nodeName) pushTo(this.podsByNode, view.nodeName, view);
      for (const key in labels) {
        let byValue = this.podsByLabel.get(key);
        if (!byValue) {
          byValue = new Map();
          this.podsByLabel.set(key, byValue);
        }
        pushTo(byValue, labels[key] as string, view);
      }

      let workload = this.workloadsBySubject.get(owner.subject);
      if (!workload) {
        workload = this.newWorkload(owner.subject, owner.kind, owner.namespace, owner.name, owner.object);
      }
      workload.pods.push(view);
    }

    // Controllers with no pods in the input still count: a datastore scaled to zero can leak on scale-up.
    for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "CronJob"] as const) {
      for (const object of this.byKind.get(kind) ?? []) {
        const namespace = object.metadata.namespace ?? "default";
        const subject = subjectOf(kind, namespace, object.metadata.name);
        if (!this.workloadsBySubject.has(subject))
          this.newWorkload(subject, kind, namespace, object.metadata.name, object);
      }
    }

    for (const workload of this.workloads) {
      const kinds = new Set(workload.pods.map((pod) => pod.sidecar.kind));
      workload.meshed = workload.pods.some((pod) => pod.sidecar.kind !== "none");
      if (kinds.size === 0) workload.sidecarKind = "none";
      else if (kinds.size === 1) workload.sidecarKind = [...kinds][0]!;
      else workload.sidecarKind = "mixed";
      const podServiceAccount = workload.pods[0]?.serviceAccount;
      workload.serviceAccount =
        workload.template?.spec.serviceAccountName ??
        workload.template?.spec.serviceAccount ??
        podServiceAccount ??
        "default";
      if (workload.template) {
        workload.injectionOnRestart = this.decideInjection(
          workload.namespace,
          workload.template.labels,
          workload.template.annotations,
          workload.template.spec.hostNetwork === true,
        );
      }
    }
  }

  private newWorkload(
    subject: string,
    kind: WorkloadKind,
    namespace: string,
    name: string,
    object?: KubeObject,
  ): WorkloadView {
    const template = object ? podTemplateOf(object) : undefined;
    const workload: WorkloadView = {
      subject,
      kind,
      namespace,
      name,
      object: kind === "Pod" ? undefined : object,
      template: kind === "Pod" ? undefined : template,
      pods: [],
      serviceAccount: "default",
      desiredReplicas: typeof object?.spec?.replicas === "number" ? object.spec.replicas : undefined,
      readyReplicas:
        object && kind !== "Pod" ? (object.status?.readyReplicas ?? object.status?.numberReady ?? 0) : undefined,
      sidecarKind: "none",
      meshed: false,
    };
    this.workloads.push(workload);
    this.workloadsBySubject.set(subject, workload);
    return workload;
  }

  private buildSpire(): SpireView {
    const refs = this.options.spire ?? {};
    const find = (kind: string, ref: { namespace?: string; name: string } | undefined, fallbackName: string) => {
      const name = ref?.name ?? fallbackName;
      const object = ref?.namespace
        ? this.get(kind, ref.namespace, name)
        : (this.byKind.get(kind) ?? []).find((candidate) => candidate.metadata.name === name);
      if (!object) return undefined;
      const workload = this.workloadsBySubject.get(subjectOf(kind, object.metadata.namespace, object.metadata.name));
      return { workload: object, pods: (workload?.pods ?? []).map((pod) => pod.object) };
    };
    return {
      server: find("StatefulSet", refs.server, "spire-server"),
      agent: find("DaemonSet", refs.agent, "spire-agent"),
      csiDriver: find("DaemonSet", refs.csiDriver, "spire-spiffe-csi-driver"),
      csiDriverObject: this.get("CSIDriver", undefined, "csi.spiffe.io") !== undefined,
      configs: readSpireConfigs(this.byKind.get("ConfigMap") ?? []),
      clusterSpiffeIds: this.byKind.get("ClusterSPIFFEID") ?? [],
    };
  }

  /** istiod pods of the plan's revision: pods labelled app=istiod in the Istio namespace. */
  istiodPods(): PodView[] {
    return this.podsInNamespace(this.options.istioNamespace).filter((pod) => pod.labels.app === "istiod");
  }

  istiodDeployment(): KubeObject | undefined {
    const revision = this.options.istioRevision;
    const name = revision === "default" ? "istiod" : `istiod-${revision}`;
    return (
      this.get("Deployment", this.options.istioNamespace, name) ??
      this.get("Deployment", this.options.istioNamespace, "istiod")
    );
  }
}

/** PeerAuthentications that apply in one namespace, and what composeMtls made of them so far. */
interface MtlsCompositions {
  policies: KubeObject[];
  /** The policies with a selector, by position in `policies`: only these read a pod's labels. */
  selectors: Array<{ index: number; selector: LabelSelector }>;
  /** Effective policies by the positions of the selector policies that match. */
  results: Map<string, EffectiveMtls>;
}

/** The pod label and annotation that opt a pod in or out of injection. */
const INJECT_KEY = "sidecar.istio.io/inject";

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Model options from the plan, with Istio's defaults when there is no plan. */
export function modelOptionsFromPlan(plan: RolloutPlan | undefined): ModelOptions {
  return {
    istioNamespace: plan?.spec.istio.namespace ?? "istio-system",
    istioRevision: plan?.spec.istio.revision ?? "default",
    spire: plan?.spec.spire,
    capturedAtFallback: plan?.spec.window?.capturedAt,
    kubernetesVersionFallback: plan?.spec.cluster.kubernetesVersion,
  };
}

export function buildModel(state: CollectedState, plan: RolloutPlan | undefined): ClusterModel {
  return new ClusterModel(state, modelOptionsFromPlan(plan));
}
