// Preloaded with `node --import` when /usr/bin/time is absent: writes the process's peak resident
// set size in KiB (what `/usr/bin/time -f %M` prints) to the file named by MESHPROOF_BENCH_RSS_FILE.
import { writeFileSync } from "node:fs";

const target = process.env.MESHPROOF_BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    writeFileSync(target, `${process.resourceUsage().maxRSS}\n`);
  });
}
