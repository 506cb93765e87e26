import type { ClusterModel, PodView } from "../model/cluster.js";
import { chartDefaultWebhooks } from "../model/injection.js";
import type { Container, KubeObject, LabelSelector } from "../model/kube.js";
import { subjectOf } from "../model/kube.js";
import { formatSelector } from "../model/selectors.js";
import { imageTag } from "../model/sidecar.js";
import type { RolloutPlan } from "../plan/schema.js";
import { kubectlGet, objectEvidence, table, yamlExcerpt } from "./evidence.js";
import {
  compareMinor,
  formatKubernetesRange,
  ISTIO_SUPPORT_TABLE,
  kubernetesSupported,
  minorDistance,
  minorOf,
  type ParsedVersion,
  parseVersion,
  supportEntry,
} from "./support-matrix.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

const SUPPORTED_RELEASES_URL = "https://istio.io/latest/docs/releases/supported-releases/";

/** Kubernetes minor where SidecarContainers became beta and on by default. */
export const NATIVE_SIDECARS_MIN_KUBERNETES_MINOR = 29;

// ---------------------------------------------------------------------------------------------
// istiod facts shared by the control-plane and native-sidecar checks
// ---------------------------------------------------------------------------------------------

export interface IstiodPodImage {
  pod: PodView;
  container?: Container;
  image?: string;
  tag?: string;
}

export interface IstiodFacts {
  namespace: string;
  /** Name the plan's revision gives the Deployment: `istiod` or `istiod-<revision>`. */
  expectedName: string;
  deployment?: KubeObject;
  deploymentSubject: string;
  templateContainer?: Container;
  templateImage?: string;
  templateTag?: string;
  /** All istiod pods in the input. */
  pods: PodView[];
  /** Running istiod pods with their discovery image. */
  running: IstiodPodImage[];
  /** The version istiod runs: the template tag, else the first running pod's tag. */
  tag?: string;
  version?: ParsedVersion;
}

/** Returns the `discovery` container of an istiod pod spec, or the first container when none has that name. */
export function discoveryContainer(containers: Container[] | undefined): Container | undefined {
  return containers?.find((container) => container.name === "discovery") ?? containers?.[0];
}

/** Reads istiod's Deployment and pods once, for the checks that compare versions and env. */
export function readIstiod(model: ClusterModel): IstiodFacts {
  const namespace = model.options.istioNamespace;
  const revision = model.options.istioRevision;
  const expectedName = revision === "default" ? "istiod" : `istiod-${revision}`;
  const deployment = model.istiodDeployment();
  const templateContainer = discoveryContainer(deployment?.spec?.template?.spec?.containers);
  const pods = model.istiodPods();
  const running = pods
    .filter((pod) => pod.phase === "Running")
    .map((pod) => {
      const container = discoveryContainer(pod.object.spec?.containers);
      return { pod, container, image: container?.image, tag: imageTag(container?.image) };
    });
  const templateTag = imageTag(templateContainer?.image);
  const tag = templateTag ?? running.find((entry) => entry.tag)?.tag;
  return {
    namespace,
    expectedName,
    deployment,
    deploymentSubject: subjectOf("Deployment", namespace, deployment?.metadata.name ?? expectedName),
    templateContainer,
    templateImage: templateContainer?.image,
    templateTag,
    pods,
    running,
    tag,
    version: parseVersion(tag),
  };
}

/** Reads an env variable of a container: its literal value, or where the value comes from when it is a reference. */
export function envValue(container: Container | undefined, name: string): { value?: string; indirect?: string } {
  const variable = container?.env?.find((candidate) => candidate.name === name);
  if (!variable) return {};
  if (variable.value !== undefined) return { value: variable.value };
  const from = variable.valueFrom?.configMapKeyRef
    ? `ConfigMap ${variable.valueFrom.configMapKeyRef.name}/${variable.valueFrom.configMapKeyRef.key}`
    : variable.valueFrom?.secretKeyRef
      ? `Secret ${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}`
      : "a reference meshproof does not resolve";
  return { indirect: from };
}

function istiodImageEvidence(istiod: IstiodFacts): Evidence {
  const name = istiod.deployment?.metadata.name ?? istiod.expectedName;
  const command = `kubectl -n ${istiod.namespace} get deploy ${name} -o jsonpath='{.spec.template.spec.containers[?(@.name=="discovery")].image}'`;
  return objectEvidence(
    command,
    istiod.deployment ? (istiod.templateImage ?? "(no discovery container image)") : "(Deployment not in the input)",
  );
}

function istiodPodsEvidence(istiod: IstiodFacts): Evidence {
  const command = `kubectl -n ${istiod.namespace} get pods -l app=istiod -o custom-columns='NAME:.metadata.name,READY:.status.containerStatuses[*].ready,STATUS:.status.phase,IMAGE:.spec.containers[*].image'`;
  const rows = istiod.pods.map((pod) => [
    pod.name,
    (pod.object.status?.containerStatuses ?? []).map((status) => String(status.ready === true)).join(",") || "<none>",
    pod.phase,
    (pod.object.spec?.containers ?? []).map((container) => container.image ?? "").join(","),
  ]);
  return objectEvidence(
    command,
    rows.length ? table(["NAME", "READY", "STATUS", "IMAGE"], rows) : "No resources found.",
  );
}

