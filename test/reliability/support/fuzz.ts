/**
 * Runs one generated request (a `Case`) against a stand and checks it:
 * a definite answer in the envelope (never a 5xx), the answer the oracle
 * expects, no Connect call for a request refused by validation, and no
 * generated phone number in the logs (leaks are collected, not thrown, so one
 * leak does not stop the thousands of other checks).
 */
import { ANOTHER_CALLERS_CONTACT, type Case } from './arbitraries';
import { detailsName, type Answer } from './contract';
import type { ScenarioFigures } from './figures';
import { findLeaks, searchableLogText, type LogTap } from './leaks';
import type { Stand } from './stand';
import { proxyEvent } from '../../local/proxy-event';

export interface FoundLeak {
  readonly label: string;
  readonly number: string;
  readonly excerpt: string;
}

export class FuzzRunner {
  /** Requests run (shrinking runs included). */
  generated = 0;
  /** Requests that placed a call (200). */
  placed = 0;
  private leaks: FoundLeak[] = [];
  private seq = 0;

  constructor(private readonly stand: Stand, private readonly scenario: ScenarioFigures, private readonly tap: LogTap) {}

  async run(c: Case): Promise<void> {
    this.generated += 1;
    // One caller per request: keys never collide across generated requests.
    const caller = { iamUserArn: `arn:aws:iam::111122223333:user/fuzz-${++this.seq}` };
    const contacts = this.stand.sim.contacts;
    const event = c.statusOf !== undefined
      ? this.stand.statusEvent(c.statusOf === ANOTHER_CALLERS_CONTACT && contacts.length > 0
        ? contacts[this.seq % contacts.length].contactId : c.statusOf, caller)
      : proxyEvent({
        body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : Buffer.from(c.body),
        base64: c.base64,
        headers: c.headers ?? {},
        caller,
      });
    if (c.headers === null) {
      (event as { headers: unknown }).headers = null;
      (event as { multiValueHeaders: unknown }).multiValueHeaders = null;
    }
    const sim = this.stand.sim;
    const requestsBefore = sim.requests.length;
    const contactsBefore = sim.contacts.length;
    const mark = this.tap.mark();
    const answer = await this.stand.invoke(this.scenario, event);
    const lines = this.tap.since(mark);
    this.tap.truncate(mark);

    for (const leak of findLeaks(lines.map(searchableLogText), c.numbers)) {
      this.leaks.push({ label: c.label, ...leak });
      this.scenario.leakedNumbers += 1;
    }

    const fail = (why: string): never => {
      throw new Error(`${c.label}: ${why}\n  expected ${JSON.stringify(c.expect)}\n  answered ${answer.status} ${describe(answer)}`);
    };
    if (answer.problem !== undefined) fail(`no definite answer: ${answer.problem}`);
    if (answer.status >= 500) fail('a 5xx for a generated request');
    const newRequests = sim.requests.length - requestsBefore;
    const newContacts = sim.contacts.length - contactsBefore;

    let expected = c.expect;
    if (expected.kind === 'placed-or-refused') expected = answer.status === 200 ? { kind: 'placed' } : { kind: 'no-call' };
    switch (expected.kind) {
      case 'placed':
        if (answer.status !== 200) fail('a valid request was not placed');
        if (newContacts !== 1 || newRequests !== 1) fail(`${newRequests} Connect requests and ${newContacts} contacts for one call`);
        if (sim.contacts[sim.contacts.length - 1].contactId !== answer.body.data.id) fail('the answer names another contact');
        this.placed += 1;
        this.scenario.connectCalls += 1;
        break;
      case 'refused':
        if (answer.status !== expected.status || answer.code !== expected.code) fail('not the answer the contract gives');
        for (const field of expected.fields ?? []) if (!detailsName(answer, field)) fail(`details do not name ${field}`);
        if (newRequests !== 0) fail(`a request refused by validation reached Connect (${newRequests} requests)`);
        break;
      case 'connect-refused':
        if (answer.status !== expected.status || answer.code !== expected.code) fail('not the answer Connect\'s refusal maps to');
        if (newRequests !== 1 || newContacts !== 0) fail(`${newRequests} Connect requests and ${newContacts} contacts`);
        break;
      case 'no-call':
        if (answer.status < 400 || answer.status >= 500) fail('expected a 4xx');
        if (newRequests !== 0) fail(`a refused request reached Connect (${newRequests} requests)`);
        break;
      case 'one-of':
        if (!expected.answers.some((a) => a.status === answer.status && a.code === answer.code)) fail('not one of the answers expected');
        if (newRequests !== 0) fail(`the request reached Connect (${newRequests} requests)`);
        break;
    }
  }

  /** The leaks found since the last call. */
  takeLeaks(): FoundLeak[] {
    const leaks = this.leaks;
    this.leaks = [];
    return leaks;
  }
}

function describe(answer: Answer): string {
  if (answer.problem) return answer.problem;
  const body = JSON.stringify(answer.body);
  return body.length > 600 ? `${body.slice(0, 600)}…` : body;
}
