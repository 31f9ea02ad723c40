// Child of bench/run.ts: what a Lambda sandbox does for one invocation — read the event, parse it, load the
// bundled handler, invoke it once — then print the process's peak RSS. Plain Node: no loader in the way.
const { readFileSync } = require('node:fs');

async function main() {
  const [bundle, eventFile] = process.argv.slice(2);
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const before = process.memoryUsage().rss;
  const { handler } = require(bundle);
  await handler(event, { getRemainingTimeInMillis: () => 300_000 });
  // VmHWM is this process's own peak RSS. getrusage's ru_maxrss is not: after fork+exec it can report the
  // parent's size (seen here: 1170 MB for a child of the 1 GB benchmark process).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const maxRssMb = hwm
    ? Math.round(Number(hwm[1]) / 1024)
    : Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ maxRssMb, beforeHandlerMb: Math.round(before / 1024 / 1024) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