// ---------------------------------------------------------------------------------------------
// MP-CP-01 istiod health and version
// ---------------------------------------------------------------------------------------------

function runIstiodHealth(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const istiod = readIstiod(model);
  const findings: Finding[] = [];
  const problems: string[] = [];
  const evidence = [istiodImageEvidence(istiod), istiodPodsEvidence(istiod)];
  const subject = istiod.deploymentSubject;

  if (!istiod.deployment && istiod.pods.length === 0) {
    findings.push({
      subject,
      verdict: "fail",
      message: `No istiod Deployment and no pod labelled app=istiod in namespace ${istiod.namespace}: the control plane is not running, or the plan names the wrong Istio namespace or revision.`,
      hint: `Check with \`kubectl get deploy -A -l app=istiod\`, then set spec.istio.namespace and spec.istio.revision in the plan.`,
    });
    return { summary: `Not running: no istiod found in namespace ${istiod.namespace}.`, findings, evidence };
  }

  // Readiness: the Deployment status and the pods must both show a ready replica.
  const readyPods = istiod.pods.filter((pod) => pod.ready);
  const declared = istiod.deployment?.spec?.replicas;
  const replicas = istiod.deployment ? (typeof declared === "number" ? declared : 1) : istiod.pods.length;
  const readyReplicas = istiod.deployment ? Number(istiod.deployment.status?.readyReplicas ?? 0) : readyPods.length;
  const noneReady = istiod.pods.length > 0 ? readyPods.length === 0 : readyReplicas === 0;
  if (!istiod.deployment) {
    findings.push({
      subject,
      verdict: "info",
      message: `Deployment ${istiod.expectedName} is not in the input; readiness and version are read from the ${istiod.pods.length} istiod pods.`,
    });
  }
  if (noneReady) {
    const reason =
      replicas === 0 ? "the Deployment is scaled to 0 replicas" : `${readyReplicas}/${replicas} replicas ready`;
    findings.push({
      subject,
      verdict: "fail",
      message: `No ready istiod replica (${reason}): sidecars get no configuration updates and, with the injector's failurePolicy Fail, pods cannot be created in injected namespaces.`,
      hint: `Inspect with \`kubectl -n ${istiod.namespace} describe deploy ${istiod.expectedName}\` and \`kubectl -n ${istiod.namespace} logs deploy/${istiod.expectedName}\`.`,
    });
    problems.push("no ready replica");
  } else if (readyReplicas < replicas) {
    findings.push({
      subject,
      verdict: "warn",
      message: `${readyReplicas}/${replicas} istiod replicas ready.`,
      hint: `Find the unready pod with \`kubectl -n ${istiod.namespace} get pods -l app=istiod\` and read its events.`,
    });
    problems.push(`${readyReplicas}/${replicas} replicas ready`);
  }
  for (const pod of istiod.pods) {
    if (!pod.ready && !noneReady) {
      findings.push({
        subject: pod.subject,
        verdict: "warn",
        message: `istiod pod is not ready (phase ${pod.phase}${pod.waitingReason ? `, ${pod.waitingReason}` : ""}).`,
        hint: `kubectl -n ${pod.namespace} describe pod ${pod.name}`,
      });
    }
  }

  // Rollout: a controller that has not observed the latest spec is still rolling.
  const generation = istiod.deployment?.metadata.generation;
  const observed = istiod.deployment?.status?.observedGeneration;
  if (typeof generation === "number" && typeof observed === "number" && observed < generation) {
    findings.push({
      subject,
      verdict: "warn",
      message: `Rollout in progress: the Deployment is at generation ${generation} but its controller has observed only ${observed}.`,
      hint: `kubectl -n ${istiod.namespace} rollout status deploy/${istiod.expectedName}`,
    });
    problems.push("rollout in progress");
  }

  // Version: one tag everywhere, and the plan's version as a prefix of it.
  const tags = new Map<string, string[]>();
  if (istiod.templateTag) tags.set(istiod.templateTag, ["the Deployment template"]);
  for (const entry of istiod.running) {
    if (!entry.tag) continue;
    const holders = tags.get(entry.tag) ?? [];
    holders.push(`pod ${entry.pod.name}`);
    tags.set(entry.tag, holders);
  }
  if (!istiod.tag) {
    const image = istiod.templateImage ?? istiod.running[0]?.image ?? "(none)";
    findings.push({
      subject,
      verdict: "unknown",
      message: `The istiod image ${image} has no tag (a digest pin or no discovery container), so its version cannot be read from the objects.`,
      hint: "Run `istioctl version` to read the control plane version.",
    });
    problems.push("version unknown");
  } else if (tags.size > 1) {
    const described = [...tags.entries()].map(([tag, holders]) => `${tag} (${holders.join(", ")})`).join("; ");
    findings.push({
      subject,
      verdict: "warn",
      message: `istiod runs mixed image tags: ${described}. An upgrade is half done or an old ReplicaSet still serves.`,
      hint: `kubectl -n ${istiod.namespace} rollout status deploy/${istiod.expectedName}; kubectl -n ${istiod.namespace} get rs -l app=istiod`,
    });
    problems.push(`mixed tags ${[...tags.keys()].join(", ")}`);
  }
  const planned = plan?.spec.istio.version;
  if (planned && istiod.tag && !matchesPlannedVersion(istiod.tag, planned)) {
    const running = parseVersion(istiod.tag);
    const wanted = parseVersion(planned);
    const difference =
      running && wanted && compareMinor(running, wanted) !== 0
        ? `minor ${minorOf(running)} differs from the planned ${minorOf(wanted)}`
        : `patch differs from the planned ${planned}`;
    findings.push({
      subject,
      verdict: "warn",
      message: `istiod runs ${istiod.tag}, but the plan sets ${planned}: the ${difference}.`,
      hint: "Upgrade or roll back istiod to the planned version, or correct spec.istio.version in the plan.",
    });
    problems.push(`runs ${istiod.tag}, plan says ${planned}`);
  }

  if (problems.length === 0) {
    const running = istiod.running.length;
    findings.push({
      subject,
      verdict: "pass",
      message: `${readyReplicas}/${replicas} replicas ready; ${running} running pod${running === 1 ? "" : "s"} on ${istiod.tag}${
        planned ? `, as planned (${planned})` : ""
      }${typeof observed === "number" ? `; generation ${observed} observed` : ""}.`,
    });
  }

  const version = istiod.tag ? `v${istiod.tag}` : "version unknown";
  const summary = noneReady
    ? `Not ready: no ready istiod replica (${version}).`
    : problems.length === 0
      ? `Running, ${version}. Healthy.`
      : `Running, ${version}; ${problems.join("; ")}.`;
  return { summary, findings, evidence, facts: { istiodVersion: istiod.tag } };
}

