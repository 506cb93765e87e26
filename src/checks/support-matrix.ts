/**
 * Istio's support table for the minors meshproof covers, and version parsing shared by the checks.
 * Source: the "Support status of Istio releases" table at
 * https://istio.io/latest/docs/releases/supported-releases/ as mirrored by endoflife.date (2026-02).
 * A minor is supported until six weeks after the N+2 minor ships.
 */

export interface IstioRelease {
  /** `1.23` */
  minor: string;
  /** ISO date of the `.0` release. */
  released: string;
  /** ISO date support ended or ends. */
  endOfLife: string;
  /** Whether the end-of-life date is a projection rather than a date the project has reached. */
  endOfLifeEstimated?: boolean;
  /** Oldest and newest supported Kubernetes minor, inclusive, as `[1, 27]`. */
  kubernetes: { min: [number, number]; max: [number, number] };
}

export const ISTIO_SUPPORT_TABLE: readonly IstioRelease[] = [
  { minor: "1.20", released: "2023-11-14", endOfLife: "2024-06-25", kubernetes: { min: [1, 25], max: [1, 29] } },
  { minor: "1.21", released: "2024-03-13", endOfLife: "2024-09-27", kubernetes: { min: [1, 26], max: [1, 29] } },
  { minor: "1.22", released: "2024-05-13", endOfLife: "2025-01-22", kubernetes: { min: [1, 27], max: [1, 30] } },
  { minor: "1.23", released: "2024-08-14", endOfLife: "2025-04-16", kubernetes: { min: [1, 27], max: [1, 30] } },
  { minor: "1.24", released: "2024-11-07", endOfLife: "2025-06-24", kubernetes: { min: [1, 28], max: [1, 31] } },
  { minor: "1.25", released: "2025-03-03", endOfLife: "2025-09-30", kubernetes: { min: [1, 29], max: [1, 32] } },
  { minor: "1.26", released: "2025-05-08", endOfLife: "2025-12-22", kubernetes: { min: [1, 29], max: [1, 33] } },
  { minor: "1.27", released: "2025-08-11", endOfLife: "2026-03-30", kubernetes: { min: [1, 29], max: [1, 33] } },
  // NOTE: the 1.28 end of life is the date projected before 1.30 shipped, and the 1.28.0
  // announcement names Kubernetes 1.29 as the oldest supported minor while the table lists 1.30.
  {
    minor: "1.28",
    released: "2025-11-05",
    endOfLife: "2026-05-31",
    endOfLifeEstimated: true,
    kubernetes: { min: [1, 30], max: [1, 34] },
  },
];

export interface ParsedVersion {
  major: number;
  minor: number;
  patch?: number;
}

/** Parses `1.23.2`, `v1.23`, `1.23.2-distroless` or `v1.36.1-gke.100`; undefined for anything else. */
export function parseVersion(text: string | undefined): ParsedVersion | undefined {
  if (!text) return undefined;
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: match[3] === undefined ? undefined : Number(match[3]),
  };
}

/** `1.23` */
export function minorOf(version: ParsedVersion): string {
  return `${version.major}.${version.minor}`;
}

/** Negative when `a` is older, positive when newer, 0 when equal, comparing major and minor only. */
export function compareMinor(a: ParsedVersion, b: ParsedVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** Number of minors `newer` is ahead of `older`, within one major. */
export function minorDistance(older: ParsedVersion, newer: ParsedVersion): number {
  return (newer.major - older.major) * 1000 + (newer.minor - older.minor);
}

export function supportEntry(version: ParsedVersion): IstioRelease | undefined {
  return ISTIO_SUPPORT_TABLE.find((release) => release.minor === minorOf(version));
}

export function formatKubernetesRange(release: IstioRelease): string {
  return `${release.kubernetes.min.join(".")}–${release.kubernetes.max.join(".")}`;
}

/** Reports whether a Kubernetes minor is inside the release's supported range. */
export function kubernetesSupported(release: IstioRelease, major: number, minor: number): boolean {
  const value = major * 1000 + minor;
  const [minMajor, minMinor] = release.kubernetes.min;
  const [maxMajor, maxMinor] = release.kubernetes.max;
  return value >= minMajor * 1000 + minMinor && value <= maxMajor * 1000 + maxMinor;
}
