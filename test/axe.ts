/**
 * axe-core with the rules of WCAG 2.0, 2.1 and 2.2, levels A and AA: what a bank's accessibility
 * audit runs first. Run it on real timers (axe waits on its own).
 */
import 'axe-core/axe.min.js';

interface AxeResult {
  violations: { id: string; impact: string; help: string; nodes: { target: unknown; failureSummary?: string }[] }[];
}
declare global {
  interface Window {
    axe: { run(context: Element, options: Record<string, unknown>): Promise<AxeResult> };
  }
}

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** One line per broken rule, with the nodes and what to fix; empty when there is none. */
export async function wcagViolations(element: Element): Promise<string[]> {
  const { violations } = await window.axe.run(element, {
    runOnly: { type: 'tag', values: WCAG_22_AA },
    resultTypes: ['violations'],
  });
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => `${String(n.target)}: ${n.failureSummary}`).join('\n  ')}`,
  );
}