/** `1.23` matches `1.23.2` and `1.23.2-distroless`; `1.23.2` matches only that patch. */
function matchesPlannedVersion(tag: string, planned: string): boolean {
  const bare = tag.replace(/^v/, "");
  return bare === planned || bare.startsWith(`${planned}.`) || bare.startsWith(`${planned}-`);
}

// ---------------------------------------------------------------------------------------------
// MP-CP-02 support window and Kubernetes compatibility
// ---------------------------------------------------------------------------------------------

function runSupportWindow(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const istiod = readIstiod(model);
  const findings: Finding[] = [];
  const evidence: Evidence[] = [istiodImageEvidence(istiod), kubernetesVersionEvidence(model)];
  const clusterSubject = `Cluster ${plan?.spec.cluster.name ?? "(unnamed)"}`;

  const istioText = istiod.tag ?? plan?.spec.istio.version;
  const istioSource = istiod.tag ? "the istiod image tag" : "the plan (spec.istio.version)";
  const istio = parseVersion(istioText);
  const kubernetes = model.kubernetesVersion;
  const kubernetesText = kubernetes ? `${kubernetes.major}.${kubernetes.minor}` : undefined;

  if (!istio) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "unknown",
      message: istioText
        ? `The Istio version "${istioText}" from ${istioSource} cannot be parsed.`
        : "The Istio version is unknown: no tagged istiod image in the input and no spec.istio.version in the plan.",
      hint: "Run `istioctl version`, then set spec.istio.version in the plan.",
    });
  }
  if (!kubernetes) {
    findings.push({
      subject: clusterSubject,
      verdict: "unknown",
      message:
        "The Kubernetes version is unknown: the input has no version and no Node objects, and the plan sets no spec.cluster.kubernetesVersion.",
      hint: "Run `kubectl version` and set spec.cluster.kubernetesVersion in the plan, or include the Node list in the snapshot.",
    });
  }

  // Support window and Kubernetes range from the table.
  const release = istio ? supportEntry(istio) : undefined;
  const oldest = parseVersion(ISTIO_SUPPORT_TABLE[0]?.minor);
  const newest = parseVersion(ISTIO_SUPPORT_TABLE[ISTIO_SUPPORT_TABLE.length - 1]?.minor);
  let pastEndOfLife = false;
  let outsideRange = false;
  if (istio && !release) {
    if (oldest && compareMinor(istio, oldest) < 0) {
      pastEndOfLife = true;
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "warn",
        message: `Istio ${minorOf(istio)} is older than ${ISTIO_SUPPORT_TABLE[0]?.minor}, which reached end of life on ${ISTIO_SUPPORT_TABLE[0]?.endOfLife}; it gets no security fixes.`,
        hint: `Plan an upgrade, one minor at a time; see ${SUPPORTED_RELEASES_URL}.`,
      });
    } else {
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "unknown",
        message: `Istio ${minorOf(istio)} is newer than the support table meshproof carries (up to ${newest ? minorOf(newest) : "?"}), so its window and Kubernetes range are not known here.`,
        hint: `Compare with ${SUPPORTED_RELEASES_URL}.`,
      });
    }
  }
  if (istio && release) {
    const estimated = release.endOfLifeEstimated ? " (projected date)" : "";
    if (model.now.getTime() >= Date.parse(`${release.endOfLife}T00:00:00Z`)) {
      pastEndOfLife = true;
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "warn",
        message: `Istio ${release.minor} (released ${release.released}) reached end of life on ${release.endOfLife}${estimated}; it gets no security or bug fixes.`,
        hint: `Plan an upgrade, one minor at a time; see ${SUPPORTED_RELEASES_URL}.`,
      });
    } else {
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "pass",
        message: `Istio ${release.minor} is supported until ${release.endOfLife}${estimated}.`,
      });
    }
    if (kubernetes) {
      if (kubernetesSupported(release, kubernetes.major, kubernetes.minor)) {
        findings.push({
          subject: clusterSubject,
          verdict: "pass",
          message: `Kubernetes ${kubernetesText} is within ${formatKubernetesRange(release)}, the range Istio ${release.minor} supports.`,
        });
      } else {
        outsideRange = true;
        findings.push({
          subject: clusterSubject,
          verdict: "warn",
          message: `Kubernetes ${kubernetesText} (${kubernetes.gitVersion}, from ${describeKubernetesSource(kubernetes.source)}) is outside ${formatKubernetesRange(release)}, the range Istio ${release.minor} supports.`,
          hint: `Move to an Istio minor that supports Kubernetes ${kubernetesText}; see ${SUPPORTED_RELEASES_URL}.`,
        });
      }
    }
  }

  // Native sidecars need the SidecarContainers feature, on by default from Kubernetes 1.29.
  const nativeOn = istiod.running.filter(
    (entry) => envValue(entry.container, "ENABLE_NATIVE_SIDECARS").value === "true",
  );
  const nativeFail =
    kubernetes !== undefined && kubernetes.major === 1 && kubernetes.minor < NATIVE_SIDECARS_MIN_KUBERNETES_MINOR;
  if (nativeOn.length > 0 && nativeFail) {
    for (const entry of nativeOn) {
      findings.push({
        subject: entry.pod.subject,
        verdict: "fail",
        message: `ENABLE_NATIVE_SIDECARS=true on Kubernetes ${kubernetesText}: SidecarContainers is alpha and off by default before 1.29, so injected pods get an istio-proxy init container that blocks the app.`,
        hint: `Set ENABLE_NATIVE_SIDECARS=false on istiod (Helm value pilot.env.ENABLE_NATIVE_SIDECARS) or upgrade Kubernetes to 1.29 or later.`,
      });
    }
  }
  if (istiod.running.length > 0) evidence.push(nativeSidecarEnvEvidence(istiod));
  if (model.issuesFor("pods").length > 0) {
    findings.push({
      subject: "Resource pods",
      verdict: "unknown",
      message: "Pods could not be read, so ENABLE_NATIVE_SIDECARS on the running istiod pods is unknown.",
    });
  }

  const summary = supportSummary({
    istio: release?.minor ?? (istio ? minorOf(istio) : undefined),
    release,
    kubernetesText,
    pastEndOfLife,
    outsideRange,
    nativeFail: nativeOn.length > 0 && nativeFail,
  });
  return { summary, findings, evidence };
}

