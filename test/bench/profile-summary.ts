/**
 * Summarizes a V8 CPU profile of an unminified bundle: self time by package.
 * esbuild's unminified output starts each module with a `// <path>` comment,
 * which maps a sampled line back to its module and package.
 */
import * as fs from 'node:fs';
import { packageOf } from './bundles';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Node's own modules, grouped by what they do. */
function nodeGroup(url: string): string {
  const name = url.replace(/^node:/, '');
  if (/modules\/(cjs|esm)|bootstrap|vm\b/.test(name)) return 'node: module loading (parse, compile)';
  if (/http|net|stream|tls|dns|socket|url/.test(name)) return 'node: http, net, streams';
  if (/crypto/.test(name)) return 'node: crypto';
  if (/timers|task_queues|async_hooks|events|event_target|abort/.test(name)) return 'node: timers, events, async';
  return 'node: other';
}

/** Self time in ms by group (package, Node area, or V8 category), idle excluded, largest first. */
export function selfTimeByPackage(profileFile: string, bundleFile: string): Array<[string, number]> {
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as CpuProfile;
  const lines = fs.readFileSync(bundleFile, 'utf8').split('\n');
  const moduleAt: string[] = [];
  // Before the first module comment: esbuild's runtime (the lazy module-init wrappers).
  let current = '(esbuild runtime: module init)';
  for (let i = 0; i < lines.length; i++) {
    const match = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(lines[i]);
    if (match) current = match[1];
    moduleAt[i] = current;
  }
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    let group: string;
    if (url.endsWith(bundleFile) || url === `file://${bundleFile}`) {
      const module = moduleAt[lineNumber] ?? '(bundle)';
      group = module.startsWith('(') ? module : packageOf(module);
    } else if (url.startsWith('node:')) {
      group = nodeGroup(url);
    } else if (url === '' && functionName === 'dispatch') {
      // The inspector session's own work (stopping the profiler), when a worker profiles itself.
      group = '(profiler)';
    } else if (url === '') {
      group = functionName.startsWith('(') ? functionName : `(${functionName})`;
    } else {
      group = '(benchmark worker)';
    }
    groups.set(group, (groups.get(group) ?? 0) + us / 1000);
  }
  groups.delete('(idle)');
  return [...groups].sort((a, b) => b[1] - a[1]);
}
