/**
 * Before `projen package` builds the Python, Java and Go packages (and the
 * consumer tests use them): every tool they need is on the PATH. A missing one
 * fails here with one line naming it and how to get it, instead of a stack trace
 * from deep inside jsii-pacmak. See the README's "Other languages".
 */
import { spawnSync } from 'node:child_process';

interface Tool {
  /** The command, as jsii-pacmak and the consumer tests run it. */
  readonly command: string;
  readonly args: string[];
  /** What it is needed for. */
  readonly purpose: string;
  /** The version out of its output, or undefined if the output does not qualify. */
  readonly version: (output: string) => string | undefined;
  /** How to get it. */
  readonly install: string;
}

const TOOLS: Tool[] = [
  {
    command: 'python3',
    // jsii-pacmak and the Python consumer test make virtual environments: venv and ensurepip must be there.
    args: ['-c', 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 10))'],
    purpose: 'dist/python and the Python consumer test',
    version: (out) => /^(\d+\.\d+\.\d+)/.exec(out.trim())?.[1],
    install: 'install Python 3.10+ with venv and pip (apt-get install python3 python3-venv python3-pip, or https://www.python.org/downloads/)',
  },
  {
    command: 'java',
    args: ['-version'],
    purpose: 'dist/java, the Java consumer test and DynamoDB Local',
    version: (out) => /version "([^"]+)"/.exec(out)?.[1],
    install: 'install a JDK 11+ (apt-get install openjdk-17-jdk-headless, or https://adoptium.net/)',
  },
  {
    command: 'mvn',
    args: ['-v'],
    purpose: 'dist/java and the Java consumer test',
    version: (out) => /Apache Maven (\S+)/.exec(out.replace(/\u001b\[[0-9;]*m/g, ''))?.[1],
    install: 'install Apache Maven 3.6+ (apt-get install maven, or https://maven.apache.org/download.cgi)',
  },
  {
    command: 'go',
    args: ['version'],
    purpose: 'dist/go and the Go consumer test',
    version: (out) => {
      const match = /go(\d+)\.(\d+)(\.\d+)?/.exec(out);
      // The generated module declares go 1.25.
      return match && (Number(match[1]) > 1 || Number(match[2]) >= 25) ? match[0].slice(2) : undefined;
    },
    install: 'install Go 1.25+ (https://go.dev/dl/, or apt-get install golang-go)',
  },
];

const found: string[] = [];
const problems: string[] = [];
for (const tool of TOOLS) {
  const run = spawnSync(tool.command, tool.args, { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const version = run.error ? undefined : tool.version(output);
  if (run.error || run.status !== 0 || !version) {
    const what = run.error ? 'not found on PATH' : `unusable (${output.trim().split('\n')[0] || `exit ${run.status}`})`;
    problems.push(`package: ${tool.command} ${what}; it builds ${tool.purpose}: ${tool.install}.`);
  } else {
    found.push(`${tool.command} ${version}`);
  }
}
if (problems.length) {
  for (const line of problems) console.error(line);
  process.exit(1);
}
console.log(`package: ${found.join(', ')}`);