function supportSummary(facts: {
  istio?: string;
  release?: (typeof ISTIO_SUPPORT_TABLE)[number];
  kubernetesText?: string;
  pastEndOfLife: boolean;
  outsideRange: boolean;
  nativeFail: boolean;
}): string {
  const { istio, release, kubernetesText } = facts;
  if (!istio) return "Unknown: the Istio version could not be read.";
  const parts: string[] = [];
  if (facts.nativeFail)
    parts.push(`Native sidecars are enabled on Kubernetes ${kubernetesText}, which needs 1.29 or later.`);
  if (!release) {
    parts.push(
      facts.pastEndOfLife
        ? `Istio ${istio} is past end of life.`
        : `Istio ${istio} is not in meshproof's support table.`,
    );
  } else {
    const range = formatKubernetesRange(release);
    const cluster = kubernetesText ? `this cluster runs ${kubernetesText}` : "the Kubernetes version is unknown";
    if (facts.pastEndOfLife && facts.outsideRange) {
      parts.push(
        `Istio ${istio} reached end of life on ${release.endOfLife} and supports Kubernetes ${range}; ${cluster}.`,
      );
    } else if (facts.pastEndOfLife) {
      parts.push(
        `Istio ${istio} reached end of life on ${release.endOfLife}; ${kubernetesText ? `Kubernetes ${kubernetesText} is within its ${range}` : cluster}.`,
      );
    } else if (facts.outsideRange) {
      parts.push(
        `Istio ${istio} is supported until ${release.endOfLife} but supports Kubernetes ${range}; ${cluster}.`,
      );
    } else if (kubernetesText) {
      parts.push(`Istio ${istio} on Kubernetes ${kubernetesText}: a supported pairing until ${release.endOfLife}.`);
    } else {
      parts.push(`Istio ${istio} is supported until ${release.endOfLife}; the Kubernetes version is unknown.`);
    }
  }
  return parts.join(" ");
}

