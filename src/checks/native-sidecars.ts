import { load } from "js-yaml";
import type { ClusterModel, PodView } from "../model/cluster.js";
import type { KubeObject } from "../model/kube.js";
import { subjectOf } from "../model/kube.js";
import { PROXY_CONTAINER } from "../model/sidecar.js";
import {
  envValue,
  type IstiodFacts,
  NATIVE_SIDECARS_MIN_KUBERNETES_MINOR,
  nativeSidecarEnvEvidence,
  readIstiod,
} from "./control-plane.js";
import { objectEvidence, table } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

const ENV = "ENABLE_NATIVE_SIDECARS";

/** Templates the istiod chart ships; they handle native mode themselves. */
const BUILT_IN_TEMPLATES = new Set([
  "sidecar",
  "gateway",
  "grpc-simple",
  "grpc-agent",
  "waypoint",
  "kube-gateway",
  "agentgateway",
  "agentgateway-waypoint",
]);

const POD_ROWS_LIMIT = 40;

type Mode = "on" | "off" | "unknown";

interface EnvReading {
  /** The env value as set, or the value Istio assumes when it is unset. */
  raw: string;
  unset: boolean;
  indirect?: string;
}

/**
 * Returns the env's default by Istio minor: false through 1.26, `auto` from 1.27 (native sidecars when the
 * cluster supports them).
 */
function defaultValue(istiod: IstiodFacts): string {
  const version = istiod.version;
  return version && version.major === 1 && version.minor >= 27 ? "auto" : "false";
}

function readEnv(container: Parameters<typeof envValue>[0], istiod: IstiodFacts): EnvReading {
  const env = envValue(container, ENV);
  if (env.value !== undefined) return { raw: env.value, unset: false };
  if (env.indirect) return { raw: `(from ${env.indirect})`, unset: false, indirect: env.indirect };
  return { raw: defaultValue(istiod), unset: true };
}

function modeOf(reading: EnvReading, kubernetesMinor: number | undefined): Mode {
  if (reading.indirect) return "unknown";
  const value = reading.raw.toLowerCase();
  if (value === "true") return "on";
  if (value === "auto") {
    if (kubernetesMinor === undefined) return "unknown";
    return kubernetesMinor >= NATIVE_SIDECARS_MIN_KUBERNETES_MINOR ? "on" : "off";
  }
  return "off";
}

function describe(reading: EnvReading): string {
  return reading.unset ? `${ENV} unset (default ${reading.raw})` : `${ENV}=${reading.raw}`;
}

