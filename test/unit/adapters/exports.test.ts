/**
 * package.json's `sessionmesh/express`, `/fastify` and `/koa` entry points name files this build
 * emits, and each exports its store (the integration tests import the sources relatively, so this
 * is what checks the public specifiers).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The build root (dist/ or a private --outDir): this file is <root>/test/unit/adapters/. */
const root = new URL('../../../', import.meta.url);

/** The nearest package.json above the build root (dist/ is one level down, .build/<name>/ two). */
function findPackageJson(): string {
  for (let dir = new URL('../', root); ; dir = new URL('../', dir)) {
    const p = fileURLToPath(new URL('package.json', dir));
    if (existsSync(p)) return p;
    if (dir.pathname === '/') throw new Error('no package.json above the build');
  }
}
const pkg = JSON.parse(readFileSync(findPackageJson(), 'utf8')) as { exports: Record<string, { types: string; default: string }> };

describe('adapters: package exports', () => {
  for (const name of ['express', 'fastify', 'koa']) {
    it(`sessionmesh/${name} resolves to a built module exporting SessionMeshStore`, async () => {
      const entry = pkg.exports[`./${name}`];
      assert.ok(entry, `package.json exports ./${name}`);
      for (const p of [entry.default, entry.types]) {
        assert.match(p, /^\.\/dist\//);
        assert.ok(existsSync(fileURLToPath(new URL(p.slice('./dist/'.length), root))), `${p} is built`);
      }
      const mod = (await import(new URL(entry.default.slice('./dist/'.length), root).href)) as { SessionMeshStore?: unknown };
      assert.equal(typeof mod.SessionMeshStore, 'function');
    });
  }
});