function describeKubernetesSource(source: string): string {
  if (source === "version-endpoint") return "the API server /version";
  if (source === "node-kubelet") return "the Node kubelet versions";
  if (source === "plan") return "the plan";
  return source;
}

function kubernetesVersionEvidence(model: ClusterModel): Evidence {
  const version = model.kubernetesVersion;
  if (version?.source === "node-kubelet") {
    const nodes = model.list("Node");
    const rows = nodes
      .slice(0, 20)
      .map((node) => [node.metadata.name, String(node.status?.nodeInfo?.kubeletVersion ?? "")]);
    const more = nodes.length > rows.length ? `\n(${nodes.length - rows.length} more nodes)` : "";
    return objectEvidence(
      "kubectl get nodes -o custom-columns=NAME:.metadata.name,VERSION:.status.nodeInfo.kubeletVersion",
      rows.length ? `${table(["NAME", "VERSION"], rows)}${more}` : `(no Node objects; version ${version.gitVersion})`,
    );
  }
  if (version?.source === "plan") {
    return objectEvidence(
      "kubectl version",
      `(not in the input; the plan's spec.cluster.kubernetesVersion gives ${version.gitVersion})`,
    );
  }
  return objectEvidence(
    "kubectl version",
    version ? `Server Version: ${version.gitVersion}` : "(server version not in the input)",
  );
}

/** Builds the per-pod ENABLE_NATIVE_SIDECARS listing as `kubectl get pod -o jsonpath` prints it. */
export function nativeSidecarEnvEvidence(istiod: IstiodFacts): Evidence {
  const command = `kubectl -n ${istiod.namespace} get pod -l app=istiod -o jsonpath='{range .items[*]}{.metadata.name} {.spec.containers[0].env[?(@.name=="ENABLE_NATIVE_SIDECARS")].value}{"\\n"}{end}'`;
  const lines = istiod.running.map((entry) => {
    const env = envValue(entry.container, "ENABLE_NATIVE_SIDECARS");
    return `${entry.pod.name} ${env.value ?? (env.indirect ? `(from ${env.indirect})` : "")}`.trimEnd();
  });
  return objectEvidence(command, lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// MP-CP-03 data-plane version skew
// ---------------------------------------------------------------------------------------------

const SKEW_ROWS_LIMIT = 40;

function runVersionSkew(model: ClusterModel): CheckOutcome {
  const istiod = readIstiod(model);
  const findings: Finding[] = [];
  const reference = istiod.version;

  const meshed = model.pods.filter((pod) => pod.sidecar.kind !== "none");
  const byWorkload = new Map<string, PodView[]>();
  for (const pod of meshed) {
    const list = byWorkload.get(pod.workload) ?? [];
    list.push(pod);
    byWorkload.set(pod.workload, list);
  }

  const evidence: Evidence[] = [istiodImageEvidence(istiod)];
  if (!reference) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "unknown",
      message: istiod.tag
        ? `istiod's image tag ${istiod.tag} is not a version, so proxy skew cannot be judged.`
        : "istiod's version is unknown (no tagged istiod image in the input), so proxy skew cannot be judged.",
      hint: "Run `istioctl proxy-status` and read the VERSION column.",
    });
    evidence.push(proxyVersionsEvidence(meshed, new Set()));
    return { summary: "Unknown: istiod's version could not be read.", findings, evidence };
  }
  if (meshed.length === 0) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "info",
      message: "No pod in the input carries an istio-proxy, so there is no proxy version to compare.",
    });
    return { summary: `No proxies to compare with istiod ${istiod.tag}.`, findings, evidence };
  }

  let newer = 0;
  let olderOne = 0;
  let olderMore = 0;
  let untagged = 0;
  const flagged = new Set<PodView>();
  // Patch differences within istiod's minor are within policy, so they are reported in the pass finding.
  const patchNotes: Array<{ subject: string; text: string }> = [];
  for (const [workload, pods] of byWorkload) {
    const versions = new Map<string, PodView[]>();
    for (const pod of pods) {
      const key = pod.sidecar.version ?? "";
      const list = versions.get(key) ?? [];
      list.push(pod);
      versions.set(key, list);
    }
    for (const [versionText, holders] of versions) {
      const proxy = parseVersion(versionText);
      const count = `${holders.length} pod${holders.length === 1 ? "" : "s"}`;
      if (!proxy) {
        untagged += holders.length;
        for (const pod of holders) flagged.add(pod);
        findings.push({
          subject: workload,
          verdict: "unknown",
          message: `${count} run an istio-proxy image without a version tag (${holders[0]?.sidecar.container?.image ?? "no image"}).`,
          hint: "Run `istioctl proxy-status` to read the proxy version.",
        });
        continue;
      }
      const distance = minorDistance(proxy, reference);
      if (distance < 0) {
        newer += holders.length;
        for (const pod of holders) flagged.add(pod);
        findings.push({
          subject: workload,
          verdict: "fail",
          message: `${count} run istio-proxy ${versionText}, newer than istiod ${istiod.tag}: the data plane must never be ahead of the control plane.`,
          hint: `Re-inject from istiod ${istiod.tag}: kubectl -n ${holders[0]?.namespace} rollout restart ${workloadResource(workload)}; look for a hand-pinned sidecar.istio.io/proxyImage annotation or another revision's injector.`,
        });
      } else if (distance === 1) {
        olderOne += holders.length;
        for (const pod of holders) flagged.add(pod);
        findings.push({
          subject: workload,
          verdict: "warn",
          message: `${count} run istio-proxy ${versionText}, one minor older than istiod ${istiod.tag}: allowed by the skew policy, but restart to pick up the current proxy.`,
          hint: `kubectl -n ${holders[0]?.namespace} rollout restart ${workloadResource(workload)}`,
        });
      } else if (distance > 1) {
        olderMore += holders.length;
        for (const pod of holders) flagged.add(pod);
        findings.push({
          subject: workload,
          verdict: "warn",
          message: `${count} run istio-proxy ${versionText}, ${distance} minors older than istiod ${istiod.tag}: outside the supported skew, where the control plane may be at most one minor ahead.`,
          hint: `Restart soon to re-inject: kubectl -n ${holders[0]?.namespace} rollout restart ${workloadResource(workload)}`,
        });
      } else if (versionText !== istiod.tag) {
        patchNotes.push({ subject: workload, text: `${count} of ${workload} run ${versionText}` });
      }
    }
  }

  evidence.push(proxyVersionsEvidence(meshed, flagged));
  const total = `${meshed.length} prox${meshed.length === 1 ? "y" : "ies"} in ${byWorkload.size} workload${byWorkload.size === 1 ? "" : "s"}`;
  const patches = patchNotes.length
    ? ` Patch differences within the minor: ${patchNotes.map((note) => note.text).join("; ")}.`
    : "";
  if (newer + olderOne + olderMore + untagged === 0) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "pass",
      message: `All ${total} run ${minorOf(reference)}.x, the same minor as istiod ${istiod.tag}.${patches}`,
    });
    return { summary: `All ${total} on ${minorOf(reference)}.x, matching istiod ${istiod.tag}.`, findings, evidence };
  }
  for (const note of patchNotes) {
    findings.push({
      subject: note.subject,
      verdict: "info",
      message: `${note.text} while istiod runs ${istiod.tag}: same minor, so within the skew policy.`,
    });
  }
  const parts: string[] = [];
  if (newer) parts.push(`${newer} newer than istiod`);
  if (olderOne) parts.push(`${olderOne} one minor older`);
  if (olderMore) parts.push(`${olderMore} more than one minor older`);
  if (untagged) parts.push(`${untagged} without a version tag`);
  return { summary: `Of ${total}, ${parts.join(", ")} (istiod ${istiod.tag}).`, findings, evidence };
}

