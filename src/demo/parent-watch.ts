/**
 * Preloaded into every process the demo starts (`node --import .../parent-watch.js app.js`): when
 * the launcher goes away without stopping its children (kill -9, a crash), the IPC channel to it
 * closes and this process exits at once, so the demo never leaves orphans behind. No graceful
 * leave: every app of the demo is going down together, so there is nobody to hand sessions to
 * (and members leaving all at once would each wait out their leave timeout). The example app
 * itself stays free of demo plumbing.
 */
if (process.channel) {
  // The channel exists only for this watch: it must not keep the app alive by itself.
  process.channel.unref();
  process.once('disconnect', () => {
    process.stderr.write('the demo launcher is gone: exiting\n');
    process.exit(1);
  });
}

export {};
