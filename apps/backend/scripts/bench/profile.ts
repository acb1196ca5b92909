// Summary of V8 CPU profiles (node --cpu-prof) written by a process under wrk load: where its samples went,
// grouped by package (or node internals, or this project's code), then the costliest functions by self time.
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function groupOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /apps\/backend\/(?:dist|src)\/(.+?)\.[jt]s$/.exec(url);
  return own ? `acolhe:${own[1]}` : url;
}

export function summariseProfiles(dir: string, log: (line: string) => void, top = 20): void {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (!files.length) {
    log(`no CPU profile in ${dir}`);
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const total = profile.samples.length;
    const byGroup = new Map<string, number>();
    const byFunction = new Map<string, number>();
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (!hits) continue;
      const group = groupOf(node.callFrame);
      byGroup.set(group, (byGroup.get(group) ?? 0) + hits);
      const f = `${node.callFrame.functionName || '(anonymous)'} ${group}:${node.callFrame.lineNumber + 1}`;
      byFunction.set(f, (byFunction.get(f) ?? 0) + hits);
    }
    const seconds = (profile.endTime - profile.startTime) / 1e6;
    // The process idles while the other sides are measured: shares are of the busy samples.
    const idle = byGroup.get('(idle)') ?? 0;
    byGroup.delete('(idle)');
    byFunction.delete('(idle) (idle):0');
    const busy = Math.max(1, total - idle);
    const pct = (n: number) => `${((100 * n) / busy).toFixed(1).padStart(5)} %`;
    log(
      `\n### CPU profile ${file}: ${total.toLocaleString('en-US')} samples over ${seconds.toFixed(0)} s, ` +
        `${busy.toLocaleString('en-US')} busy (${((100 * busy) / total).toFixed(0)} %); shares of the busy samples`,
    );
    log('by package (self time):');
    for (const [g, n] of [...byGroup].sort((a, b) => b[1] - a[1]).slice(0, top)) log(`  ${pct(n)}  ${g}`);
    log('by function (self time):');
    for (const [f, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) log(`  ${pct(n)}  ${f}`);
  }
}