/** `deploy/name` style target for `kubectl rollout restart`, from a workload subject. */
function workloadResource(subject: string): string {
  const [kind, path] = subject.split(" ");
  const name = path?.split("/")[1] ?? "";
  const short: Record<string, string> = { Deployment: "deploy", StatefulSet: "statefulset", DaemonSet: "daemonset" };
  return `${short[kind ?? ""] ?? (kind ?? "").toLowerCase()}/${name}`;
}

function proxyVersionsEvidence(meshed: PodView[], flagged: Set<PodView>): Evidence {
  const command = `kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.spec.containers[?(@.name=="istio-proxy")].image}{.spec.initContainers[?(@.name=="istio-proxy")].image}{"\\n"}{end}'`;
  // Mismatching proxies first, so a long listing still shows them.
  const ordered = [...meshed.filter((pod) => flagged.has(pod)), ...meshed.filter((pod) => !flagged.has(pod))];
  const rows = ordered
    .slice(0, SKEW_ROWS_LIMIT)
    .map((pod) => [pod.namespace, pod.name, pod.sidecar.container?.image ?? ""]);
  const more = ordered.length > rows.length ? `\n(${ordered.length - rows.length} more meshed pods)` : "";
  return objectEvidence(
    command,
    rows.length ? `${table(["NAMESPACE", "NAME", "PROXY IMAGE"], rows)}${more}` : "(no meshed pods)",
  );
}

// ---------------------------------------------------------------------------------------------
// MP-CP-04 injector webhook wiring
// ---------------------------------------------------------------------------------------------

interface WebhookObject {
  name: string;
  failurePolicy?: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  clientConfig?: { caBundle?: string; service?: { name?: string; namespace?: string; path?: string } };
}