function runNativeSidecars(model: ClusterModel): CheckOutcome {
  const istiod = readIstiod(model);
  const findings: Finding[] = [];
  const evidence: Evidence[] = [];
  const kubernetes = model.kubernetesVersion;
  const kubernetesMinor = kubernetes && kubernetes.major === 1 ? kubernetes.minor : undefined;
  const kubernetesText = kubernetes ? `${kubernetes.major}.${kubernetes.minor}` : "unknown";

  if (istiod.running.length > 0) evidence.push(nativeSidecarEnvEvidence(istiod));
  const template = istiod.templateContainer ? readEnv(istiod.templateContainer, istiod) : undefined;
  if (istiod.deployment) {
    evidence.push(
      objectEvidence(
        `kubectl -n ${istiod.namespace} get deploy ${istiod.deployment.metadata.name} -o jsonpath='{.spec.template.spec.containers[?(@.name=="discovery")].env[?(@.name=="${ENV}")].value}'`,
        template && !template.unset ? template.raw : "",
      ),
    );
  }

  // The switch as the running istiod pods see it; the injection template reads it on each injection.
  const readings = istiod.running.map((entry) => ({ entry, reading: readEnv(entry.container, istiod) }));
  const modes = readings.map(({ reading }) => modeOf(reading, kubernetesMinor));
  const distinct = [...new Set(readings.map(({ reading }) => reading.raw))];
  let mode: Mode;
  if (readings.length === 0) {
    mode = template ? modeOf(template, kubernetesMinor) : "unknown";
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "unknown",
      message: template
        ? `No running istiod pod in the input; the Deployment template says ${describe(template)}, but only running pods decide injection.`
        : "No running istiod pod and no istiod Deployment in the input, so the native-sidecar switch cannot be read.",
      hint: `kubectl -n ${istiod.namespace} get pod -l app=istiod -o yaml`,
    });
  } else if (distinct.length > 1) {
    mode = modes.includes("on") ? "on" : "unknown";
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "warn",
      message: `istiod pods disagree: ${readings.map(({ entry, reading }) => `${entry.pod.name} ${describe(reading)}`).join(", ")}. Whether a new pod gets a native or a classic sidecar depends on which replica serves the webhook call.`,
      hint: `Finish the rollout so every replica has the same env: kubectl -n ${istiod.namespace} rollout status deploy/${istiod.expectedName}`,
    });
  } else {
    mode = modes[0] ?? "unknown";
  }

  // A template that differs from the running pods has not rolled out yet.
  const running = readings[0]?.reading;
  if (template && running && distinct.length === 1 && template.raw !== running.raw) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "warn",
      message: `The Deployment template sets ${describe(template)} but the running pods have ${describe(running)}: the change has not rolled out, and the next istiod restart flips injection.`,
      hint: `kubectl -n ${istiod.namespace} rollout status deploy/${istiod.expectedName}`,
    });
  }

  for (const { entry, reading } of readings) {
    if (reading.indirect) {
      findings.push({
        subject: entry.pod.subject,
        verdict: "unknown",
        message: `${ENV} comes from ${reading.indirect}, which meshproof does not resolve.`,
        hint: `kubectl -n ${entry.pod.namespace} exec ${entry.pod.name} -- env | grep ${ENV}`,
      });
    }
  }

  const counts = countSidecars(model, mode, evidence);
  const onPods = modes.filter((value) => value === "on").length;
  let countsReported = false;
  if (mode === "on") {
    if (kubernetesMinor === undefined) {
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "unknown",
        message: `Native sidecars are on, but the Kubernetes version is unknown, so SidecarContainers support cannot be confirmed.`,
        hint: "Set spec.cluster.kubernetesVersion in the plan, or include Node objects in the snapshot.",
      });
    } else if (kubernetesMinor < NATIVE_SIDECARS_MIN_KUBERNETES_MINOR) {
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "fail",
        message: `${ENV} is on, but Kubernetes ${kubernetesText} predates 1.29, where SidecarContainers became on by default: without the feature gate, an istio-proxy init container with restartPolicy Always is rejected or never finishes.`,
        hint: `Set ${ENV}=false on istiod (Helm value pilot.env.${ENV}) and restart the meshed workloads, or upgrade Kubernetes to 1.29 or later.`,
      });
    } else if (distinct.length === 1) {
      findings.push({
        subject: istiod.deploymentSubject,
        verdict: "pass",
        message: `${describe(readings[0]?.reading ?? { raw: "true", unset: false })} on ${onPods}/${readings.length} running istiod pods; Kubernetes ${kubernetesText} supports native sidecars.${counts.note ? ` ${counts.note}` : ""}`,
      });
      countsReported = true;
    }
  } else if (mode === "off" && readings.length > 0) {
    findings.push({
      subject: istiod.deploymentSubject,
      verdict: "info",
      message: `Native sidecars are off (${describe(readings[0]!.reading)}): injected pods get istio-proxy as a regular container (classic sidecars only).${counts.note ? ` ${counts.note}` : ""}`,
    });
    countsReported = true;
  }
  if (!countsReported && counts.note) {
    findings.push({ subject: istiod.deploymentSubject, verdict: "info", message: counts.note, hint: counts.hint });
  }

  const nativeForTemplates =
    mode === "on" || (readings.length === 0 && template !== undefined && modeOf(template, kubernetesMinor) === "on");
  const brokenTemplates = checkInjectorTemplates(model, istiod, nativeForTemplates, findings, evidence);

  const sidecars =
    counts.native + counts.classic > 0 ? ` Sidecars: ${counts.native} native, ${counts.classic} classic.` : "";
  let summary: string;
  if (mode === "on" && readings.length > 0) {
    const switchText = `${describe(readings[0]!.reading)} on ${onPods}/${readings.length} istiod pods`;
    summary =
      kubernetesMinor !== undefined && kubernetesMinor < NATIVE_SIDECARS_MIN_KUBERNETES_MINOR
        ? `${switchText}, but Kubernetes ${kubernetesText} needs 1.29 or later for native sidecars.${sidecars}`
        : kubernetesMinor === undefined
          ? `${switchText}; the Kubernetes version is unknown.${sidecars}`
          : `${switchText}; Kubernetes ${kubernetesText} supports native sidecars.${sidecars}`;
  } else if (mode === "off") {
    summary = `Native sidecars off (${readings[0] ? describe(readings[0].reading) : "per the Deployment template"}): classic sidecars only.${sidecars}`;
  } else {
    summary = `Unknown: the native-sidecar switch could not be read from the running istiod pods.${sidecars}`;
  }
  if (brokenTemplates.length > 0) {
    summary = `${summary} Custom injection template ${brokenTemplates.join(", ")} patches containers, which breaks pod creation in native mode.`;
  }
  return {
    summary: summary.trim(),
    findings,
    evidence,
    facts: { nativeSidecarPods: counts.native, classicSidecarPods: counts.classic },
  };
}

