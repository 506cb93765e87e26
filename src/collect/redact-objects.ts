import type { Container, KubeObject } from "../model/kube.js";
import { maskCredentials } from "./redact.js";
import type { CollectedState } from "./types.js";

/**
 * Annotation that kubectl writes with the whole applied manifest; it can repeat any value of the
 * object, so it is replaced rather than masked.
 */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function redactContainers(containers: Container[] | undefined): void {
  for (const container of containers ?? []) {
    for (const variable of container.env ?? []) {
      if (typeof variable.value === "string") variable.value = maskCredentials(variable.value);
    }
    if (container.args) container.args = container.args.map(maskCredentials);
    if (container.command) container.command = container.command.map(maskCredentials);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: pod specs sit at different paths per kind
function redactPodSpec(spec: any): void {
  if (!spec || typeof spec !== "object") return;
  redactContainers(spec.containers);
  redactContainers(spec.initContainers);
  redactContainers(spec.ephemeralContainers);
}

/**
 * Masks credentials inside an object in place: container env values, args and commands, ConfigMap
 * data, and the last-applied annotation. Hosts and ports stay readable, because checks read them.
 */
export function redactObject(object: KubeObject): void {
  const annotations = object.metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined)
    annotations[LAST_APPLIED] = "(removed by meshproof: it repeats the object's values)";

  if (object.kind === "ConfigMap" && object.data) {
    for (const [key, value] of Object.entries(object.data)) {
      if (typeof value === "string") object.data[key] = maskCredentials(value);
    }
  }
  if (object.kind === "Pod") redactPodSpec(object.spec);
  redactPodSpec(object.spec?.template?.spec);
  redactPodSpec(object.spec?.jobTemplate?.spec?.template?.spec);
}

/**
 * Masks credentials in every object of a state and drops any Secret that reached it. Both collectors
 * call it, so snapshots, models and reports only ever see masked values.
 */
export function redactState(state: CollectedState): CollectedState {
  const objects = state.objects.filter((object) => object.kind !== "Secret");
  for (const object of objects) redactObject(object);
  return { ...state, objects };
}
