/**
 * The figures the reliability suite reports: what was tried and what went
 * wrong, per scenario and in total, printed at the end of the run and written
 * as markdown to test-reports/reliability.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Answer } from './contract';

export interface ScenarioFigures {
  readonly name: string;
  /** Handler invocations. */
  requests: number;
  ok: number;
  clientErrors: number;
  /** 502/503 answers a scenario provokes on purpose (injected Connect faults, the ledger stopped). */
  expected5xx: number;
  /** Any other 5xx: a bug. */
  unexpected5xx: number;
  /** No definite answer of the contract: threw, hung past the Lambda timeout, broken envelope, payload too large. */
  lost: number;
  /** Connect contacts beyond one per request (per ClientToken and per idempotency key). */
  duplicateCalls: number;
  /** IN_PROGRESS claims left behind when none was expected. */
  staleClaims: number;
  /** Raw phone numbers (more than the last 4 digits) found in logs or ledger items. */
  leakedNumbers: number;
  /** Contacts the Connect simulator placed. */
  connectCalls: number;
  /** Handler processes killed on purpose (not lost: their requests were retried to a definite answer). */
  killed: number;
  durationMs: number;
  notes: string[];
}

const TOTAL_ROWS: Array<[keyof ScenarioFigures, string]> = [
  ['requests', 'requests tried'],
  ['unexpected5xx', '5xx answers (not provoked by an injected fault)'],
  ['duplicateCalls', 'duplicate calls'],
  ['lost', 'lost requests (no definite answer)'],
  ['staleClaims', 'stale claims (IN_PROGRESS left behind)'],
  ['leakedNumbers', 'leaked numbers (logs, ledger)'],
];

export class Figures {
  private readonly byName = new Map<string, ScenarioFigures>();
  readonly meta: Record<string, string> = {};

  scenario(name: string): ScenarioFigures {
    let figures = this.byName.get(name);
    if (!figures) {
      figures = {
        name,
        requests: 0,
        ok: 0,
        clientErrors: 0,
        expected5xx: 0,
        unexpected5xx: 0,
        lost: 0,
        duplicateCalls: 0,
        staleClaims: 0,
        leakedNumbers: 0,
        connectCalls: 0,
        killed: 0,
        durationMs: 0,
        notes: [],
      };
      this.byName.set(name, figures);
    }
    return figures;
  }

  /** Counts one handler invocation. `expected5xx` lists the 5xx codes the scenario provokes on purpose. */
  record(scenario: ScenarioFigures, answer: Answer, expected5xx: readonly string[] = []): void {
    scenario.requests += 1;
    if (answer.problem !== undefined) {
      scenario.lost += 1;
      return;
    }
    if (answer.status >= 200 && answer.status < 300) scenario.ok += 1;
    else if (answer.status >= 400 && answer.status < 500) scenario.clientErrors += 1;
    else if (answer.status >= 500 && expected5xx.includes(answer.code)) scenario.expected5xx += 1;
    else scenario.unexpected5xx += 1;
  }

  all(): ScenarioFigures[] {
    return [...this.byName.values()];
  }

  total(field: keyof ScenarioFigures): number {
    return this.all().reduce((sum, s) => sum + (typeof s[field] === 'number' ? s[field] as number : 0), 0);
  }

  /** The markdown report: totals, then one row per scenario. */
  markdown(): string {
    const lines: string[] = [];
    lines.push('## Reliability figures', '');
    lines.push('| figure | count |', '|---|---:|');
    for (const [field, label] of TOTAL_ROWS) lines.push(`| ${label} | ${this.total(field).toLocaleString('en-US')} |`);
    lines.push('');
    lines.push('| scenario | requests | 2xx | 4xx | 5xx provoked | 5xx other | lost | duplicate calls | stale claims | leaked numbers | Connect calls | time |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of this.all()) {
      lines.push(`| ${s.name} | ${s.requests.toLocaleString('en-US')} | ${s.ok} | ${s.clientErrors} | ${s.expected5xx} | ${s.unexpected5xx} | ${s.lost} `
        + `| ${s.duplicateCalls} | ${s.staleClaims} | ${s.leakedNumbers} | ${s.connectCalls} | ${(s.durationMs / 1000).toFixed(1)} s |`);
    }
    const notes = this.all().flatMap((s) => [
      ...(s.killed > 0 ? [`${s.killed} handler processes killed on purpose, counted in requests; each request was retried to a definite answer`] : []),
      ...s.notes,
    ].map((note) => `- ${s.name}: ${note}`));
    if (notes.length > 0) lines.push('', ...notes);
    const meta = Object.entries(this.meta);
    if (meta.length > 0) lines.push('', ...meta.map(([key, value]) => `- ${key}: ${value}`));
    return lines.join('\n') + '\n';
  }

  /** Writes the markdown report; returns its path. */
  write(file: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `# Reliability suite\n\n${this.markdown()}`);
    return file;
  }
}
