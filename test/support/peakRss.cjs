// Preloaded (`node --require`) into a child process a test measures: at exit, writes the child's peak RSS in
// KiB to $PEAK_RSS_FILE. VmHWM is this process's own peak; getrusage's ru_maxrss can report the parent's size
// after fork+exec (bench/rssChild.cjs), hence the fallback only.
const { readFileSync, writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.PEAK_RSS_FILE;
  if (file === undefined) return;
  let kib;
  try {
    kib = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {}
  writeFileSync(file, String(Number.isFinite(kib) ? kib : process.resourceUsage().maxRSS));
});