function runInjectorWebhook(model: ClusterModel): CheckOutcome {
  const revision = model.options.istioRevision;
  const names =
    revision === "default"
      ? ["istio-sidecar-injector"]
      : [`istio-sidecar-injector-${revision}`, "istio-sidecar-injector"];
  const configurations = model.list("MutatingWebhookConfiguration");
  const configuration = names
    .map((name) => configurations.find((candidate) => candidate.metadata.name === name))
    .find((candidate) => candidate !== undefined);
  const findings: Finding[] = [];

  if (!configuration) {
    findings.push({
      subject: subjectOf("MutatingWebhookConfiguration", undefined, names[0] ?? "istio-sidecar-injector"),
      verdict: "unknown",
      message: `MutatingWebhookConfiguration ${names.join(" or ")} is not in the input, so the checks that predict injection assumed the Istio 1.23 chart's default webhooks.`,
      hint: `Add it to the snapshot: kubectl get mutatingwebhookconfiguration ${names[0]} -o yaml`,
    });
    return {
      summary: "Unknown: the injector webhook is not in the input; chart defaults were assumed.",
      findings,
      evidence: [objectEvidence(`kubectl get mutatingwebhookconfiguration ${names[0]} -o yaml`, "(not in the input)")],
    };
  }

  const subject = subjectOf("MutatingWebhookConfiguration", undefined, configuration.metadata.name);
  const webhooks = (Array.isArray(configuration.webhooks) ? configuration.webhooks : []) as WebhookObject[];
  const evidence = [webhookEvidence(configuration.metadata.name, webhooks)];
  if (webhooks.length === 0) {
    findings.push({
      subject,
      verdict: "fail",
      message:
        "The configuration has no webhooks, so the API server never calls the injector and no pod gets a sidecar.",
      hint: "Reinstall the istiod chart or restore the webhooks: helm upgrade istiod istio/istiod -n istio-system --reuse-values",
    });
    return { summary: "Broken: the injector configuration has no webhooks.", findings, evidence };
  }

  const problems: string[] = [];
  const defaults = new Map(chartDefaultWebhooks(revision).map((rule) => [rule.name, rule]));
  const expected =
    revision === "default" ? [...defaults.keys()] : [...defaults.keys()].filter((name) => name.startsWith("rev."));
  const present = new Set(webhooks.map((webhook) => webhook.name));

  for (const webhook of webhooks) {
    const named = `Webhook ${webhook.name}`;
    if (!webhook.clientConfig?.caBundle) {
      findings.push({
        subject,
        verdict: "fail",
        message: `${named}: clientConfig.caBundle is empty: the API server cannot verify istiod's serving certificate, so injection calls fail and pod creation is rejected.`,
        hint: `istiod patches caBundle when it starts; check its logs: kubectl -n ${model.options.istioNamespace} logs deploy/istiod | grep -i webhook`,
      });
      problems.push(`empty caBundle on ${webhook.name}`);
    }
    if (webhook.name.startsWith("auto.")) {
      findings.push({
        subject,
        verdict: "warn",
        message: `${named}: an auto.* webhook means enableNamespacesByDefault is on, so every namespace without an injection label gets sidecars, datastores included.`,
        hint: "Set sidecarInjectorWebhook.enableNamespacesByDefault=false unless injecting every namespace is intended.",
      });
      problems.push("enableNamespacesByDefault is on");
      continue;
    }
    const chart = defaults.get(webhook.name);
    if (!chart) {
      findings.push({
        subject,
        verdict: "warn",
        message: `${named}: the Istio 1.23 chart installs no webhook of this name, so it was added by hand or by another tool.`,
        hint: `Compare with the chart: istioctl manifest generate --set revision=${revision === "default" ? '""' : revision}`,
      });
      problems.push(`unexpected webhook ${webhook.name}`);
      continue;
    }
    const edits: string[] = [];
    if (!sameSelector(webhook.namespaceSelector, chart.namespaceSelector)) {
      edits.push(
        `namespaceSelector is ${formatSelector(webhook.namespaceSelector)}; the chart sets ${formatSelector(chart.namespaceSelector)}`,
      );
    }
    if (!sameSelector(webhook.objectSelector, chart.objectSelector)) {
      edits.push(
        `objectSelector is ${formatSelector(webhook.objectSelector)}; the chart sets ${formatSelector(chart.objectSelector)}`,
      );
    }
    if (edits.length > 0) {
      findings.push({
        subject,
        verdict: "warn",
        message: `${named}: selectors differ from the chart: ${edits.join(". ")}. Injection predictions follow the selectors found here.`,
        hint: "Confirm the edit is intended, or restore the chart's selectors with a helm upgrade.",
      });
      problems.push(`selectors edited on ${webhook.name}`);
    }
    if (webhook.failurePolicy === "Ignore") {
      findings.push({
        subject,
        verdict: "warn",
        message: `${named}: failurePolicy is Ignore (the chart sets Fail), so while istiod is down, pods in injected namespaces start without a sidecar and stay outside the mesh until recreated.`,
        hint: "Restore failurePolicy: Fail, or accept that an istiod outage silently creates unmeshed pods.",
      });
      problems.push(`failurePolicy Ignore on ${webhook.name}`);
    }
  }
  for (const name of expected) {
    if (present.has(name)) continue;
    findings.push({
      subject,
      verdict: "warn",
      message: `The chart's webhook ${name} is missing, so the pods it would select are not injected.`,
      hint: "Restore it with a helm upgrade of the istiod chart.",
    });
    problems.push(`missing ${name}`);
  }

  // The outage consequence of failurePolicy Fail is always stated. On a clean pass it goes into the
  // pass finding, because an info finding would turn the check's verdict into info.
  const failPolicies = [...new Set(webhooks.map((webhook) => webhook.failurePolicy ?? "Fail"))];
  const outageNote = failPolicies.includes("Fail")
    ? "failurePolicy Fail: while istiod is unreachable, the API server rejects pod creation in injected namespaces (rollouts, scale-ups and evictions stall) until istiod is back."
    : "";
  if (outageNote && problems.length > 0) findings.push({ subject, verdict: "info", message: outageNote });

  const withCa = webhooks.filter((webhook) => webhook.clientConfig?.caBundle).length;
  if (problems.length === 0) {
    findings.push({
      subject,
      verdict: "pass",
      message: `${webhooks.length} webhooks with the chart's selectors, caBundle set on ${withCa}/${webhooks.length}.${outageNote ? ` ${outageNote}` : ""}`,
    });
    return {
      summary: `${webhooks.length} webhooks as the chart installs them; caBundle set; failurePolicy ${failPolicies.join(", ")}.`,
      findings,
      evidence,
    };
  }
  return { summary: `${webhooks.length} webhooks; ${problems.join("; ")}.`, findings, evidence };
}

