// Preloaded with `node --import` when /usr/bin/time is absent: writes what `/usr/bin/time -f "%M %U %S"`
// prints (peak resident set size in KiB, then user and system CPU time in seconds) to the file
// named by MESHPROOF_BENCH_RSS_FILE.
import { writeFileSync } from "node:fs";

const target = process.env.MESHPROOF_BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
