import { readSnapshot } from "./src/collect/snapshot/read.js";
import * as load from "./src/plan/load.js";
import { buildModel } from "./src/model/cluster.js";
import { runCheck } from "./src/run/run.js";
import { injectionChecks } from "./src/checks/injection.js";
import { identityChecks } from "./src/checks/identity.js";
import { externalServiceChecks } from "./src/checks/external-services.js";
import { policyChecks } from "./src/checks/policy.js";
import { workloadHealthChecks } from "./src/checks/workload-health.js";
const state = await readSnapshot("examples/snapshot");
const plan = await (load as any).loadPlan("examples/plan.yaml");
const model = buildModel(state, plan);
for (const c of [...injectionChecks, ...identityChecks, ...externalServiceChecks, ...policyChecks, ...workloadHealthChecks]) {
  const r = runCheck(c, model, plan);
  console.log(`\n### ${r.id} ${r.verdict.toUpperCase()} — ${r.summary}`);
  for (const f of r.findings) console.log(`  ${f.verdict} ${f.subject}: ${f.message}${f.strength ? ` [${f.strength}]` : ""}`);
  if (process.env.EV) for (const e of r.evidence) console.log(`  $ ${e.command}\n${e.output.split("\n").map(l=>"    "+l).join("\n")}`);
  if (r.facts) console.log("  facts:", JSON.stringify(r.facts));
}
