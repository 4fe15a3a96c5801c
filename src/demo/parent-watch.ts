/**
 * Preloaded into every process the demo starts (`node --import .../parent-watch.js app.js`): when
 * the launcher goes away without stopping its children (kill -9, a crash), the IPC channel to it
 * closes and this process stops itself, so the demo never leaves orphans behind. The example app
 * itself stays free of demo plumbing.
 */
const GRACE_MS = 15_000;

if (process.channel) {
  // The channel exists only for this watch: it must not keep the app alive by itself.
  process.channel.unref();
  process.once('disconnect', () => {
    // SIGTERM runs the app's own graceful stop; the timer is the bound if it has none or hangs.
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}

export {};
