import { apiGroup, type KubeObject } from "../../model/kube.js";

export interface KubeletVersionResult {
  /** The lowest kubelet version among the nodes, as the node reports it (for example `v1.30.2-eks-1a2b3c`). */
  gitVersion: string;
  /** Set when nodes run kubelets of different minor releases. */
  warning?: string;
}

interface ParsedVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
}

/**
 * Returns the cluster's Kubernetes version as read from the Node objects'
 * `status.nodeInfo.kubeletVersion`, or undefined when no node reports a readable version. The
 * lowest version is used, because checks about API support must hold on every node.
 */
export function kubeletVersionOf(objects: readonly KubeObject[]): KubeletVersionResult | undefined {
  const versions: ParsedVersion[] = [];
  for (const object of objects) {
    if (object.kind !== "Node" || apiGroup(object.apiVersion) !== "") {
      continue;
    }
    const parsed = parseVersion(object.status?.nodeInfo?.kubeletVersion);
    if (parsed) {
      versions.push(parsed);
    }
  }
  if (versions.length === 0) {
    return undefined;
  }

  versions.sort(compareVersions);
  const lowest = versions[0]!;
  const result: KubeletVersionResult = { gitVersion: lowest.text };

  const nodesByMinor = new Map<string, number>();
  for (const version of versions) {
    const minor = `${version.major}.${version.minor}`;
    nodesByMinor.set(minor, (nodesByMinor.get(minor) ?? 0) + 1);
  }
  if (nodesByMinor.size > 1) {
    const groups = [...nodesByMinor].map(([minor, nodes]) => `${minor} on ${nodes} ${nodes === 1 ? "node" : "nodes"}`);
    result.warning = `Nodes run kubelets of different minor versions (${groups.join(", ")}); the lowest, ${lowest.text}, is used as the cluster's Kubernetes version.`;
  }
  return result;
}

function parseVersion(value: unknown): ParsedVersion | undefined {
  if (typeof value !== "string") {
    return undefined;
  }
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(value);
  if (!match) {
    return undefined;
  }
  return { text: value, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

/** Orders by major, minor and patch number, then by the full text so that the order is stable. */
function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  const numeric = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (numeric !== 0) {
    return numeric;
  }
  if (a.text === b.text) {
    return 0;
  }
  return a.text < b.text ? -1 : 1;
}