/** Counts native and classic sidecars and describes the mix, which is expected around the switch. */
function countSidecars(
  model: ClusterModel,
  mode: Mode,
  evidence: Evidence[],
): { native: number; classic: number; note?: string; hint?: string } {
  const meshed = model.pods.filter((pod) => pod.sidecar.kind !== "none");
  const native = meshed.filter((pod) => pod.sidecar.kind === "native");
  const classic = meshed.filter((pod) => pod.sidecar.kind === "classic");
  if (meshed.length === 0) return { native: 0, classic: 0 };

  const rows = meshed
    .slice(0, POD_ROWS_LIMIT)
    .map((pod) => [`${pod.namespace}/${pod.name}`, initContainerPolicies(pod)]);
  const more = meshed.length > rows.length ? `\n(${meshed.length - rows.length} more meshed pods)` : "";
  evidence.push(
    objectEvidence(
      `kubectl get pod -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\t"}{range .spec.initContainers[*]}{.name}={.restartPolicy}{" "}{end}{"\\n"}{end}'`,
      `${table(["POD", "INIT CONTAINERS (name=restartPolicy)"], rows)}${more}`,
    ),
  );

  if (native.length > 0 && classic.length > 0) {
    const lagging = mode === "on" ? classic : native;
    const workloads = [...new Set(lagging.map((pod) => pod.workload))];
    const listed = `${workloads.slice(0, 5).join(", ")}${workloads.length > 5 ? ` and ${workloads.length - 5} more` : ""}`;
    return {
      native: native.length,
      classic: classic.length,
      note: `${native.length} native, ${classic.length} classic; pods injected before the switch ${mode === "on" ? "stay classic" : "keep their native sidecar"} until recreated (${listed}).`,
      hint: mode === "on" ? "Restart those workloads to move them to native sidecars when convenient." : undefined,
    };
  }
  const kind = native.length ? "native" : "classic";
  const readyNote = native.length
    ? " (istio-proxy in initContainers with restartPolicy Always, which the READY column does not count)"
    : "";
  return {
    native: native.length,
    classic: classic.length,
    note: `All ${meshed.length} meshed pods carry ${kind} sidecars${readyNote}.`,
  };
}

function initContainerPolicies(pod: PodView): string {
  const init = pod.object.spec?.initContainers ?? [];
  return init.map((container) => `${container.name}=${container.restartPolicy ?? ""}`).join(" ") || "(none)";
}

/**
 * Reports whether a Go-template injection template overlays `containers[name=istio-proxy]`. In native
 * mode the proxy lives in initContainers, so such an overlay adds a second istio-proxy container
 * and the API server rejects the pod. Detection is textual because the template is not YAML until
 * rendered: a `containers:` key whose block names istio-proxy, or a flow list that does.
 */
