import { controlPlaneChecks } from "./control-plane.js";
import { externalServiceChecks } from "./external-services.js";
import { identityChecks } from "./identity.js";
import { injectionChecks } from "./injection.js";
import { mtlsChecks } from "./mtls.js";
import { nativeSidecarChecks } from "./native-sidecars.js";
import { policyChecks } from "./policy.js";
import { probeChecks } from "./probes.js";
import { spireChecks } from "./spire.js";
import { trustDomainChecks } from "./trust-domain.js";
import type { CheckDefinition } from "./types.js";
import { workloadHealthChecks } from "./workload-health.js";

/** Every check, in report order. Ids are stable and never reused. */
export const ALL_CHECKS: readonly CheckDefinition[] = [
  ...controlPlaneChecks,
  ...trustDomainChecks,
  ...spireChecks,
  ...nativeSidecarChecks,
  ...injectionChecks,
  ...identityChecks,
  ...probeChecks,
  ...externalServiceChecks,
  ...policyChecks,
  ...workloadHealthChecks,
  ...mtlsChecks,
];
