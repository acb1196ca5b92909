// Progress for long runs: a redrawn bar with rate and ETA on a terminal, plain lines otherwise (CI logs).

const fmt = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
      : `${Math.round(s)}s`;

export function createProgress(o: { label: string; tty: boolean; write: (s: string) => void; every?: number }) {
  const started = Date.now();
  let lastLine = 0;
  return {
    update(done: number, total: number, rows: number) {
      const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
      const rate = done / elapsed;
      const eta = rate > 0 ? (total - done) / rate : 0;
      const pct = total ? done / total : 1;
      const stats = `${done}/${total} ${o.label}  ${Math.round(rate)}/s  ${Math.round(rows / elapsed)} rows/s  ETA ${fmt(eta)}`;
      if (o.tty) {
        const width = 30;
        const filled = Math.round(pct * width);
        o.write(
          `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(pct * 100).toFixed(0).padStart(3)}%  ${stats}\x1b[K`,
        );
        if (done >= total) o.write('\n');
      } else if (done >= total || Date.now() - lastLine >= (o.every ?? 5_000)) {
        lastLine = Date.now();
        o.write(`progress ${(pct * 100).toFixed(0)}%  ${stats}\n`);
      }
    },
  };
}