export function templatePatchesProxyContainers(text: string): boolean {
  if (/(^|[\s{,])containers:\s*\[[^\]]*name:\s*["']?istio-proxy\b/m.test(text)) return true;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const key = /^(\s*)containers:\s*(#.*)?$/.exec(lines[index] ?? "");
    if (!key) continue;
    const indent = key[1]?.length ?? 0;
    for (let next = index + 1; next < lines.length; next++) {
      const line = lines[next] ?? "";
      const trimmed = line.trimStart();
      // Blank lines and lines holding only template actions do not end the block.
      if (trimmed === "" || /^\{\{.*\}\}\s*$/.test(trimmed)) continue;
      const lineIndent = line.length - trimmed.length;
      if (lineIndent < indent || (lineIndent === indent && !trimmed.startsWith("-"))) break;
      if (/^-?\s*name:\s*["']?istio-proxy["']?\s*(#.*)?$/.test(trimmed)) return true;
    }
  }
  return false;
}

interface InjectorConfig {
  templates: Record<string, string>;
  defaultTemplates: string[];
}

function readInjectorConfig(configMap: KubeObject): InjectorConfig | { error: string } {
  const text = configMap.data?.config;
  if (text === undefined) return { error: 'no key "config"' };
  try {
    const parsed = (load(text) ?? {}) as { templates?: unknown; defaultTemplates?: unknown };
    const templates: Record<string, string> = {};
    if (parsed.templates && typeof parsed.templates === "object") {
      for (const [name, body] of Object.entries(parsed.templates as Record<string, unknown>)) {
        if (typeof body === "string") templates[name] = body;
      }
    }
    const defaultTemplates = Array.isArray(parsed.defaultTemplates)
      ? parsed.defaultTemplates.filter((name): name is string => typeof name === "string")
      : [];
    return { templates, defaultTemplates };
  } catch (error) {
    return { error: `key "config" is not valid YAML: ${(error as Error).message}` };
  }
}

/** Checks custom injection templates; returns those that break pod creation because native mode is on. */
function checkInjectorTemplates(
  model: ClusterModel,
  istiod: IstiodFacts,
  nativeOn: boolean,
  findings: Finding[],
  evidence: Evidence[],
): string[] {
  const revision = model.options.istioRevision;
  const names =
    revision === "default"
      ? ["istio-sidecar-injector"]
      : [`istio-sidecar-injector-${revision}`, "istio-sidecar-injector"];
  const configMap = names
    .map((name) => model.get("ConfigMap", istiod.namespace, name))
    .find((candidate) => candidate !== undefined);
  const command = `kubectl -n ${istiod.namespace} get cm ${configMap?.metadata.name ?? names[0]} -o jsonpath='{.data.config}'`;
  if (!configMap) {
    // A snapshot often leaves this ConfigMap out: that skips the template check without voiding the
    // switch check. A ConfigMap list that failed to load is a real gap, so it is unknown.
    const listFailed = model.issuesFor("configmaps").length > 0;
    findings.push({
      subject: subjectOf("ConfigMap", istiod.namespace, names[0] ?? "istio-sidecar-injector"),
      verdict: listFailed ? "unknown" : "skip",
      message: `ConfigMap ${istiod.namespace}/${names[0]} ${listFailed ? "could not be read" : "is not in the input"}, so custom injection templates were not checked for conflicts with native sidecars.`,
      hint: `Add it to the snapshot: kubectl -n ${istiod.namespace} get cm ${names[0]} -o yaml`,
    });
    return [];
  }
  const subject = subjectOf("ConfigMap", istiod.namespace, configMap.metadata.name);
  const config = readInjectorConfig(configMap);
  if ("error" in config) {
    findings.push({
      subject,
      verdict: "unknown",
      message: `The injector ConfigMap cannot be read: ${config.error}.`,
      hint: command,
    });
    return [];
  }

  const custom = Object.entries(config.templates).filter(([name]) => !BUILT_IN_TEMPLATES.has(name));
  const patching = custom.filter(([, body]) => templatePatchesProxyContainers(body));
  const excerpt = patching.length
    ? patching.map(([name, body]) => `templates:\n  ${name}: |\n${indentLines(firstLines(body, 14), 4)}`).join("\n")
    : `defaultTemplates: [${config.defaultTemplates.join(", ")}]\ntemplates: ${Object.keys(config.templates).join(", ") || "(none)"}`;
  evidence.push(objectEvidence(command, excerpt));

  if (patching.length === 0) return [];
  const usage = templateUsage(
    model,
    patching.map(([name]) => name),
    config.defaultTemplates,
  );
  const failures = replicaFailures(model);
  for (const [name] of patching) {
    const used = usage.get(name) ?? 0;
    const isDefault = config.defaultTemplates.includes(name);
    const where = [
      isDefault ? "listed in defaultTemplates" : "",
      used ? `requested by ${used} meshed pod${used === 1 ? "" : "s"}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    findings.push({
      subject,
      verdict: nativeOn ? "fail" : "info",
      message: nativeOn
        ? `Template "${name}"${where ? ` (${where})` : ""} overlays containers[name=istio-proxy]; with native sidecars on, the proxy is an init container, so the overlay adds a second istio-proxy container and pod creation fails.${
            failures.length ? ` ReplicaSets already failing: ${failures.join("; ")}.` : ""
          }`
        : `Template "${name}" overlays containers[name=istio-proxy]; that works with classic sidecars but breaks pod creation once ${ENV} is switched on.`,
      hint: `Change the template to patch initContainers instead of containers (spec.initContainers: - name: istio-proxy ...), then restart istiod: kubectl -n ${istiod.namespace} edit cm ${configMap.metadata.name}`,
    });
  }
  return nativeOn ? patching.map(([name]) => name) : [];
}

/** Counts the meshed pods that request each template, by annotation or through defaultTemplates. */
function templateUsage(model: ClusterModel, names: string[], defaults: string[]): Map<string, number> {
  const usage = new Map<string, number>();
  const wanted = new Set(names);
  for (const pod of model.pods) {
    if (pod.sidecar.kind === "none") continue;
    const annotation = pod.annotations["inject.istio.io/templates"];
    const templates = annotation ? annotation.split(",").map((name) => name.trim()) : defaults;
    for (const name of templates) {
      if (wanted.has(name)) usage.set(name, (usage.get(name) ?? 0) + 1);
    }
  }
  return usage;
}

/** ReplicaSets whose ReplicaFailure condition mentions istio-proxy, as `name: message`. */
function replicaFailures(model: ClusterModel): string[] {
  const failures: string[] = [];
  for (const replicaSet of model.list("ReplicaSet")) {
    const conditions = (replicaSet.status?.conditions ?? []) as Array<{
      type?: string;
      status?: string;
      message?: string;
    }>;
    const failure = conditions.find((condition) => condition.type === "ReplicaFailure" && condition.status === "True");
    if (failure?.message?.includes(PROXY_CONTAINER))
      failures.push(`${replicaSet.metadata.namespace}/${replicaSet.metadata.name}: ${failure.message}`);
  }
  return failures.slice(0, 3);
}

function firstLines(text: string, count: number): string {
  const lines = text.split("\n");
  return lines.length > count ? [...lines.slice(0, count), "..."].join("\n") : text.trimEnd();
}

function indentLines(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return text
    .split("\n")
    .map((line) => `${pad}${line}`)
    .join("\n");
}

export const nativeSidecarChecks: CheckDefinition[] = [
  {
    id: "MP-NS-01",
    category: "native-sidecars",
    title: "Native sidecars are switched on consistently",
    proves:
      "Every running istiod pod has the same ENABLE_NATIVE_SIDECARS setting as its Deployment, Kubernetes supports native sidecars where they are on, and no custom injection template patches the proxy as a regular container.",
    reads: [
      "Pods istio-system -l app=istiod (discovery container env)",
      "Deployment istio-system/istiod (template env)",
      "Kubernetes version",
      "ConfigMap istio-system/istio-sidecar-injector (key config)",
      "Pods (istio-proxy in initContainers or containers)",
      "ReplicaSets (ReplicaFailure conditions)",
    ],
    needs: ["pods"],
    run: ({ model }) => runNativeSidecars(model),
  },
];
