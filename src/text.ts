/** Formats a count with its noun, e.g. `1 outage`, `2 outages`, `2 canaries` with `pluralForm` "canaries". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
