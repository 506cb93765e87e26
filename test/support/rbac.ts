import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadAll } from "js-yaml";
import type { KubeObject } from "../../src/model/kube.js";

/**
 * RBAC evaluation for the fake API server: the union of the rules of the given ClusterRoles and
 * Roles, as if all of them were bound to the caller. Role rules apply only in the Role's namespace.
 */

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}

/** The action a request performs, in the terms RBAC rules use. */
export type AuthorizationAttributes =
  | {
      verb: string;
      group: string;
      /** `pods` or `pods/exec`. */
      resource: string;
      namespace?: string;
      name?: string;
    }
  | { verb: string; path: string };

interface ScopedRule {
  rule: PolicyRule;
  namespace?: string;
}

/**
 * Paths every authenticated user may read on a real cluster through the default `system:discovery`
 * and `system:public-info-viewer` ClusterRoles.
 */
const PUBLIC_PATHS = ["/version", "/version/", "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz"];

function matchesList(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((entry) => entry === "*" || entry === value);
}

function matchesPath(patterns: readonly string[], path: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : pattern === path));
}

export class RbacAuthorizer {
  private readonly rules: ScopedRule[];

  constructor(roles: readonly KubeObject[]) {
    this.rules = roles.flatMap((role) => {
      const rules = (role.rules as PolicyRule[] | undefined) ?? [];
      const namespace = role.kind === "Role" ? role.metadata.namespace : undefined;
      return rules.map((rule) => ({ rule, namespace }));
    });
  }

  allows(attributes: AuthorizationAttributes): boolean {
    if ("path" in attributes) {
      if (attributes.verb === "get" && matchesPath(PUBLIC_PATHS, attributes.path)) return true;
      return this.rules.some(
        ({ rule, namespace }) =>
          namespace === undefined &&
          matchesList(rule.verbs, attributes.verb) &&
          matchesPath(rule.nonResourceURLs ?? [], attributes.path),
      );
    }
    return this.rules.some(({ rule, namespace }) => {
      if (namespace !== undefined && namespace !== attributes.namespace) return false;
      if (!matchesList(rule.verbs, attributes.verb)) return false;
      if (!matchesList(rule.apiGroups, attributes.group)) return false;
      if (!matchesList(rule.resources, attributes.resource)) return false;
      const names = rule.resourceNames ?? [];
      return names.length === 0 || (attributes.name !== undefined && names.includes(attributes.name));
    });
  }
}

/**
 * Format the message a real API server puts in a 403 Status, for example
 * `pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope`.
 */
export function forbiddenMessage(user: string, attributes: AuthorizationAttributes): string {
  if ("path" in attributes) {
    return `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path}"`;
  }
  const [plural] = attributes.resource.split("/");
  const qualified = attributes.group === "" ? plural : `${plural}.${attributes.group}`;
  const subject = attributes.name === undefined ? qualified : `${qualified} "${attributes.name}"`;
  const scope =
    attributes.namespace === undefined ? "at the cluster scope" : `in the namespace "${attributes.namespace}"`;
  return `${subject} is forbidden: User "${user}" cannot ${attributes.verb} resource "${attributes.resource}" in API group "${attributes.group}" ${scope}`;
}

/** The manifest a cluster admin applies to let meshproof read a cluster. */
export const DEPLOY_RBAC_FILE = fileURLToPath(new URL("../../deploy/rbac.yaml", import.meta.url));

/** Read the ClusterRoles and Roles of deploy/rbac.yaml, the permissions the fake API server grants by default. */
export function deployRbacRoles(): KubeObject[] {
  const documents = loadAll(readFileSync(DEPLOY_RBAC_FILE, "utf8")) as KubeObject[];
  return documents.filter((document) => document?.kind === "ClusterRole" || document?.kind === "Role");
}

/** One permission a rule grants: a verb on a resource (`pods`, `pods/exec`) of an API group. */
export interface GrantedPermission {
  verb: string;
  group: string;
  resource: string;
}

/** List every verb, group and resource combination the roles grant, one entry per combination. */
export function grantedPermissions(roles: readonly KubeObject[]): GrantedPermission[] {
  const granted: GrantedPermission[] = [];
  for (const role of roles) {
    for (const rule of (role.rules as PolicyRule[] | undefined) ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs ?? []) granted.push({ verb, group, resource });
        }
      }
    }
  }
  return granted;
}

/** Copy `roles` with one permission taken away, splitting a rule where it granted more than that permission. */
export function withoutPermission(
  roles: readonly KubeObject[],
  verb: string,
  group: string,
  resource: string,
): KubeObject[] {
  return roles.map((role) => {
    const rules = ((role.rules as PolicyRule[] | undefined) ?? []).flatMap((rule) => {
      const grants =
        (rule.apiGroups ?? []).includes(group) &&
        (rule.resources ?? []).includes(resource) &&
        (rule.verbs ?? []).includes(verb);
      if (!grants) return [rule];
      const others = { ...rule, resources: (rule.resources ?? []).filter((candidate) => candidate !== resource) };
      const remaining = { ...rule, resources: [resource], verbs: (rule.verbs ?? []).filter((name) => name !== verb) };
      return [others, remaining].filter(
        (split) => (split.resources?.length ?? 0) > 0 && (split.verbs?.length ?? 0) > 0,
      );
    });
    return { ...role, rules };
  });
}