/** Compares two label selectors as sets of requirements, ignoring order. */
function sameSelector(a: LabelSelector | undefined, b: LabelSelector | undefined): boolean {
  return normalizeSelector(a) === normalizeSelector(b);
}

function normalizeSelector(selector: LabelSelector | undefined): string {
  const requirements: string[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) requirements.push(`${key} In ${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    requirements.push(
      `${expression.key} ${expression.operator} ${[...(expression.values ?? [])].sort().join(",")}`.trim(),
    );
  }
  return requirements.sort().join(";");
}

function webhookEvidence(name: string, webhooks: WebhookObject[]): Evidence {
  const excerpt = webhooks.map((webhook) => ({
    name: webhook.name,
    failurePolicy: webhook.failurePolicy ?? "(unset: Fail)",
    namespaceSelector: webhook.namespaceSelector,
    objectSelector: webhook.objectSelector,
    clientConfig: {
      service: webhook.clientConfig?.service,
      caBundle: webhook.clientConfig?.caBundle ? `(${webhook.clientConfig.caBundle.length} characters)` : "(empty)",
    },
  }));
  return objectEvidence(
    kubectlGet("MutatingWebhookConfiguration", name, undefined, "-o yaml"),
    yamlExcerpt({ webhooks: excerpt }),
  );
}

export const controlPlaneChecks: CheckDefinition[] = [
  {
    id: "MP-CP-01",
    category: "control-plane",
    title: "istiod is running and healthy at the intended version",
    proves: "The control plane is up, fully rolled out, and runs one image tag that matches the planned Istio version.",
    reads: ["Deployment istio-system/istiod (or istiod-<revision>)", "Pods istio-system -l app=istiod"],
    needs: ["deployments.apps", "pods"],
    run: ({ model, plan }) => runIstiodHealth(model, plan),
  },
  {
    id: "MP-CP-02",
    category: "control-plane",
    title: "Istio and Kubernetes versions are a supported pairing",
    proves:
      "The Istio minor is inside its support window, supports this Kubernetes minor, and native sidecars are not enabled on a Kubernetes that lacks them.",
    reads: [
      "Deployment istio-system/istiod (image tag)",
      "Kubernetes server or kubelet version",
      "Pods istio-system -l app=istiod (ENABLE_NATIVE_SIDECARS)",
      "Istio's supported releases table",
    ],
    needs: ["pods"],
    run: ({ model, plan }) => runSupportWindow(model, plan),
  },
  {
    id: "MP-CP-03",
    category: "control-plane",
    title: "No proxy is newer than istiod",
    proves: "Every injected istio-proxy runs istiod's minor or an older one allowed by Istio's skew policy.",
    reads: ["Deployment istio-system/istiod (image tag)", "Pods (istio-proxy image in containers or initContainers)"],
    needs: ["pods"],
    run: ({ model }) => runVersionSkew(model),
  },
  {
    id: "MP-CP-04",
    category: "control-plane",
    title: "The sidecar injector webhook is wired as the chart installs it",
    proves:
      "The injector webhooks carry a CA bundle and the chart's selectors, so injection follows the namespace and pod labels as expected.",
    reads: ["MutatingWebhookConfiguration istio-sidecar-injector (or istio-sidecar-injector-<revision>)"],
    needs: ["mutatingwebhookconfigurations.admissionregistration.k8s.io"],
    run: ({ model }) => runInjectorWebhook(model),
  },
];
